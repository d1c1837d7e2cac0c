"""How close each shared ring is to stalling, and which rings stay full.

A ring's pressure, 0 (idle) … 1 (stalled), is :attr:`collectors.model.RingStats.pressure`
(TX: requests waiting for the backend; RX: the share of the guest's empty buffers used up;
xen-toolstack-formats.md §8).

:class:`RingWatch` keeps the last few pressures of every device, one per host snapshot
whose data is fresh, to flag a ring that *stays* full rather than one that is busy once.
No Textual here: views feed it from the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from collectors.model import Device, HostId, HostSnapshot, HostStatus

FULL_AT = 0.90
BUSY_AT = 0.50
STAYS_FULL_SAMPLES = 3

DeviceKey = tuple[HostId, int, str, int]


def device_pressure(dev: Device) -> float | None:
    """The fullest of a device's rings; None when no ring's occupancy is known."""
    best: float | None = None
    for r in dev.rings:
        p = r.pressure
        if p is not None and (best is None or p > best):
            best = p
    return best


def queue_pressures(dev: Device, direction: str | None) -> list[float | None]:
    """Pressure per queue for one direction (``"tx"``, ``"rx"``), in queue order."""
    by_queue: dict[int, float | None] = {}
    for r in dev.rings:
        if r.direction == direction:
            by_queue[r.queue] = r.pressure
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
    host repeats old data, which would look like a ring that never moves). Snapshots that
    carry the devices of the one before (the same tuple: the merger rebuilds it only when
    the rings or XenStore were read again) repeat a reading and do not count either.
    """

    def __init__(self, samples: int = STAYS_FULL_SAMPLES, full_at: float = FULL_AT) -> None:
        if samples < 1:
            raise ValueError("samples must be at least 1")
        self.samples = samples
        self.full_at = full_at
        self._seq: dict[HostId, int] = {}
        self._devices: dict[HostId, tuple[Device, ...]] = {}  # of the last snapshot counted
        self._history: dict[HostId, dict[DeviceKey, deque[float | None]]] = {}

    def observe(self, snap: HostSnapshot,
                pressures: Iterable[tuple[DeviceKey, float | None]] | None = None) -> bool:
        """Take a host's devices (or their ``(key, pressure)`` pairs when the caller has
        computed them); False when this snapshot was seen, is not fresh or repeats the
        last reading."""
        if self._seq.get(snap.host) == snap.seq or snap.status is not HostStatus.OK:
            return False
        self._seq[snap.host] = snap.seq
        if self._devices.get(snap.host) is snap.devices:
            return False
        self._devices[snap.host] = snap.devices
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
