"""The confirmation before anything runs: the exact command, the host, the target, the
policy's reasons and warnings; y/Enter to run, or the domain's name typed when the policy
asks for it (destroy, save without -c, a big mem-set cut, production hosts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from collectors.control.policy import Confirmation
from collectors.control.seam import Plan
from tui.actions.text import command_text, problem_text, warning_text
from tui.text import safe_text
from tui.widgets.ordered_input import OrderedInput
from tui.widgets.warning_modal import WarningModal


@dataclass(frozen=True, slots=True)
class Confirmed:
    typed: str | None  # what was typed for a typed-name confirmation


class ConfirmScreen(WarningModal[Confirmed | None]):
    """Dismissed with Confirmed, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen #confirm-command {
        background: $boost;
        margin: 1 0;
        height: auto;
    }
    ConfirmScreen #confirm-reasons, ConfirmScreen #confirm-warnings {
        color: $warning;
        height: auto;
    }
    ConfirmScreen #confirm-error {
        color: $error;
        height: auto;
    }
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan
        self.typed_name = plan.confirmation == Confirmation.TYPED_NAME
        self.confirm_text = plan.confirm_text or ""
        self.rejected = 0  # wrong names typed (tests)

    def box_title(self) -> str:
        return f"Run {self.plan.verb}?"

    def details(self) -> ComposeResult:
        """What would run, and what the user should know first."""
        plan = self.plan
        yield Static(command_text(plan), id="confirm-command")
        if plan.warnings:
            yield Static(warning_text(plan.warnings), id="confirm-warnings")
        if self.typed_name:
            yield Static(warning_text(plan.reasons), id="confirm-reasons")

    def compose(self) -> ComposeResult:
        box = Vertical(id="confirm-box")
        box.border_title = self.box_title()
        with box:
            yield from self.details()
            if self.typed_name:
                prompt = Text("Type ", end="")
                prompt.append_text(safe_text(self.confirm_text, style="bold"))
                prompt.append(" to confirm:")
                yield Static(prompt, id="confirm-prompt")
                yield OrderedInput(placeholder="type it here", id="confirm-input", compact=True)
                yield Static("", id="confirm-error")
            else:
                yield Static("y or Enter runs it; n or Esc cancels.", id="confirm-prompt")
            with Horizontal():
                yield Button("Run", id="confirm-run", variant="error" if self.typed_name
                             else "primary", compact=True)
                yield Button("Cancel (Esc)", id="confirm-cancel", compact=True)

    def on_mount(self) -> None:
        target = "#confirm-input" if self.typed_name else "#confirm-run"
        self.query_one(target).focus()

    def on_key(self, event: events.Key) -> None:
        if self.typed_name:
            return  # letters are typed into the name
        if event.key == "y":
            event.stop()
            self._run(None)
        elif event.key == "n":
            event.stop()
            self.action_cancel()

    @on(Input.Submitted, "#confirm-input")
    def _typed(self, event: Input.Submitted) -> None:
        self._try(event.value)

    @on(Button.Pressed, "#confirm-run")
    def _run_pressed(self) -> None:
        if self.typed_name:
            self._try(self.query_one("#confirm-input", Input).value)
        else:
            self._run(None)

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _try(self, typed: str) -> None:
        if typed == self.confirm_text:
            self._run(typed)
            return
        self.rejected += 1
        self.query_one("#confirm-error", Static).update(problem_text(
            f'that is not "{self.confirm_text}": type it exactly, or Esc to cancel'))

    def _run(self, typed: str | None) -> None:
        self.dismiss(Confirmed(typed))

    def action_cancel(self) -> None:
        self.dismiss(None)
