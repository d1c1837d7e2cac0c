"""What every top-level view shares: the view bar, the footer, and rendering from the store
only while it is the screen on top (hidden views cost nothing; they catch up when shown)."""

from __future__ import annotations

import time
from typing import ClassVar, Protocol, cast

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from collectors.config import Settings
from collectors.model import Domain
from tui.keymap import keys_of
from tui.ring_watch import RingWatch
from tui.store import DomainKey, FleetStore
from tui.styles import STATUS_SYMBOLS, Palette
from tui.ui_memory import UiMemory
from tui.views import VIEWS
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.stable_footer import StableFooter


class Dashboard(Protocol):
    """What views need from the app (implemented by :class:`tui.app.XlTopApp`)."""

    store: FleetStore
    settings: Settings
    palette: Palette
    memory: UiMemory  # what the last run left (the Domains sort); views keep it current
    ring_watch: RingWatch  # one for every view: a ring flagged stuck stays so in the detail

    def now(self) -> float: ...

    def show_view(self, view_id: str, filter_text: str | None = None) -> None: ...

    def open_domain(self, key: DomainKey, tab: str | None = None) -> None: ...


class SelectsDomain(Protocol):
    """A screen with a current domain (actions such as pause act on it)."""

    def selected_domain(self) -> Domain | None: ...

    def selected_domain_key(self) -> DomainKey | None: ...


class TextBar(Static):
    """A fixed-height line of text that repaints only when its text changed, and without a
    layout pass (a layout of the whole screen costs 10-25 ms at 200×60)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: Text | None = None
        self._rows = (0, 0)  # rows the text shown takes, at this width

    @property
    def shown(self) -> Text | None:
        """The text last shown (None before any)."""
        return self._shown

    def show(self, text: Text) -> None:
        old = self._shown
        if old is not None and old.plain == text.plain and old.spans == text.spans:
            return
        self._shown = text
        # a layout pass only when the number of rows (the height of an auto bar) changed,
        # or the width did (the height was laid out for the old text at the new width)
        rows = (self._rows_of(text), self.content_size.width)
        self.update(text, layout=old is None or rows != self._rows)
        self._rows = rows

    def _rows_of(self, text: Text) -> int:
        """Rows the text takes at this width: its lines, and those a long value wraps."""
        width = self.content_size.width
        lines = text.plain.split("\n")
        if width <= 0 or all(cell_len(line) <= width for line in lines):
            return len(lines)
        return len(text.wrap(self.app.console, width))  # as the bar will wrap it


class ViewBar(TextBar):
    """One line: the views (current one highlighted), hosts by status, the clock."""

    DEFAULT_CSS = """
    ViewBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    ViewBar > .view-bar--current {
        background: $primary;
        color: $background;
        text-style: bold;
    }
    ViewBar > .view-bar--brand {
        color: $primary;
        text-style: bold;
    }
    ViewBar > .view-bar--read-only {
        background: $warning;
        color: $background;
        text-style: bold;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"view-bar--current", "view-bar--brand",
                                             "view-bar--read-only"}

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def update_bar(self, store: FleetStore, palette: Palette, now: float,
                   read_only: bool = False) -> None:
        current = self.get_component_rich_style("view-bar--current")
        brand = self.get_component_rich_style("view-bar--brand")
        text = Text(" xltop ", style=brand, end="", no_wrap=True, overflow="ellipsis")
        if read_only:
            text.append(" READ-ONLY ", style=self.get_component_rich_style("view-bar--read-only"))
            text.append(" ")
        keymap: dict[str, str] = getattr(self.app, "_keymap", None) or {}
        for spec in VIEWS:
            style = current if spec.id == self.current else Style()
            link = Style(meta={"@click": f"app.show_view({spec.id!r})"})
            key = keys_of(keymap.get(f"view.{spec.id}", spec.key))[0]  # (rebound?)
            text.append(f" {key} {spec.title} ", style=style + link)
        by_status = store.hosts_by_status()
        text.append("   ")
        for status in ("ok", "stale", "unreachable", "error", "waiting"):
            n = by_status.get(status, 0)
            if n or status in ("ok", "unreachable"):
                text.append(f"{STATUS_SYMBOLS[status]}{n} ", style=palette.status.get(status, ""))
        text.append(f"  {time.strftime('%H:%M:%S', time.localtime(now))}")
        self.show(text)


class StoreView(Screen[None]):
    """A top-level view that renders from the app's store while it is on top."""

    VIEW_ID: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._synced_version = -1
        self.syncs = 0  # renders from the store (tests check hidden views stay at rest)
        self.ready = False  # mounted: widgets can be queried (is_mounted is False in on_mount)

    @property
    def dash(self) -> Dashboard:
        return cast("Dashboard", self.app)

    def compose(self) -> ComposeResult:
        yield ViewBar(self.VIEW_ID)
        yield from self.compose_view()
        yield StableFooter()

    def compose_view(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.ready = True
        self.view_mounted()
        self.sync(force=True)

    def view_mounted(self) -> None:
        """Set up after mount, before the first render (subclasses)."""

    def on_screen_resume(self) -> None:
        self.sync(force=True)

    def sync(self, force: bool = False) -> None:
        """Render from the store if it changed since the last render."""
        if not self.ready:
            return
        store = self.dash.store
        if not force and store.version == self._synced_version:
            return
        self._synced_version = store.version
        self.syncs += 1
        self.update_view()
        self.update_bar()

    def update_bar(self) -> None:
        self.query_one(ViewBar).update_bar(self.dash.store, self.dash.palette, self.dash.now(),
                                           self.dash.settings.read_only)

    def tick(self) -> None:
        """Once a second: refresh what depends on the clock only (ages, the clock)."""
        if self.ready:
            self.update_bar()

    def update_view(self) -> None:
        """Render the view from the store (subclasses)."""


class SortsByHeader:
    """Mixin for a view whose table sorts by a clicked header's column (the same one
    again reverses)."""

    sort_column: str | None

    def action_sort_by(self, column: str) -> None:
        raise NotImplementedError

    def action_reverse(self) -> None:
        raise NotImplementedError

    def on_keyed_table_header_clicked(self, event: KeyedTable.HeaderClicked) -> None:
        event.stop()
        if event.column == self.sort_column:
            self.action_reverse()
        else:
            self.action_sort_by(event.column)
