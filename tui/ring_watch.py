"""How close each shared ring is to stalling, and which rings stay full.

Occupancy means different things per direction (xen-toolstack-formats.md §8):

* TX (guest → Dom0) and blkif: requests the guest posted that the backend has not
  answered yet, ``req_prod − rsp_prod``. Near 0 is normal; near the ring size means the
  backend is not keeping up (or the ring is stuck).
* RX (Dom0 → guest): the guest keeps the ring full of *empty buffers*
  (``req_prod − rsp_prod`` = 256 on an idle vif is healthy). Pressure is the share of
  those buffers the backend has used up, ``1 − (req_prod − req_cons) / size``: near 1 the
  guest is not giving buffers back and incoming packets queue in Dom0.

:class:`RingWatch` keeps the last few pressures of every device, one per host snapshot
whose data is fresh, to flag a ring that *stays* full rather than one that is busy once.
No Textual here: views feed it from the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from collectors.model import Device, HostId, HostSnapshot, HostStatus, RingStats

FULL_AT = 0.90
BUSY_AT = 0.50
STAYS_FULL_SAMPLES = 3

DeviceKey = tuple[HostId, int, str, int]


def ring_pressure(r: RingStats) -> float | None:
    """0 (idle) … 1 (stalled) for one ring (RingStats.pressure); None when unknown."""
    return r.pressure


def device_pressure(dev: Device) -> float | None:
    """The fullest of a device's rings; None when no ring's occupancy is known."""
    best: float | None = None
    for r in dev.rings:
        p = ring_pressure(r)
        if p is not None and (best is None or p > best):
            best = p
    return best


def queue_pressures(dev: Device, direction: str | None) -> list[float | None]:
    """Pressure per queue for one direction (``"tx"``, ``"rx"``), in queue order."""
    by_queue: dict[int, float | None] = {}
    for r in dev.rings:
        if r.direction == direction:
            by_queue[r.queue] = ring_pressure(r)
    return [by_queue[q] for q in sorted(by_queue)]


def level(pressure: float | None) -> str:
    """``unknown``, ``ok``, ``busy`` or ``full`` (the theme's ring-* colours)."""
    if pressure is None:
        return "unknown"
    if pressure >= FULL_AT:
        return "full"
    if pressure >= BUSY_AT:
        return "busy"
    return "ok"


class RingWatch:
    """The last ``samples`` pressures of every device, to tell a ring that stays full.

    A host's snapshot counts once (by ``seq``), and only when the host answered (a stale
    host repeats old data, which would look like a ring that never moves).
    """

    def __init__(self, samples: int = STAYS_FULL_SAMPLES, full_at: float = FULL_AT) -> None:
        if samples < 1:
            raise ValueError("samples must be at least 1")
        self.samples = samples
        self.full_at = full_at
        self._seq: dict[HostId, int] = {}
        self._history: dict[HostId, dict[DeviceKey, deque[float | None]]] = {}

    def observe(self, snap: HostSnapshot,
                pressures: Iterable[tuple[DeviceKey, float | None]] | None = None) -> bool:
        """Take a host's devices (or their ``(key, pressure)`` pairs when the caller has
        computed them); False when this snapshot was seen or is not fresh."""
        if self._seq.get(snap.host) == snap.seq or snap.status is not HostStatus.OK:
            return False
        self._seq[snap.host] = snap.seq
        if pressures is None:
            pressures = [(dev.key, device_pressure(dev)) for dev in snap.devices]
        old = self._history.get(snap.host, {})
        new: dict[DeviceKey, deque[float | None]] = {}
        for key, p in pressures:
            hist = old.get(key)
            if hist is None:
                hist = deque(maxlen=self.samples)
            hist.append(p)
            new[key] = hist
        self._history[snap.host] = new  # devices that went away are forgotten
        return True

    def observe_all(self, snaps: Iterable[HostSnapshot]) -> None:
        for s in snaps:
            self.observe(s)

    def history(self, key: DeviceKey) -> tuple[float | None, ...]:
        return tuple(self._history.get(key[0], {}).get(key, ()))

    def stays_full(self, key: DeviceKey) -> bool:
        hist = self._history.get(key[0], {}).get(key)
        return (hist is not None and len(hist) == self.samples
                and all(p is not None and p >= self.full_at for p in hist))
