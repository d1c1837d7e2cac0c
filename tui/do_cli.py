"""``xltop do HOST DOMAIN VERB [ARGS...]``: one action through the control seam, headless.

Same validation, read-only policy and journal as the dashboard. On a terminal it asks for
confirmation (the domain's name where required); without one, an action needs ``--yes``.

Exit codes: 0 done; 1 xl refused or failed (its text on stderr); 2 usage or validation
error; 3 refused (read-only, not confirmed); 4 outcome unknown (connection lost) or the
host could not be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from collectors.config import (
    ConfigError,
    HostConfig,
    Settings,
    host_from_spec,
    load_settings,
    production_names,
)
from collectors.console import attach_console, domain_alive
from collectors.control.errors import ControlError, HostUnavailable, Refused
from collectors.control.outcome import Progress
from collectors.control.policy import Confirmation
from collectors.control.requests import Console, Migrate, Request
from collectors.control.seam import ActionResult, ControlSeam, Plan
from collectors.control.syntax import destination_host
from collectors.control.verbs import VERBS, UsageError, parse_verb
from collectors.fleet import DemoOptions, build_fleet, demo_host_configs, make_runner
from collectors.journal import Journal, default_journal_path
from collectors.model import HostSnapshot, HostStatus
from collectors.parse.common import is_uint
from collectors.stdout import write_or_say
from collectors.transport.base import Runner, TransportError
from collectors.transport.pty import PtyRunner
from tui.text import visible

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED, EXIT_UNKNOWN = 0, 1, 2, 3, 4

USAGE = f"""usage: xltop do [OPTIONS] HOST DOMAIN VERB [ARGS...]

Run one action on a domain, as the dashboard would.

options:
  --yes, -y          do not ask for confirmation (needed when stdin is not a terminal)
  --read-only        refuse the action (as --read-only does for the dashboard)
  --json             print the result as JSON
  --config PATH      config file
  --demo             HOST is a simulated host (a fresh demo fleet, in this process only)
  --hosts N, --domains M, --seed S, --pcpus P   the demo fleet's shape
  --                 end of options

verbs: {", ".join(VERBS)}
  save PATH [-c|--stop] [-p] [--overwrite]   restore PATH [-p]   create CFG [-p] (DOMAIN -)
  mem-set SIZE   mem-max SIZE   vcpu-set N [-i]
  vcpu-pin [-f] [--ignore-global-affinity-masks] VCPU HARD [SOFT]
  network-attach key=value...   network-detach DEVID|MAC
  block-attach target,format,vdev,access   block-detach [-f] VDEV
  shutdown [-w|-ww] [-F]   reboot [-F]   cd-insert VDEV TARGET   cd-eject VDEV
  migrate [-p] [user@]DESTINATION   (the source Dom0 must reach it by ssh as root)
  sched-credit2 [-w WEIGHT] [-c CAP]   (sched-credit on a credit host)
  console [-t pv|serial|vuart] [-n NUM]   (a terminal on stdin; Ctrl-] detaches)

exit: 0 done, 1 xl failed, 2 invalid, 3 refused, 4 outcome unknown / host unreachable
"""

_FLAGS = {"--yes": "yes", "-y": "yes", "--read-only": "read_only", "--json": "json",
          "--demo": "demo"}
_VALUED = {"--config": "config", "--hosts": "hosts", "--domains": "domains", "--seed": "seed",
           "--pcpus": "pcpus"}


@dataclass(slots=True)
class DoArgs:
    host: str
    domain: str
    verb: str
    args: list[str] = field(default_factory=list)
    yes: bool = False
    read_only: bool = False
    json: bool = False
    demo: bool = False
    config: str | None = None
    hosts: int = 3
    domains: int = 8
    seed: int = 0
    pcpus: int = 0  # (0: each demo host's own)


def parse_args(argv: Sequence[str]) -> DoArgs:
    """Global options may come anywhere (verbs use none of their names); ``--`` ends them."""
    opts: dict[str, object] = {}
    positional: list[str] = []
    it = iter(argv)
    for token in it:
        if token == "--":
            positional.extend(it)
            break
        if token in _FLAGS:
            opts[_FLAGS[token]] = True
        elif token.split("=", 1)[0] in _VALUED:
            name, eq, value = token.partition("=")
            if not eq:
                value = next(it, "")
            if not value:  # (``--config=`` too: not the default config, unsaid)
                raise UsageError(f"{name} needs a value")
            opts[_VALUED[name]] = value
        elif token in ("-h", "--help") and len(positional) < 3:
            raise UsageError("help")
        elif token.startswith("-") and not positional:  # (a HOST never starts with '-')
            raise UsageError(f"unknown option {token}")
        else:
            positional.append(token)
    if len(positional) < 3:
        raise UsageError("HOST, DOMAIN and VERB are required")
    for key in ("hosts", "domains", "seed", "pcpus"):
        if key in opts:
            text = str(opts[key])
            if not is_uint(text) or (key != "seed" and int(text) < 1):
                at_least = "" if key == "seed" else " of at least 1"
                raise UsageError(f"--{key} needs a whole number{at_least}: {text!r}")
            opts[key] = int(text)
    host, domain, verb, *rest = positional
    return DoArgs(host, domain, verb, rest, **opts)  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
        if args.verb in ("-h", "--help"):
            raise UsageError("help")
    except UsageError as e:
        if str(e) == "help":
            _out(USAGE)
            return EXIT_OK
        _say(f"xltop do: {e}")
        sys.stderr.write("\n" + USAGE)
        options = argv[: argv.index("--")] if "--" in argv else argv
        if "--json" in options:  # the one JSON object, even for a command line it cannot read
            _json_without_result(None, None, None, EXIT_USAGE, str(e))
        return EXIT_USAGE
    try:
        code = asyncio.run(_main(args))
    except KeyboardInterrupt:
        running = _said.running
        if running is None:  # (at the prompt, or before: nothing was sent)
            code = _fail("interrupted: the action was not sent", EXIT_REFUSED)
        else:
            _end_progress_line()
            code = _fail(f"interrupted while {running.display} ran on {running.host}: "
                         "outcome unknown", EXIT_UNKNOWN)
        if args.json and running is not None:
            _said.reported = True
            _json_without_result(running.host, running.verb, running.target, code,
                                 _said.message, argv=running.argv,
                                 duration_s=time.monotonic() - _said.started)
    if args.json and not _said.reported:  # refused or invalid before it ran: JSON too
        _json_without_result(args.host, args.verb, args.domain, code, _said.message)
    return code


def _json_without_result(host: str | None, verb: str | None, target: str | None, code: int,
                         message: str, *, argv: Sequence[str] | None = None,
                         duration_s: float | None = None) -> None:
    """The one JSON object when no result came back: nothing ran (argv null), or xl was
    sent ``argv`` and interrupted ``duration_s`` later."""
    _out(json.dumps({
        "host": host, "verb": verb, "target": target,
        "argv": None if argv is None else list(argv), "exit_code": None,
        "stdout": "", "stderr": "", "duration_s": duration_s,
        "outcome": _OUTCOME_OF_EXIT.get(code, "unknown"), "message": message,
    }) + "\n")


def _out(text: str) -> None:
    """The result on stdout. A reader that has gone (``| head -0``) is no error, and an
    output that cannot be written (a full disk, no stdout) is said on stderr: either way
    the action has run (or not) as the exit code says, so that code stands."""
    write_or_say(text, "xltop do: cannot write the result")


_OUTCOME_OF_EXIT = {EXIT_USAGE: "invalid", EXIT_REFUSED: "refused", EXIT_UNKNOWN: "unknown"}


class _Said:
    """What this run told (one process, one action): a result, or why none."""

    reported = False
    message = ""
    running: Plan | None = None  # what was sent, when it started (Ctrl-C's JSON says it)
    started = 0.0
    midline = False  # a progress line is being rewritten in place on the terminal


_said = _Said()


async def _main(args: DoArgs) -> int:
    try:
        settings = load_settings(Path(args.config) if args.config else None)
        settings = replace(settings, read_only=args.read_only or settings.read_only)
        host, runner, fleet = _host_and_runner(args, settings)
        req = parse_verb(host.name, args.domain, args.verb, args.args)
        if isinstance(req, Migrate):  # into a production host: as an action on one
            req = replace(req, to_production=destination_host(req.destination)
                          in production_names(fleet))
    except (ConfigError, UsageError) as e:
        return _fail(f"{e}", EXIT_USAGE)
    seam = ControlSeam(runner, host, settings,
                       Journal(default_journal_path(demo=host.is_demo)),
                       on_journal_error=lambda said: _say(f"xltop do: warning: {said}"))
    try:
        return await _act(args, seam, req)
    finally:
        with contextlib.suppress(Exception):  # closing is best effort
            await runner.close()


async def _act(args: DoArgs, seam: ControlSeam, req: Request) -> int:
    host = seam.host
    if seam.refusal() is not None:  # refuse before anything is sent, polling included
        try:
            await seam.preview(req, _unpolled(host.name))
        except ControlError as e:
            return _fail(e.message, EXIT_REFUSED)
    snap = await _poll(host, seam.runner, seam.settings)
    try:
        plan = await seam.preview(req, snap)
    except HostUnavailable as e:  # unreachable, or xl missing, sudo refusing...
        return _fail(e.message, EXIT_UNKNOWN)
    except Refused as e:
        return _fail(e.message, EXIT_REFUSED)
    except ControlError as e:
        return _fail(e.message, EXIT_USAGE)
    for w in plan.warnings:
        _say(f"xltop do: warning: {w}")
    if isinstance(req, Console):
        return await _console(seam, plan, args.json)
    try:
        typed, refusal = await _confirm(plan, args.yes)
    except asyncio.CancelledError:  # Ctrl-C at the prompt: journaled as "n" would be
        await seam.record(plan, "refused", "interrupted at the confirmation")
        raise
    if refusal is not None:
        await seam.record(plan, "refused", refusal)
        return _fail(refusal, EXIT_REFUSED)
    shown: set[str] = set()
    _said.running, _said.started = plan, time.monotonic()
    result = await seam.execute(plan, typed=typed, on_progress=_progress_printer(shown))
    _end_progress_line()
    return _report(result, args.json, shown)


def _host_and_runner(
    args: DoArgs, settings: Settings
) -> tuple[HostConfig, Runner, tuple[HostConfig, ...]]:
    """The host, its runner, and the fleet it belongs to (the demo's or the config's)."""
    if args.demo:
        configs, runners = demo_host_configs(
            DemoOptions(hosts=args.hosts, domains=args.domains, seed=args.seed,
                        pcpus=args.pcpus))
        for hc in configs:
            if args.host in (hc.name, hc.target):
                return hc, runners[hc.name], tuple(configs)
        names = ", ".join(hc.name for hc in configs)
        raise UsageError(f"no demo host {args.host!r} (demo hosts: {names})")
    hc = host_from_spec(args.host, settings)
    return hc, make_runner(hc, settings), settings.hosts


def _unpolled(host: str) -> HostSnapshot:
    return HostSnapshot(host=host, time=time.time(), status=HostStatus.UNREACHABLE,
                        message="not polled")


async def _poll(host: HostConfig, runner: Runner, settings: Settings) -> HostSnapshot:
    member = build_fleet([host], settings, {host.name: runner})[0]
    try:
        return await asyncio.wait_for(member.poller.poll_once(),
                                      timeout=settings.command_timeout_s * 2)
    except TimeoutError:
        return HostSnapshot(host=host.name, time=time.time(), status=HostStatus.UNREACHABLE,
                            message="no answer in time")
    finally:
        await member.poller.close()


async def _confirm(plan: Plan, yes: bool) -> tuple[str | None, str | None]:
    """(what was typed, why it is refused)."""
    typed = plan.confirm_text if plan.confirmation == Confirmation.TYPED_NAME else None
    if yes:  # a script's confirmation; what a person would have been asked stays on record
        for why in plan.reasons:
            _say(f"xltop do: confirmed by --yes: {why}")
        return typed, None
    if not sys.stdin.isatty():
        return None, (f"{plan.display} on {plan.host} needs confirmation: pass --yes "
                      "(stdin is not a terminal)")
    _say(plan.display)
    _say(f"  target: {plan.target} on {plan.host}")
    for why in plan.reasons:
        _say(f"  {why}")
    if plan.confirmation == Confirmation.TYPED_NAME:
        answer = await _ask(f"Type {plan.confirm_text!r} to confirm: ")
        if answer != plan.confirm_text:
            return None, "not confirmed"
        return answer, None
    answer = await _ask("Run it? [y/N] ")
    return (None, None) if answer.strip().lower() in ("y", "yes") else (None, "not confirmed")


async def _ask(prompt: str) -> str:
    """One line typed on the terminal (without its newline; "" at end of input).

    Read on the event loop, not in a worker thread: Ctrl-C at the prompt must end the run,
    and asyncio.run's shutdown would wait for ever on a thread blocked in readline."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    fd = sys.stdin.fileno()
    loop = asyncio.get_running_loop()
    got = bytearray()
    while b"\n" not in got:
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(fd, _set_once, ready)
        try:
            await ready
        except asyncio.CancelledError:  # Ctrl-C: what follows starts a line of its own
            sys.stderr.write("\n")
            raise
        finally:
            loop.remove_reader(fd)
        try:
            chunk = os.read(fd, 4096)
        except BlockingIOError:
            continue
        if not chunk:
            break
        got += chunk
    line = bytes(got).split(b"\n", 1)[0]
    return line.decode(sys.stdin.encoding or "utf-8", errors="replace")


def _set_once(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


def _progress_printer(shown: set[str]) -> Callable[[Progress], None]:
    """xl's progress lines on stderr, overwriting one line on a terminal; the other lines
    it printed go into ``shown`` (the report does not repeat them)."""
    tty = sys.stderr.isatty()

    def show(p: Progress) -> None:
        if p.percent is not None and tty:
            sys.stderr.write(f"\r{p.what}: {p.done}/{p.total} {p.percent}%\x1b[K")
            _said.midline = True
        else:
            sys.stderr.write(("\n" if _said.midline else "") + visible(p.line) + "\n")
            shown.add(p.line.strip())
            _said.midline = False
        sys.stderr.flush()

    return show


def _end_progress_line() -> None:
    """What follows a progress line rewritten in place starts a line of its own (it was
    appended to it: "End of stream: 0/0 0%xl save ...: done on lab")."""
    if _said.midline:
        sys.stderr.write("\n")
        sys.stderr.flush()
        _said.midline = False


def _report(result: ActionResult, as_json: bool, shown: set[str] | None = None) -> int:
    code = {"ok": EXIT_OK, "failed": EXIT_FAILED, "refused": EXIT_REFUSED,
            "invalid": EXIT_USAGE}.get(result.outcome, EXIT_UNKNOWN)
    _said.reported = True
    if as_json:
        _out(json.dumps(asdict(result)) + "\n")  # ASCII: safe on a terminal
        return code
    if result.ok:
        _out(visible(f"{shlex.join(result.argv)}: done on {result.host}") + "\n")
        return code
    exit_note = f"exit {result.exit_code}" if result.exit_code is not None else result.outcome
    _say(f"xltop do: {shlex.join(result.argv)} on {result.host}: {result.outcome} ({exit_note})")
    # xl's own words, verbatim, less what the progress lines already showed
    rest = [line for line in result.message.rstrip("\n").split("\n")
            if line.strip() not in (shown or ())]
    if rest:
        _err("\n".join(rest))
    return code


async def _console(seam: ControlSeam, plan: Plan, as_json: bool) -> int:
    runner = seam.runner
    if not isinstance(runner, PtyRunner):
        return await _no_console(seam, plan,
                                 f"{plan.host}: this transport cannot open a terminal")
    if not sys.stdin.isatty():
        return await _no_console(seam, plan, "console needs a terminal on stdin")
    target = plan.argv[-1]
    attached = False

    def say_attached() -> None:  # (only once xl console runs on: not when it failed at once)
        nonlocal attached
        attached = True
        sys.stderr.write(visible(f"attached to {plan.target} on {plan.host}") +
                         "; Ctrl-] detaches\r\n")
        sys.stderr.flush()

    started = time.monotonic()
    try:
        outcome = await attach_console(runner, plan.argv, on_attached=say_attached,
                                       alive=lambda: domain_alive(runner, target))
    except TransportError as e:
        return _fail(e.message, EXIT_UNKNOWN)
    result = await seam.record(plan, "ok" if outcome.ok else "failed", outcome.message,
                               exit_code=outcome.exit_code,
                               duration_s=time.monotonic() - started)
    if attached:
        sys.stderr.write("\r\n")
    _say(outcome.message if outcome.ok else f"xltop do: {outcome.message}")
    if as_json:  # (what the journal says)
        _said.reported = True
        _out(json.dumps(asdict(result)) + "\n")
    if outcome.ok:
        return EXIT_OK
    return EXIT_UNKNOWN if outcome.kind == "connection-lost" else EXIT_FAILED


async def _no_console(seam: ControlSeam, plan: Plan, why: str) -> int:
    """A console that cannot be attached from here: journaled (as the dashboard does)."""
    await seam.record(plan, "invalid", why)
    return _fail(why, EXIT_USAGE)


def _fail(message: str, code: int) -> int:
    _said.message = message
    _say(f"xltop do: {message}")
    return code


def _say(message: str) -> None:
    """One message of xltop's on stderr, one line: the names and paths in it are untrusted,
    and a newline in one must not make a line of its own (a fake 'xltop do: done')."""
    sys.stderr.write(visible(message) + "\n")


def _err(text: str) -> None:
    """Untrusted text (names, xl's messages) on stderr, control characters made visible."""
    sys.stderr.write("".join(visible(line) + "\n" for line in text.split("\n")))
