"""Helpers for the action tests: a runner that records what reached the host, and Pilot
steps (select a domain, open an action, fill its form, confirm, wait for the next poll)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Select

from collectors.model import Domain, HostSnapshot
from collectors.transport.base import CommandResult, LineStream, Runner
from tui.actions.confirm import ConfirmScreen
from tui.actions.form import ActionForm
from tui.app import XlTopApp
from tui.views.domains import DomainsScreen


class Recorder:
    """Wraps a runner; records every argv sent to the host (run, batch, stream, PTY)."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.sent: list[tuple[str, ...]] = []
        self._held: dict[str, asyncio.Event] = {}

    def hold(self, verb: str) -> asyncio.Event:
        """Hold every ``xl VERB`` before it reaches the host until the event is set: an
        action still running when the test looks, however slow the machine is."""
        self._held[verb] = gate = asyncio.Event()
        return gate

    async def _pass(self, argv: Sequence[str]) -> None:
        self.sent.append(tuple(argv))
        xl = _xl_part(tuple(argv))
        gate = self._held.get(xl[1]) if len(xl) > 1 else None
        if gate is not None:
            await gate.wait()

    @property
    def host(self) -> str:
        return self.inner.host

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        await self._pass(argv)
        return await self.inner.run(argv, timeout=timeout, input=input)

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        self.sent.extend(tuple(a) for a in argvs)
        return await self.inner.run_batch(argvs, timeout=timeout)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        await self._pass(argv)
        return await self.inner.stream(argv)

    async def open_pty(self, argv: Sequence[str], *, term: str, cols: int, rows: int) -> Any:
        self.sent.append(tuple(argv))
        return await self.inner.open_pty(argv, term=term, cols=cols,  # type: ignore[attr-defined]
                                         rows=rows)

    async def close(self) -> None:
        await self.inner.close()

    def xl(self, verb: str) -> list[tuple[str, ...]]:
        """Actions sent: xl VERB ..."""
        return [xl for xl in map(_xl_part, self.sent) if xl[1:2] == (verb,)]


def _xl_part(argv: tuple[str, ...]) -> tuple[str, ...]:
    """``xl VERB ...`` of an argv (also inside the stderr-merging wrapper of long ones)."""
    return argv[argv.index("xl"):] if "xl" in argv else ()


async def wait_until(pilot: Pilot[Any], cond: Callable[[], object], timeout: float = 20.0,
                     what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"{what}: not met within {timeout} s")
        await pilot.pause(0.05)


def snap(app: XlTopApp, host: str) -> HostSnapshot:
    s = app.store.host(host)
    assert s is not None
    return s


def dom(app: XlTopApp, host: str, name: str) -> Domain | None:
    return snap(app, host).domain(name)


S = TypeVar("S", bound=Screen[Any])


def top(app: XlTopApp, cls: type[S]) -> S:
    """The screen on top, which must be a ``cls``."""
    screen = app.screen
    assert isinstance(screen, cls), screen
    return screen


def choices(form: ActionForm, widget_id: str) -> list[str]:
    """The values a form's select offers (its blank choice left out)."""
    select: Select[str] = form.query_one(f"#{widget_id}", Select)
    return [v for _, v in select._options if isinstance(v, str)]


def pick(form: ActionForm, widget_id: str, value: str) -> None:
    form.query_one(f"#{widget_id}", Select).value = value


def value(app: XlTopApp, host: str, name: str, attr: str) -> object:
    """``attr`` (dotted) of the domain in the newest snapshot; None when it is not there."""
    found: object = dom(app, host, name)
    for part in attr.split("."):
        found = getattr(found, part, None)
    return found


async def select_domain(pilot: Pilot[Any], app: XlTopApp, host: str, name: str) -> None:
    await wait_until(pilot, lambda: app.store.host(host) is not None
                     and dom(app, host, name) is not None, what=f"{name} polled")
    if not isinstance(app.screen, DomainsScreen):
        app.show_view("domains")
        await pilot.pause()
    app.jump_to_domain((host, name, None))
    await wait_until(pilot, lambda: (d := app.selected_domain()) is not None
                     and d.name == name and d.host == host, what=f"cursor on {name}")


async def open_form(pilot: Pilot[Any], app: XlTopApp, key: str) -> ActionForm:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, ActionForm), what="form shown")
    form = app.screen
    assert isinstance(form, ActionForm)
    await settled(pilot, form, after=0)  # its first validation
    return form


async def settled(pilot: Pilot[Any], form: ActionForm, after: int | None = None) -> None:
    """Wait until the form's live validation caught up with what was typed."""
    start = form.validations if after is None else after
    await wait_until(pilot, lambda: form.choices_loaded and form._timer is None
                     and form.validations > start
                     and not any(w.group == "validate" and not w.is_finished
                                 for w in form.workers), what="validation")


async def fill(pilot: Pilot[Any], form: ActionForm, **values: str | bool) -> None:
    """Set fields as the user would (Changed events, debounced validation), then wait."""
    before = form.validations
    if all(form.values().get(k) == v for k, v in values.items()):
        return  # nothing changes: no new validation
    for name, value in values.items():
        widget = form.query_one(f"#field-{name}")
        if isinstance(widget, Input):
            assert isinstance(value, str)
            widget.value = value
        elif isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = value
        elif isinstance(widget, RadioSet):
            field = next(f for f in form.fields if f.name == name)
            index = [v for _, v in field.options].index(str(value))
            list(widget.query(RadioButton))[index].value = True
        await pilot.pause()
    await settled(pilot, form, before)


async def submit(pilot: Pilot[Any], app: XlTopApp, form: ActionForm) -> ConfirmScreen:
    """Enter in a text field (as a user goes on), else the Continue button (Enter on a
    list opens the list)."""
    if isinstance(form.focused, Input):
        await pilot.press("enter")
    else:
        form.query_one("#form-submit", Button).press()
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return screen


async def answer(pilot: Pilot[Any], screen: ConfirmScreen, typed: str | None) -> None:
    """y, or ``typed`` typed into the confirmation's field and Enter."""
    if typed is None:
        await pilot.press("y")
    else:
        field = screen.query_one("#confirm-input", Input)
        field.focus()
        field.value = typed
        await pilot.press("enter")


async def confirm(pilot: Pilot[Any], app: XlTopApp, typed: str | None = None) -> None:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    n = len(app.notes)
    await answer(pilot, screen, typed)
    if typed is None or typed == screen.plan.confirm_text:
        await wait_until(pilot, lambda: len(app.notes) > n and app.notes[-1].result
                         is not None, timeout=30, what="action result")


def seq(app: XlTopApp, host: str) -> int:
    return snap(app, host).seq


async def next_poll(pilot: Pilot[Any], app: XlTopApp, host: str, cond: Callable[[], object],
                    what: str) -> None:
    """Wait for a snapshot showing what the action did (no optimistic edits: only polls)."""
    await wait_until(pilot, cond, timeout=30, what=what)
