"""The vCPU pinning map: a grid with a row per vCPU and a column per physical CPU.

Only the visible region is drawn (Textual's Line API): each row's cells are built once
per snapshot into a cached strip, and a frame crops the cached strips to the window, so
200 domains × 256 pCPUs cost what fits on the screen. Row labels stay fixed on the left
and the header rows (pCPU numbers, then per-pCPU totals) stay fixed on top while the
cells scroll in both directions. Every mark is a symbol (see
:mod:`tui.pinning_model`); colours come from the theme's ``vcpu-*`` variables through
COMPONENT_CLASSES, so a theme switch reaches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from collectors.model import VCpu, VcpuState
from tui.pinning_model import (
    MARK_SYMBOLS,
    NOW_MANY,
    Mark,
    PinningModel,
    VcpuKey,
    held,
    row_marks,
    state_shown,
)
from tui.text import safe_text

GROUP = 8  # a separator column every 8 pCPUs
WIDE_UP_TO = 64  # up to this many pCPUs a cell is two columns wide
NAME_MIN, NAME_MAX = 8, 20
SEPARATOR = "│"

_MARK_CLASS = {
    Mark.NONE: "pinning-grid--cell",
    Mark.HARD: "pinning-grid--hard",
    Mark.SOFT: "pinning-grid--soft",
    Mark.BLOCKED: "pinning-grid--blocked",
    Mark.RUNNABLE: "pinning-grid--runnable",
    Mark.RUNNING: "pinning-grid--running",
    Mark.PAUSED: "pinning-grid--paused",
}


_PLACES = ("ones", "tens", "hundreds", "thousands")


def allowed_label(place: int, digits: int) -> str:
    """The label of the ``allowed`` row holding the digit of 10**place: just ``allowed``
    when the counts have one digit, else ``allowed tens``, ``allowed ones``..."""
    if digits <= 1:
        return "allowed"
    return f"allowed {_PLACES[place] if place < len(_PLACES) else f'×10^{place}'}"


class PinningGrid(ScrollView, can_focus=True, inherit_bindings=False):
    """Keys are bound by the screen (so the help screen lists them); the grid only takes
    mouse clicks and wheel scrolls itself."""

    BINDINGS: ClassVar[list[BindingType]] = []

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "pinning-grid--header",
        "pinning-grid--label",
        "pinning-grid--label-more",
        "pinning-grid--cell",
        "pinning-grid--hard",
        "pinning-grid--soft",
        "pinning-grid--blocked",
        "pinning-grid--runnable",
        "pinning-grid--running",
        "pinning-grid--paused",
        "pinning-grid--offline",
        "pinning-grid--busy",
        "pinning-grid--separator",
        "pinning-grid--crosshair",
        "pinning-grid--cursor",
        "pinning-grid--empty",
    }

    DEFAULT_CSS = """
    PinningGrid {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-gutter: stable;
    }
    PinningGrid > .pinning-grid--header { background: $panel; color: $foreground; }
    PinningGrid > .pinning-grid--label { color: $foreground; }
    PinningGrid > .pinning-grid--label-more { color: $text-muted; }
    PinningGrid > .pinning-grid--cell { color: $foreground; }
    PinningGrid > .pinning-grid--hard { color: $vcpu-hard; }
    PinningGrid > .pinning-grid--soft { color: $vcpu-soft; text-style: bold; }
    PinningGrid > .pinning-grid--blocked { color: $vcpu-blocked; text-style: bold; }
    PinningGrid > .pinning-grid--runnable { color: $vcpu-runnable; text-style: bold; }
    PinningGrid > .pinning-grid--running { color: $vcpu-running; text-style: bold; }
    PinningGrid > .pinning-grid--paused { color: $state-paused; text-style: bold; }
    PinningGrid > .pinning-grid--offline { color: $vcpu-offline; }
    PinningGrid > .pinning-grid--busy { color: $ring-warn; text-style: bold; }
    PinningGrid > .pinning-grid--separator { color: $text-disabled; }
    PinningGrid > .pinning-grid--crosshair { background: $boost; text-style: bold; }
    PinningGrid > .pinning-grid--cursor {
        background: $block-cursor-blurred-background;
        text-style: bold;
    }
    PinningGrid:focus > .pinning-grid--cursor {
        background: $block-cursor-background;
        text-style: bold;
    }
    PinningGrid > .pinning-grid--empty { color: $text-muted; text-style: italic; }
    """

    class CursorMoved(Message):
        """Posted when the cursor lands on another vCPU or pCPU."""

        def __init__(self, grid: PinningGrid, key: VcpuKey | None, pcpu: int | None) -> None:
            super().__init__()
            self.grid = grid
            self.key = key
            self.pcpu = pcpu

        @property
        def control(self) -> PinningGrid:
            return self.grid

    class Activated(Message):
        """Posted on a double click on a vCPU row (the screen binds Enter itself)."""

        def __init__(self, grid: PinningGrid, key: VcpuKey) -> None:
            super().__init__()
            self.grid = grid
            self.key = key

        @property
        def control(self) -> PinningGrid:
            return self.grid

    def __init__(self, *, empty_message: str = "no vCPUs", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.empty_message = empty_message
        self.model: PinningModel | None = None
        self._index: dict[VcpuKey, int] = {}
        self._row = 0
        self._col = 0
        self._wanted: VcpuKey | None = None
        self._rows: dict[int, tuple[object, Strip]] = {}  # row → (signature, grid strip)
        self._labels: dict[int, tuple[object, Strip]] = {}
        self._header: dict[int, tuple[object, Strip, Strip]] = {}  # row → (sig, label, grid)
        # (row, left, width, cursor pCPU or -1) → (the row's grid strip it came from, line)
        self._lines: dict[tuple[int, int, int, int], tuple[Strip, Strip]] = {}
        self._base: Style | None = None
        self._styles: dict[str, Style] = {}
        self._first_of_domain: set[int] = set()
        self._busy_may: frozenset[int] = frozenset()
        self.cw = 2
        self.name_w = NAME_MIN
        self.label_w = NAME_MIN + 13
        self.digits = 1
        self.may_digits = 1
        self.rows_built = 0  # grid rows turned into strips (tests and benchmarks read it)

    # --- data -------------------------------------------------------------------------------

    @property
    def header_h(self) -> int:
        return self.digits + self.may_digits + 1

    @property
    def grid_w(self) -> int:
        n = self.model.pcpus if self.model else 0
        return n * self.cw + max(0, n - 1) // GROUP

    def col_x(self, p: int) -> int:
        """The grid-relative x of pCPU ``p``'s cell."""
        return p * self.cw + p // GROUP

    def pcpu_at(self, gx: int) -> int | None:
        """The pCPU whose cell covers grid-relative x ``gx`` (None on a separator)."""
        if self.model is None or gx < 0:
            return None
        span = GROUP * self.cw + 1
        group, rest = divmod(gx, span)
        if rest >= GROUP * self.cw:
            return None
        p = group * GROUP + rest // self.cw
        return p if p < self.model.pcpus else None

    def set_model(self, model: PinningModel) -> None:
        """Show a new snapshot of the host; the cursor stays on its vCPU and pCPU."""
        old = self.model
        before = (self.cursor_key, self.cursor_pcpu)
        self.model = model
        self._index = {k: i for i, k in enumerate(model.keys)}
        if old is None or old.host != model.host or old.pcpus != model.pcpus:
            self._rows.clear()
        self._labels.clear()
        self._header.clear()
        self._lines.clear()
        self._layout(model)
        if self._wanted is not None and self._wanted in self._index:
            self._row = self._index[self._wanted]
        else:
            self._row = min(self._row, max(0, len(model.rows) - 1))
        self._col = min(self._col, max(0, model.pcpus - 1))
        self.virtual_size = Size(self.label_w + self.grid_w, self.header_h + len(model.rows))
        self._keep_cursor_visible()
        self.refresh()
        if (self.cursor_key, self.cursor_pcpu) != before:
            self.post_message(self.CursorMoved(self, self.cursor_key, self.cursor_pcpu))

    def _layout(self, model: PinningModel) -> None:
        self.cw = 2 if model.pcpus <= WIDE_UP_TO else 1
        longest = max((len(v.domain) for v in model.rows), default=NAME_MIN)
        self.name_w = max(NAME_MIN, min(NAME_MAX, longest))
        self.label_w = self.name_w + 13  # " name vcpu sym  cpu "
        self.digits = len(str(max(0, model.pcpus - 1)))
        self.may_digits = len(str(max(model.may, default=0)))
        self._first_of_domain = {i for i, v in enumerate(model.rows)
                                 if i == 0 or model.rows[i - 1].domid != v.domid}
        typical = median(model.may) if model.may else 0
        self._busy_may = frozenset(p for p, m in enumerate(model.may)
                                   if m >= 2 and m >= 1.5 * typical)

    # --- cursor -----------------------------------------------------------------------------

    @property
    def cursor_row(self) -> int:
        return self._row

    @property
    def cursor_key(self) -> VcpuKey | None:
        m = self.model
        return m.rows[self._row].key if m is not None and m.rows else None

    @property
    def cursor_vcpu(self) -> VCpu | None:
        m = self.model
        return m.rows[self._row] if m is not None and m.rows else None

    @property
    def cursor_pcpu(self) -> int | None:
        m = self.model
        return self._col if m is not None and m.pcpus else None

    def move_to(self, row: int | None = None, pcpu: int | None = None) -> None:
        m = self.model
        if m is None:
            return
        before = (self.cursor_key, self.cursor_pcpu)
        old_row, top, left = self._row, int(self.scroll_offset.y), int(self.scroll_offset.x)
        if row is not None and m.rows:
            self._row = max(0, min(row, len(m.rows) - 1))
            self._wanted = m.rows[self._row].key
        if pcpu is not None and m.pcpus:
            self._col = max(0, min(pcpu, m.pcpus - 1))
        self._keep_cursor_visible()
        if (int(self.scroll_offset.y), int(self.scroll_offset.x)) == (top, left):
            hh = self.header_h
            self.refresh_lines(old_row - top + hh, 1)
            self.refresh_lines(self._row - top + hh, 1)
            if self.cursor_pcpu != before[1]:
                self.refresh_lines(0, hh)  # the crosshair in the header moved
        else:
            self.refresh()
        if (self.cursor_key, self.cursor_pcpu) != before:
            self.post_message(self.CursorMoved(self, self.cursor_key, self.cursor_pcpu))

    def reset_cursor(self) -> None:
        """Back to the first vCPU and pCPU (another host is about to be shown)."""
        self._row = self._col = 0
        self._wanted = None
        self.scroll_to(0, 0, animate=False, immediate=True)

    def move_by(self, rows: int = 0, pcpus: int = 0) -> None:
        self.move_to(self._row + rows, self._col + pcpus)

    def move_to_key(self, key: VcpuKey) -> bool:
        self._wanted = key
        i = self._index.get(key)
        if i is None:
            return False
        self.move_to(row=i)
        return True

    def page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_h - 1)

    def _keep_cursor_visible(self) -> None:
        region = self.scrollable_content_region
        rows_visible = max(1, region.height - self.header_h)
        top = int(self.scroll_offset.y)
        y: int | None = None
        if self._row < top:
            y = self._row
        elif self._row >= top + rows_visible:
            y = self._row - rows_visible + 1
        cells_visible = max(self.cw, region.width - self.label_w)
        left = int(self.scroll_offset.x)
        x: int | None = None
        cx = self.col_x(self._col)
        if cx < left or cx + self.cw > left + cells_visible:
            # jump so the cursor is in the middle: stepping along repaints the whole grid
            # once per half screen, not on every step
            x = max(0, cx - cells_visible // 2)
        if x is not None or y is not None:
            self.scroll_to(x=x, y=y, animate=False, immediate=True)

    # --- mouse ------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        if self.model is None:
            return
        row = int(self.scroll_offset.y) + event.y - self.header_h
        pcpu = None
        if event.x >= self.label_w:
            pcpu = self.pcpu_at(event.x - self.label_w + int(self.scroll_offset.x))
        if event.y < self.header_h:
            if pcpu is not None:
                event.stop()
                self.move_to(pcpu=pcpu)
            return
        if 0 <= row < len(self.model.rows):
            event.stop()
            self.move_to(row=row, pcpu=pcpu)
            if event.chain >= 2 and self.cursor_key is not None:
                self.post_message(self.Activated(self, self.cursor_key))

    def on_resize(self, _event: events.Resize) -> None:
        self._keep_cursor_visible()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._base = None
        self._rows.clear()
        self._labels.clear()
        self._header.clear()
        self._lines.clear()

    # --- drawing ----------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"pinning-grid--{name}")
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base
        if base is None:  # rich_style walks every ancestor: once per theme, not per line
            base = self._base = self.rich_style
        m = self.model
        if m is None or not m.rows:
            if y == 0:
                # (a Segment: Text.render would drop the style of a Text without spans)
                segs = [Segment(f" {self.empty_message}", self._style("empty"))]
                return Strip(segs).extend_cell_length(width, base)
            return Strip.blank(width, base)
        view_w = max(0, width - self.label_w)
        left = int(self.scroll_offset.x)
        hh = self.header_h
        if y < hh:
            label, grid = self._header_strips(y)
            strip = Strip.join([label, grid.crop(left, left + view_w)])
            return strip.extend_cell_length(width, self._style("header")).apply_style(base)
        row = int(self.scroll_offset.y) + y - hh
        if row >= len(m.rows):
            return Strip.blank(width, base)
        cursor = row == self._row
        # a finished line is reused while its row, the window and the cursor stay put
        # (scrolling by a row repaints the grid: all lines but one come from here)
        key = (row, left, width, self._col if cursor else -1)
        grid = self._grid_strip(row)  # validates the row's cached strips
        done = self._lines.get(key)
        if done is not None and done[0] is grid:
            return done[1]
        visible = grid.crop(left, left + view_w)
        if cursor:
            cx = self.col_x(self._col) - left
            if 0 <= cx < view_w:
                v = m.rows[row]
                cell = self._cell_strip(v, self._col, m.pcpus, m.is_stopped(v))
                visible = Strip.join([visible.crop(0, cx), cell,
                                      visible.crop(cx + self.cw, view_w)])
        strip = Strip.join([self._label_strip(row, cursor), visible])
        strip = strip.extend_cell_length(width, base).apply_style(base)
        if len(self._lines) > 512:
            self._lines.clear()
        self._lines[key] = (grid, strip)
        return strip

    def _label_strip(self, row: int, cursor: bool) -> Strip:
        m = self.model
        assert m is not None
        v = m.rows[row]
        stopped = m.is_stopped(v)
        sig = (v.domain, v.vcpu, v.state, v.cpu, stopped, cursor)
        cached = self._labels.get(row)
        if cached is not None and cached[0] == sig:
            return cached[1]
        first = row in self._first_of_domain
        style = self._style("label" if first else "label-more")
        name = safe_text(v.domain, style=style, escaped_style=Style(reverse=True))
        name.truncate(self.name_w, overflow="ellipsis", pad=True)
        text = Text(" ", end="", no_wrap=True)
        text.append_text(name)
        state_style = self._state_style(v, stopped)
        text.append(f" {v.vcpu:>3} ", style=style)
        text.append(state_shown(v, stopped)[0], style=state_style)
        cpu = "-" if v.cpu is None or v.state is VcpuState.OFFLINE else str(v.cpu)
        text.append(f" {cpu:>4} ", style=style)
        text.truncate(self.label_w, pad=True)
        if cursor:
            text.stylize(self._style("crosshair"))
        strip = Strip(list(text.render(self.app.console)))
        self._labels[row] = (sig, strip)
        return strip

    def _state_style(self, v: VCpu, stopped: bool) -> Style:
        if held(v, stopped):
            return self._style("paused")
        return {
            VcpuState.RUNNING: self._style("running"),
            VcpuState.RUNNABLE: self._style("runnable"),
            VcpuState.BLOCKED: self._style("blocked"),
            VcpuState.OFFLINE: self._style("offline"),
        }.get(v.state or VcpuState.OFFLINE, self._style("label"))

    def _mark_style(self, v: VCpu, mark: Mark) -> Style:
        if v.state is VcpuState.OFFLINE and mark is not Mark.NONE:
            return self._style("offline")
        return self._style(_MARK_CLASS[mark].removeprefix("pinning-grid--"))

    def _grid_strip(self, row: int) -> Strip:
        m = self.model
        assert m is not None
        v = m.rows[row]
        stopped = m.is_stopped(v)
        sig = (v.state, v.cpu, v.hard, v.soft, stopped)
        cached = self._rows.get(row)
        if cached is not None and cached[0] == sig:
            return cached[1]
        self.rows_built += 1
        pad = " " * (self.cw - 1)
        sep = self._style("separator")
        symbols = {mk: sym + pad for mk, sym in MARK_SYMBOLS.items()}
        styles = {mk: self._mark_style(v, mk) for mk in Mark}
        segs: list[Segment] = []
        run: list[str] = []
        run_style: Style | None = None
        for p, mark in enumerate(row_marks(v, m.pcpus, stopped)):
            if p and p % GROUP == 0:
                if run and run_style is not None:
                    segs.append(Segment("".join(run), run_style))
                segs.append(Segment(SEPARATOR, sep))
                run, run_style = [], None
            style = styles[mark]
            if style is not run_style and run and run_style is not None:
                segs.append(Segment("".join(run), run_style))
                run = []
            run_style = style
            run.append(symbols[mark])
        if run and run_style is not None:
            segs.append(Segment("".join(run), run_style))
        strip = Strip(segs)
        self._rows[row] = (sig, strip)
        return strip

    def _cell_strip(self, v: VCpu, p: int, pcpus: int, stopped: bool) -> Strip:
        mark = row_marks(v, pcpus, stopped)[p]
        style = self._mark_style(v, mark)
        cursor = self._style("cursor")
        if cursor.bgcolor is not None:
            style = style + Style(bgcolor=cursor.bgcolor, bold=True)
        else:
            style = style + Style(reverse=True)
        sym = MARK_SYMBOLS[mark] if mark is not Mark.NONE else "▫"
        return Strip([Segment(sym + " " * (self.cw - 1), style)])

    def _header_strips(self, h: int) -> tuple[Strip, Strip]:
        m = self.model
        assert m is not None
        sig = (m.seq, self._col, self.cw, self.digits, self.may_digits)
        cached = self._header.get(h)
        if cached is not None and cached[0] == sig:
            return cached[1], cached[2]
        header = self._style("header")
        busy = header + self._style("busy")
        cross = header + self._style("crosshair")
        d, md = self.digits, self.may_digits
        if h < d:
            title, values, hot = "pCPU", [str(p).rjust(d)[h] for p in range(m.pcpus)], None
        elif h < d + md:
            i = h - d
            # one digit per row, each row labelled with its place ("allowed tens" over
            # "allowed ones"): an unlabelled tens row read as a count of its own, and
            # "allowed 6" was taken for 6 where 16 were allowed
            title = allowed_label(md - 1 - i, md)
            values = [str(n).rjust(md)[i] for n in m.may]
            hot = self._busy_may
        else:
            title = "now"
            values = [str(n) if n < 10 else NOW_MANY for n in m.now]
            hot = frozenset(p for p, n in enumerate(m.now) if n >= 2)
        labelled = h == d - 1 or h >= d  # the pCPU number's last row; every count row
        label = Segment((title if labelled else "").rjust(self.label_w - 1) + " ", header)
        pad = " " * (self.cw - 1)
        segs: list[Segment] = []
        for p, ch in enumerate(values):
            if p and p % GROUP == 0:
                segs.append(Segment(SEPARATOR, header + self._style("separator")))
            style = cross if p == self._col else (busy if hot and p in hot else header)
            segs.append(Segment(ch + pad, style))
        label_strip = Strip([label])
        grid_strip = Strip(segs).simplify()
        self._header[h] = (sig, label_strip, grid_strip)
        return label_strip, grid_strip

    # --- what tests and the screen read ---------------------------------------------------

    def marks_of(self, key: VcpuKey) -> Sequence[Mark]:
        """The marks of one vCPU's row, as drawn."""
        m = self.model
        i = self._index.get(key)
        if m is None or i is None:
            return ()
        v = m.rows[i]
        return row_marks(v, m.pcpus, m.is_stopped(v))
