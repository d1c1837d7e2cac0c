"""Rates from cumulative counters.

The first sample of a key gives no rate (None). A counter that goes backwards (the domain
restarted, the device was re-created, the domid was reused) starts over: no rate for that
sample, and the new value becomes the baseline.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Sample:
    t: float
    values: dict[str, int | float | None]


@dataclass(slots=True)
class RateTracker:
    """Keeps the previous counters per key; ``update`` returns per-second rates."""

    _prev: dict[Hashable, _Sample] = field(default_factory=dict)

    def update(
        self, key: Hashable, t: float, counters: Mapping[str, int | float | None]
    ) -> dict[str, float | None]:
        prev = self._prev.get(key)
        self._prev[key] = _Sample(t, dict(counters))
        rates: dict[str, float | None] = dict.fromkeys(counters)
        if prev is None:
            return rates
        dt = t - prev.t
        if dt <= 0:
            # same sample seen twice: keep the previous baseline, no new rate
            self._prev[key] = prev
            return rates
        for name, value in counters.items():
            before = prev.values.get(name)
            if value is None or before is None:
                continue
            delta = value - before
            if delta < 0:
                continue  # counter reset
            rates[name] = delta / dt
        return rates

    def forget(self, key: Hashable) -> None:
        self._prev.pop(key, None)

    def retain(self, keys: Iterable[Hashable]) -> None:
        """Drop state for keys that are gone (domains destroyed, devices detached)."""
        keep = set(keys)
        for k in [k for k in self._prev if k not in keep]:
            del self._prev[k]

    def __len__(self) -> int:
        return len(self._prev)
