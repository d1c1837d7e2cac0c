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


_Rates = tuple[float | None, ...]


@dataclass(slots=True)
class TupleRates:
    """RateTracker for a fixed tuple of counters (the per-tick hot path: no dicts).

    The same sample seen again (same time) gives the rates computed for it the first time.
    """

    width: int
    _prev: dict[Hashable, tuple[float, tuple[int | None, ...], _Rates]] = field(
        default_factory=dict
    )

    def update(self, key: Hashable, t: float, values: tuple[int | None, ...]) -> _Rates:
        prev = self._prev.get(key)
        if prev is None:
            none: _Rates = (None,) * self.width
            self._prev[key] = (t, values, none)
            return none
        pt, pv, prates = prev
        dt = t - pt
        if dt <= 0:
            return prates
        rates = tuple(
            None if a is None or b is None or a < b else (a - b) / dt
            for a, b in zip(values, pv, strict=True)
        )
        self._prev[key] = (t, values, rates)
        return rates

    def retain(self, keys: Iterable[Hashable]) -> None:
        keep = set(keys)
        for k in [k for k in self._prev if k not in keep]:
            del self._prev[k]
