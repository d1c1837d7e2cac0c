"""The Domains table's columns: header, width, how to sort, how to render a cell."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from rich.text import Text

from collectors.config import HostConfig
from collectors.model import Domain
from tui.format import (
    DASH,
    fmt_cpu_time,
    fmt_duration,
    fmt_kib,
    fmt_pct,
    fmt_rate,
    sparkline,
)
from tui.store import DomainHistory, DomainKey
from tui.styles import MARK, STATUS_SYMBOLS, Palette
from tui.table_diff import Cell
from tui.text import safe_text
from tui.widgets.keyed_table import Column

SPARK_WIDTH = 12


@dataclass(frozen=True, slots=True)
class RowContext:
    palette: Palette
    host: HostConfig | None
    history: DomainHistory | None
    host_status: str = "ok"  # "ok", or how the host is not: its domains show old data
    marked: bool = False  # marked for a bulk action


@dataclass(frozen=True, slots=True)
class DomainColumn:
    column: Column
    sort: Callable[[Domain], Any]  # None sorts last either way
    cell: Callable[[Domain, RowContext], Cell]
    descending: bool = True  # first click / key sorts biggest first (numbers)

    @property
    def key(self) -> str:
        return self.column.key


def _host_cell(d: Domain, ctx: RowContext) -> Cell:
    accent = ctx.host.accent if ctx.host else None
    style = ctx.palette.accent.get(accent, "") if accent else ""
    text = safe_text(d.host, style=style, escaped_style=ctx.palette.escaped)
    if ctx.host_status != "ok":  # the row is last-known data of a host that is not ok
        mark = Text(f"{STATUS_SYMBOLS.get(ctx.host_status, '?')} ", end="",
                    style=ctx.palette.status.get(ctx.host_status, ""))
        return mark + text
    return text


def _name_cell(d: Domain, ctx: RowContext) -> Cell:
    name = safe_text(d.name, escaped_style=ctx.palette.escaped)
    if ctx.marked:
        return Text(f"{MARK} ", end="", style="bold") + name
    return name


def _spark(d: Domain, ctx: RowContext) -> Cell:
    if ctx.history is None or not len(ctx.history):
        return DASH
    values = ctx.history.series("cpu_pct", SPARK_WIDTH)
    known = [v for v in values if not math.isnan(v)]
    if not known:
        return DASH
    top = max(100.0, max(known))
    return Text(sparkline(values, SPARK_WIDTH, top), style=ctx.palette.sparkline, end="")


def _vcpus(d: Domain) -> str:
    if d.vcpus_online is None and d.vcpus_max is None:
        return DASH
    if d.vcpus_max is None or d.vcpus_max == d.vcpus_online:
        return str(d.vcpus_online if d.vcpus_online is not None else DASH)
    online = DASH if d.vcpus_online is None else str(d.vcpus_online)
    return f"{online}/{d.vcpus_max}"


def _maxmem(d: Domain) -> str:
    return "no limit" if d.mem_max_unlimited else fmt_kib(d.mem_max_kib)


def _state_rank(d: Domain) -> int:
    order = ("crashed", "dying", "paused", "shutdown", "runnable", "running", "blocked")
    return order.index(d.state.label)


def _cpu(d: Domain) -> float | None:
    return d.cpu_pct


def _device_column(column: Column, devices: Callable[[Domain], int | None],
                   get: Callable[[Domain], float | int | None],
                   fmt: Callable[[float | int | None], str]) -> DomainColumn:
    """A column counted over the domain's vifs or vbds: a domain with none of them has no
    value ('-', sorted with the unknown), rather than 0B/s or a count of 0 (display only:
    the --once JSON keeps xentop's number)."""
    def value(d: Domain) -> float | int | None:
        return None if devices(d) == 0 else get(d)

    return DomainColumn(column, value, lambda d, c: fmt(value(d)))


def _rate_column(column: Column, devices: Callable[[Domain], int | None],
                 rate: Callable[[Domain], float | None]) -> DomainColumn:
    """A bytes/s column (no vif, no vbd: '-')."""
    return _device_column(column, devices, rate, fmt_rate)


def _count(v: float | int | None) -> str:
    return DASH if v is None else str(v)


def _col(key: str, label: str, width: int, align: str = "left", help: str = "") -> Column:
    return Column(key, label, width, "right" if align == "right" else "left", help)


DOMAIN_COLUMNS: Sequence[DomainColumn] = (
    DomainColumn(_col("host", "Host", 14, help="the host as configured"),
                 lambda d: d.host.lower(), _host_cell, descending=False),
    DomainColumn(_col("domid", "ID", 5, "right", "domain id"),
                 lambda d: d.domid, lambda d, c: DASH if d.domid is None else str(d.domid),
                 descending=False),
    DomainColumn(_col("name", "Name", 20), lambda d: d.name.lower(), _name_cell,
                 descending=False),
    DomainColumn(_col("state", "State", 10, help="xl list state, with a symbol"),
                 _state_rank, lambda d, c: c.palette.state_text(d.state), descending=False),
    DomainColumn(_col("cpu", "CPU%", 6, "right", "% of one pCPU over the last interval"),
                 _cpu, lambda d, c: fmt_pct(d.cpu_pct)),
    DomainColumn(_col("spark", "CPU history", SPARK_WIDTH, help="CPU% over the last samples"),
                 _cpu, _spark),
    DomainColumn(_col("mem", "Mem", 7, "right", "current memory"),
                 lambda d: d.mem_kib, lambda d, c: fmt_kib(d.mem_kib)),
    DomainColumn(_col("mem_pct", "Mem%", 5, "right", "% of the host's memory"),
                 lambda d: d.mem_pct, lambda d, c: fmt_pct(d.mem_pct)),
    DomainColumn(_col("maxmem", "MaxMem", 8, "right", "maximum memory"),
                 lambda d: math.inf if d.mem_max_unlimited else d.mem_max_kib,
                 lambda d, c: _maxmem(d)),
    DomainColumn(_col("vcpus", "vCPU", 5, "right", "online (/maximum) vCPUs"),
                 lambda d: d.vcpus_online, lambda d, c: _vcpus(d)),
    DomainColumn(_col("type", "Type", 4), lambda d: d.type.value if d.type else None,
                 lambda d, c: d.type.value if d.type else DASH, descending=False),
    _rate_column(_col("net_in", "Guest RX", 9, "right",
                      "bytes/s received by the guest (Dom0's vif TX)"),
                 attrgetter("nets"), attrgetter("net_tx_rate")),
    _rate_column(_col("net_out", "Guest TX", 9, "right",
                      "bytes/s sent by the guest (Dom0's vif RX)"),
                 attrgetter("nets"), attrgetter("net_rx_rate")),
    _rate_column(_col("disk_rd", "Disk rd", 9, "right", "bytes/s read from its vbds"),
                 attrgetter("vbds"), attrgetter("vbd_rd_rate")),
    _rate_column(_col("disk_wr", "Disk wr", 9, "right", "bytes/s written to its vbds"),
                 attrgetter("vbds"), attrgetter("vbd_wr_rate")),
    _device_column(_col("vbd_oo", "VBD OO", 6, "right",
                        "requests that found a vbd ring full (cumulative)"),
                   attrgetter("vbds"), attrgetter("vbd_oo"), _count),
    DomainColumn(_col("cpu_time", "CPU time", 10, "right", "cumulative CPU time (h:mm:ss)"),
                 lambda d: d.cpu_time_s, lambda d, c: fmt_cpu_time(d.cpu_time_s)),
    DomainColumn(_col("uptime", "Uptime", 7, "right"),
                 lambda d: d.uptime_s, lambda d, c: fmt_duration(d.uptime_s)),
)

COLUMNS_BY_KEY = {c.key: c for c in DOMAIN_COLUMNS}
FIXED_COLUMNS = 3  # host, id and name stay put while the rest scrolls sideways


def sort_keys(
    rows: Sequence[tuple[DomainKey, Domain]],
    column: str,
    reverse: bool,
    *,
    dom0_first: bool,
) -> list[DomainKey]:
    """Order rows by ``column``; unknown values last in both directions; ties by host and
    name; when ``dom0_first``, every host's Domain-0 before all others, in the same order."""
    sort_value = COLUMNS_BY_KEY[column].sort

    def ordered(part: Sequence[tuple[int, DomainKey, Domain]]) -> list[DomainKey]:
        known: list[tuple[Any, str, str, int, DomainKey]] = []
        unknown: list[tuple[str, str, int, DomainKey]] = []
        for i, key, d in part:  # i breaks ties without comparing keys
            v = sort_value(d)
            if v is None:
                unknown.append((d.host, d.name, i, key))
            else:
                known.append((v, d.host, d.name, i, key))
        known.sort(reverse=reverse)
        unknown.sort()
        return [t[4] for t in known] + [t[3] for t in unknown]

    indexed = [(i, key, d) for i, (key, d) in enumerate(rows)]
    if not dom0_first:
        return ordered(indexed)
    return (ordered([r for r in indexed if r[2].domid == 0])
            + ordered([r for r in indexed if r[2].domid != 0]))
