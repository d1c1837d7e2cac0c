"""Domains: every domain of every host, sortable, filterable, with a CPU sparkline.

At 5,000 domains a refresh must stay cheap: the sort reuses its tie order (host, name)
until the rows change and its result until the sorted values change, and a visible row
is re-formatted only when its domain record, history, host status or theme changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import attrgetter, itemgetter
from typing import Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from collectors.model import Domain
from tui.domain_filter import DomainFilter, no_match_message, parse_filter
from tui.store import DomainKey
from tui.styles import MARK
from tui.table_diff import Cell
from tui.text import safe_text, visible
from tui.views.base import SortsByHeader, StoreView, TextBar
from tui.views.domain_columns import (
    COLUMNS_BY_KEY,
    DOMAIN_COLUMNS,
    FIXED_COLUMNS,
    RowContext,
)
from tui.views.fleet import host_status, hosts_not_ok
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.ordered_input import OrderedInput

DEFAULT_SORT = "cpu"


class DomainOrder:
    """:func:`~tui.views.domain_columns.sort_keys`'s order, computed faster and reused
    while nothing it depends on changed (5,000 rows sorted by name: a list comparison).

    ``sort_keys`` orders by (value, host, name, index). Rows presorted by (host, name,
    index), then stably sorted by value alone, come out in the same order; reversed, the
    presorted rows are reversed first (a reverse sort is stable too). The presort holds
    while the keys (which carry host and name) are the same.
    """

    def __init__(self) -> None:
        self._keys: list[DomainKey] = []
        self._ties: Callable[[Sequence[Row]], Sequence[Row]] = lambda rows: rows
        self._ties_made = 0  # presorts made (part of what an order is made of)
        self._last: tuple[Any, ...] | None = None
        self._order: list[DomainKey] = []

    def order(self, rows: Sequence[Row], column: str, reverse: bool,
              *, dom0_first: bool) -> list[DomainKey]:
        keys = [k for k, _ in rows]
        if keys != self._keys:
            self._keys = keys
            ties = sorted(range(len(rows)), key=lambda i: (rows[i][1].host, rows[i][1].name, i))
            self._ties = _picker(ties)
            self._ties_made += 1
        pairs = self._ties(rows)  # rows by (host, name, index)
        domains = [d for _, d in pairs]
        values = list(map(COLUMNS_BY_KEY[column].sort, domains))
        dom0: list[int] = []
        if dom0_first:
            domids = list(map(_DOMID, domains))
            if 0 in domids:
                dom0 = [j for j, x in enumerate(domids) if x == 0]
        made_of = (self._ties_made, column, reverse, dom0, values)
        if made_of == self._last:
            return self._order
        self._last = made_of
        unknown: list[DomainKey] = []
        known: Sequence[int] = range(len(values))
        if dom0 or None in values:
            skip = set(dom0)
            known = [j for j, v in enumerate(values) if v is not None and j not in skip]
            unknown = [pairs[j][0] for j, v in enumerate(values) if v is None and j not in skip]
        # the Dom0s lead, in the same order among themselves (``dom0`` is in tie order)
        first = (_by_value([j for j in dom0 if values[j] is not None], values, reverse)
                 + [j for j in dom0 if values[j] is None])
        self._order = ([pairs[j][0] for j in first]
                       + [pairs[j][0] for j in _by_value(known, values, reverse)] + unknown)
        return self._order


def _by_value(rows: Sequence[int], values: Sequence[Any], reverse: bool) -> list[int]:
    """Row indexes (in tie order) by their value; a reverse sort reverses the ties too,
    as sort_keys' sort of (value, host, name, index) tuples does."""
    out = list(reversed(rows)) if reverse else list(rows)
    out.sort(key=values.__getitem__, reverse=reverse)
    return out


Row = tuple[DomainKey, Domain]
_DOMID = attrgetter("domid")


def _picker(indexes: list[int]) -> Callable[[Sequence[Row]], Sequence[Row]]:
    """rows → the rows at ``indexes``, in that order (one C call)."""
    if len(indexes) == 1:
        i = indexes[0]
        return lambda rows: (rows[i],)
    if not indexes:
        return lambda rows: ()
    return cast("Callable[[Sequence[Row]], Sequence[Row]]", itemgetter(*indexes))


class DomainsScreen(SortsByHeader, StoreView):
    VIEW_ID = "domains"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_domain", "Detail", id="domains.open"),
        Binding("slash", "start_filter", "Filter", id="domains.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="domains.clear_filter",
                show=False),
        Binding("greater_than_sign", "sort_step(1)", "Sort →", id="domains.sort_next"),
        Binding("less_than_sign", "sort_step(-1)", "Sort ←", id="domains.sort_prev",
                show=False),
        Binding("I", "reverse", "Reverse", id="domains.reverse"),
        Binding("P", "sort_by('cpu')", "Sort by CPU%", id="domains.sort_cpu", show=False),
        Binding("M", "sort_by('mem')", "Sort by memory", id="domains.sort_mem", show=False),
        Binding("N", "sort_by('name')", "Sort by name", id="domains.sort_name", show=False),
        Binding("T", "sort_by('cpu_time')", "Sort by CPU time", id="domains.sort_time",
                show=False),
        Binding("0", "toggle_dom0", "Dom0 first", id="domains.dom0_first"),
        Binding("space", "toggle_mark", "Mark", id="domains.mark"),
        Binding("asterisk", "mark_shown", "Mark all shown", id="domains.mark_shown",
                show=False),
        Binding("u", "unmark_all", "Unmark all", id="domains.unmark_all", show=False),
    ]

    DEFAULT_CSS = """
    DomainsScreen #domains-info {
        height: 1;
        background: $boost;
    }
    DomainsScreen #domains-banner {
        height: 1;
        display: none;
    }
    DomainsScreen #domains-banner.-shown {
        display: block;
    }
    DomainsScreen #domains-filter {
        display: none;
        height: 3;
    }
    DomainsScreen #domains-filter.-shown {
        display: block;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.sort_column: str = DEFAULT_SORT
        self.sort_reverse = COLUMNS_BY_KEY[DEFAULT_SORT].descending
        self.dom0_first = True
        self.filter: DomainFilter = parse_filter("")
        self._rows: Sequence[tuple[DomainKey, Domain]] = ()  # what the table shows
        self._domains: dict[DomainKey, Domain] | None = None  # by key; unfiltered: on a miss
        self._sorter = DomainOrder()
        self._shown = 0
        self._total = 0
        self._pending_key: DomainKey | None = None
        # the domain the cursor was on when '/' opened the filter: back under the cursor
        # whenever the filter being typed shows it again ("h" hides web-01, "host:x" not)
        self._filter_anchor: DomainKey | None = None
        self._order: list[DomainKey] = []  # the rows as shown
        # marked for a bulk action (pause, shut down, reboot, destroy) → the domid it had;
        # a domain that is gone or re-created (same name, another domid) loses its mark
        self.marked: dict[DomainKey, int | None] = {}

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="domains-info")
        yield TextBar(id="domains-banner")
        yield KeyedTable[DomainKey](
            [c.column for c in DOMAIN_COLUMNS],
            fixed_columns=FIXED_COLUMNS,
            id="domains-table",
            empty_message="no domain matches",
        )
        yield OrderedInput(
            self.filter.text,
            placeholder="filter: text or regex, state:p host:x type:hvm group:g, !neg",
            id="domains-filter")

    def view_mounted(self) -> None:
        memory = self.dash.memory
        self.dom0_first = memory.dom0_first_for(self.dash.settings.dom0_first)
        if memory.sort in COLUMNS_BY_KEY:
            self.sort_column = memory.sort
            self.sort_reverse = (memory.reverse if memory.reverse is not None
                                 else COLUMNS_BY_KEY[memory.sort].descending)
        self.table.focus()

    def _remember_sort(self) -> None:
        self.dash.memory = replace(self.dash.memory, sort=self.sort_column,
                                   reverse=self.sort_reverse)

    def on_mount(self) -> None:
        # Textual runs this before StoreView.on_mount (subclass handlers first): wait for the
        # first render before putting the cursor on a domain the palette asked for
        if self._pending_key is not None:
            key, self._pending_key = self._pending_key, None
            self.call_after_refresh(self.focus_domain, key)

    @property
    def table(self) -> KeyedTable[DomainKey]:
        return self.query_one("#domains-table", KeyedTable)

    # --- what other screens and actions use --------------------------------------------

    def selected_domain_key(self) -> DomainKey | None:
        return self.table.cursor_key

    def selected_domain(self) -> Domain | None:
        key = self.table.cursor_key
        return None if key is None else self.dash.store.domain(key)

    def marked_domains(self) -> list[Domain]:
        """The marked domains, as they were marked, in the table's order (hidden ones last)."""
        store = self.dash.store
        rank = {k: i for i, k in enumerate(self._order)} if self.marked else {}
        keys = sorted(self.marked, key=lambda k: rank.get(k, len(rank)))
        return [d for k in keys
                if (d := store.domain(k)) is not None and d.domid == self.marked[k]]

    def _prune_marks(self) -> None:
        """Drop the marks of domains that are gone or were re-created (a domain seen
        without its domid for a moment keeps its mark, but is not acted on meanwhile)."""
        store, kept = self.dash.store, {}
        for k, domid in self.marked.items():
            d = store.domain(k)
            if d is not None and d.domid in (domid, None):
                kept[k] = domid
        self.marked = kept

    def set_filter(self, text: str) -> None:
        """Filter the view (used by the Fleet view and the palette)."""
        self.filter = parse_filter(text)
        if not self.ready:
            return  # compose() picks it up
        field = self.query_one("#domains-filter", Input)
        if field.value != text:
            with field.prevent(Input.Changed):
                field.value = text
        self._filter_rows()

    def _filter_rows(self) -> None:
        """Apply ``self.filter``, the cursor staying on the domain it shows (a cursor the
        user never moved would keep its row number: clearing a filter that left git-02
        at the top put it on whatever came first, and the next key acted on that), or
        going to the top when the filter hides that domain."""
        key = self._filter_anchor or self.table.cursor_key
        if key is not None:
            self.table.move_cursor_to(key)
        self.update_view()
        if key is not None and self.table.cursor_key != key and self._order:
            # its domain filtered out: the top row, not whichever now has its row number
            self.table.move_cursor_to(self._order[0])

    def focus_domain(self, key: DomainKey) -> None:
        """Put the cursor on a domain, clearing a filter that hides it."""
        if not self.ready:
            self._pending_key = key
            return
        if self.filter.active and key not in (self._domains or {}):
            self.set_filter("")
        self.table.move_cursor_to(key)
        self._update_banner()

    # --- rendering -----------------------------------------------------------------------

    def update_view(self) -> None:
        store = self.dash.store
        flt = self.filter
        if flt.active:
            flt.start_pass()
            rows = [(k, d) for k, d in store.domains() if flt.matches(d, store.config(d.host))]
            self._domains = dict(rows)
        else:
            rows = store.domains()
            self._domains = None  # the store's own index serves (see _domain)
        self._rows = rows
        self._shown = len(rows)
        self._total = store.domain_count()
        order = self._sorter.order(rows, self.sort_column, self.sort_reverse,
                                   dom0_first=self.dom0_first)
        self._order = order
        if self.marked:
            self._prune_marks()
        table = self.table
        table.set_sort_indicator(self.sort_column, self.sort_reverse)
        if not rows:
            table.empty_message = (no_match_message(flt, store.hosts()) if flt.active
                                   else self._no_domains_message())
        before = table.cursor_key
        table.set_rows(order, self._row, self._row_token)
        if before is not None and table.cursor_key != before:
            self._say_if_gone(before, table.cursor_key)
        self._update_info()
        self._update_banner()

    def _say_if_gone(self, was: DomainKey, now: DomainKey | None) -> None:
        """The domain under the cursor went away (not filtered out): say so, and which one
        the cursor is on now, before the next key acts on it."""
        store = self.dash.store
        snap = store.host(was[0])
        if store.domain(was) is not None or snap is None or host_status(
                snap, self.dash.now(), self.dash.settings.interval_s)[0] != "ok":
            return  # still there (a filter hides it), or its host is not answering
        then = (f"the cursor is now on {visible(now[1])} ({visible(now[0])})"
                if now is not None else "no domain is left to show")
        self.app.notify(f"{visible(was[1])} is no longer on {visible(was[0])} (destroyed, "
                        f"saved, migrated or renamed); {then}",
                        title="Domain gone", severity="warning", timeout=6, markup=False)

    def _no_domains_message(self) -> str:
        """Why the table is empty: the first host that is not ok, and why."""
        dash = self.dash
        bad = hosts_not_ok(dash.store, dash.now(), dash.settings.interval_s)
        if not bad:
            return "no domains yet"
        host, status, _, why = bad[0]
        others = len(bad) - 1
        more = f" (and {others} more host{'s' if others > 1 else ''})" if others else ""
        # (first: what to do; a long reason is cut at the screen's edge)
        return (f"no domains (1 shows every host): {visible(host)} is {status}"
                f"{': ' + visible(why) if why else ''}{more}")

    def _domain(self, key: DomainKey) -> Domain:
        """The record of a row on screen (rows are formatted as they scroll into view)."""
        if self._domains is None:
            d = self.dash.store.domain(key)
            if d is not None:
                return d
            # gone from the store since the last refresh: shown as it was until the next
            self._domains = dict(self._rows)
        return self._domains[key]

    def _row_token(self, key: DomainKey) -> tuple[object, ...]:
        """What a row's cells are made of: the same token, the same cells."""
        dash = self.dash
        store = dash.store
        d = self._domain(key)
        hist = store.history(key)
        status, _ = host_status(store.host(d.host), dash.now(), dash.settings.interval_s)
        return (hist.appended if hist else -1, status, d, store.config(d.host),
                dash.palette, key in self.marked)

    def _row(self, key: DomainKey) -> list[Cell]:
        dash = self.dash
        store = dash.store
        d = self._domain(key)
        status, _ = host_status(store.host(d.host), dash.now(), dash.settings.interval_s)
        ctx = RowContext(dash.palette, store.config(d.host), store.history(key), status,
                         marked=key in self.marked)
        return [c.cell(d, ctx) for c in DOMAIN_COLUMNS]

    def _update_info(self) -> None:
        col = COLUMNS_BY_KEY[self.sort_column].column
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        text.append(f" Domains {self._shown:,}")
        if self._shown != self._total:
            text.append(f" of {self._total:,}")
        if self.filter.active:
            text.append("  filter: ")
            text.append_text(safe_text(self.filter.text, style="bold"))
        if self.marked:
            text.append(f"  {MARK} {len(self.marked):,} marked", style="bold")
            text.append(" (u unmarks)")
        for problem in self.filter.problems:
            text.append(f"  ⚠ {problem}", style=self.dash.palette.status["stale"])
        arrow = "▼" if self.sort_reverse else "▲"
        text.append(f"  sort: {col.label}{arrow}")
        if self.dom0_first:
            text.append("  Dom0 first")
        text.append("  net: guest's view (RX = to the guest)")
        self.query_one("#domains-info", TextBar).show(text)

    def _update_banner(self) -> None:
        banner = self.query_one("#domains-banner", TextBar)
        d = self.selected_domain()
        cfg = self.dash.store.config(d.host) if d else None
        if d is None or cfg is None or not (cfg.banner or cfg.production):
            # a fleet with marked hosts keeps the line, so the table does not jump a line
            # as the cursor goes from one host to another
            store = self.dash.store
            if any((c := store.config(h)) and (c.banner or c.production)
                   for h in store.hosts()):
                line = Text(" ", style="dim", end="")
                if d is not None:
                    escaped = self.dash.palette.escaped
                    line.append_text(safe_text(d.name, escaped_style=escaped))
                    line.append(" is on ")
                    line.append_text(safe_text(d.host, escaped_style=escaped))
                banner.show(line)
                banner.add_class("-shown")
            else:
                banner.remove_class("-shown")
            return
        palette = self.dash.palette
        style = palette.banner.get(cfg.accent or "red", "")
        text = safe_text(f" {cfg.banner or 'PRODUCTION'} ", style=style)
        text.append("  ")
        text.append_text(safe_text(d.name, style="bold", escaped_style=palette.escaped))
        text.append(" is on ")
        text.append_text(safe_text(d.host, style="bold", escaped_style=palette.escaped))
        if cfg.production:
            text.append(", a production host")
        banner.show(text)
        banner.add_class("-shown")

    # --- events and actions --------------------------------------------------------------

    @on(KeyedTable.CursorMoved, "#domains-table")
    def _cursor_moved(self) -> None:
        self._update_banner()

    @on(KeyedTable.RowActivated, "#domains-table")
    def _row_activated(self, event: KeyedTable.RowActivated) -> None:
        event.stop()
        self.action_open_domain()


    @on(Input.Changed, "#domains-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter = parse_filter(event.value)
        self._filter_rows()

    @on(Input.Submitted, "#domains-filter")
    def _filter_submitted(self) -> None:
        self._close_filter()

    def action_start_filter(self) -> None:
        field = self.query_one("#domains-filter", Input)
        if not field.display:
            self._filter_anchor = self.table.cursor_key
        field.add_class("-shown")
        field.display = True  # now, not at the next style pass: the focus moves at once,
        self.set_focus(field)  # so the keys typed right after '/' are the filter's

    def action_clear_filter(self) -> None:
        field = self.query_one("#domains-filter", Input)
        if field.has_class("-shown") or self.filter.text:
            self.set_filter("")
            self._close_filter()

    def _close_filter(self) -> None:
        self._filter_anchor = None
        field = self.query_one("#domains-filter", Input)
        field.remove_class("-shown")
        field.display = False
        self.set_focus(self.table)

    def action_sort_by(self, column: str) -> None:
        if column not in COLUMNS_BY_KEY:
            return
        self.sort_column = column
        self.sort_reverse = COLUMNS_BY_KEY[column].descending
        self._remember_sort()
        self.update_view()

    def action_sort_step(self, step: int) -> None:
        keys = [c.key for c in DOMAIN_COLUMNS]
        i = (keys.index(self.sort_column) + step) % len(keys)
        self.action_sort_by(keys[i])

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._remember_sort()
        self.update_view()

    def action_toggle_dom0(self) -> None:
        self.dom0_first = not self.dom0_first
        self.dash.memory = replace(self.dash.memory, dom0_first=self.dom0_first,
                                   dom0_first_config=self.dash.settings.dom0_first)
        self.update_view()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the cursor's domain and go to the next row (space, as htop)."""
        key = self.table.cursor_key
        d = self.selected_domain()
        if key is None or d is None:
            return
        if key in self.marked:
            del self.marked[key]
        else:
            self.marked[key] = d.domid
        self.update_view()
        self.table.action_cursor(1)

    def action_mark_shown(self) -> None:
        """Mark every domain the filter shows."""
        for key in self._order:
            d = self._domain(key)
            self.marked.setdefault(key, d.domid)
        self.update_view()

    def action_unmark_all(self) -> None:
        if self.marked:
            self.marked = {}
            self.update_view()

    def action_open_domain(self) -> None:
        key = self.selected_domain_key()
        if key is not None:
            self.dash.open_domain(key)
