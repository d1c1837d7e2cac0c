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
    plural,
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


@pytest.mark.parametrize(("n", "s"), [
    (999.4, "999B"), (999.7, "0.98K"),  # rounds to 1000B: the next unit
    (9.994 * 1024, "9.99K"), (9.996 * 1024, "10.0K"),  # not 10.00K
    (99.94 * 1024, "99.9K"), (99.96 * 1024, "100K"),  # not 100.0K
    (999.4 * 1024, "999K"), (999.7 * 1024, "0.98M"),  # not 1000K
    (1023.9 * 1024**2, "1.00G"), (-999.7 * 1024, "-0.98M"),
])
def test_precision_is_chosen_after_rounding(n: float, s: str) -> None:
    assert fmt_bytes(n) == s


def test_every_size_has_at_most_three_significant_digits_in_five_characters() -> None:
    n = 0.5
    while n < 1024**5:
        shown = fmt_bytes(n)
        digits = shown[:-1].replace(".", "").lstrip("0")
        assert len(shown) <= 5 and len(digits) <= 3, (n, shown)
        n *= 1.0007


def test_a_unit_never_follows_an_unknown_value() -> None:
    # a gone domain's detail header said "CPU -%": the unit is the formatter's, after a number
    assert fmt_pct(12.34, suffix="%") == "12.3%"
    assert fmt_pct(None, suffix="%") == "-" and fmt_pct(math.nan, suffix="%") == "-"
    assert fmt_rate(None) == "-" and fmt_rate(math.nan) == "-"  # not "-/s"


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


@pytest.mark.parametrize(("n", "want"), [(0, "0 threads"), (1, "1 thread"), (2, "2 threads")])
def test_plural(n: int, want: str) -> None:
    assert plural(n, "thread") == want
