"""A virtual, keyed table for thousands of rows that change every second.

Textual's DataTable re-measures and re-indexes on every change (30,000 ``update_cell``
calls take ~0.5 s, and each ``remove_row`` is O(rows)), which is too slow for 5,000
domains. This table holds only:

* the row order (a list of keys, replaced wholesale after a sort or filter: O(rows));
* a ``row_source`` callback that formats one row on demand;
* rendered cells for the rows on screen, updated through :func:`diff_rows` so only the
  cells that changed are re-rendered;
* optionally a ``row_token`` per row (what its cells are made from): a row whose token
  did not change is neither formatted nor compared again;
* and it repaints only the lines whose row changed (a refresh of the whole table costs
  the compositor ~10 ms at 200×60).

The cursor belongs to a key, not a position: it follows its row through re-sorts and
refreshes, and comes back to it when a filter that hid it is relaxed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.table_diff import Cell, Cells, diff_rows
from tui.text import safe_text
from tui.widgets.key_order import pass_on_if_unfocused, run_bindings_now

K = TypeVar("K", bound=Hashable)
CACHE_ROWS = 1000  # rendered rows kept for keys not on screen right now
_NO_TOKEN = object()


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "left"
    help: str = ""


class KeyedTable(ScrollView, Generic[K], can_focus=True):
    """Rows identified by keys; only visible rows are formatted and rendered."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home", "edge(0)", "First row", show=False, id="table.first"),
        Binding("end", "edge(1)", "Last row", show=False, id="table.last"),
        Binding("left,h", "scroll_columns(-1)", "Scroll columns left", show=False,
                id="table.left"),
        Binding("right,l", "scroll_columns(1)", "Scroll columns right", show=False,
                id="table.right"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--sorted",
        "keyed-table--cursor",
        "keyed-table--empty",
    }

    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-gutter: stable;
    }
    KeyedTable > .keyed-table--header {
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    KeyedTable > .keyed-table--sorted {
        background: $panel;
        color: $accent;
        text-style: bold;
    }
    KeyedTable > .keyed-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    KeyedTable:focus > .keyed-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    KeyedTable > .keyed-table--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    class CursorMoved(Message):
        """Posted when the cursor lands on another row (by key)."""

        def __init__(self, table: KeyedTable[Any], key: Hashable | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable[Any]:
            return self.table

    class RowActivated(Message):
        """Posted on a double click on a row (screens bind Enter themselves)."""

        def __init__(self, table: KeyedTable[Any], key: Hashable) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable[Any]:
            return self.table

    class HeaderClicked(Message):
        """Posted when a column header is clicked."""

        def __init__(self, table: KeyedTable[Any], column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> KeyedTable[Any]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        fixed_columns: int = 0,
        empty_message: str = "nothing to show",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._columns: list[Column] = list(columns)
        self._fixed = fixed_columns
        self.empty_message = empty_message
        self._order: list[K] = []
        self._source: Callable[[K], Cells] = lambda _k: ()
        self._token: Callable[[K], object] | None = None
        self._tokens: dict[K, object] = {}  # the token each cached row was formatted for
        self._cells: dict[K, tuple[Cell, ...]] = {}
        self._cell_segments: dict[K, list[list[Segment]]] = {}
        self._row_strips: dict[K, Strip] = {}
        self._cursor = 0
        self._wanted: K | None = None
        self._header_cache: tuple[object, Strip] | None = None
        self._base_style: Style | None = None
        self.sort_column: str | None = None
        self.sort_reverse = False
        # counters that tests and benchmarks read
        self.renders = 0  # rows formatted by the source
        self.cells_rendered = 0  # cells turned into segments
        self.updates = 0  # calls to set_rows
        self._layout()

    async def _on_key(self, event: events.Key) -> None:
        if pass_on_if_unfocused(self, event) or await run_bindings_now(self, event):
            return  # ('/cap' typed at once: all three letters for the filter)
        await super()._on_key(event)

    # --- data ---------------------------------------------------------------------------

    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def order(self) -> list[K]:
        return list(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> K | None:
        return self._order[self._cursor] if self._order else None

    def set_columns(self, columns: Sequence[Column], fixed_columns: int | None = None) -> None:
        self._columns = list(columns)
        if fixed_columns is not None:
            self._fixed = fixed_columns
        self._cells.clear()
        self._cell_segments.clear()
        self._row_strips.clear()
        self._tokens.clear()
        self._layout()
        self.refresh()

    def set_sort_indicator(self, column: str | None, reverse: bool) -> None:
        if (column, reverse) != (self.sort_column, self.sort_reverse):
            self.sort_column, self.sort_reverse = column, reverse
            self.refresh_lines(self.scroll_offset.y, 1)

    def set_rows(
        self,
        order: Sequence[K],
        source: Callable[[K], Cells],
        row_token: Callable[[K], object] | None = None,
    ) -> None:
        """Show ``order``; ``source(key)`` formats a row. Only visible rows are formatted
        now, and only their changed cells are re-rendered.

        ``row_token(key)``, if given, returns what the row's cells depend on (compared
        with ``==``): a visible row whose token equals the one it was formatted for is
        left as it is, without calling ``source``.
        """
        self.updates += 1
        old_key = self.cursor_key
        old_top, old_cursor = int(self.scroll_offset.y), self._cursor
        old_visible = self._visible_keys()
        self._order = list(order)
        self._source = source
        self._token = row_token
        if row_token is None:
            self._tokens.clear()
        self._place_cursor()
        self.virtual_size = Size(self._total_width, len(self._order) + 1)
        self._keep_cursor_visible()
        visible = self._visible_keys()
        fresh: dict[K, tuple[Cell, ...]] = {}
        cells, tokens = self._cells, self._tokens
        for k in visible:
            if row_token is not None:
                token = row_token(k)
                if k in cells and tokens.get(k, _NO_TOKEN) == token:
                    continue  # made from the same data: the same cells
                tokens[k] = token
            fresh[k] = tuple(source(k))
        self.renders += len(fresh)
        old = {k: cells[k] for k in fresh if k in cells}
        diff = diff_rows(old, fresh)
        for k in diff.added:
            self._store_row(k, fresh[k], None)
        for k, cols in diff.changed.items():
            self._store_row(k, fresh[k], cols)
        self._trim_cache(set(visible))
        self._repaint(old_top, old_visible, old_cursor, visible,
                      {*diff.added, *diff.changed})
        if self.cursor_key != old_key:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _repaint(self, old_top: int, old_visible: list[K], old_cursor: int,
                 visible: list[K], changed: set[K]) -> None:
        """Refresh the lines that show another row, a changed row, or the cursor now or
        before; everything when the table scrolled or was or became empty."""
        top = int(self.scroll_offset.y)
        if top != old_top or not old_visible or not visible:
            self.refresh()
            return
        lines = {old_cursor - top, self._cursor - top}
        height = max(len(old_visible), len(visible))
        for y in range(height):
            k = visible[y] if y < len(visible) else None
            if k is None or y >= len(old_visible) or old_visible[y] != k or k in changed:
                lines.add(y)
        run_start = run_end = -2
        for y in sorted(y for y in lines if 0 <= y < height):
            # row y on screen is virtual line top + y + 1 (line 0 is the header)
            if y == run_end + 1:
                run_end = y
                continue
            if run_start >= 0:
                self.refresh_lines(top + run_start + 1, run_end - run_start + 1)
            run_start = run_end = y
        if run_start >= 0:
            self.refresh_lines(top + run_start + 1, run_end - run_start + 1)

    def refresh_rows(self) -> None:
        """Re-read the visible rows from the source (data changed, order did not)."""
        self.set_rows(self._order, self._source, self._token)

    def _find(self, key: K) -> int | None:
        """The row of ``key`` (a scan in C: cheaper than a dict of every row per update)."""
        cursor = self._cursor
        if cursor < len(self._order) and self._order[cursor] == key:
            return cursor
        try:
            return self._order.index(key)
        except ValueError:
            return None

    def move_cursor_to(self, key: K) -> bool:
        """Put the cursor on ``key``; if it is not shown now, as soon as it is (False)."""
        self._wanted = key
        i = self._find(key)
        if i is None:
            return False
        self._set_cursor(i)
        return True

    # --- cursor -------------------------------------------------------------------------

    def _place_cursor(self) -> None:
        if not self._order:
            self._cursor = 0
            return
        if self._wanted is None:
            # the user has not picked a row: the cursor stays where it is (the top)
            self._cursor = min(self._cursor, len(self._order) - 1)
        elif (i := self._find(self._wanted)) is not None:
            self._cursor = i
        else:
            # its row is gone (filtered out, destroyed): the row now highlighted is the
            # cursor's, so clearing the filter keeps the domain the user sees
            self._cursor = min(self._cursor, len(self._order) - 1)
            self._wanted = self._order[self._cursor]

    def _set_cursor(self, row: int) -> None:
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        before = self.cursor_key
        old_row, top = self._cursor, int(self.scroll_offset.y)
        self._cursor = row
        self._wanted = self._order[row]
        self._keep_cursor_visible()
        if int(self.scroll_offset.y) == top:
            # repaint the two rows involved, not the whole table (line 0 is the header)
            self.refresh_lines(old_row + 1, 1)  # row r is drawn at virtual line r + 1
            self.refresh_lines(row + 1, 1)
        else:
            self.refresh()
        if self.cursor_key != before:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _keep_cursor_visible(self) -> None:
        rows_visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows_visible:
            self.scroll_to(y=self._cursor - rows_visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        page = max(1, self.scrollable_content_region.height - 2)
        self._set_cursor(self._cursor + direction * page)

    def action_edge(self, end: int) -> None:
        self._set_cursor(len(self._order) - 1 if end else 0)

    def action_scroll_columns(self, direction: int) -> None:
        """Scroll the non-fixed columns by one column."""
        x = int(self.scroll_offset.x)
        movable = self._columns[self._fixed:]
        stops = [0]
        for c in movable:
            stops.append(stops[-1] + c.width + 1)
        if direction > 0:
            target = next((s for s in stops if s > x), x)
        else:
            target = max((s for s in stops if s < x), default=0)
        self.scroll_to(x=target, animate=False)

    def action_activate(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowActivated(self, key))

    # --- mouse --------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                event.stop()
                self.post_message(self.HeaderClicked(self, column.key))
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self._order):
            event.stop()
            self._set_cursor(row)
            if event.chain >= 2:
                self.action_activate()

    def _column_at(self, x: int) -> Column | None:
        fixed_w = self._fixed_width
        vx = x if x < fixed_w else x + int(self.scroll_offset.x)
        for col, off in zip(self._columns, self._offsets, strict=True):
            if off <= vx < off + col.width + 1:
                return col
        return None

    # --- rendering ----------------------------------------------------------------------

    def _layout(self) -> None:
        self._offsets: list[int] = []
        x = 0
        for c in self._columns:
            self._offsets.append(x)
            x += c.width + 1
        self._total_width = max(0, x)
        self._fixed_width = (
            self._offsets[self._fixed] if 0 < self._fixed < len(self._columns) else 0
        )
        self._header_cache = None

    def _visible_keys(self) -> list[K]:
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        return self._order[top : top + height]

    def _store_row(self, key: K, cells: tuple[Cell, ...], cols: tuple[int, ...] | None) -> None:
        # re-inserting keeps the dict in least-recently-shown order for _trim_cache
        self._cells.pop(key, None)
        segs = self._cell_segments.get(key)
        if segs is None or cols is None or len(segs) != len(self._columns):
            segs = [self._render_cell(cells, i) for i in range(len(self._columns))]
        else:
            for i in cols:
                if i < len(self._columns):
                    segs[i] = self._render_cell(cells, i)
        self._cells[key] = cells
        self._cell_segments[key] = segs
        self._row_strips[key] = self._join(segs)

    def _forget(self, key: K) -> None:
        self._cells.pop(key, None)
        self._cell_segments.pop(key, None)
        self._row_strips.pop(key, None)
        self._tokens.pop(key, None)

    def _trim_cache(self, keep: set[K]) -> None:
        """Keep rendered rows of recently shown keys (a re-sort or a scroll back then costs
        only their changed cells); forget the oldest beyond a few screens' worth."""
        limit = max(CACHE_ROWS, 4 * max(1, self.size.height))
        excess = len(self._cells) - limit
        if excess <= 0:
            return
        for k in [k for k in self._cells if k not in keep][:excess]:
            self._forget(k)

    def _render_cell(self, cells: Sequence[Cell], i: int) -> list[Segment]:
        self.cells_rendered += 1
        col = self._columns[i]
        value = cells[i] if i < len(cells) else ""
        if isinstance(value, str) and value.isascii() and value.isprintable():
            # plain ASCII (numbers, mostly): one cell per character, no Text needed
            if len(value) > col.width:
                value = value[: max(0, col.width - 1)] + "…"
            value = value.rjust(col.width) if col.align == "right" else value.ljust(col.width)
            return [Segment(value + " ")]
        text = safe_text(value) if isinstance(value, str) else value.copy()
        text.end = ""
        text.no_wrap = True
        text.truncate(col.width, overflow="ellipsis")
        pad = col.width - text.cell_len
        if not text.spans:
            # one style for it all (Text.render would drop it: Rich renders a Text without
            # spans unstyled): its segments made here, the padding unstyled
            style: Style | None = (
                text.style if isinstance(text.style, Style)
                else self.app.console.get_style(text.style, default="none") if text.style
                else None)
            content = Segment(text.plain, style)
            if pad <= 0:
                return [content, Segment(" ")]
            if col.align == "right":
                return [Segment(" " * pad), content, Segment(" ")]
            return [content, Segment(" " * (pad + 1))]
        if text.style:
            # the base style as the first span (the Text's own spans still win), over the
            # content, not the padding
            text.stylize_before(text.style)
            text.style = ""
        if pad > 0:
            if col.align == "right":
                text.pad_left(pad)
            else:
                text.pad_right(pad)
        text.pad_right(1)
        return list(text.render(self.app.console))

    @staticmethod
    def _join(segs: list[list[Segment]]) -> Strip:
        flat: list[Segment] = []
        for s in segs:
            flat.extend(s)
        return Strip(flat).simplify()

    def _row_strip(self, key: K) -> Strip:
        strip = self._row_strips.get(key)
        if strip is None:
            if self._token is not None:
                self._tokens[key] = self._token(key)
            cells = tuple(self._source(key))
            self.renders += 1
            self._store_row(key, cells, None)
            strip = self._row_strips[key]
        return strip

    def _view(self, strip: Strip, width: int) -> Strip:
        """Fixed columns, then the scrolled remainder, cropped to the widget."""
        fixed_w = self._fixed_width
        x = int(self.scroll_offset.x)
        if fixed_w and x:
            strip = Strip.join([strip.crop(0, fixed_w), strip.crop(fixed_w + x, x + width)])
        elif x:
            strip = strip.crop(x, x + width)
        return strip.crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base_style
        if base is None:  # rich_style walks every ancestor: ~0.1 ms, 60 times a paint
            base = self._base_style = self.rich_style
        if y == 0:
            return self._header(width, base)
        row = int(self.scroll_offset.y) + y - 1
        if not self._order:
            if y == 1:
                style = self.get_component_rich_style("keyed-table--empty")
                segs = [Segment(f" {self.empty_message}", style)]
                return Strip(segs).apply_style(base).extend_cell_length(width, base)
            return Strip.blank(width, base)
        if row >= len(self._order):
            return Strip.blank(width, base)
        # each step is cached on the (cached) row strip: an unchanged row costs ~nothing
        strip = self._view(self._row_strip(self._order[row]).apply_style(base), width)
        strip = strip.extend_cell_length(width, base)
        if row == self._cursor:
            cursor = self.get_component_rich_style("keyed-table--cursor")
            return Strip(Segment.apply_style(strip, None, cursor), width)
        return strip

    def _header(self, width: int, base: Style) -> Strip:
        key = (width, int(self.scroll_offset.x), self.sort_column, self.sort_reverse,
               id(self.app.current_theme), self._total_width)
        if self._header_cache is not None and self._header_cache[0] == key:
            return self._header_cache[1]
        header = self.get_component_rich_style("keyed-table--header")
        sorted_style = self.get_component_rich_style("keyed-table--sorted")
        segs: list[Segment] = []
        for col in self._columns:
            label = col.label
            style = header
            if col.key == self.sort_column:
                arrow = "▼" if self.sort_reverse else "▲"
                if cell_len(label) >= col.width:  # the arrow stays: it says what is sorted
                    label = set_cell_size(label, col.width - 1)
                label += arrow
                style = sorted_style
            text = Text(label, style=style, end="", no_wrap=True)
            text.truncate(col.width, overflow="ellipsis")
            pad = col.width - text.cell_len
            if pad > 0:
                if col.align == "right":
                    text.pad_left(pad)
                else:
                    text.pad_right(pad)
            text.append(" ", style=header)
            segs.extend(text.render(self.app.console))
        strip = self._view(Strip(segs), width).extend_cell_length(width, header)
        strip = Strip(Segment.apply_style(strip, base))
        self._header_cache = (key, strip)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._header_cache = None
        self._base_style = None

    def on_resize(self, event: events.Resize) -> None:
        self._keep_cursor_visible()
        self.refresh_rows()
