"""Console attach from the dashboard: the TUI hands the terminal over (``App.suspend()``),
:func:`collectors.console.attach_console` bridges it raw to ``xl console`` on the host's
PTY (local or over SSH; sizes and resizes forwarded) until Ctrl-], then the TUI comes back
on the same row and asks its host for a fresh snapshot.

Repaints are held (``batch_update``) while suspended: the dashboard keeps polling, but
nothing may be written over the console.
"""

from __future__ import annotations

import contextlib
import os
import time
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported

from collectors.console import ConsoleOutcome, attach_console, domain_alive
from collectors.control.errors import ControlError
from collectors.control.requests import Console
from collectors.control.seam import Plan
from collectors.transport.base import Runner, TransportError
from collectors.transport.pty import PtyRunner
from tui.actions.target import Target
from tui.text import visible

if TYPE_CHECKING:
    from tui.actions.app_actions import ActionsApp

_SEVERITY = {"detached": "information", "ended": "information", "in-use": "warning",
             "no-console": "warning", "domain-gone": "warning"}


async def attach_flow(app: ActionsApp, t: Target) -> ConsoleOutcome | None:
    seam = app.seam_for(t.host)
    title = f"console of {t.name} on {t.host}"
    if seam is None:
        app.say("error", title, f"no connection to {t.host}")
        return None
    snap = app.store.host(t.host)
    try:
        if snap is None:
            raise ControlError(f"no data from {t.host} yet: wait a poll")
        plan = await seam.preview(Console(t.host, t.ref), snap)
    except ControlError as e:
        app.say("error", title, e.message)
        return None
    runner = seam.runner
    started = time.monotonic()
    if not isinstance(runner, PtyRunner):
        outcome = ConsoleOutcome("failed", f"{t.host}: this transport cannot open a terminal")
    else:
        outcome = await _attach(app, runner, plan, _quiet_hint(t))
    await seam.record(plan, "ok" if outcome.ok else "failed", outcome.message,
                      exit_code=outcome.exit_code, duration_s=time.monotonic() - started)
    app.console_outcomes.append(outcome)
    app.say(_SEVERITY.get(outcome.kind, "error"), title, outcome.message)
    app.refresh_host(t.host)  # the TUI comes back to a fresh snapshot
    return outcome


def _quiet_hint(t: Target) -> str | None:
    """Why the console may well stay silent: the domain is not running its kernel."""
    d = t.domain
    if d is None:
        return None
    st = d.state
    what = ("dying" if st.dying else "crashed" if st.crashed else "shut down" if st.shutdown
            else "paused" if st.paused else None)
    return f"{t.name} is {what}: its console may stay silent" if what else None


async def _attach(app: ActionsApp, runner: PtyRunner, plan: Plan,
                  hint: str | None = None) -> ConsoleOutcome:
    alive = partial(domain_alive, runner, plan.argv[-1]) if isinstance(runner, Runner) else None
    try:
        with app.batch_update(), app.suspend():
            _banner(plan, hint)
            return await attach_console(runner, plan.argv, alive=alive)
    except SuspendNotSupported:
        return ConsoleOutcome("failed", "no terminal to hand over: run xltop in a terminal "
                              "to attach a console")
    except TransportError as e:
        return ConsoleOutcome("connection-lost", f"connection dropped: {e.message}")


def _banner(plan: Plan, hint: str | None = None) -> None:
    # a clear screen first: what the last console printed must not pass for this one's
    line = (f"\x1b[H\x1b[2J\x1b[3Jxltop: console of {visible(plan.target)} on "
            f"{visible(plan.host)} ({visible(plan.display)}); Ctrl-] detaches\r\n")
    if hint:
        line += f"xltop: {visible(hint)}\r\n"
    with contextlib.suppress(OSError):  # no terminal on stdout: the bridge will say so
        os.write(1, line.encode("utf-8", "replace"))

