"""Rates from cumulative counters.

The first sample of a key gives no rate (None). A counter that goes backwards (the domain
restarted, the device was re-created, the domid was reused) starts over: no rate for that
sample, and the new value becomes the baseline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping
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
_Values = tuple[int | float | None, ...]


@functools.lru_cache(maxsize=16)
def _deltas(width: int) -> Callable[[_Values, _Values, float], _Rates]:
    """``deltas(values, previous, dt)`` for ``width`` counters, unrolled (no loop, no
    iterator): a counter that is unknown on either side or went backwards gives None."""
    a = [f"a{i}" for i in range(width)]
    b = [f"b{i}" for i in range(width)]
    terms = [f"None if {x} is None or {y} is None or {x} < {y} else ({x} - {y}) / dt"
             for x, y in zip(a, b, strict=True)]
    src = (f"def deltas(values, previous, dt):\n"
           f"    {', '.join(a)}{',' if width == 1 else ''} = values\n"
           f"    {', '.join(b)}{',' if width == 1 else ''} = previous\n"
           f"    return ({', '.join(terms)}{',' if width == 1 else ''})\n")
    ns: dict[str, object] = {}
    exec(src, ns)  # noqa: S102 - built from the width alone
    return ns["deltas"]  # type: ignore[return-value]


@dataclass(slots=True)
class TupleRates:
    """RateTracker for a fixed tuple of counters (the per-tick hot path: no dicts).

    The same sample seen again (same time) gives the rates computed for it the first time.
    """

    width: int
    _prev: dict[Hashable, tuple[float, _Values, _Rates]] = field(default_factory=dict)
    _deltas: Callable[[_Values, _Values, float], _Rates] | None = None

    def update(self, key: Hashable, t: float, values: _Values) -> _Rates:
        prev = self._prev.get(key)
        if prev is None:
            if len(values) != self.width:
                raise ValueError(f"expected {self.width} counters, got {len(values)}")
            none: _Rates = (None,) * self.width
            self._prev[key] = (t, values, none)
            return none
        pt, pv, prates = prev
        dt = t - pt
        if dt <= 0:
            return prates
        deltas = self._deltas
        if deltas is None:
            deltas = self._deltas = _deltas(self.width)
        try:
            rates = deltas(values, pv, dt)
        except ValueError:  # unpacking: not ``width`` values
            raise ValueError(f"expected {self.width} counters, got {len(values)}") from None
        self._prev[key] = (t, values, rates)
        return rates

    def retain(self, keys: Iterable[Hashable]) -> None:
        keep = set(keys)
        for k in [k for k in self._prev if k not in keep]:
            del self._prev[k]

    def __len__(self) -> int:
        return len(self._prev)
