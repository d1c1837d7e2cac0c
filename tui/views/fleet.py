"""Fleet: one row per host and a totals bar for the whole fleet as one pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from collectors.config import HostConfig
from collectors.model import HostId, HostSnapshot, HostStatus
from collectors.poll_state import SOURCE_ERROR
from tui.format import DASH, fmt_latency, fmt_mib, fmt_num
from tui.store import FleetStore, HostTotals, data_time
from tui.styles import STATE_SYMBOLS, STATUS_SYMBOLS, Palette
from tui.table_diff import Cell
from tui.text import safe_text
from tui.views.base import SortsByHeader, StoreView, TextBar
from tui.views.fleet_sort import FLEET_SORTS, HostRow, sort_hosts, sort_value
from tui.widgets.keyed_table import Column, KeyedTable

# what needs a look first: a cell too narrow for every count cuts the ordinary ones
STATE_ORDER = ("crashed", "dying", "shutdown", "paused", "running", "blocked", "runnable")

FLEET_COLUMNS = (  # what changes and matters first: 120 columns show up to MemTot
    Column("host", "Host", 16),
    Column("banner", "Tag", 6),
    Column("status", "Status", 13, help="ok, stale for N seconds, down or error"),
    Column("domains", "Doms", 5, "right"),
    Column("states", "Domains by state", 20),
    Column("pcpus", "pCPU", 5, "right"),
    Column("vcpus", "vCPU", 5, "right", "online vCPUs of all domains"),
    Column("cpu_used", "Used", 6, "right", "pCPUs' worth of CPU used by domains"),
    Column("load", "Load", 5, "right", "Dom0 1-minute load average"),
    Column("mem_used", "MemUsed", 7, "right"),
    Column("mem_free", "MemFree", 7, "right"),
    Column("mem_total", "MemTot", 7, "right"),
    Column("latency", "RTT", 6, "right",
           "how long the host took to answer (not the commands' run time)"),
    Column("xen", "Xen", 8),
    Column("sched", "Sched", 8),
    Column("group", "Group", 8),
    Column("why", "Why", 60, help="why the host is not ok, or which of its numbers are missing"),
)


def host_status(snap: HostSnapshot | None, now: float, interval_s: float) -> tuple[str, str]:
    """(status, detail) as shown: a host whose data stopped arriving is stale for N s,
    even if its last snapshot said ok."""
    if snap is None:
        return "waiting", ""
    age = now - data_time(snap)
    late = age > 3 * interval_s + 2
    if snap.status is HostStatus.OK and not late:
        return "ok", ""
    if snap.status in (HostStatus.OK, HostStatus.STALE):
        return "stale", f"{age:.0f}s" if snap.data_age_s is not None or late else ""
    return snap.status.value, ""


def failing_sources(snap: HostSnapshot) -> list[str]:
    """``family: why`` for each family of numbers whose last read failed."""
    return [f"{k.removeprefix(SOURCE_ERROR)}: {v}" for k, v in snap.sources.items()
            if k.startswith(SOURCE_ERROR)]


def failing_summary(failing: list[str]) -> str:
    """The first failing source, and how many more (the Why column, the attention line)."""
    return failing[0] + (f" (+{len(failing) - 1} more)" if len(failing) > 1 else "")


def states_text(states: Mapping[str, int], palette: Palette) -> Text:
    text = Text(end="", no_wrap=True)
    for s in STATE_ORDER:
        n = states.get(s, 0)
        if n:
            if text:
                text.append(" ")
            text.append(f"{STATE_SYMBOLS[s]}{n}", style=palette.state.get(s, ""))
    return text


def fleet_row(
    host: HostId, cfg: HostConfig | None, snap: HostSnapshot | None, totals: HostTotals | None,
    now: float, interval_s: float, palette: Palette,
) -> list[Cell]:
    accent = cfg.accent if cfg else None
    host_style = palette.accent.get(accent, "") if accent else ""
    banner: Cell = ""
    if cfg and cfg.banner:
        banner = safe_text(cfg.banner, style=palette.banner.get(accent or "red", ""))
    status, detail = host_status(snap, now, interval_s)
    info = snap.info if snap else None
    # the numbers are the ones the table sorts by: shown as they sort, unknown as "-"
    row = HostRow(host, cfg, snap, totals, status)

    def v(column: str) -> Any:
        return sort_value(row, column)

    load, doms = v("load"), v("domains")
    why = snap.message if snap and snap.message and status != "ok" else None
    failing = failing_sources(snap) if snap is not None and status == "ok" else []
    if failing:  # ok, but a family of numbers is missing: say which and why
        why = f"⚠ {failing_summary(failing)}"
    # a host that is not ok shows what was last known of it, muted
    old = palette.muted if status != "ok" else ""
    counts = [
        fmt_num(v("pcpus")),
        fmt_num(v("vcpus")),
        fmt_num(v("cpu_used"), 1),
        DASH if load is None else f"{load:.2f}",
        fmt_mib(v("mem_used")),
        fmt_mib(v("mem_free")),
        fmt_mib(v("mem_total")),
        fmt_latency(v("latency")),
        info.xen_version or DASH if info else DASH,
        info.scheduler or DASH if info else DASH,
    ]

    def plain(v: str | None) -> Text:
        return safe_text(v, style=old, escaped_style=palette.escaped)

    return [
        safe_text(host, style=host_style, escaped_style=palette.escaped),
        banner,
        palette.status_text(status, detail),
        plain(DASH if doms is None else str(doms)),
        states_text(totals.states, palette) if totals else Text(DASH),
        *(plain(v) for v in counts),
        safe_text(cfg.group if cfg else None),
        safe_text(why, placeholder="", escaped_style=palette.escaped),
    ]


def hosts_not_ok(store: FleetStore, now: float,
                 interval_s: float) -> list[tuple[HostId, str, str, str | None]]:
    """(host, status, detail, why) of every host that is neither ok nor still waiting."""
    bad = []
    for host in store.hosts():
        snap = store.host(host)
        status, detail = host_status(snap, now, interval_s)
        if status not in ("ok", "waiting"):
            bad.append((host, status, detail, snap.message if snap else None))
    return bad


def hosts_missing_numbers(store: FleetStore, now: float,
                          interval_s: float) -> list[tuple[HostId, list[str]]]:
    """(host, its failing sources) of every host that is ok but missing some numbers."""
    out = []
    for host in store.hosts():
        snap = store.host(host)
        failing = failing_sources(snap) if snap is not None else []
        if failing and host_status(snap, now, interval_s)[0] == "ok":
            out.append((host, failing))
    return out


def attention_text(store: FleetStore, now: float, interval_s: float, palette: Palette,
                   limit: int = 4) -> Text:
    """One line per host that is not ok, with why, then per host that is ok but missing
    some numbers, with which (the Why column may be off screen)."""
    text = Text(end="", no_wrap=True, overflow="ellipsis")
    bad = hosts_not_ok(store, now, interval_s)
    partial = hosts_missing_numbers(store, now, interval_s)
    lines = [(palette.status_text(status, detail), host, why)
             for host, status, detail, why in bad]
    lines += [(Text("⚠ missing", style=palette.status["error"], end=""), host,
               failing_summary(failing)) for host, failing in partial]
    for label, host, why in lines[:limit]:
        if text:
            text.append("\n")
        text.append(" ")
        text.append_text(label)
        text.append(" ")
        text.append_text(safe_text(host, style="bold", escaped_style=palette.escaped))
        if why:
            text.append(": ")
            why = why.removeprefix(f"{host}: ")  # (a host named by its address says it)
            text.append_text(safe_text(why, escaped_style=palette.escaped))
    if len(lines) > limit:
        text.append(f"\n … and {len(lines) - limit} more (S sorts the table worst first)")
    return text


def totals_text(store: FleetStore, palette: Palette) -> Text:
    t = store.totals()
    text = Text(end="", no_wrap=True, overflow="ellipsis")
    text.append(" Fleet ", style="bold")
    if t.info_hosts < t.hosts:  # the sums are of the hosts that answered: say so
        text.append(f"({t.info_hosts} of {t.hosts} hosts) ")
    if t.info_hosts:
        used, free = t.cpu_used, t.cpu_free
        text.append(f"pCPUs {t.pcpus} (used {DASH if used is None else f'{used:.1f}'}, "
                    f"free {DASH if free is None else f'{free:.1f}'})")
        ratio = f"{t.vcpus / t.pcpus:.1f}:1" if t.pcpus else DASH
        text.append(f"  vCPUs {t.vcpus} ({ratio})")
        text.append(f"  Mem free {fmt_mib(t.mem_free_mib)} of {fmt_mib(t.mem_total_mib)}")
    else:  # nothing known yet: not zero
        text.append(f"pCPUs {DASH}  vCPUs {DASH}  Mem {DASH}")
    text.append(f"  Domains {t.domains} ")
    text.append_text(states_text(t.states, palette))
    text.append("\n Hosts ", style="bold")
    for status, word in (("ok", "ok"), ("stale", "stale"), ("unreachable", "down"),
                         ("error", "error"), ("waiting", "waiting")):
        n = t.hosts_by_status.get(status, 0)
        if n or status in ("ok", "stale", "unreachable"):
            style = palette.status.get(status, "")
            text.append(f"{STATUS_SYMBOLS[status]} {n} {word}  ", style=style)
    return text


class FleetScreen(SortsByHeader, StoreView):
    VIEW_ID = "fleet"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_host", "Domains of host", id="fleet.open"),
        Binding("greater_than_sign", "sort_step(1)", "Sort →", id="fleet.sort_next"),
        Binding("less_than_sign", "sort_step(-1)", "Sort ←", id="fleet.sort_prev",
                show=False),
        Binding("I", "reverse", "Reverse", id="fleet.reverse"),
        Binding("S", "sort_by('status')", "Worst first", id="fleet.sort_status"),
        Binding("H", "sort_by(None)", "As configured", id="fleet.sort_none", show=False),
    ]

    DEFAULT_CSS = """
    FleetScreen #fleet-totals {
        height: 2;
        text-wrap: nowrap;  /* two lines, each cut at the edge: a wrap hid the hosts line */
        text-overflow: ellipsis;
        background: $boost;
    }
    FleetScreen #fleet-attention {
        height: auto;
        max-height: 6;
        background: $boost;
        display: none;
    }
    FleetScreen #fleet-attention.-shown {
        display: block;
    }
    """

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="fleet-totals")
        yield KeyedTable[HostId](FLEET_COLUMNS, fixed_columns=1, id="fleet-table",
                                 empty_message="no hosts")
        yield TextBar(id="fleet-attention")

    @property
    def table(self) -> KeyedTable[HostId]:
        return self.query_one("#fleet-table", KeyedTable)

    def __init__(self) -> None:
        super().__init__()
        self._pending_host: HostId | None = None
        self.sort_column: str | None = None  # None: the configured order
        self.sort_desc = False

    def view_mounted(self) -> None:
        self.table.focus()
        if self._pending_host is not None:
            self.table.move_cursor_to(self._pending_host)  # applied by the first render

    def focus_host(self, host: HostId) -> None:
        if not self.ready:
            self._pending_host = host
            return
        self.table.move_cursor_to(host)

    def selected_host(self) -> HostId | None:
        return self.table.cursor_key

    def update_view(self) -> None:
        self._render_rows()

    def tick(self) -> None:
        super().tick()
        if self.ready:
            self._render_rows()  # "stale for N s" grows with the clock

    def row_token(self, host: HostId) -> tuple[object, ...]:
        """What a host's row is made of (a snapshot is known by its sequence and time)."""
        dash = self.dash
        snap = dash.store.host(host)
        status = host_status(snap, dash.now(), dash.settings.interval_s)
        seq = (snap.seq, snap.time) if snap else None
        return (seq, status, dash.store.config(host), dash.settings.interval_s, dash.palette)

    def row_cells(self, host: HostId) -> list[Cell]:
        store = self.dash.store
        return fleet_row(host, store.config(host), store.host(host), store.host_totals(host),
                         self.dash.now(), self.dash.settings.interval_s, self.dash.palette)

    def _render_rows(self) -> None:
        dash = self.dash
        store = dash.store
        self.query_one("#fleet-totals", TextBar).show(totals_text(store, dash.palette))
        self.table.set_sort_indicator(self.sort_column, self.sort_desc)
        self.table.set_rows(self._host_order(), self.row_cells, self.row_token)
        attention = attention_text(store, dash.now(), dash.settings.interval_s, dash.palette)
        panel = self.query_one("#fleet-attention", TextBar)
        panel.show(attention)
        panel.set_class(bool(attention), "-shown")

    def _host_order(self) -> list[HostId]:
        store = self.dash.store
        if self.sort_column is None:
            hosts = list(store.hosts())
            return hosts[::-1] if self.sort_desc else hosts
        now, interval = self.dash.now(), self.dash.settings.interval_s
        rows = []
        for h in store.hosts():
            snap = store.host(h)
            rows.append(HostRow(h, store.config(h), snap, store.host_totals(h),
                                host_status(snap, now, interval)[0]))
        return sort_hosts(rows, self.sort_column, self.sort_desc)

    def action_sort_by(self, column: str | None) -> None:
        if column is not None and column not in FLEET_SORTS:
            return
        self.sort_column = column
        self.sort_desc = FLEET_SORTS[column][1] if column is not None else False
        self._render_rows()

    def action_sort_step(self, step: int) -> None:
        keys = [c.key for c in FLEET_COLUMNS]
        i = keys.index(self.sort_column) + step if self.sort_column else (0 if step > 0 else -1)
        self.action_sort_by(keys[i % len(keys)])

    def action_reverse(self) -> None:
        self.sort_desc = not self.sort_desc
        self._render_rows()

    def action_open_host(self) -> None:
        host = self.selected_host()
        if host is not None:
            self.dash.show_view("domains", filter_text=f"host:={host}")

    @on(KeyedTable.RowActivated, "#fleet-table")
    def _row_activated(self, event: KeyedTable.RowActivated) -> None:
        event.stop()
        self.action_open_host()
