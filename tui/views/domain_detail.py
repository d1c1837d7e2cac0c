"""Domain detail (Enter on a domain; Escape goes back): charts of the last minutes from the
store's history, the domain's vCPUs, its devices with their rings, and, fetched when their
tab is first opened (again with ``r``), its stored config and its XenStore subtree.

While it is on screen the domain's host reads rings every tick and its vCPUs every few
seconds (VCPU_DEMAND_S).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.css.query import NoMatches
from textual.widgets import TabbedContent, TabPane, Tree

from collectors.commands import XEN_LOG_DIR
from collectors.model import Device, DeviceKind, Domain, HostId, NetIfCounters, VCpu
from collectors.queries import LogFile, QueryError, domain_config, domain_logs, xenstore_subtree
from tui.format import DASH, fmt_bytes, fmt_cpu_time, fmt_duration, fmt_kib, fmt_pct, fmt_rate
from tui.host_access import runner_for, set_ring_demand, sync_vcpu_demand
from tui.pinning_model import state_shown
from tui.ring_cells import (
    STAYS_FULL_WIDTH,
    RingStyles,
    device_name,
    fullest_cell,
    occupancy_cells,
    oo_cell,
    states_cell,
    stays_full_cell,
    traffic_cell,
)
from tui.store import DomainKey
from tui.table_diff import Cell
from tui.text import safe_text, visible
from tui.views.base import StoreView, TextBar, ViewBar
from tui.widgets.history_chart import HistoryChart, Series
from tui.widgets.keyed_table import Column, KeyedTable
from tui.widgets.stable_footer import StableFooter
from tui.widgets.store_tree import KeyTree, add_json, add_paths

MIN_NAME_CELLS = 16  # the header's first line cuts a long name to no less than this
TABS = ("tab-vcpus", "tab-devices", "tab-config", "tab-xenstore", "tab-logs")
# the tabs read on demand, each with its tree
FETCHED = {"tab-config": "#detail-config", "tab-xenstore": "#detail-xenstore",
           "tab-logs": "#detail-logs"}

VCPU_COLUMNS = (
    Column("vcpu", "vCPU", 4, "right"),
    Column("cpu", "pCPU", 5, "right", "the physical CPU it is on (or last ran on)"),
    Column("state", "State", 10),
    Column("pct", "CPU%", 6, "right", "% of one pCPU since the vCPU read before (every 5 s here)"),
    Column("time", "CPU time", 12, "right"),
    Column("hard", "Hard affinity", 24),
    Column("soft", "Soft affinity", 24),
)
DEVICE_COLUMNS = (
    Column("device", "Device", 8),
    Column("kind", "Kind", 4),
    Column("fullest", "Full", 6, "right", "the fullest ring of the device"),
    Column("flag", "Stuck?", STAYS_FULL_WIDTH,
           help="≥ 90 % in each of the last readings (of a guest not running: expected)"),
    Column("tx", "TX/req per queue", 27),
    Column("rx", "RX per queue", 27),
    Column("oo", "OO/s (total)", 14, "right"),
    Column("queues", "Q", 2, "right"),
    Column("size", "Ring", 4, "right"),
    Column("backend", "BE", 3, "right", "backend domain id"),
    Column("states", "Front/Back state", 23),
    Column("traffic", "Traffic (guest)", 22),
    Column("where", "MAC / bridge / target", 44),
    Column("why", "Occupancy source", 70),
)

KeyVcpu = int
KeyDev = tuple[str, int, str, int]


def _pct(v: float) -> str:
    return fmt_pct(v, 0, suffix="%")


def _bytes(v: float) -> str:
    return fmt_bytes(v)


def _rate(v: float) -> str:
    return fmt_rate(v)


class DomainDetailScreen(StoreView):
    VIEW_ID = "detail"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("right_square_bracket", "step_tab(1)", "Next tab", id="detail.next_tab"),
        Binding("left_square_bracket", "step_tab(-1)", "Prev tab", id="detail.prev_tab"),
        Binding("r", "reload", "Reload tab", id="detail.reload",
                tooltip="fetch the config, XenStore subtree or logs again"),
    ]

    DEFAULT_CSS = """
    DomainDetailScreen #detail-header {
        height: 3;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    DomainDetailScreen #detail-charts {
        grid-size: 2 2;
        height: 1fr;
        min-height: 11;
    }
    DomainDetailScreen #detail-tabs {
        height: 1fr;
        min-height: 8;
    }
    DomainDetailScreen TabPane {
        padding: 0;
    }
    DomainDetailScreen Tree {
        background: $surface;
    }
    """

    def __init__(self, key: DomainKey, tab: str = TABS[0]) -> None:
        super().__init__()
        self.key = key
        self.first_tab = tab if tab in TABS else TABS[0]
        self.domain: Domain | None = None  # the last seen (kept when it goes away)
        self.gone = False
        self._charted: tuple[int, float] | None = None
        self._styles: tuple[str, RingStyles] | None = None
        self._vcpus: dict[KeyVcpu, VCpu] = {}
        self._devices: dict[KeyDev, Device] = {}
        self._traffic: dict[KeyDev, NetIfCounters | None] = {}
        self.loaded: dict[str, str] = dict.fromkeys(FETCHED, "unloaded")
        self.fetches: dict[str, int] = dict.fromkeys(FETCHED, 0)

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ViewBar(getattr(self.app, "current_mode", "") or "")
        yield TextBar(id="detail-header")
        with Grid(id="detail-charts"):
            yield HistoryChart("CPU %", [Series("cpu", "chart-cpu")], _pct, min_top=10,
                               id="chart-cpu")
            yield HistoryChart("Memory", [Series("mem", "chart-mem")], _bytes, base=1024,
                               min_top=1 << 20, id="chart-mem")
            yield HistoryChart("Network (guest's view)",
                               [Series("RX", "chart-net-in"), Series("TX", "chart-net-out")],
                               _rate, short_title="Network", base=1024, min_top=1024,
                               id="chart-net")
            yield HistoryChart("Disk", [Series("read", "chart-disk-read"),
                                        Series("write", "chart-disk-write")],
                               _rate, base=1024, min_top=1024, id="chart-disk")
        with TabbedContent(initial=self.first_tab, id="detail-tabs"):
            with TabPane("vCPUs", id="tab-vcpus"):
                yield KeyedTable[KeyVcpu](VCPU_COLUMNS, id="detail-vcpus",
                                          empty_message="no vCPUs reported yet")
            with TabPane("Devices & rings", id="tab-devices"):
                yield KeyedTable[KeyDev](DEVICE_COLUMNS, fixed_columns=1, id="detail-devices",
                                         empty_message="no vif or vbd")
            with TabPane("Config (xl list -l)", id="tab-config"):
                yield KeyTree[None]("config", id="detail-config")
            with TabPane("XenStore", id="tab-xenstore"):
                yield KeyTree[None]("xenstore", id="detail-xenstore")
            with TabPane("Logs", id="tab-logs"):
                yield KeyTree[None]("logs", id="detail-logs")
        yield StableFooter()

    def view_mounted(self) -> None:
        self.call_after_refresh(self._header_at_width)
        self._focus_pane(self.first_tab)
        set_ring_demand(self.app, self.key[0], True)
        sync_vcpu_demand(self.app)

    def on_resize(self) -> None:
        # the header's first line is cut to the bar's width (a long name): made again at a
        # new width, and once the first layout has given it one
        self.call_after_refresh(self._header_at_width)

    def _header_at_width(self) -> None:
        if self.ready and self.is_mounted:
            self._render_header()

    def on_screen_resume(self) -> None:
        if self.ready:
            set_ring_demand(self.app, self.key[0], True)
            sync_vcpu_demand(self.app)

    def on_screen_suspend(self) -> None:
        set_ring_demand(self.app, self.key[0], None)
        sync_vcpu_demand(self.app)

    def on_unmount(self) -> None:
        set_ring_demand(self.app, self.key[0], None)
        sync_vcpu_demand(self.app)

    def vcpu_demand_host(self) -> HostId | None:
        """Its host reads vCPUs on demand while this screen is the view on top."""
        return self.key[0]

    # --- what actions use ---------------------------------------------------------------------

    def selected_domain(self) -> Domain | None:
        return None if self.gone else self.domain

    def selected_domain_key(self) -> DomainKey | None:
        return None if self.gone else self.key

    def gone_message(self) -> str | None:
        """Why no action can run here: the domain shown is gone (None while it is there)."""
        if not self.gone:
            return None
        return visible(f"{self.domain.name if self.domain else self.key[1]} is gone from "
                       f"{self.key[0]}")

    def selected_vcpu(self) -> tuple[str, int, int] | None:
        d = self.domain
        v = self.query_one("#detail-vcpus", KeyedTable).cursor_key
        if d is None or d.domid is None or v is None:
            return None
        return (d.host, d.domid, v)

    def selected_device(self) -> Device | None:
        key = self.query_one("#detail-devices", KeyedTable).cursor_key
        return None if key is None else self._devices.get(key)

    # --- rendering ----------------------------------------------------------------------------

    def ring_styles(self) -> RingStyles:
        theme = self.app.theme
        if self._styles is None or self._styles[0] != theme:
            self._styles = (theme, RingStyles.from_variables(self.app.theme_variables))
        return self._styles[1]

    def update_view(self) -> None:
        store = self.dash.store
        d = store.domain(self.key)
        self.gone = d is None
        if d is not None:
            self.domain = _known_identity(d, self.domain)
        snap = store.host(self.key[0])
        domid = self.domain.domid if self.domain else None
        if snap is not None:
            self.dash.ring_watch.observe(snap)
            self._vcpus = {v.vcpu: v for v in snap.vcpus if v.domid == domid}
            self._devices = {dev.key: dev for dev in snap.devices if dev.domid == domid}
            self._traffic = {k: snap.vif_counters(dev) for k, dev in self._devices.items()}
        self._render_header()
        self._render_charts()
        vcpus = self.query_one("#detail-vcpus", KeyedTable)
        devices = self.query_one("#detail-devices", KeyedTable)
        if self.gone:
            vcpus.empty_message = "no vCPUs: the domain is gone from its host"
            devices.empty_message = "no devices: the domain is gone from its host"
        vcpus.set_rows(sorted(self._vcpus), self._vcpu_row)
        order = sorted(self._devices, key=lambda k: (k[2] != "vif", k[3]))
        devices.set_rows(order, self._device_row)

    def _render_header(self) -> None:
        dash = self.dash
        palette = dash.palette
        d = self.domain
        host = self.key[0]
        text = Text(" ", end="", no_wrap=True, overflow="ellipsis")
        if d is None:
            text.append_text(safe_text(self.key[1], style="bold", escaped_style=palette.escaped))
            text.append(" is not on ")
            text.append_text(safe_text(host, escaped_style=palette.escaped))
            self.query_one("#detail-header", TextBar).show(text)
            return
        if self.gone:  # its last state would say it still runs
            text.append("✖ gone", style=palette.status["unreachable"])
            text.append("  ")
        else:
            text.append_text(palette.state_text(d.state))
            text.append(f" {d.state.flags}  ", style=palette.muted)  # all six, as xl prints
        name = safe_text(d.name, style="bold", escaped_style=palette.escaped)
        rest = Text(f"  domid {DASH if d.domid is None else d.domid} on ", end="")
        rest.append_text(safe_text(host, style="bold", escaped_style=palette.escaped))
        if self.gone:
            rest.append("  (last known values; no actions)", style=palette.status["unreachable"])
        rest.append(f"  {d.type.value.upper() if d.type else DASH}")
        if not self.gone:  # (a gone domain's uptime would still count)
            rest.append(f"  up {fmt_duration(d.uptime_s)}")
        # a long name (Xen allows 64 characters) is cut, not the host, type and uptime after it
        width = self.query_one("#detail-header", TextBar).content_size.width
        room = width - text.cell_len - rest.cell_len
        if width and room < name.cell_len:
            name.truncate(max(room, MIN_NAME_CELLS), overflow="ellipsis")
        text.append_text(name)
        text.append_text(rest)
        text.append("\n ")  # the numbers on a line of their own: all of them fit at 80 columns
        text.append(f"vCPUs {DASH if d.vcpus_online is None else d.vcpus_online}"
                    f"/{DASH if d.vcpus_max is None else d.vcpus_max}")
        mem_max = "unlimited" if d.mem_max_unlimited else fmt_kib(d.mem_max_kib)
        text.append(f"  mem {fmt_kib(d.mem_kib)} (target {fmt_kib(d.mem_target_kib)}, "
                    f"max {mem_max})")
        text.append(f"  CPU {fmt_pct(d.cpu_pct, suffix='%')}  time {fmt_cpu_time(d.cpu_time_s)}")
        text.append("\n ")
        cfg = dash.store.config(host)
        if cfg is not None and (cfg.banner or cfg.production):
            style = palette.banner.get(cfg.accent or "red", "")
            text.append_text(safe_text(f" {cfg.banner or 'PRODUCTION'} ", style=style))
            text.append("  ")
        text.append(f"uuid {d.uuid or DASH}", style=palette.muted)
        text.append("   Esc back  [ ] tabs  r reload config/XenStore/logs", style=palette.muted)
        self.query_one("#detail-header", TextBar).show(text)

    def _render_charts(self) -> None:
        hist = self.dash.store.history(self.key)
        if hist is None or not len(hist):
            return
        times = hist.times()
        mark = (len(hist), times[-1])
        if mark == self._charted:
            return  # no new sample: nothing to redraw
        self._charted = mark
        kib = [v * 1024 if not math.isnan(v) else v for v in hist.series("mem_kib")]
        self.query_one("#chart-cpu", HistoryChart).set_data(times, [hist.series("cpu_pct")])
        self.query_one("#chart-mem", HistoryChart).set_data(times, [kib])
        # guest's view: what Dom0 transmits is what the guest receives
        self.query_one("#chart-net", HistoryChart).set_data(
            times, [hist.series("net_tx_rate"), hist.series("net_rx_rate")])
        self.query_one("#chart-disk", HistoryChart).set_data(
            times, [hist.series("vbd_rd_rate"), hist.series("vbd_wr_rate")])

    def _vcpu_row(self, key: KeyVcpu) -> list[Cell]:
        v = self._vcpus[key]
        # a vCPU of a paused, shut down, crashed or dying domain is not "runnable": Xen
        # has paused it (vcpu-list prints "---" for it as for a runnable one)
        sym, state = state_shown(v, self._stopped_as() is not None)
        return [
            str(v.vcpu),
            DASH if v.cpu is None else str(v.cpu),
            f"{sym} {state if v.state else DASH}",
            fmt_pct(v.cpu_pct),
            fmt_cpu_time(v.time_s),  # as the domain's CPU time (raw seconds ran to 7 digits)
            str(v.hard),
            DASH if v.soft is None else str(v.soft),
        ]

    def _stopped_as(self) -> str | None:
        """The domain's state word when it runs no vCPU (paused, crashed...), else None."""
        d = self.domain
        return d.state.label if d is not None and d.state.stopped else None

    def _device_row(self, key: KeyDev) -> list[Cell]:
        dev = self._devices[key]
        styles = self.ring_styles()
        escaped = self.dash.palette.escaped
        tx, rx = occupancy_cells(dev, styles, width=5)
        if dev.kind is DeviceKind.VIF:
            where = " ".join(x for x in (dev.mac, dev.bridge) if x)
        else:
            where = dev.target or ""
        return [
            safe_text(device_name(dev), escaped_style=escaped),
            dev.kind.value,
            fullest_cell(dev, styles),
            stays_full_cell(self.dash.ring_watch.stays_full(dev.key), styles,
                            self._stopped_as()),
            tx,
            rx,
            oo_cell(dev),
            DASH if dev.queues is None else str(dev.queues),
            DASH if dev.ring_size is None else str(dev.ring_size),
            DASH if dev.backend_domid is None else str(dev.backend_domid),
            states_cell(dev),
            traffic_cell(dev, self._traffic.get(key)),
            safe_text(where, escaped_style=escaped),
            safe_text(dev.ring_source, escaped_style=escaped),
        ]

    # --- config and XenStore, on demand -------------------------------------------------------

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()  # r reloads on the config, XenStore and logs tabs only
        pane = event.pane.id or ""
        if pane != event.tabbed_content.active:
            # a tab already left (keys faster than the switches): focusing its table would
            # make TabbedContent switch back to it, and the tabs would chase each other
            return
        self._focus_pane(pane)
        if self.loaded.get(pane) == "unloaded":
            self.fetch(pane)

    def _focus_pane(self, pane: str) -> None:
        """Keys go to the table or tree of the tab on show, not to a hidden one."""
        for widget in self.query(f"#{pane} KeyedTable, #{pane} KeyTree"):
            widget.focus()
            return

    def fetch(self, pane: str) -> None:
        d = self.domain
        if pane not in self.loaded or self.loaded[pane] == "loading":
            return
        tree = self._tree(pane)
        palette = self.dash.palette
        runner = runner_for(self.app, self.key[0])
        what = {"tab-config": "xl list -l", "tab-xenstore": "xenstore-ls -f",
                "tab-logs": "the domain's logs"}[pane]
        if d is None or (d.domid is None and pane != "tab-logs"):
            self._fail(tree, f"{what}: the domain has no id")
            return
        if self.gone and pane != "tab-logs":  # (xl's daemon's logs stay on the host)
            self._fail(tree, f"{what}: the domain is gone from its host")
            return
        name, domid = d.name, d.domid
        if pane == "tab-logs":
            root = safe_text(f"{XEN_LOG_DIR}: xl's daemon for {name} and its device model",
                             style="bold", escaped_style=palette.escaped)
        else:
            root = Text(f"{what} {domid}" if pane == "tab-config"
                        else f"/local/domain/{domid}", style="bold", end="")
        tree.reset(root)
        tree.root.expand()
        if runner is None:
            self._fail(tree, "no connection to this host (replayed data)")
            return
        tree.root.add_leaf(Text("… loading", style=palette.muted, end=""))
        self._set_loaded(pane, "loading")
        self.fetches[pane] += 1

        async def work() -> None:
            try:
                if pane == "tab-logs":
                    files = await domain_logs(runner, name)
                    tree.root.remove_children()
                    self._show_logs(tree, files)
                elif pane == "tab-config":
                    assert domid is not None
                    cfg = await domain_config(runner, domid)
                    tree.root.remove_children()
                    add_json(tree.root, dict(cfg.raw), None, muted=palette.muted,
                             escaped=palette.escaped)
                else:
                    assert domid is not None
                    path = f"/local/domain/{domid}"
                    values = await xenstore_subtree(runner, path)
                    tree.root.remove_children()
                    if not values:
                        tree.root.add_leaf(Text("(empty)", style=palette.muted, end=""))
                    add_paths(tree.root, path, values, None, muted=palette.muted,
                              escaped=palette.escaped)
                self._set_loaded(pane, "loaded")
            except QueryError as e:
                self._fail(tree, e.message)
                self._set_loaded(pane, "error")

        self.run_worker(work(), group=f"detail:{pane}", exit_on_error=False)

    def _set_loaded(self, pane: str, state: str) -> None:
        self.loaded[pane] = state
        self.refresh_bindings()  # r is shown disabled while its tab loads

    def _tree(self, pane: str) -> Tree[None]:
        return self.query_one(FETCHED[pane], Tree)

    def _show_logs(self, tree: Tree[None], files: list[LogFile]) -> None:
        """Each file with its last lines (the newest last), a missing one with why."""
        palette = self.dash.palette
        for f in files:
            node = tree.root.add(safe_text(f.path, style="bold", escaped_style=palette.escaped),
                                 expand=bool(f.lines))
            if f.lines is None:
                node.add_leaf(safe_text(f"not read: {f.error}", style=palette.muted,
                                        escaped_style=palette.escaped))
            elif not f.lines:
                node.add_leaf(Text("(empty)", style=palette.muted, end=""))
            for line in f.lines or ():
                node.add_leaf(safe_text(line, escaped_style=palette.escaped))

    def _fail(self, tree: Tree[None], message: str) -> None:
        palette = self.dash.palette
        tree.root.remove_children()
        tree.root.add_leaf(safe_text(f"⚠ {message}", style=palette.status["unreachable"],
                                     escaped_style=palette.escaped))
        tree.root.expand()

    # --- actions --------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_step_tab(self, step: int) -> None:
        tabs = self.query_one("#detail-tabs", TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(i + step) % len(TABS)]

    def _active_tab(self) -> str:
        try:
            return self.query_one("#detail-tabs", TabbedContent).active
        except NoMatches:  # (not composed yet)
            return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload":
            # only the tabs read on demand have something to read again: elsewhere (vCPUs,
            # devices: every poll) r is not shown; while its tab loads it is shown disabled
            state = self.loaded.get(self._active_tab())
            if state is None:
                return False
            return None if state == "loading" else True
        return super().check_action(action, parameters)

    def action_reload(self) -> None:
        pane = self._active_tab()
        if pane in self.loaded and self.loaded[pane] != "loading":
            self.fetch(pane)


def _known_identity(new: Domain, old: Domain | None) -> Domain:
    """A dying domain's last rows may come from xentop alone (no domid, uuid or type):
    keep what was known of the same domain rather than blank it."""
    if old is None or (new.domid is not None and new.uuid and new.type is not None):
        return new
    if new.domid is not None and old.domid is not None and new.domid != old.domid:
        return new  # re-created under the same name: another domain
    return replace(new, domid=new.domid if new.domid is not None else old.domid,
                   uuid=new.uuid or old.uuid, type=new.type or old.type)
