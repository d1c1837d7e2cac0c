"""Cell formatting: compact, and unknown is '-' (never 0)."""

from __future__ import annotations

import math

import pytest

from tui.format import (
    fmt_bytes,
    fmt_cpu_time,
    fmt_duration,
    fmt_kib,
    fmt_latency,
    fmt_pct,
    fmt_rate,
    sparkline,
)


@pytest.mark.parametrize("fn", [fmt_bytes, fmt_kib, fmt_rate, fmt_pct, fmt_duration,
                                fmt_cpu_time, fmt_latency])
def test_unknown_is_a_dash(fn: object) -> None:
    assert fn(None) == "-"  # type: ignore[operator]


def test_zero_is_zero_not_dash() -> None:
    assert fmt_bytes(0) == "0B"
    assert fmt_pct(0.0) == "0.0"
    assert fmt_rate(0.0) == "0B/s"


@pytest.mark.parametrize(("n", "s"), [(999, "999B"), (1024, "1.00K"), (1536, "1.50K"),
                                      (10 * 1024, "10.0K"), (5 * 1024**3, "5.00G"),
                                      (200 * 1024**2, "200M")])
def test_bytes(n: int, s: str) -> None:
    assert fmt_bytes(n) == s


def test_kib_and_rate() -> None:
    assert fmt_kib(4 * 1024 * 1024) == "4.00G"
    assert fmt_rate(2048.0) == "2.00K/s"
    assert fmt_bytes(math.nan) == "-"


@pytest.mark.parametrize(("s", "out"), [(0, "0s"), (59, "59s"), (61, "1m01s"),
                                        (3600 * 5 + 120, "5h02m"), (86400 * 3 + 4 * 3600, "3d04h"),
                                        (86400 * 400, "400d"), (-1, "-")])
def test_duration(s: float, out: str) -> None:
    assert fmt_duration(s) == out


def test_cpu_time_and_latency() -> None:
    assert fmt_cpu_time(3723.9) == "1:02:03"
    assert fmt_latency(0.0123) == "12ms"
    assert fmt_latency(2.5) == "2.5s"


def test_sparkline_scales_and_marks_unknown() -> None:
    s = sparkline([0.0, 50.0, 100.0, math.nan], 4, top=100.0)
    assert s == "▁▅█ "
    assert sparkline([1.0], 5, top=100.0) == "    ▁"
    assert len(sparkline([10.0] * 30, 12)) == 12
