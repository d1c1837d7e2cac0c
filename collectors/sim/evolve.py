"""Time evolution of a simulated host, in fixed one-second steps.

All randomness comes from the host's own ``random.Random`` (seeded from the fleet seed
and the host index), and the state only ever moves in whole steps, so what a host shows
at time t depends on (seed, t) and the actions taken, never on how often it was read.
"""

from __future__ import annotations

import math

from collectors.sim import lifecycle, rings
from collectors.sim.state import (
    NET_RING_ENTRIES,
    SHUTDOWN_CRASH,
    SHUTDOWN_POWEROFF,
    SHUTDOWN_REBOOT,
    NetQueue,
    SimDisk,
    SimDomain,
    SimHost,
    SimNic,
    SimVcpu,
)

# Catch-up limit: after a longer gap (a suspended laptop, a clock jump) the host skips the
# rest idle, so only reads more than an hour apart can make two runs differ.
MAX_STEPS_PER_CALL = 3600
_E1, _E5, _E15 = math.exp(-1 / 60), math.exp(-1 / 300), math.exp(-1 / 900)


def advance(host: SimHost, now: float) -> None:
    """Bring the host's state to time ``now`` (whole seconds since ``host.t0``)."""
    target = math.floor(now - host.t0)
    if target - host.steps > MAX_STEPS_PER_CALL:
        host.steps = target - MAX_STEPS_PER_CALL
    while host.steps < target:
        step(host)


def step(host: SimHost) -> None:
    host.steps += 1
    rng = host.rng
    _pending_shutdowns(host)
    busy: dict[int, float] = {}  # pCPU -> share used this second
    domains = host.sorted_domains()
    wants: list[_Want] = []
    for d in domains:
        _run_vcpus(host, d, busy, wants)
    _share(wants, busy)
    if 0 in host.domains and host.domains[0].active:
        _dom0_runs(host, host.domains[0])
    lifecycle.one_runner_per_pcpu(host)
    for d in domains:
        if d.domid == 0:
            continue
        _balloon(host, d)
        for nic in d.nics:
            _net(host, d, nic)
        for disk in d.disks:
            if d.active and not disk.empty:
                _disk(host, disk)
    _dom0(host, busy)
    host.last_pid += rng.randrange(0, 3)


def _pending_shutdowns(host: SimHost) -> None:
    for d in list(host.sorted_domains()):
        if d.pending and d.active:
            reason = SHUTDOWN_REBOOT if d.pending == "reboot" else SHUTDOWN_POWEROFF
            lifecycle.shut_down(d, reason)
            d.pending_at = host.steps + 1
            host.xs_version += 1
        elif d.is_shutdown and not d.dying and host.steps >= d.pending_at > 0:
            action = {SHUTDOWN_REBOOT: d.on_reboot, SHUTDOWN_CRASH: d.on_crash}.get(
                d.shutdown_reason or 0, d.on_poweroff)
            lifecycle.log_shutdown(host, d, action)
            if action.startswith("restart"):
                lifecycle.restart(host, d, host.rng)
            elif action == "destroy":
                lifecycle.destroy(host, d)
            else:  # preserve: it stays, shut down, and nobody acts again
                d.pending_at = 0


def _run_vcpus(host: SimHost, d: SimDomain, busy: dict[int, float],
               wants: list[_Want]) -> None:
    """Each online vCPU's wish for this second and the pCPU it asks (``busy``: the wishes
    so far per pCPU); _share then gives out the time."""
    rng = host.rng
    if not d.active:
        return
    pool = tuple(next((p.cpus for p in host.pools if p.name == d.pool), range(host.nr_cpus)))
    # the scheduler's cap (sched-credit2 -c, % of one pCPU): the domain's whole share
    budget = d.cap / 100 if d.cap > 0 else math.inf
    for v in d.vcpus:
        if not v.online:
            continue
        allowed = lifecycle.allowed_in(pool, v.hard)
        if rng.random() < 0.15:
            v.cpu = allowed[rng.randrange(len(allowed))]
        want = v.load * d.activity * (0.4 + 1.2 * rng.random())
        if rng.random() < 0.04:
            want *= 4
        if d.domid == 0 and v.id == 0:
            want = max(want, 0.05)
        if want > 1.0 - busy.get(v.cpu, 0.0):  # the scheduler looks for a less busy pCPU
            v.cpu = min(allowed, key=lambda c: (busy.get(c, 0.0), c != v.cpu))
        asked = min(1.0, want)
        capped = min(asked, budget)
        budget -= capped
        busy[v.cpu] = busy.get(v.cpu, 0.0) + capped
        wants.append((v, want, capped, rng.random()))


_Want = tuple[SimVcpu, float, float, float]  # vCPU, its wish, as capped, its running draw


def _share(wants: list[_Want], busy: dict[int, float]) -> None:
    """Each pCPU's second shared among the vCPUs that asked for it in proportion to their
    wishes (credit schedulers are fair: an overcommitted pCPU starves nobody); ``busy``
    becomes the time given out per pCPU."""
    scale = {c: 1.0 / w for c, w in busy.items() if w > 1.0}
    for c in scale:
        busy[c] = 1.0
    for v, want, capped, draw in wants:
        got = capped * scale.get(v.cpu, 1.0)
        v.time_ns += int(got * 1e9)
        starved = want > got + 1e-9  # waits for a pCPU, or for its cap's next slice
        v.running = draw < got
        v.blocked = not v.running and not starved


def _dom0_runs(host: SimHost, d: SimDomain) -> None:
    """xl itself is running on one of Dom0's vCPUs whenever Dom0 is looked at."""
    online = [v for v in d.vcpus if v.online]
    if online and not any(v.running for v in online):
        online[host.steps % len(online)].running = True
        online[host.steps % len(online)].blocked = False


def _balloon(host: SimHost, d: SimDomain) -> None:
    if not d.active or not d.pv_drivers:
        return
    diff = d.target_kib - d.mem_kib
    if diff == 0:
        return
    move = diff if abs(diff) <= 8192 else int(diff * 0.3)
    move -= move % 4
    if move > 0:
        move = min(move, host.free_kib() - host.free_kib() % 4)
    if move == 0:
        move = diff
    d.mem_kib += move


def _net(host: SimHost, d: SimDomain, nic: SimNic) -> None:
    rng = host.rng
    if nic.backend_state != 4 or not nic.queues or d.is_shutdown or d.dying:
        return
    to_guest = int(nic.traffic * rng.expovariate(1.0))
    if not d.active and not any(q.rx_buffers for q in nic.queues):
        # every queue is out of posted buffers: netback has turned the carrier off and the
        # bridge sends the vif nothing (the draw is still made: the stream stays the same)
        to_guest = 0
    from_guest = int(nic.traffic * 0.8 * rng.expovariate(1.0)) if d.active else 0
    nq = len(nic.queues)
    active, steps = d.active, host.steps
    lively = rings.lively(nic)
    if lively:
        burst = (to_guest + from_guest) / (1.8 * nic.traffic) if nic.traffic > 0 else 1.0
        rings.drift(host.ring_rng, d, nic, steps, burst)
    for i, q in enumerate(nic.queues):
        share_out = from_guest // nq + (1 if i < from_guest % nq else 0)
        share_in = to_guest // nq + (1 if i < to_guest % nq else 0)
        sent = _guest_transmits(nic, q, share_out, rng.random())
        nic.rx_packets += sent
        size = 60 + int(rng.random() * 1200)
        nic.rx_bytes += sent * size
        q.credit_used = (q.credit_used + sent * size) % 4096
        delivered, dropped = _deliver_to_guest(q, share_in, active)
        nic.tx_packets += delivered
        nic.tx_bytes += delivered * (60 + int(rng.random() * 1400))
        nic.tx_drop += dropped
        if lively:
            rings.move_queue(q, i, steps, sent, delivered, active, nic.tx_level, nic.rx_level)
        else:
            rings.idle_queue(q, sent, delivered, active)


def _guest_transmits(nic: SimNic, q: NetQueue, n: int, jitter: float) -> int:
    """Packets the guest gets onto the TX ring: a backlogged backend lags behind on them
    (``tx_lag`` requests), which leaves less room for new ones."""
    n = min(n, NET_RING_ENTRIES - q.tx_lag)
    lag = int(nic.backlog * NET_RING_ENTRIES * (0.85 + 0.15 * jitter))
    q.tx_lag = min(q.tx_lag + n, lag)
    return n


def _deliver_to_guest(q: NetQueue, n: int, guest_running: bool) -> tuple[int, int]:
    """Packets netback puts in the buffers the guest posted; a paused guest posts none."""
    delivered = min(n, q.rx_buffers)
    q.rx_buffers = NET_RING_ENTRIES if guest_running else q.rx_buffers - delivered
    return delivered, n - delivered


def _disk(host: SimHost, disk: SimDisk) -> None:
    rng = host.rng
    n = int(disk.iops * rng.expovariate(1.0))
    if n == 0:
        return
    reads = int(n * rng.random())
    writes = 0 if disk.mode == "r" else n - reads
    disk.rd_req += reads
    disk.wr_req += writes
    disk.rd_sect += reads * 8 * (1 + rng.randrange(16))
    disk.wr_sect += writes * 8 * (1 + rng.randrange(8))
    disk.f_req += writes // 20
    if disk.congested and n > disk.iops:
        disk.oo_req += 1 + int(n * 0.05 * rng.random())


def _dom0(host: SimHost, busy: dict[int, float]) -> None:
    guests = [d for d in host.domains.values() if d.domid != 0]
    vif_rx = sum(n.rx_bytes for d in guests for n in d.nics)
    vif_tx = sum(n.tx_bytes for d in guests for n in d.nics)
    pkts_rx = sum(n.rx_packets for d in guests for n in d.nics)
    pkts_tx = sum(n.tx_packets for d in guests for n in d.nics)
    for i in host.dom0_ifs:
        if i.name == "lo" or i.name == "ovs-system":  # ovs-system is down, carries nothing
            continue
        i.rx_bytes = i.ifindex * 40960 + vif_tx
        i.tx_bytes = i.ifindex * 20480 + vif_rx
        i.rx_packets = i.ifindex * 64 + pkts_tx
        i.tx_packets = i.ifindex * 32 + pkts_rx
    dom0 = host.domains.get(0)
    n = 0.0 if dom0 is None else sum(1 for v in dom0.vcpus if v.running) * 0.5
    n += sum(busy.values()) / max(1, host.nr_cpus)
    a, b, c = host.load
    host.load = [a * _E1 + n * (1 - _E1), b * _E5 + n * (1 - _E5), c * _E15 + n * (1 - _E15)]
