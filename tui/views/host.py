"""Host: one host's ``xl info`` (from its snapshot), its cpupools and the tail of the
hypervisor log (``xl cpupool-list``, ``xl dmesg``: fetched when the host is first shown,
again with ``r``)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import RichLog

from collectors.model import HostId, format_cpu_ranges
from collectors.poll_state import SOURCE_ERROR
from collectors.queries import Cpupool, QueryError, cpupools, dmesg_tail
from collectors.transport.base import Runner
from tui.format import DASH, fmt_duration, fmt_mib, plural
from tui.host_access import runner_for
from tui.table_diff import Cell
from tui.text import safe_text
from tui.views.base import TextBar
from tui.views.fleet import host_status
from tui.views.per_host import PerHostView, host_bindings, host_title
from tui.widgets.keyed_table import Column, KeyedTable

DMESG_LINES = 300

INFO_COLUMNS = (Column("key", "xl info", 24), Column("value", "", 120))
POOL_COLUMNS = (
    Column("name", "Cpupool", 14),
    Column("cpus", "CPUs", 4, "right"),
    Column("sched", "Sched", 9),
    Column("active", "Active", 6),
    Column("domains", "Doms", 4, "right"),
    Column("list", "CPU list", 40),
)

SOURCE_COLUMNS = (Column("what", "Data", 14), Column("source", "Where it comes from", 80))
# snapshot.sources keys in the order shown, with the words a user reads
SOURCE_LABELS = {"domains": "domains", "vcpus": "vCPUs", "memory_target": "memory target",
                 "rings": "rings", "vbd_oo": "VBD OO", "dom0": "Dom0 counters"}

T = TypeVar("T")


@dataclass(slots=True)
class Fetched(Generic[T]):
    """An on-demand result for one host: loading, the data, or why it failed."""

    loading: bool = False
    data: T | None = None
    error: str | None = None
    at: float | None = None  # wall clock of the last answer


class HostScreen(PerHostView):
    VIEW_ID = "host"
    TITLE_WORD = "Host details"

    BINDINGS: ClassVar[list[BindingType]] = [
        *host_bindings("details"),
        Binding("r", "refresh", "Refresh pools/dmesg", id="host.refresh",
                tooltip="run xl cpupool-list and xl dmesg again"),
    ]

    DEFAULT_CSS = """
    HostScreen #host-header { height: 1; background: $boost; }
    HostScreen TextBar { text-wrap: nowrap; text-overflow: ellipsis; }
    HostScreen #host-info { width: 1fr; }
    HostScreen #host-right { width: 1fr; }
    HostScreen #host-pools-title, HostScreen #host-dmesg-title,
    HostScreen #host-sources-title {
        height: 1;
        background: $panel;
    }
    HostScreen #host-pools { height: 6; }
    HostScreen #host-sources { height: auto; max-height: 10; }
    HostScreen #host-dmesg { height: 1fr; background: $surface; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.pools: dict[HostId, Fetched[list[Cpupool]]] = {}
        self.dmesg: dict[HostId, Fetched[list[str]]] = {}
        self._dmesg_shown: tuple[HostId, float | None, str | None] | None = None

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="host-header")
        with Horizontal():
            yield KeyedTable[str](INFO_COLUMNS, fixed_columns=1, id="host-info",
                                  empty_message="no xl info from this host yet")
            with Vertical(id="host-right"):
                yield TextBar(id="host-pools-title")
                yield KeyedTable[str](POOL_COLUMNS, fixed_columns=1, id="host-pools",
                                      empty_message="")
                yield TextBar(id="host-sources-title")
                yield KeyedTable[str](SOURCE_COLUMNS, fixed_columns=1, id="host-sources",
                                      empty_message="nothing collected from this host yet")
                yield TextBar(id="host-dmesg-title")
                yield RichLog(id="host-dmesg", max_lines=DMESG_LINES, wrap=True, min_width=0,
                              markup=False, highlight=False, auto_scroll=True)

    def view_mounted(self) -> None:
        self.query_one("#host-info", KeyedTable).focus()

    # --- rendering ----------------------------------------------------------------------------

    def update_view(self) -> None:
        host = self.current_host()
        if host is not None and host not in self.pools:
            self.fetch(host)
        self._render_host(host)

    def host_changed(self) -> None:
        if not self.ready:
            return
        # the new host's tables from their first column: a sideways scroll kept from the
        # last host left the xl info values out of sight
        for table in self.query(KeyedTable):
            table.scroll_to(x=0, animate=False, immediate=True)
        if self.host is not None and self.host not in self.pools:
            self.fetch(self.host)

    def _render_host(self, host: HostId | None) -> None:
        self._render_header(host)
        snap = self.dash.store.host(host) if host is not None else None
        raw = dict(snap.info.raw) if snap is not None and snap.info is not None else {}
        escaped = self.dash.palette.escaped

        def info_row(key: str) -> list[Cell]:
            return [safe_text(key, style="bold", escaped_style=escaped),
                    safe_text(raw.get(key), escaped_style=escaped)]

        self.query_one("#host-info", KeyedTable).set_rows(list(raw), info_row)
        self._render_pools(host)
        self._render_sources(dict(snap.sources) if snap is not None else {})
        self._render_dmesg(host)

    def _render_header(self, host: HostId | None) -> None:
        dash = self.dash
        text = Text(" Host ", style="bold", end="", no_wrap=True, overflow="ellipsis")
        if host is None:
            text.append("(no hosts)")
            self.query_one("#host-header", TextBar).show(text)
            return
        text.append_text(host_title(dash.store, dash.palette, host))
        snap = dash.store.host(host)
        status, detail = host_status(snap, dash.now(), dash.settings.interval_s)
        text.append("  ")
        text.append_text(dash.palette.status_text(status, detail))
        info = snap.info if snap else None
        if info is not None:
            text.append(f"  Xen {info.xen_version or DASH}  {info.scheduler or DASH}")
            text.append(f"  {info.nr_cpus if info.nr_cpus is not None else DASH} pCPUs")
            text.append(f"  memory {fmt_mib(info.free_memory_mib)} free of "
                        f"{fmt_mib(info.total_memory_mib)}")
            if info.cores_per_socket and info.threads_per_core:  # (the least asked for last)
                text.append(f"  {info.cores_per_socket} cores/socket × "
                            f"{plural(info.threads_per_core, 'thread')}, NUMA nodes "
                            f"{info.nr_nodes or DASH}")
            up = info.raw.get("uptime") if info.raw else None
            if up:
                text.append("  up ")
                text.append_text(safe_text(up, escaped_style=dash.palette.escaped))
        if snap is not None and snap.message and status != "ok":
            text.append("  ")
            text.append_text(safe_text(snap.message, style=dash.palette.status.get(status, ""),
                                       escaped_style=dash.palette.escaped))
        self.query_one("#host-header", TextBar).show(text)

    def _title(self, what: str, state: Fetched[T] | None) -> Text:
        palette = self.dash.palette
        text = Text(f" {what}", style="bold", end="", no_wrap=True, overflow="ellipsis")
        if state is None or (state.loading and state.at is None):
            text.append("  loading…", style=palette.muted)
        elif state.error is not None:
            text.append("  ⚠ ", style=palette.status["unreachable"])
            text.append_text(safe_text(state.error, style=palette.status["unreachable"],
                                       escaped_style=palette.escaped))
        if state is not None and state.at is not None:
            when = time.strftime("%H:%M:%S", time.localtime(state.at))
            ago = fmt_duration(max(0.0, self.dash.now() - state.at))
            text.append(f"  read {when} ({ago} ago){'  refreshing…' if state.loading else ''}"
                        "  r to refresh", style=palette.muted)
        return text

    def _render_pools(self, host: HostId | None) -> None:
        state = self.pools.get(host) if host is not None else None
        self.query_one("#host-pools-title", TextBar).show(
            self._title("Cpupools (xl cpupool-list)", state))
        pools = {p.name: p for p in (state.data or [])} if state is not None else {}
        escaped = self.dash.palette.escaped

        def pool_row(name: str) -> list[Cell]:
            p = pools[name]
            return [
                safe_text(p.name, style="bold", escaped_style=escaped),
                DASH if p.cpus is None else str(p.cpus),
                safe_text(p.sched, escaped_style=escaped),
                DASH if p.active is None else ("yes" if p.active else "no"),
                DASH if p.domains is None else str(p.domains),
                DASH if p.cpu_list is None else format_cpu_ranges(p.cpu_list.cpus),
            ]

        self.query_one("#host-pools", KeyedTable).set_rows(list(pools), pool_row)

    def _render_sources(self, sources: dict[str, str]) -> None:
        """Where each family of numbers comes from, and why one is missing: a family that
        failed (its command timed out, exited non-zero, printed garbage) first."""
        palette = self.dash.palette
        failed = [k for k in sources if k.startswith(SOURCE_ERROR)]
        title = Text(" Data sources", style="bold", end="", no_wrap=True, overflow="ellipsis")
        if failed:
            title.append(f"  ⚠ {len(failed)} failing", style=palette.status["error"])
        self.query_one("#host-sources-title", TextBar).show(title)
        keys = failed + [k for k in SOURCE_LABELS if k in sources]
        keys += [k for k in sources if k not in keys]

        def source_row(key: str) -> list[Cell]:
            value = safe_text(sources[key], escaped_style=palette.escaped)
            if key.startswith(SOURCE_ERROR):
                value.stylize(palette.status["error"])
                family = key[len(SOURCE_ERROR):]
                return [safe_text(f"⚠ {family}", style=palette.status["error"],
                                  escaped_style=palette.escaped), value]
            return [SOURCE_LABELS.get(key, key), value]

        self.query_one("#host-sources", KeyedTable).set_rows(keys, source_row)

    def _render_dmesg(self, host: HostId | None) -> None:
        state = self.dmesg.get(host) if host is not None else None
        self.query_one("#host-dmesg-title", TextBar).show(
            self._title(f"xl dmesg (last {DMESG_LINES} lines)", state))
        shown = (host or "", state.at if state else None, state.error if state else None)
        if shown == self._dmesg_shown:
            return
        self._dmesg_shown = shown
        log = self.query_one("#host-dmesg", RichLog)
        log.clear()
        escaped = self.dash.palette.escaped
        for line in (state.data or []) if state is not None else []:
            text = safe_text(line, escaped_style=escaped)
            text.no_wrap = False  # a long message wraps in the pane, not cut at its edge
            log.write(text, scroll_end=False)
        # once, after the new lines are laid out: the newest message is the last line
        self.call_after_refresh(log.scroll_end, animate=False, immediate=True)

    # --- fetching -----------------------------------------------------------------------------

    def fetch(self, host: HostId) -> None:
        """Run ``xl cpupool-list`` and ``xl dmesg`` on the host, in workers."""
        runner = runner_for(self.app, host)
        pools = self.pools.setdefault(host, Fetched())
        dmesg = self.dmesg.setdefault(host, Fetched())
        if runner is None:
            for state in (pools, dmesg):
                state.error = "no connection to this host (replayed data)"
            return
        self._start(host, pools, lambda r: cpupools(r), runner)
        self._start(host, dmesg, lambda r: dmesg_tail(r, DMESG_LINES), runner)

    def _start(self, host: HostId, state: Fetched[T], query: Callable[[Runner], Awaitable[T]],
               runner: Runner) -> None:
        if state.loading:
            return
        state.loading = True

        async def work() -> None:
            try:
                state.data = await query(runner)
                state.error = None
            except QueryError as e:
                state.error = e.message
            finally:
                state.loading = False
                state.at = self.dash.now()
            if self.ready and self.current_host() == host:
                self._render_host(host)

        self.run_worker(work(), group=f"host:{host}", exit_on_error=False)

    def action_refresh(self) -> None:
        host = self.current_host()
        if host is not None:
            self.fetch(host)
            self._render_host(host)
