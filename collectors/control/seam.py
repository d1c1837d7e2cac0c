"""The control seam: one call to preview an action, one to run it; results as data.

    seam = ControlSeam(runner, host_config, settings, Journal(), refresh=poller.refresh_now)
    plan = await seam.preview(Pause(host, "web1"), snapshot)   # raises ControlError
    # show plan.display, plan.host, plan.confirmation (typed name: plan.confirm_text)
    result = await seam.execute(plan, typed=answer, on_progress=show)

Nothing is sent before validation; read-only mode is refused here, before any runner
call. Every attempt (ok, failed, unknown, refused, invalid) is journaled. The model is
never edited optimistically: after an action the seam asks for a re-poll (``refresh``)
and the change shows in the next snapshot. A dropped connection gives outcome "unknown".
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from collectors.commands import MERGE_STDERR
from collectors.config import HostConfig, Settings
from collectors.control import outcome as oc
from collectors.control.argv import build_argv
from collectors.control.errors import ControlError, Refused
from collectors.control.facts import HostFacts
from collectors.control.policy import Confirmation, confirmation, refusal
from collectors.control.requests import LONG_VERBS, Console, Request, Shutdown
from collectors.control.validate import find_domain, validate
from collectors.journal import Journal, JournalEntry, stderr_tail
from collectors.model import Domain, HostId, HostSnapshot
from collectors.transport.base import Runner, TransportError

_KEPT_OUTPUT_CHARS = 1 << 20
"""Of a long action's streamed output, the tail kept for its message and the journal
(xl save prints a few progress lines; a runaway one must not fill the memory)."""
_log = logging.getLogger(__name__)

ProgressFn = Callable[[oc.Progress], object]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated action, ready to be confirmed and run."""

    request: Request
    host: HostId
    argv: tuple[str, ...]
    display: str  # the exact command line, shell-quoted
    target: str  # "web1 (domid 3)", or the file for create/restore
    confirmation: Confirmation
    confirm_text: str | None  # what to type when confirmation is TYPED_NAME
    reasons: tuple[str, ...]  # why a typed name is needed
    warnings: tuple[str, ...]
    long_running: bool  # streamed with progress, no command timeout
    domain: Domain | None

    @property
    def verb(self) -> str:
        return self.request.verb

    @property
    def prompt(self) -> str:
        """One line for a confirmation dialog."""
        return f"{self.display}   # {self.target} on {self.host}"


@dataclass(frozen=True, slots=True)
class ActionResult:
    host: HostId
    verb: str
    target: str
    argv: tuple[str, ...]
    exit_code: int | None  # None when it never ran or its end was not seen
    stdout: str
    stderr: str  # for long actions, xl's merged output (stderr and stdout)
    duration_s: float
    outcome: oc.Outcome
    message: str  # xl's own text verbatim on failure

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class ControlSeam:
    """Runs actions on one host through its runner."""

    def __init__(
        self,
        runner: Runner,
        host: HostConfig,
        settings: Settings,
        journal: Journal | None = None,
        *,
        refresh: Callable[[], None] | None = None,
        on_journal_error: Callable[[str], None] | None = None,
    ) -> None:
        self.runner = runner
        self.host = host
        self.settings = settings
        self.journal = journal
        self._refresh = refresh
        # told when an entry could not be written (else it is only logged)
        self._on_journal_error = on_journal_error
        self._busy: dict[str, str] = {}  # domain target → verb of the action in flight

    # --- public ---------------------------------------------------------------------

    def facts(self) -> HostFacts:
        """What forms offer to pick from: bridges, config files, checkpoint files."""
        return HostFacts(self.runner, timeout_s=self.settings.command_timeout_s)

    def refusal(self) -> str | None:
        """Why every action on this host is refused right now (read-only), or None."""
        return refusal(self.host, self.settings)

    async def preview(
        self, req: Request, snapshot: HostSnapshot, *, record: bool = True
    ) -> Plan:
        """Validate ``req`` and say exactly what would run. Raises ControlError (journaled
        unless ``record`` is false, e.g. for live form validation)."""
        try:
            if req.host != self.host.name:
                raise Refused(f"this seam controls {self.host.name}, not {req.host}")
            if (why := self.refusal()) is not None:
                raise Refused(why)
            checked = await validate(req, snapshot, self.facts())
        except ControlError as e:
            if record:
                await self._journal_refusal(req, e, snapshot)
            raise
        argv = build_argv(req, checked.target)
        rule = confirmation(checked, self.host)
        long_running = req.verb in LONG_VERBS or (isinstance(req, Shutdown) and req.wait)
        return Plan(
            request=req,
            host=self.host.name,
            argv=argv,
            display=shlex.join(argv),
            target=_target_label(req, checked.domain, checked.restores),
            confirmation=rule.kind,
            confirm_text=rule.confirm_text,
            reasons=rule.reasons,
            warnings=checked.warnings,
            long_running=long_running,
            domain=checked.domain,
        )

    async def execute(
        self, plan: Plan, *, typed: str | None = None, on_progress: ProgressFn | None = None
    ) -> ActionResult:
        """Run a confirmed plan. ``typed`` is what the user typed for a TYPED_NAME plan.

        Never raises for the host's answer: failures and lost connections are outcomes.
        """
        why = self._execute_refusal(plan, typed)
        if why is not None:
            result = self._result(plan, None, "", "", 0.0, "refused", why)
            await self._journal(plan, result)
            return result
        key = _busy_key(plan)
        if key is not None:
            self._busy[key] = plan.verb
        started = time.monotonic()
        output: collections.deque[str] = collections.deque()  # a stream's lines so far
        try:
            result = await self._run(plan, on_progress, output)
        except asyncio.CancelledError:  # (it ran this long, to an end nobody saw)
            result = self._result(plan, None, "", "\n".join(output),
                                  time.monotonic() - started, "unknown",
                                  "cancelled while running: outcome unknown")
            await asyncio.shield(self._journal(plan, result))
            raise
        finally:
            if key is not None:
                self._busy.pop(key, None)
            if self._refresh is not None:
                self._refresh()
        await self._journal(plan, result)
        return result

    async def record(
        self, plan: Plan, outcome: oc.Outcome, message: str, *, exit_code: int | None = None,
        duration_s: float = 0.0,
    ) -> ActionResult:
        """Journal something that happened around a plan without running it: a refused
        confirmation, or a console attach (run by collectors.console)."""
        result = self._result(plan, exit_code, "", "", duration_s, outcome, message)
        await self._journal(plan, result)
        return result

    # --- internals ------------------------------------------------------------------

    def _execute_refusal(self, plan: Plan, typed: str | None) -> str | None:
        if (why := self.refusal()) is not None:
            return why
        if plan.host != self.host.name:
            return f"this seam controls {self.host.name}, not {plan.host}"
        if isinstance(plan.request, Console):
            return "a console is attached with collectors.console, not run as an action"
        if plan.confirmation == Confirmation.TYPED_NAME and (
            typed is None or typed.rstrip("\r\n") != plan.confirm_text
        ):
            return f'not confirmed: type "{plan.confirm_text}" to {plan.verb} on {plan.host}'
        key = _busy_key(plan)
        if key is not None and key in self._busy:
            return f"{plan.target}: a {self._busy[key]} is still running"
        return None

    async def _run(self, plan: Plan, on_progress: ProgressFn | None,
                   output: collections.deque[str]) -> ActionResult:
        started = time.monotonic()
        try:
            if plan.long_running:
                code, out, err = await self._stream(plan.argv, on_progress, output)
            else:
                r = await self.runner.run(plan.argv, timeout=self.settings.command_timeout_s)
                code, out, err = r.exit_code, r.stdout, r.stderr
        except TransportError as e:  # (a timeout too): sent, perhaps done, perhaps not
            said = e.message.removesuffix("; outcome unknown")
            then = f" (re-polling {plan.host})" if self._refresh is not None else ""
            return self._result(plan, None, "", "", time.monotonic() - started, "unknown",
                                f"{said}: outcome unknown{then}")
        duration = time.monotonic() - started
        if code is None:
            return self._result(plan, None, out, err, duration, "unknown",
                                f"{plan.host}: the command's end was not seen: outcome unknown")
        verdict = oc.classify(code, out, err)
        said = oc.xl_text(out, err)
        if verdict == "ok":
            message = said or f"{plan.display}: done (xl printed nothing)"
        else:
            message = said or f"{plan.display} failed with exit code {code}"
        return self._result(plan, code, out, err, duration, verdict, message)

    async def _stream(
        self, argv: tuple[str, ...], on_progress: ProgressFn | None,
        lines: collections.deque[str],
    ) -> tuple[int | None, str, str]:
        """(exit code, "", output): xl's stderr merged into stdout, the tail kept in
        ``lines`` as it comes (what an interrupted run had said)."""
        stream = await self.runner.stream((*MERGE_STDERR, *argv))
        kept = 0
        try:
            while (line := await stream.readline()) is not None:
                lines.append(line)
                kept += len(line) + 1
                while kept > _KEPT_OUTPUT_CHARS and len(lines) > 1:
                    kept -= len(lines.popleft()) + 1
                if on_progress is not None:
                    try:
                        on_progress(oc.parse_progress(line))
                    except Exception:  # a display bug must not abandon a running save
                        _log.exception("progress callback failed")
            code = stream.exit_code
            for _ in range(40):  # the exit status can trail the end of output a little
                if code is not None:
                    break
                await asyncio.sleep(0.05)
                code = stream.exit_code
            extra = await stream.stderr_text()  # only sudo/sh errors: xl's went to stdout
        finally:
            with contextlib.suppress(TransportError, OSError):
                await stream.close()
        merged = "\n".join(lines)
        if extra.strip():
            merged = f"{merged}\n{extra}" if merged else extra
        return code, "", merged

    def _result(
        self, plan: Plan, code: int | None, out: str, err: str, duration: float,
        outcome: oc.Outcome, message: str,
    ) -> ActionResult:
        return ActionResult(plan.host, plan.verb, plan.target, plan.argv, code, out, err,
                            duration, outcome, message)

    async def _journal(self, plan: Plan, result: ActionResult) -> None:
        await self._write(JournalEntry(
            host=plan.host,
            argv=plan.argv,
            outcome=result.outcome,
            exit_code=result.exit_code,
            # nothing ran for a refusal: no duration (not a made-up 0)
            duration_s=None if result.outcome == "refused" else round(result.duration_s, 3),
            stderr_tail=stderr_tail("\n".join(oc.tail(result.stderr or result.stdout, 50))),
            verb=plan.verb,
            domain=plan.domain.name if plan.domain is not None else None,
            message=result.message if result.outcome != "ok" else None,
        ))

    async def _journal_refusal(self, req: Request, err: ControlError,
                               snapshot: HostSnapshot | None = None) -> None:
        domain = getattr(req, "domain", None)
        try:
            argv = build_argv(req, None if domain is None else str(domain))
        except ValueError:
            argv = ("xl", req.verb)
        name = None if domain is None else str(domain)
        if domain is not None and snapshot is not None and snapshot.host == req.host:
            # the journal names domains, as for what ran (the dashboard sends domids), a
            # dying one too; no such domain: the name or number as given
            with contextlib.suppress(ControlError):
                name = find_domain(snapshot, domain).name
        await self._write(JournalEntry(
            host=req.host,
            argv=argv,
            outcome=err.outcome,
            verb=req.verb,
            domain=name,
            message=err.message,
        ))

    async def _write(self, entry: JournalEntry) -> None:
        if self.journal is None:
            return
        try:
            await self.journal.record(entry)
        except OSError as e:  # a full disk must not turn a done action into an error
            said = f"journal {self.journal.path} not written: {e}"
            if self._on_journal_error is None:
                _log.warning("%s", said)
            else:
                self._on_journal_error(said)


def _busy_key(plan: Plan) -> str | None:
    d = plan.domain
    if d is None:
        return None
    return str(d.domid) if d.domid is not None else d.name


def _target_label(req: Request, domain: Domain | None, restores: str | None) -> str:
    if domain is not None:
        return domain.name if domain.domid is None else f"{domain.name} (domid {domain.domid})"
    path = getattr(req, "config_path", None) or getattr(req, "path", "")
    return str(path) if restores is None else f"{restores} from {path}"
