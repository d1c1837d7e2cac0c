"""Rings: every vif and vbd ring of the fleet, fullest first, with xenbus states, queues,
ring size, a gauge per queue, OO per second and a flag for a ring that stays full.

While this view is on screen the pollers read rings every tick (``wants_rings``); the
"stays full" history is kept here (:class:`tui.ring_watch.RingWatch`), fed from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from collectors.model import Device, DeviceKind, Domain, HostId, HostSnapshot, NetIfCounters
from tui.host_access import (
    domain_by_id,
    domain_key_for,
    fleet_rings_every,
    members,
    set_fleet_ring_demand,
)
from tui.ring_cells import (
    STAYS_FULL_WIDTH,
    RingStyles,
    device_name,
    occupancy_cells,
    oo_cell,
    pct_cell,
    states_cell,
    stays_full_cell,
    traffic_cell,
)
from tui.ring_watch import BUSY_AT, FULL_AT, device_pressure
from tui.store import DomainKey
from tui.table_diff import Cell
from tui.text import safe_text
from tui.views.base import StoreView, TextBar
from tui.widgets.keyed_table import Column, KeyedTable

RingKey = tuple[str, int, str, int]  # Device.key: (host, domid, kind, devid)

RING_COLUMNS = (
    Column("host", "Host", 14),
    Column("domain", "Domain", 16),
    Column("device", "Device", 8),
    Column("fullest", "Full", 6, "right", "the fullest ring of the device"),
    Column("flag", "Stuck?", STAYS_FULL_WIDTH,
           help="≥ 90 % in each of the last readings (of a guest not running: expected)"),
    Column("tx", "TX/req per queue", 21,
           help="TX (vif) or requests (vbd) the backend has not answered, per queue"),
    Column("rx", "RX per queue", 19, help="guest RX buffers used up, per queue"),
    Column("oo", "OO/s (total)", 14, "right", "vbd: requests that waited for a free slot"),
    Column("queues", "Q", 2, "right", "queues"),
    Column("size", "Ring", 4, "right", "entries per ring"),
    Column("backend", "Backend", 12, help="the backend domain (id and name)"),
    Column("states", "Front/Back state", 23, help="xenbus states of both ends"),
    Column("traffic", "Traffic (guest)", 22),
    Column("why", "Occupancy source", 70, help="where occupancy came from, or why unknown"),
)

SORTS: dict[str, str] = {
    "fullest": "fullest first",
    "name": "host, domain, device",
    "oo": "OO/s",
}


@dataclass(slots=True)
class RingRow:
    """A device with what sorting and drawing need, computed once per host snapshot."""

    key: RingKey
    dev: Device
    pressure: float | None
    domain: str | None
    backend: str | None  # the backend domain's name
    traffic: NetIfCounters | None = None  # a vif's Dom0 interface
    stuck: bool = False  # stays full while its guest runs: an alarm
    # the guest's state word when it is not running (paused, crashed, shut down, dying):
    # a ring it does not drain stays full as expected
    guest_stopped: str | None = None
    stays_full: bool = False  # stuck, or full all along because the guest is stopped

    def name_key(self) -> tuple[object, ...]:
        k = self.key
        return (k[0], self.domain or "", k[1], k[2], k[3])


class RingsScreen(StoreView):
    VIEW_ID = "rings"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_domain", "Detail", id="rings.open"),
        Binding("F", "sort_by('fullest')", "Fullest first", id="rings.sort_fullest"),
        Binding("N", "sort_by('name')", "By name", id="rings.sort_name"),
        Binding("O", "sort_by('oo')", "By OO/s", id="rings.sort_oo"),
        Binding("I", "reverse", "Reverse", id="rings.reverse"),
        Binding("u", "toggle_unknown", "Hide unknown", id="rings.unknown",
                tooltip="hide devices whose occupancy is unknown (vbds on blkback)"),
    ]

    DEFAULT_CSS = """
    RingsScreen #rings-info {
        height: 2;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.sort = "fullest"
        self.sort_reverse = False
        self.hide_unknown = False
        self._rows: dict[RingKey, RingRow] = {}
        self._host_rows: dict[HostId, tuple[int, list[RingRow]]] = {}  # host → (seq, rows)
        self._styles: tuple[str, RingStyles] | None = None

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="rings-info")
        yield KeyedTable[RingKey](RING_COLUMNS, fixed_columns=3, id="rings-table",
                                  empty_message="no vif or vbd reported yet")

    @property
    def table(self) -> KeyedTable[RingKey]:
        return self.query_one("#rings-table", KeyedTable)

    def view_mounted(self) -> None:
        self.table.focus()
        self._want_rings()

    def on_screen_resume(self) -> None:
        self._want_rings()

    def _want_rings(self) -> None:
        # show_view() does this from ViewSpec.wants_rings; a view the app starts on is
        # shown without it
        set_fleet_ring_demand(self.app, True)

    # --- what actions use -------------------------------------------------------------------

    def selected_device(self) -> Device | None:
        key = self.table.cursor_key
        row = None if key is None else self._rows.get(key)
        return None if row is None else row.dev

    def selected_domain(self) -> Domain | None:
        dev = self.selected_device()
        return None if dev is None else domain_by_id(self.dash.store, dev.host, dev.domid)

    def selected_domain_key(self) -> DomainKey | None:
        dev = self.selected_device()
        return None if dev is None else domain_key_for(self.dash.store, dev.host, dev.domid)

    # --- rendering ----------------------------------------------------------------------------

    def ring_styles(self) -> RingStyles:
        theme = self.app.theme
        if self._styles is None or self._styles[0] != theme:
            self._styles = (theme, RingStyles.from_variables(self.app.theme_variables))
        return self._styles[1]

    def update_view(self) -> None:
        store = self.dash.store
        rows: dict[RingKey, RingRow] = {}
        for host in store.hosts():
            snap = store.host(host)
            if snap is None:
                continue
            for r in self._rows_of(snap):
                if not (self.hide_unknown and r.pressure is None):
                    rows[r.key] = r
        for host in [h for h in self._host_rows if store.host(h) is None]:
            del self._host_rows[host]
        self._rows = rows
        table = self.table
        table.set_sort_indicator(None, self.sort_reverse)
        table.set_rows(self._order(), self._row)
        self._update_info()

    def _rows_of(self, snap: HostSnapshot) -> list[RingRow]:
        """A host's rows, rebuilt only when a new snapshot of it arrived."""
        cached = self._host_rows.get(snap.host)
        if cached is not None and cached[0] == snap.seq:
            return cached[1]
        names = {d.domid: d.name for d in snap.domains if d.domid is not None}
        stopped = {d.domid: d.state.label for d in snap.domains
                   if d.domid is not None and d.state.stopped}
        rows = [RingRow(dev.key, dev, device_pressure(dev), names.get(dev.domid),
                        names.get(dev.backend_domid) if dev.backend_domid is not None
                        else None, snap.vif_counters(dev), guest_stopped=stopped.get(dev.domid))
                for dev in snap.devices]
        watch = self.dash.ring_watch
        watch.observe(snap, [(r.key, r.pressure) for r in rows])
        for r in rows:
            r.stays_full = watch.stays_full(r.key)
            r.stuck = r.stays_full and r.guest_stopped is None
        self._host_rows[snap.host] = (snap.seq, rows)
        return rows

    def _order(self) -> list[RingKey]:
        rows = list(self._rows.values())
        if self.sort == "name":
            rows.sort(key=RingRow.name_key, reverse=self.sort_reverse)
            return [r.key for r in rows]
        key: Callable[[RingRow], tuple[object, ...]]
        if self.sort == "oo":
            def key(r: RingRow) -> tuple[object, ...]:
                return (-(r.dev.oo_rate or 0.0), *r.name_key())
            unknown = [r for r in rows if r.dev.oo_rate is None]
        else:
            def key(r: RingRow) -> tuple[object, ...]:
                # stuck rings first, then fullest
                return (not r.stuck, -(r.pressure or 0.0), *r.name_key())
            unknown = [r for r in rows if r.pressure is None and not r.stuck]
        # rows without the value stay last, by name, in both directions
        gone = {r.key for r in unknown}
        known = sorted((r for r in rows if r.key not in gone), key=key, reverse=self.sort_reverse)
        unknown.sort(key=RingRow.name_key)
        return [r.key for r in (*known, *unknown)]

    def _row(self, key: RingKey) -> list[Cell]:
        row = self._rows[key]
        dev = row.dev
        styles = self.ring_styles()
        escaped = self.dash.palette.escaped
        backend: Cell = "-"
        if dev.backend_domid is not None:
            backend = safe_text(f"{dev.backend_domid} {row.backend}" if row.backend else
                                str(dev.backend_domid), escaped_style=escaped)
        tx, rx = occupancy_cells(dev, styles)
        return [
            safe_text(dev.host, escaped_style=escaped),
            safe_text(row.domain if row.domain is not None else f"domid {dev.domid}",
                      escaped_style=escaped),
            safe_text(device_name(dev), escaped_style=escaped),
            pct_cell(row.pressure, styles),
            stays_full_cell(row.stays_full, styles, row.guest_stopped),
            tx,
            rx,
            oo_cell(dev),
            "-" if dev.queues is None else str(dev.queues),
            "-" if dev.ring_size is None else str(dev.ring_size),
            backend,
            states_cell(dev),
            traffic_cell(dev, row.traffic),
            safe_text(dev.ring_source, escaped_style=escaped),
        ]

    def _update_info(self) -> None:
        palette = self.dash.palette
        rows = self._rows.values()
        vifs = sum(1 for r in rows if r.dev.kind is DeviceKind.VIF)
        stuck = sum(1 for r in rows if r.stuck)
        stopped = [r.guest_stopped for r in rows if r.stays_full and not r.stuck]
        full = sum(1 for r in rows if (r.pressure or 0.0) >= FULL_AT)
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        text.append(f" Rings  {vifs} vifs  {len(self._rows) - vifs} vbds  ")
        text.append(f"{full} ≥ {FULL_AT:.0%} now  ", style=palette.status["stale"] if full else "")
        text.append(f"⚠ {stuck} stuck", style=palette.status["unreachable"] if stuck else "")
        if stopped:  # full as expected: their guests do not run (not an alarm)
            whose = "paused guests" if set(stopped) == {"paused"} else "guests not running"
            text.append(f" (+{len(stopped)} full of {whose})", style=palette.muted)
        # ▼ descending as in the tables' headers: the name order ascends, the others descend
        arrow = "▲" if (self.sort == "name") != self.sort_reverse else "▼"
        text.append(f"   sort: {SORTS[self.sort]}{arrow}")
        if self.hide_unknown:
            text.append("   hiding devices with unknown occupancy")
        hosts = len(members(self.app))
        every = fleet_rings_every(hosts)
        period = f"{every * self.dash.settings.interval_s:g} s"
        if every > 1:
            text.append(f"   each host's rings every {period} ({hosts} hosts)")
        cadence = ("Rings are read every tick while this view is shown." if every == 1 else
                   f"On a fleet this size each host's rings are read every {every} ticks "
                   f"({period}) while this view is shown.")
        text.append(f"\n Full: ▲ ≥ {BUSY_AT:.0%}, ✖ ≥ {FULL_AT:.0%}.  Stuck? = ≥ {FULL_AT:.0%} in "
                    f"each of the last {self.dash.ring_watch.samples} readings.  TX: requests "
                    "waiting for the backend.  RX: guest buffers used up (idle: empty).  "
                    f"{cadence}", style=palette.muted)
        self.query_one("#rings-info", TextBar).show(text)

    # --- events and actions -------------------------------------------------------------------

    @on(KeyedTable.RowActivated, "#rings-table")
    def _row_activated(self, event: KeyedTable.RowActivated) -> None:
        event.stop()
        self.action_open_domain()

    def action_sort_by(self, sort: str) -> None:
        if sort in SORTS:
            self.sort = sort
            self.sort_reverse = False
            self.update_view()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.update_view()

    def action_toggle_unknown(self) -> None:
        self.hide_unknown = not self.hide_unknown
        self.update_view()

    def action_open_domain(self) -> None:
        key = self.selected_domain_key()
        if key is not None:
            self.dash.open_domain(key, "tab-devices")  # where its rings are
