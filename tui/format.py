"""Short, fixed-width renderings of numbers. Unknown (``None``/NaN) is always ``-``."""

from __future__ import annotations

import math

DASH = "-"
_UNITS = ("B", "K", "M", "G", "T", "P")
_SPARK = "▁▂▃▄▅▆▇█"


def _unknown(v: float | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_bytes(n: float | None, *, suffix: str = "") -> str:
    """``1536`` → ``1.50K``; binary units, at most three significant digits, at most five
    characters before ``suffix`` (``999B``, ``9.99K``, ``99.9K``, ``999K``, ``0.98M``).

    Precision is chosen after rounding: ``9.996K`` is ``10.0K`` (not ``10.00K``) and
    ``999.7K`` is ``0.98M`` (not ``1000K``)."""
    if n is None or _unknown(n):
        return DASH
    v = float(n)
    sign = "-" if v < 0 else ""
    v = abs(v)
    for unit in _UNITS:
        # the bounds are where rounding reaches the next width (9.995 → "10.00")
        if unit == "B":
            if v < 999.5:
                return f"{sign}{v:.0f}B{suffix}"
        elif v < 9.995:
            return f"{sign}{v:.2f}{unit}{suffix}"
        elif v < 99.95:
            return f"{sign}{v:.1f}{unit}{suffix}"
        elif v < 999.5 or unit == _UNITS[-1]:
            return f"{sign}{v:.0f}{unit}{suffix}"
        v /= 1024
    raise AssertionError("unreachable")


def fmt_kib(kib: int | None) -> str:
    return DASH if kib is None else fmt_bytes(kib * 1024)


def fmt_mib(mib: int | float | None) -> str:
    return DASH if mib is None else fmt_bytes(mib * 1024 * 1024)


def fmt_rate(bps: float | None) -> str:
    """Bytes per second: ``1.2M/s``."""
    return fmt_bytes(bps, suffix="/s")


def fmt_pct(p: float | None, digits: int = 1, *, suffix: str = "") -> str:
    """``12.3`` (``12.3%`` with ``suffix="%"``); unknown is ``-``, never ``-%``."""
    if p is None or _unknown(p):
        return DASH
    return f"{p:.{digits}f}{suffix}"


def fmt_num(n: float | None, digits: int = 0) -> str:
    if n is None or _unknown(n):
        return DASH
    return f"{n:,.{digits}f}"


def fmt_duration(s: float | None) -> str:
    """Compact and monotonic in width: ``59s``, ``12m03s``, ``5h02m``, ``3d04h``, ``412d``."""
    if s is None or _unknown(s) or s < 0:
        return DASH
    t = int(s)
    if t < 60:
        return f"{t}s"
    if t < 3600:
        return f"{t // 60}m{t % 60:02d}s"
    if t < 86400:
        return f"{t // 3600}h{t % 3600 // 60:02d}m"
    if t < 100 * 86400:
        return f"{t // 86400}d{t % 86400 // 3600:02d}h"
    return f"{t // 86400}d"


def fmt_cpu_time(s: float | None) -> str:
    """CPU seconds as ``h:mm:ss`` (``xl list`` prints plain seconds)."""
    if s is None or _unknown(s) or s < 0:
        return DASH
    t = int(s)
    return f"{t // 3600}:{t % 3600 // 60:02d}:{t % 60:02d}"


def fmt_latency(s: float | None) -> str:
    if s is None or _unknown(s):
        return DASH
    if s < 1:
        return f"{s * 1000:.0f}ms"
    return f"{s:.1f}s"


def sparkline(values: list[float], width: int, top: float | None = None) -> str:
    """The last ``width`` values as block characters; unknown samples are blank.

    ``top`` fixes the scale (e.g. 100 for a percentage); by default the largest value.
    """
    tail = values[-width:]
    known = [v for v in tail if not math.isnan(v)]
    scale = top if top is not None else (max(known) if known else 0.0)
    out = []
    for v in tail:
        if math.isnan(v):
            out.append(" ")
        elif scale <= 0 or v <= 0:
            out.append(_SPARK[0])
        else:
            i = min(len(_SPARK) - 1, int(v / scale * (len(_SPARK) - 1) + 0.5))
            out.append(_SPARK[i])
    return "".join(out).rjust(width)


def plural(n: int, word: str) -> str:
    """``1 thread``, ``2 threads``, ``0 threads``."""
    return f"{n} {word}{'' if n == 1 else 's'}"
