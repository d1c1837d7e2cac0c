"""Netback ring occupancy of a simulated vif: how full each queue's TX and RX rings are.

The packet counters come from :mod:`collectors.sim.evolve` (host.rng); this module only
decides where the ring indices sit around them, from its own random stream
(``host.ring_rng``), so adding it changed no counter, CPU or memory value of a seed.

Meaning (xen-toolstack-formats.md §8, tui/ring_watch.py):

* TX (guest → Dom0): ``req_prod − rsp_prod`` requests the backend has not answered.
  Near 0 normally; a backend that is not keeping up leaves it near 256.
* RX (Dom0 → guest): the guest keeps empty buffers posted, ``req_prod − req_cons`` = 256
  when idle. A guest that does not give buffers back lets that fall towards 0.

Each second ``rsp_prod`` moves by exactly the packets the counters moved by (TX: sent by
the guest, RX: delivered to it), and the outstanding counts drift towards a level set by
the vif's traffic, so producer indices only grow and every difference stays in 0..256.
Quiet vifs (most of them) keep empty rings and cost no random draw. A few vifs of a fleet
have periodic stalls: a ring that sits ≥ 90 % for a while, then drains.
"""

from __future__ import annotations

import random

from collectors.sim.state import NET_RING_ENTRIES, U32, NetQueue, SimDomain, SimNic

STALL_PERIOD_S = 180  # one stall every three minutes ...
STALL_LENGTH_S = 40  # ... sitting full for this long (then it drains)
STALL_LEVEL = 0.97
LIVELY_TRAFFIC = 20.0  # packets/s from which a vif's rings visibly move; quieter ones stay empty
_PULL = 0.45  # how far a ring moves towards its target level each second
_SPREAD = 0.04  # how far one queue sits from its vif's level


def stalled(nic: SimNic, steps: int) -> bool:
    """Whether the vif's stalling ring (``nic.stall``) is in a stall at this step."""
    return nic.stall is not None and (steps + nic.stall_phase) % STALL_PERIOD_S < STALL_LENGTH_S


def lively(nic: SimNic) -> bool:
    """Whether the vif's rings move at all (the others keep idle, empty rings)."""
    return nic.traffic >= LIVELY_TRAFFIC or nic.backlog > 0.0 or nic.stall is not None


def drift(rng: random.Random, d: SimDomain, nic: SimNic, steps: int, burst: float) -> None:
    """One second of the vif's TX and RX levels (0..1): pulled towards what its traffic
    gives (scaled by this second's ``burst`` of packets, mean 1), plus noise."""
    t = nic.traffic
    tx = min(0.12, t / 700.0)
    rx = min(0.10, t / 900.0) * min(3.0, max(1.0, d.activity))  # a starved guest refills late
    if nic.backlog > 0.0:
        tx = max(tx, 0.3 + 0.3 * nic.backlog)  # a throttled vif: partly full
    scale = min(0.9 / max(tx, rx, 1e-9), 0.5 + 0.5 * burst)
    tx, rx = tx * scale, rx * scale
    jitter = 0.01 + 0.15 * min(0.5, max(tx, rx))
    if nic.stall is not None and stalled(nic, steps):
        jitter = 0.015
        if nic.stall == "tx":
            tx = STALL_LEVEL
        else:
            rx = STALL_LEVEL
    nic.tx_level = _towards(nic.tx_level, tx, jitter * (2.0 * rng.random() - 1.0))
    nic.rx_level = _towards(nic.rx_level, rx, jitter * (2.0 * rng.random() - 1.0))


def _towards(level: float, goal: float, noise: float) -> float:
    x = level + _PULL * (goal - level) + noise
    return 0.0 if x < 0.002 else (1.0 if x > 1.0 else x)


def move_queue(q: NetQueue, queue: int, steps: int, sent: int, delivered: int,
               active: bool, tx_level: float, rx_level: float) -> None:
    """One second of a lively vif's queue: ``sent`` TX requests answered, ``delivered``
    RX buffers filled; ``active`` is False for a paused guest (it posts nothing).
    (Plain comparisons rather than min/max: this runs for every busy queue every second.)"""
    n = NET_RING_ENTRIES
    tx, rx = q.tx, q.rx
    u = (((steps * 0x9E3779B1) ^ (queue * 0x85EBCA77)) >> 7 & 0xFFFF) / 65536.0  # [0, 1)
    spread = _SPREAD * n * (2.0 * u - 1.0)  # this queue's offset from the vif's level
    # --- TX: the guest posts, the backend answers ``sent`` of them
    rsp = (tx.rsp_prod + sent) & U32
    out = ((tx.req_prod - tx.rsp_prod) & U32) - sent  # what is left of the old requests
    pend = ((tx.req_cons - tx.rsp_prod) & U32) - sent
    if active:
        want = int(tx_level * n + spread + 0.5)
        if want > out:
            out = n if want > n else want
        p = int(out * 0.1 * u)  # taken by netback, copies in flight
        if p > pend:
            pend = p
    if out < 0:
        out = 0
    if pend < 0:
        pend = 0
    tx.rsp_prod = tx.rsp_pvt = rsp
    tx.req_prod = (rsp + out) & U32
    tx.req_cons = (rsp + pend) & U32
    tx.req_event = (rsp + pend + 1) & U32
    tx.rsp_event = (rsp + 1) & U32
    # --- RX: netback fills ``delivered`` posted buffers; the guest posts new ones
    rsp = (rx.rsp_prod + delivered) & U32
    if active:
        inflight_old = (rx.req_cons - rx.rsp_prod) & U32
        left = ((rx.req_prod - rx.req_cons) & U32) + inflight_old - delivered
        used = int(rx_level * n - spread + 0.5)  # buffers the guest has not given back
        if used < 0:
            used = 0
        inflight = int(used * u) >> 5  # filled, response not pushed yet: 0..2
        if inflight > 2:
            inflight = 2
        if inflight < inflight_old - delivered:
            inflight = inflight_old - delivered
        free = n - used
        if free < left - inflight:  # the guest can post, not take back
            free = left - inflight
        if free > n - inflight:
            free = n - inflight
        if free < 0:
            free = 0
    else:
        # netback can only use what the guest had posted before it stopped (evolve's
        # ``rx_buffers``): the guest's producer index stays put
        inflight, free = 0, q.rx_buffers
    rx.rsp_prod = rsp
    rx.req_cons = rx.rsp_pvt = (rsp + inflight) & U32
    rx.req_prod = (rsp + inflight + free) & U32
    rx.rsp_event = (rsp + 1) & U32


def idle_queue(q: NetQueue, sent: int, delivered: int, active: bool) -> None:
    """One second of a quiet vif's queue: every request answered at once, every RX
    buffer given back at once (``rx_buffers`` left while the guest is paused)."""
    tx, rx = q.tx, q.rx
    rsp = (tx.rsp_prod + sent) & U32
    tx.rsp_prod = tx.rsp_pvt = tx.req_prod = tx.req_cons = rsp
    tx.req_event = tx.rsp_event = (rsp + 1) & U32
    rsp = (rx.rsp_prod + delivered) & U32
    rx.rsp_prod = rx.req_cons = rx.rsp_pvt = rsp
    rx.req_prod = (rsp + q.rx_buffers) & U32
    if active:
        rx.rsp_event = (rsp + 1) & U32
