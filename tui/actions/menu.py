"""The action menu (``a``): every action on the selected domain with its key, for users who
do not remember them all. The key shown picks the action from the menu too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.scalar import Scalar
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.actions.specs import ActionSpec
from tui.widgets.once_modal import OnceModal


class _Options(OptionList):
    def on_resize(self) -> None:
        self.scroll_to_highlight()  # made shorter (a hint shown under it): keep it in sight


class ActionMenu(OnceModal[str | None]):
    """Dismissed with the chosen action's id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="menu.cancel"),
    ]

    DEFAULT_CSS = """
    ActionMenu {
        align: center middle;
    }
    ActionMenu > Vertical {
        width: 70;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        background: $surface;
        border: round $primary;
        border-title-color: $primary;
        padding: 0 1;
    }
    ActionMenu OptionList {
        height: auto;
        max-height: 30;
    }
    ActionMenu #menu-hint {
        color: $warning;
        display: none;
    }
    """

    def __init__(self, header: Text, specs: Sequence[tuple[ActionSpec, bool]],
                 keys: Mapping[str, str], hotkeys: Mapping[str, str] | None = None,
                 why: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.header = header
        self.specs = specs  # (spec, enabled)
        self.keys = keys  # spec id → the key shown
        self.hotkeys = dict(hotkeys or {})  # key name (as Textual names it) → spec id
        self.why = dict(why or {})  # spec id → why it is greyed out (a CD on a PV guest)

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Actions"
        with box:
            yield Static(self.header)
            options = []
            for spec, enabled in self.specs:
                label = Text(f"{self.keys.get(spec.id, spec.key):>6}  ", style="bold", end="")
                label.append(spec.title)
                options.append(Option(label, id=spec.id, disabled=not enabled))
            yield _Options(*options, id="menu-options")
            yield Static("", id="menu-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """The list gets the rows the box has left (it scrolls in them): on a short terminal
        (80x24) the box would otherwise cut its last actions and the hint under it off,
        with the highlight moving out of sight."""
        box = self.query_one(Vertical)
        options = self.query_one(OptionList)
        width = box.content_region.width
        room = int(self.size.height * 0.9) - box.styles.gutter.height
        for child in box.children:
            if child is not options and child.display:  # the header, the hint once shown
                room -= child.get_content_height(self.size, self.size, width)
        rows = max(3, min(30, room))
        if options.styles.max_height != Scalar.from_number(rows):
            options.styles.max_height = rows

    def on_key(self, event: events.Key) -> None:
        spec_id = self.hotkeys.get(event.key)
        if spec_id is None:  # not an action's key: the option list's own (arrows, enter)
            return
        found = next(((spec, ok) for spec, ok in self.specs if spec.id == spec_id), None)
        if found is None:
            return
        event.stop()
        event.prevent_default()
        spec, enabled = found
        if enabled:
            self.dismiss(spec.id)
        else:
            hint = self.query_one("#menu-hint", Static)
            hint.update(f"{spec.title}: "
                        f"{self.why.get(spec.id) or 'not available for this domain'}")
            hint.display = True
            self.call_after_refresh(self._fit)  # its lines come out of the list's

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
