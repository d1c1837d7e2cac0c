"""The form of an action: its fields, live validation as the user types (errors next to the
field), the exact command and host it would run, then Enter to go on to the confirmation
(from a text field; on a list Enter opens the list, as Textual's Select does; Ctrl+S or the
Continue button go on from any field).

Validation is the control layer's (``ControlSeam.preview(record=False)``), debounced so a
slow host is asked once per pause in typing, never once per key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, RadioSet, Select, Static

from collectors.control.errors import ControlError, Problem, ValidationFailed
from collectors.control.seam import ControlSeam, Plan
from collectors.model import HostSnapshot
from tui.actions.specs import ActionSpec, Field, Option, Values
from tui.actions.target import Target
from tui.actions.text import command_text, problem_text, warning_text
from tui.text import safe_text
from tui.widgets.once_modal import OnceModal
from tui.widgets.ordered_input import OrderedInput
from tui.widgets.toggles import FormRadioSet, MarkedCheckbox, MarkedRadioButton

DEBOUNCE_S = 0.3

SnapshotFn = Callable[[], HostSnapshot | None]


class ActionForm(OnceModal[Plan | None]):
    """Dismissed with the validated plan, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Continue", id="form.submit"),
    ]

    DEFAULT_CSS = """
    ActionForm {
        align: center middle;
    }
    ActionForm > VerticalScroll {
        width: 90;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        background: $surface;
        border: round $primary;
        border-title-color: $primary;
        padding: 0 1;
    }
    ActionForm #form-info {
        color: $text-muted;
    }
    ActionForm Label {
        margin-top: 1;
        color: $text-muted;
    }
    ActionForm .field-error, ActionForm #form-errors {
        color: $error;
        height: auto;
    }
    ActionForm .-empty {
        display: none;
    }
    ActionForm Checkbox {
        margin-top: 1;
    }
    ActionForm #form-command {
        margin-top: 1;
        background: $boost;
        height: auto;
    }
    ActionForm #form-warnings {
        color: $warning;
        height: auto;
    }
    ActionForm Horizontal {
        height: auto;
        margin-top: 1;
    }
    ActionForm Button {
        margin-right: 2;
    }
    """

    def __init__(self, spec: ActionSpec, target: Target, seam: ControlSeam,
                 snapshot: SnapshotFn, header: Text) -> None:
        super().__init__()
        self.spec = spec
        self.target = target
        self.seam = seam
        self.snapshot = snapshot
        self.header = header
        self.fields = spec.fields(target)
        self.defaults = spec.defaults(target)
        self._info = spec.info(target) if spec.info is not None else ""  # (context line)
        self.plan: Plan | None = None  # the plan of the current values, when valid
        self.problems: tuple[Problem, ...] = ()
        self.validations = 0  # completed validations (tests wait on it)
        self.choices_loaded = not any(f.facts for f in self.fields)
        self.facts_error: str | None = None  # the host could not list the choices
        self.live_info_loaded = False
        self._timer: Timer | None = None
        self._submitting = False
        # an empty field's problem ("… is required") waits until it was typed into or the
        # form was submitted: a fresh form is not a page of errors
        self._typed: set[str] = set()
        self._tried = False

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        box = VerticalScroll(id="form-box")
        box.border_title = self.spec.title
        with box:
            yield Static(self.header, classes="form-header")
            info = self._info
            if info or self.spec.live_info is not None:
                yield Static(Text(info), id="form-info")
            for f in self.fields:
                if f.kind != "check":
                    yield Label(f.label)
                yield from self._widgets(f)
                yield Static("", id=f"error-{f.name}", classes="field-error -empty")
            yield Static("", id="form-errors", classes="-empty")
            yield Static(Text("checking…", style="dim"), id="form-command")
            yield Static("", id="form-warnings", classes="-empty")
            with Horizontal():
                yield Button("Continue ⏎", id="form-submit", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="form-cancel", compact=True)

    def _widgets(self, f: Field) -> ComposeResult:
        default = self.defaults.get(f.name)
        wid = f"field-{f.name}"
        if f.kind == "check":
            yield MarkedCheckbox(f.label, value=default is True, id=wid, compact=True)
        elif f.kind == "radio":
            chosen = default if isinstance(default, str) else f.options[0][1]
            with FormRadioSet(id=wid, compact=True):
                for label, value in f.options:
                    yield MarkedRadioButton(Text(label), value=value == chosen)
        elif f.kind == "select":
            yield self._select(f, default)
        else:
            yield OrderedInput(default if isinstance(default, str) else "",
                               placeholder=f.placeholder, id=wid, compact=True)
            if f.kind == "path" and f.options:  # choices known up front (the fleet's hosts)
                yield Select[str](_options(f.options),
                                  prompt=f"pick one of {len(f.options)} fleet host(s)",
                                  id=f"pick-{f.name}", compact=True)
            elif f.kind == "path" and f.facts is not None:
                yield Select[str]([], prompt="loading files found on the host…",
                                  id=f"pick-{f.name}", compact=True)

    def _select(self, f: Field, default: object) -> Select[str]:
        if f.facts is not None:  # filled once the host answered
            return Select[str]([], prompt="loading…", id=f"field-{f.name}", compact=True)
        values = [v for _, v in f.options]
        value = default if isinstance(default, str) and default in values else values[0]
        return Select[str](_options(f.options), allow_blank=False, value=value,
                            id=f"field-{f.name}", compact=True)

    def on_mount(self) -> None:
        first = next((w for w in self.query("Input, Select, RadioSet, Checkbox")
                      if w.focusable), None)
        if first is not None:
            first.focus()
        if not self.choices_loaded:
            self.run_worker(self._load_choices(), group="choices", exit_on_error=False)
        if self.spec.live_info is not None:
            self.run_worker(self._load_live_info(), group="live-info", exit_on_error=False)
        if self.spec.live_defaults is not None:  # validated once they are in
            self.run_worker(self._load_live_defaults(), group="live-defaults",
                            exit_on_error=False)
        else:
            self._schedule(0.0)

    async def _load_live_defaults(self) -> None:
        """Defaults the host knows better (its save directory) into fields not typed into."""
        assert self.spec.live_defaults is not None
        try:
            better = await self.spec.live_defaults(self.target, self.seam.facts())
        except ControlError:
            better = {}  # (the static defaults stand)
        for name, value in better.items():
            widget = self.query_one(f"#field-{name}")
            if (name not in self._typed and isinstance(widget, Input) and isinstance(value, str)
                    and widget.value == self.defaults.get(name)):
                with widget.prevent(Input.Changed):
                    widget.value = value
        self._schedule(0.0)

    async def _load_live_info(self) -> None:
        """What the host says the domain has now, under the form's line of context."""
        assert self.spec.live_info is not None
        try:
            now = await self.spec.live_info(self.target, self.seam.facts())
        except ControlError:
            now = None  # (the form works without it)
        if now:
            base = self._info
            self.query_one("#form-info", Static).update(Text(f"{base}\n{now}" if base else now))
        self.live_info_loaded = True

    # --- values ---------------------------------------------------------------------------

    def values(self) -> Values:
        out: Values = {}
        for f in self.fields:
            wid = f"#field-{f.name}"
            if f.kind == "check":
                out[f.name] = self.query_one(wid, Checkbox).value
            elif f.kind == "radio":
                index = self.query_one(wid, RadioSet).pressed_index
                out[f.name] = f.options[index][1] if 0 <= index < len(f.options) else ""
            elif f.kind == "select":
                value = self.query_one(wid, Select).value
                out[f.name] = value if isinstance(value, str) else ""
            else:
                out[f.name] = self.query_one(wid, Input).value
        return out

    async def _load_choices(self) -> None:
        facts = self.seam.facts()
        try:
            for f in self.fields:
                if f.facts is None:
                    continue
                found: tuple[str, ...] = await getattr(facts, f.facts)()
                self._fill(f, found)
        except ControlError as e:
            self.facts_error = e.message
        finally:
            self.choices_loaded = True
            self._schedule(0.0)

    def _fill(self, f: Field, found: tuple[str, ...]) -> None:
        if f.kind == "path":
            pick = self.query_one(f"#pick-{f.name}", Select)
            pick.set_options(_options(tuple((p, p) for p in found)))
            pick.prompt = (f"pick one of {len(found)} file(s) found on the host" if found
                           else "no file found on the host: type the path")
            return
        select = self.query_one(f"#field-{f.name}", Select)
        select.set_options(_options(tuple((v, v) for v in found)))
        select.prompt = "pick one" if found else "none found on the host"
        default = self.defaults.get(f.name)
        choice = default if isinstance(default, str) and default in found else (
            found[0] if found else None)
        if choice is not None:
            select.value = choice

    # --- live validation ------------------------------------------------------------------

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Checkbox.Changed | RadioSet.Changed
                 | Select.Changed) -> None:
        widget_id = event.control.id or ""
        if isinstance(event, Input.Changed) and widget_id.startswith("field-"):
            name = widget_id.removeprefix("field-")
            if event.value:
                self._typed.add(name)
            for pick in self.query(f"#pick-{name}").results(Select):
                if not pick.is_blank() and pick.value != event.value:  # typed past the pick
                    with pick.prevent(Select.Changed):
                        pick.clear()
        if widget_id.startswith("pick-") and isinstance(event, Select.Changed):
            if isinstance(event.value, str):
                self.query_one(f"#field-{widget_id[5:]}", Input).value = event.value
            return
        self._schedule(DEBOUNCE_S)

    def _schedule(self, delay: float) -> None:
        self.plan = None
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(delay, 0.001), self._validate_later)

    def _validate_later(self) -> None:
        self._timer = None
        self.run_worker(self._check(record=False), group="validate", exclusive=True,
                        exit_on_error=False)

    async def _check(self, *, record: bool) -> Plan | None:
        """Validate the current values; show the command or the problems."""
        values = self.values()
        plan: Plan | None = None
        problems: list[Problem] = []
        try:
            req = self.spec.build(self.target, values)
            snap = self.snapshot()
            if snap is None:
                raise ValidationFailed.one(f"no data from {self.target.host} yet: wait a poll")
            try:
                plan = await self.seam.preview(req, snap, record=record)
            except ValidationFailed as e:
                problems += e.problems
            if problems:
                plan = None
                raise ValidationFailed(problems)
        except ValidationFailed as e:
            self._show(None, e.problems)
            return None
        except ControlError as e:
            self._show(None, (Problem(None, e.message),))
            return None
        self._show(plan, ())
        return plan

    def _show(self, plan: Plan | None, problems: tuple[Problem, ...]) -> None:
        self.plan = plan
        self.problems = problems
        self.validations += 1
        by_field: dict[str, list[str]] = {f.name: [] for f in self.fields}
        general: list[str] = [self.facts_error] if self.facts_error else []
        for p in problems:
            home = next((f.name for f in self.fields if p.field == f.name or p.field in f.also),
                        None)
            (by_field[home] if home is not None else general).append(p.message)
        values = self.values()
        waiting = 0
        for name, messages in by_field.items():
            if messages and not self._tried and name not in self._typed and not values.get(name):
                waiting += len(messages)
                messages = []
            _set(self.query_one(f"#error-{name}", Static), problem_text(*messages))
        _set(self.query_one("#form-errors", Static), problem_text(*general))
        command = self.query_one("#form-command", Static)
        warnings = self.query_one("#form-warnings", Static)
        if plan is None:
            shown = len(problems) > waiting or general
            command.update(Text("fix the problems above to see the command" if shown
                                else "fill in the fields above to see the command", style="dim"))
            _set(warnings, Text())
            return
        command.update(command_text(plan))
        # what will ask for the name to be typed is said now, not only on the next screen
        _set(warnings, warning_text((*plan.warnings, *plan.reasons)))

    # --- submit / cancel --------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#form-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_submit(self) -> None:
        if self._submitting:
            return
        self._submitting = True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.run_worker(self._submit(), group="validate", exclusive=True, exit_on_error=False)

    async def _submit(self) -> None:
        self._tried = True
        try:
            plan = await self._check(record=True)  # journaled when invalid
        finally:
            self._submitting = False
        if plan is not None:
            self.dismiss(plan)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _set(widget: Static, text: Text) -> None:
    """Show ``text``, or hide the widget when there is nothing to show."""
    widget.update(text)
    widget.set_class(not text.plain, "-empty")


def _options(options: tuple[Option, ...]) -> list[tuple[Text, str]]:
    """Select options with labels that show untrusted text literally."""
    return [(safe_text(label), value) for label, value in options]
