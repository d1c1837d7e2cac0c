"""One action on every marked domain (Domains view, space marks): pause/unpause, shut
down, reboot or destroy, as k9s acts on its marked rows.

Each domain gets its own validated plan from its host's seam, as a single action would; the
confirmation lists every exact command with its host and target, and what will not be sent
and why. Where any plan needs a typed name (destroy, a production host), the user types the
verb and the count instead ("destroy 3"). Hosts run their commands concurrently, each
host's one after another; every attempt is journaled by its seam, and one notification
sums the results up (the action log, L, keeps each).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from collectors.control.errors import ControlError
from collectors.control.policy import Confirmation
from collectors.control.seam import ActionResult, Plan
from collectors.model import Domain
from tui.actions.confirm import ConfirmScreen
from tui.actions.running import Note, result_severity, result_title
from tui.actions.specs import ActionSpec
from tui.actions.target import Target
from tui.actions.text import warning_text
from tui.format import plural
from tui.text import safe_text

if TYPE_CHECKING:
    from tui.actions.app_actions import ActionsApp

BULK_SPECS = frozenset({"pause", "shutdown", "reboot", "destroy"})


@dataclass(frozen=True, slots=True)
class Skipped:
    domain: Domain
    why: str


def who(d: Domain) -> str:
    return f"{d.name} on {d.host}"


class BulkConfirmScreen(ConfirmScreen):
    """The plans of a bulk action, what is skipped, and the confirmation."""

    DEFAULT_CSS = """
    BulkConfirmScreen #bulk-commands {
        height: auto;
        max-height: 14;
        background: $boost;
        margin: 1 0;
    }
    BulkConfirmScreen #bulk-commands > #confirm-command {
        margin: 0;
    }
    """

    def __init__(self, plans: Sequence[Plan], skipped: Sequence[Skipped]) -> None:
        super().__init__(plans[0])
        self.plans = tuple(plans)
        self.skipped = tuple(skipped)
        self.typed_name = any(p.confirmation == Confirmation.TYPED_NAME for p in plans)
        self.confirm_text = f"{plans[0].verb} {len(plans)}"

    def box_title(self) -> str:
        verbs = sorted({p.verb for p in self.plans})
        n = len(self.plans)
        return f"Run {'/'.join(verbs)} on {plural(n, 'domain')}?"

    def details(self) -> ComposeResult:
        lines = Text(end="")
        for i, p in enumerate(self.plans):
            if i:
                lines.append("\n")
            lines.append("$ ")
            lines.append_text(safe_text(p.display, style="bold"))
            lines.append("   # ")
            lines.append_text(safe_text(f"{p.target} on {p.host}"))
        with VerticalScroll(id="bulk-commands"):
            yield Static(lines, id="confirm-command")
        notes = [f"{p.target} on {p.host}: {w}" for p in self.plans for w in p.warnings]
        notes += [f"not sent to {who(s.domain)}: {s.why}" for s in self.skipped]
        if notes:
            yield Static(warning_text(notes), id="confirm-warnings")
        if self.typed_name:
            reasons = sorted({r for p in self.plans for r in p.reasons})
            yield Static(warning_text(reasons), id="confirm-reasons")


class BulkFlow:
    def __init__(self, app: ActionsApp, spec: ActionSpec, domains: Sequence[Domain]) -> None:
        self.app = app
        self.spec = spec
        self.domains = tuple(domains)

    async def run(self) -> None:
        app, spec = self.app, self.spec
        plans, skipped = await self._plans()
        if not plans:
            app.say("warning", f"{spec.footer}: nothing to send",
                    _by_reason(skipped) or "no domain marked")
            return
        confirmed = await app.push_screen_wait(BulkConfirmScreen(plans, skipped))
        app.opened(self)
        if confirmed is None:
            for plan in plans:
                seam = app.seam_for(plan.host)
                if seam is not None:
                    await seam.record(plan, "refused", "cancelled at the confirmation")
            app.say("information", f"{spec.footer} cancelled", "nothing was sent")
            return
        by_host: dict[str, list[Plan]] = {}
        for plan in plans:
            by_host.setdefault(plan.host, []).append(plan)
        done = await asyncio.gather(*(self._run_host(ps) for ps in by_host.values()))
        self._report([r for results in done for r in results], skipped)

    def _direction(self) -> bool:
        """For pause: True unpauses (every marked guest is paused), else pauses. Domain-0,
        which xl never pauses, has no say."""
        guests = [d for d in self.domains if d.domid != 0 and not d.state.dying]
        return bool(guests) and all(d.state.paused for d in guests)

    async def _plans(self) -> tuple[list[Plan], list[Skipped]]:
        app, spec = self.app, self.spec
        unpause = spec.id == "pause" and self._direction()
        plans: list[Plan] = []
        skipped: list[Skipped] = []
        for d in self.domains:
            seam = app.seam_for(d.host)
            snap = app.store.host(d.host)
            t = Target(d.host, d, snap)
            if seam is None or snap is None:
                skipped.append(Skipped(d, f"no connection to {d.host}"))
                continue
            if d.state.dying and spec.id != "destroy":  # (xl acts on none of it)
                skipped.append(Skipped(d, "being destroyed (dying)"))
                continue
            if spec.id == "pause" and d.state.paused != unpause:
                skipped.append(Skipped(d, "already paused" if d.state.paused
                                       else "not paused (unpause acts when all are)"))
                continue
            busy = app.busy_with(t)
            if busy is not None:
                skipped.append(Skipped(d, f"a {busy} is still running"))
                continue
            why = spec.why_unfit(t)
            if why is not None:
                skipped.append(Skipped(d, why))
                continue
            try:
                plans.append(await seam.preview(spec.build(t, {}), snap))
            except ControlError as e:
                skipped.append(Skipped(d, e.message))
        return plans, skipped

    async def _run_host(self, plans: Sequence[Plan]) -> list[ActionResult]:
        out: list[ActionResult] = []
        for plan in plans:
            seam = self.app.seam_for(plan.host)
            if seam is None:
                continue
            # the user typed "<verb> <count>" for all of them: each plan's own name is
            # what its seam checks
            typed = plan.confirm_text if plan.confirmation == Confirmation.TYPED_NAME else None
            result = await self.app.execute_plan(seam, plan, typed, report=False)
            if result is not None:
                out.append(result)
        return out

    def _report(self, results: Sequence[ActionResult], skipped: Sequence[Skipped]) -> None:
        app = self.app
        counts: dict[str, int] = {}
        for r in results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
            app.notes.append(Note(result_severity(r), result_title(r), r.message, r))
        lines = [f"{r.target} on {r.host}: {r.outcome}: {_first_line(r.message)}"
                 for r in results if not r.ok]
        lines += [f"not sent to {who(s.domain)}: {s.why}" for s in skipped]
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        verbs = "/".join(sorted({r.verb for r in results})) or self.spec.footer
        worst = ("error" if any(r.outcome == "failed" for r in results)
                 else "information" if all(r.ok for r in results) else "warning")
        app.say(worst, f"{verbs} on {len(results)} domains: {summary}",
                "\n".join(lines) if lines else "every command succeeded")


def _by_reason(skipped: Sequence[Skipped], most: int = 5) -> str:
    """One line per reason, naming its first domains and counting the others (read-only
    with 30 marked: one line, not the first 5 with the same sentence each)."""
    names: dict[str, list[str]] = {}
    for s in skipped:
        names.setdefault(s.why, []).append(who(s.domain))
    return "\n".join(
        f"{why}: {', '.join(ns[:most])}" + (f" and {len(ns) - most} more" if len(ns) > most
                                           else "")
        for why, ns in names.items())


def _first_line(message: str) -> str:
    return next((ln for ln in message.splitlines() if ln.strip()), message)
