"""Progress of a long action (a save or restore): xl's percentage and its last line. Escape
hides it and the action goes on in the background; its result is notified when done."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from collectors.control.outcome import Progress
from tui.actions.running import RunningAction
from tui.actions.text import command_text
from tui.text import safe_text
from tui.widgets.once_modal import OnceModal


class ProgressScreen(OnceModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "hide", "Run in background", id="progress.hide"),
    ]

    DEFAULT_CSS = """
    ProgressScreen {
        align: center middle;
    }
    ProgressScreen > Vertical {
        width: 90;
        max-width: 95%;
        height: auto;
        background: $surface;
        border: round $primary;
        border-title-color: $primary;
        padding: 0 1;
    }
    ProgressScreen #progress-command {
        background: $boost;
        margin-bottom: 1;
        height: auto;
    }
    ProgressScreen ProgressBar {
        margin-bottom: 1;
    }
    ProgressScreen #progress-hint {
        color: $text-muted;
    }
    """

    def __init__(self, running: RunningAction) -> None:
        super().__init__()
        self.running = running
        self.updates = 0

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = f"{self.running.plan.verb} running"
        with box:
            yield Static(command_text(self.running.plan), id="progress-command")
            yield ProgressBar(total=100, show_eta=False, id="progress-bar")
            yield Static("", id="progress-line")
            yield Static("Esc: go on in the background (the result is notified when done)",
                         id="progress-hint")

    def on_mount(self) -> None:
        self.show_progress()
        self.set_interval(0.5, self._tick)

    def _tick(self) -> None:
        if self.running.done:  # it ended while another screen was over this one
            if self.is_active:
                self.dismiss(None)
            return
        self.show_progress()

    def show_progress(self) -> None:
        """Show the running action's newest progress (called for every xl line)."""
        if not self.is_mounted or self not in self.app.screen_stack:
            return  # closed: its widgets may be going already
        r = self.running
        if r.percent is not None:
            self.query_one(ProgressBar).update(progress=r.percent)
        line = Text(f"{r.elapsed_s:.0f} s  ", end="")
        if r.last is not None:
            line.append_text(safe_text(r.last.line.strip()))
        self.query_one("#progress-line", Static).update(line)
        self.updates += 1

    def update_from(self, p: Progress) -> None:
        self.running.update(p)
        self.show_progress()

    def action_hide(self) -> None:
        self.dismiss(None)
