"""Quitting while actions run: xltop would stop waiting for them, and their ``xl`` with it
(a local one is killed, a remote one loses its channel), mid-save perhaps. So ``q`` asks
first, naming each one; y quits anyway, n, Esc or Enter stays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.actions.running import RunningAction
from tui.format import fmt_duration, plural
from tui.text import safe_text
from tui.widgets.warning_modal import WarningModal


class QuitScreen(WarningModal[bool]):
    """Dismissed with True to quit anyway, False to stay."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stay", "Stay", id="quit.stay"),
    ]

    DEFAULT_CSS = """
    QuitScreen #quit-running {
        background: $boost;
        margin: 1 0;
        height: auto;
    }
    QuitScreen #quit-why {
        color: $warning;
        height: auto;
    }
    """

    def __init__(self, running: Sequence[RunningAction]) -> None:
        super().__init__()
        self.running = tuple(running)

    def compose(self) -> ComposeResult:
        n = len(self.running)
        box = Vertical(id="quit-box")
        box.border_title = f"Quit with {plural(n, 'action')} still running?"
        with box:
            lines = Text(end="")
            for i, r in enumerate(self.running):
                if i:
                    lines.append("\n")
                lines.append("$ ")
                lines.append_text(safe_text(r.plan.display, style="bold"))
                lines.append_text(safe_text(f"   # {r.plan.target} on {r.plan.host}, "
                                            f"running for {fmt_duration(r.elapsed_s)}"))
            yield Static(lines, id="quit-running")
            yield Static(Text("xltop would stop waiting: xl may be cut off mid-way (a save "
                              "left half-written, its domain paused), and the journal would "
                              "only say the outcome is unknown."), id="quit-why")
            yield Static("y quits anyway; n, Esc or Enter stays (then L shows them running).",
                         id="quit-prompt")
            with Horizontal():
                yield Button("Quit anyway", id="quit-yes", variant="error", compact=True)
                yield Button("Stay (Esc)", id="quit-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#quit-no", Button).focus()  # (a stray Enter stays)

    def on_key(self, event: events.Key) -> None:
        if event.key == "y":
            event.stop()
            self.dismiss(True)
        elif event.key == "n":
            event.stop()
            self.action_stay()

    @on(Button.Pressed, "#quit-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#quit-no")
    def _no(self) -> None:
        self.action_stay()

    def action_stay(self) -> None:
        self.dismiss(False)
