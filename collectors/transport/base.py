"""The transport seam: how collectors and controls talk to a host.

A runner executes argv lists on one host (locally, over SSH, or on a simulated host).
Arguments are never joined into a shell string except at the SSH boundary, where every
argument is quoted with :func:`shlex.quote` (domain names are untrusted).
"""

from __future__ import annotations

import contextlib
import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, cast, runtime_checkable

from collectors.model import HostId
from collectors.parse.common import decimal


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command that ran to completion on the host (any exit code)."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float
    # how long before the end of its round trip the command ended (a batch of several),
    # by the host's clock; None: unknown, or it ended last
    ended_early_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class TransportError(Exception):
    """The command's outcome is unknown: it could not be sent or its answer was lost."""

    def __init__(self, host: HostId, message: str) -> None:
        super().__init__(f"{host}: {message}")
        self.host = host
        self.message = message


class ConnectError(TransportError):
    """Could not connect or authenticate (the host is unreachable)."""


class HostKeyError(ConnectError):
    """The host key is unknown or changed; the message says how to trust it."""


class CommandTimeout(TransportError):
    """The command did not finish in time; it may still be running on the host."""


class BatchCut(TransportError):
    """A batch stopped at one command (it hung, or printed too much). ``results`` has an
    entry per command: its result, or None where it did not finish (that command and,
    where they run one after another, every later one)."""

    def __init__(self, host: HostId, message: str,
                 results: Sequence[CommandResult | None]) -> None:
        super().__init__(host, message)
        self.results = tuple(results)


class BatchTimeout(CommandTimeout, BatchCut):
    """A batch with a command that did not finish in time."""


class ConnectionLost(TransportError):
    """The connection dropped while the command was running."""


class OutputTooLarge(TransportError):
    """The command printed more than a runner reads (a runaway or hostile host)."""


class BatchOutputTooLarge(OutputTooLarge, BatchCut):
    """A batch with a command that printed more than a runner reads: the commands before
    it keep their results."""


@runtime_checkable
class LineStream(Protocol):
    """Lines of a long-running command's stdout (e.g. ``xentop -b -d 2``)."""

    async def readline(self, timeout: float | None = None) -> str | None:
        """The next line without its newline; None at end of stream.

        Raises TimeoutError when ``timeout`` passes with no complete line.
        """
        ...

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        """Every complete line available now, waiting as :meth:`readline` for at least
        one; None at end of stream (a whole frame in one call: the cheap way to read)."""
        ...

    @property
    def exit_code(self) -> int | None: ...

    async def stderr_text(self) -> str: ...

    async def close(self) -> None: ...


@runtime_checkable
class Runner(Protocol):
    """Runs commands on one host. Implementations: local, SSH, simulated."""

    @property
    def host(self) -> HostId: ...

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        """Run one command. Raises TransportError when its outcome is unknown."""
        ...

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        """Run several commands in one round trip where the transport allows it;
        ``timeout`` is each command's (the round trip may take that many times it). One
        that does not finish in time raises :class:`BatchTimeout`, one that prints too
        much :class:`BatchOutputTooLarge`; both keep the results of those that ended."""
        ...

    async def stream(self, argv: Sequence[str]) -> LineStream:
        """Start a long-running command and read its stdout line by line."""
        ...

    async def close(self) -> None: ...


# --- batching several commands into one remote shell script -------------------------


@dataclass(frozen=True, slots=True)
class BatchScript:
    """A POSIX sh script that runs argvs in order and marks each one's output."""

    token: str
    script: str
    argvs: tuple[tuple[str, ...], ...]


def make_batch_script(argvs: Sequence[Sequence[str]], prefix: Sequence[str] = ()) -> BatchScript:
    """Build one sh script for several commands; every argument is shell-quoted.

    Each command's stdout and stderr are framed by ``<token> <i>`` begin lines and
    ``<token> <i> <rc> <uptime>`` end lines, on the matching stream, so the outputs can be
    split apart again by :func:`split_batch_output`. ``<uptime>`` is the host's
    /proc/uptime when the command ended (read by the shell itself, no process; empty where
    there is none): it dates each output, not only the batch. A first ``<token> pid <pid>``
    line names the script's shell (see :data:`STOP_BATCH`).
    """
    token = "@@xltop-" + secrets.token_hex(6)
    lines = [f"printf '%s %s\\n' '{token} pid' \"$$\""]
    frozen = tuple(tuple(a) for a in argvs)
    for i, argv in enumerate(frozen):
        cmd = shlex.join([*prefix, *argv])
        lines.append(
            f"printf '%s\\n' '{token} {i}'; printf '%s\\n' '{token} {i}' >&2; "
            f"{cmd} </dev/null; rc=$?; up=; {{ read -r up _ </proc/uptime; }} 2>/dev/null; "
            f"printf '\\n%s %s %s\\n' '{token} {i}' \"$rc\" \"$up\"; "
            f"printf '\\n%s\\n' '{token} {i}' >&2"
        )
    return BatchScript(token, "\n".join(lines) + "\n", frozen)


def batch_results(
    host: HostId, argvs: Sequence[Sequence[str]],
    outcomes: Sequence[tuple[CommandResult | BaseException, float] | None],
) -> list[CommandResult]:
    """A batch's results from each command's outcome and when it came (one clock), or None
    (not run). A command that did not finish in time, or printed more than a runner reads,
    raises a :class:`BatchTimeout` (:class:`BatchOutputTooLarge`) that keeps the others'
    results, dated from then; any other exception is raised as is."""
    cut = None
    for i, outcome in enumerate(outcomes):
        if outcome is not None and isinstance(outcome[0], BaseException):
            if not isinstance(outcome[0], CommandTimeout | OutputTooLarge):
                raise outcome[0]
            cut = i if cut is None else cut
    last = max((o[1] for o in outcomes if o is not None), default=0.0)
    results = [replace(o[0], ended_early_s=last - o[1] if o[1] < last else None)
               if o is not None and isinstance(o[0], CommandResult) else None
               for o in outcomes]
    if cut is not None:
        err = cast(tuple[TransportError, float], outcomes[cut])[0]
        kind = BatchTimeout if isinstance(err, CommandTimeout) else BatchOutputTooLarge
        raise kind(host, f"{shlex.join(argvs[cut])}: {err.message}", results)
    return cast(list[CommandResult], results)


def batch_pid(batch: BatchScript, stdout: str) -> int | None:
    """The batch script's shell's process ID, from its first line (None if it is not there)."""
    first = stdout.partition("\n")[0]
    head, _, pid = first.rpartition(" ")
    return int(pid) if head == f"{batch.token} pid" and pid.isascii() and pid.isdigit() else None


# Stops a batch script cut short (sh -c STOP_BATCH sh PID TOKEN): a command that hangs
# would otherwise stay in Dom0 after its channel closed, one more at every retry. Only a
# process whose arguments hold the batch's random token is touched (not a reused PID): it
# is stopped so it starts nothing new, its children (the hung command, or the sudo running
# it) get SIGTERM, then it is killed. POSIX ps and awk; best effort: exit 0 once done,
# STOP_BATCH_ENDED when the script had ended by itself, else 1.
STOP_BATCH_ENDED = 3
STOP_BATCH = (
    # (it may end at any point of this: each failed step asks whether it still exists)
    f'p=$1; ended() {{ kill -0 "$p" 2>/dev/null && exit 1; exit {STOP_BATCH_ENDED}; }}; '
    'ps -o args= -p "$p" 2>/dev/null | grep -qF -e "$2" || ended; '
    'kill -STOP "$p" 2>/dev/null || ended; '
    'kids=$(ps -A -o pid= -o ppid= 2>/dev/null | awk -v p="$p" \'$2 == p { print $1 }\'); '
    '[ -z "$kids" ] || kill -TERM $kids 2>/dev/null; kill -KILL "$p" 2>/dev/null'
)


def split_batch_output(
    batch: BatchScript, stdout: str, stderr: str, duration_s: float, *,
    stderr_cut: bool = False,
) -> list[CommandResult | None]:
    """Split a batch script's output into one result per command.

    A command whose end marker is missing (the script was cut short) gives ``None``; with
    ``stderr_cut`` (stderr was not read to its end) so does one whose stderr has none.
    """
    outs = _split_stream(batch.token, stdout, with_rc=True)
    errs = _split_stream(batch.token, stderr, with_rc=False)
    stamps = [up for _, _, up in outs.values() if up is not None]
    last = max(stamps, default=None)
    results: list[CommandResult | None] = []
    for i, argv in enumerate(batch.argvs):
        text, rc, up = outs.get(i, ("", None, None))
        if rc is None:
            results.append(None)
            continue
        if stderr_cut and i not in errs:  # its stderr is not all there: not ""
            results.append(None)
            continue
        err = errs.get(i, ("", None, None))[0]
        early = last - up if last is not None and up is not None and last > up else None
        results.append(CommandResult(argv, rc, text, err, duration_s, early))
    return results


def _split_stream(
    token: str, text: str, *, with_rc: bool
) -> dict[int, tuple[str, int | None, float | None]]:
    """index → (output, exit code, host uptime at the end) of each framed command."""
    found: dict[int, tuple[str, int | None, float | None]] = {}
    current: int | None = None
    buf: list[str] = []
    for line in text.split("\n"):
        if line.startswith(token + " "):
            fields = line[len(token) + 1 :].split()
            if fields[:1] == ["pid"] and current is None:
                continue  # the script's own first line (batch_pid)
            try:
                idx = int(fields[0])
            except (ValueError, IndexError):
                buf.append(line)
                continue
            if current is None:
                current, buf = idx, []
                continue
            if idx == current:
                # end marker: drop the newline the script printed before it
                body = "\n".join(buf)
                rc: int | None = None
                up: float | None = None
                if with_rc:
                    try:
                        rc = int(fields[1])
                    except (ValueError, IndexError):
                        rc = None
                    if len(fields) > 2:  # /proc/uptime's "12345.67"; else undated
                        with contextlib.suppress(ValueError):
                            up = decimal(fields[2])
                found[idx] = (body, rc if with_rc else 0, up)
                current = None
                continue
        if current is not None:
            buf.append(line)
    return found
