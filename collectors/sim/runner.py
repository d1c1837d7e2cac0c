"""SimRunner: the Runner protocol answered by a simulated host.

Time comes from an injected clock and sleep, so tests run instantly and deterministically;
the demo uses the real ones. Failure injection (unreachable, slow, garbage) is for tests
and demos.
"""

from __future__ import annotations

import asyncio
import pickle
import random
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence

from collectors.commands import DOM0_PROC, DOM0_SAMPLE_END, MERGE_STDERR, dom0_stream
from collectors.model import HostId
from collectors.sim import evolve, host_shell, xenstore_tree
from collectors.sim.console import FinishedSession, GuestConsole, open_console
from collectors.sim.render_xentop import XentopOptions, XentopSampler
from collectors.sim.state import SimHost
from collectors.transport.base import (
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
    OutputTooLarge,
    batch_results,
)
from collectors.transport.pty import check_pty_request

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

INTERNAL_ERROR = 70  # exit status when the simulator itself failed (never expected)
FOREVER_S = 60.0  # a command that never ends is killed after this when no timeout is given
KILLED = 143  # its exit status then (SIGTERM)
WATCH_POLL_S = 0.25


class SimRunner:
    """Implements collectors.transport.base.Runner (and open_pty) for one SimHost."""

    def __init__(
        self,
        host: SimHost,
        *,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        latency_s: float = 0.0,
    ) -> None:
        self.sim = host
        self._clock = clock
        self._sleep = sleep
        self._latency = latency_s
        self._unreachable: str | None = None
        self._garbage = False
        self.last_rtt_s: float | None = None

    # --- failure injection ---------------------------------------------------------------

    def set_unreachable(self, reason: str | None) -> None:
        """While set, every call raises ConnectError with this reason."""
        self._unreachable = reason

    def set_latency(self, seconds: float) -> None:
        self._latency = max(0.0, seconds)

    def set_garbage(self, on: bool) -> None:
        """While on, every command answers exit 0 with text no parser should accept."""
        self._garbage = on

    # --- Runner --------------------------------------------------------------------------

    @property
    def host(self) -> HostId:
        return self.sim.name

    @property
    def unreachable(self) -> str | None:
        return self._unreachable

    def advance(self) -> None:
        evolve.advance(self.sim, self._clock())

    async def _connect(self, timeout: float | None) -> None:
        if self._unreachable is not None:
            raise ConnectError(self.host, self._unreachable)
        if self._latency:
            if timeout is not None and self._latency > timeout:
                await self._sleep(timeout)
                raise CommandTimeout(self.host, f"no answer within {timeout:g} s")
            await self._sleep(self._latency)
        self.last_rtt_s = self._latency

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = checked_args(argv)
        await self._connect(timeout)
        start = self._clock()
        self.advance()
        if self._garbage:
            return CommandResult(tuple(args), 0, _garbage(args, self.sim.steps), "",
                                 self._latency)
        merge = args[: len(MERGE_STDERR)] == list(MERGE_STDERR)
        inner = args[len(MERGE_STDERR):] if merge else args
        if inner[:1] == ["xentop"]:
            code, out, err, spent = await self._xentop(inner, timeout)
        elif inner[:1] == ["xenstore-watch"]:
            code, out, err, spent = await self._watch_run(inner, timeout)
        else:
            ans = _safe_execute(self.sim, inner)
            code, out, err = ans.exit_code, ans.stdout, ans.stderr
            if merge:
                out, err = ans.combined(), ""
            spent = await self._take(ans.duration, timeout)
        if merge and err:
            out, err = err + out, ""
        return CommandResult(tuple(args), code, out, err,
                             self._latency + max(spent, self._clock() - start))

    async def _take(self, duration: float, timeout: float | None) -> float:
        """Let a command run for its simulated duration (CommandTimeout past ``timeout``)."""
        if duration <= 0:
            return 0.0
        if timeout is not None and duration > timeout:
            await self._sleep(timeout)
            raise CommandTimeout(self.host, f"command still running after {timeout:g} s")
        await self._sleep(duration)
        return duration

    async def _xentop(
        self, args: list[str], timeout: float | None
    ) -> tuple[int, str, str, float]:
        req = host_shell.parse_xentop(args)
        if req.answer is not None:
            a = req.answer
            return a.exit_code, a.stdout, a.stderr, 0.0
        assert req.options is not None
        if not req.batch:
            return 1, "", "Error opening terminal: unknown.\n", 0.0
        opts = req.options
        if opts.iterations is None:
            opts = XentopOptions(**{**opts.__dict__, "iterations": 1 + int(
                (timeout if timeout is not None else FOREVER_S) // opts.delay)})
            if timeout is not None:
                await self._take(timeout + 1, timeout)
        sampler = XentopSampler()
        frames: list[str] = []
        spent = 0.0
        for k in range(opts.iterations or 1):
            if k:
                spent += await self._take(opts.delay, None if timeout is None else timeout - spent)
                self.advance()
            frames.append(sampler.frame(self.sim, opts))
        forever = req.options.iterations is None
        return (KILLED if forever else 0), "".join(frames), "", spent

    async def _watch_run(
        self, args: list[str], timeout: float | None
    ) -> tuple[int, str, str, float]:
        stream = await self._open_watch(args)
        if isinstance(stream, host_shell.Answer):
            return stream.exit_code, stream.stdout, stream.stderr, 0.0
        lines: list[str] = []
        spent = 0.0
        while True:
            left = None if timeout is None else timeout - spent
            if left is not None and left <= 0:
                raise CommandTimeout(self.host, f"command still running after {timeout:g} s")
            t0 = self._clock()
            try:
                line = await stream.readline(left if left is not None else FOREVER_S - spent)
            except TimeoutError:
                if timeout is None:  # killed: what it printed so far
                    return KILLED, "".join(x + "\n" for x in lines), "", FOREVER_S
                raise CommandTimeout(self.host, "command still running") from None
            spent += self._clock() - t0
            if line is None:
                return 0, "".join(x + "\n" for x in lines), "", spent
            lines.append(line)

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        # one by one, as a batch script runs them: the first that times out (or prints
        # more than is read) stops the rest
        outcomes: list[tuple[CommandResult | BaseException, float] | None] = []
        for argv in argvs:
            try:
                outcomes.append((await self.run(argv, timeout=timeout), self._clock()))
            except (CommandTimeout, OutputTooLarge) as e:
                outcomes.append((e, self._clock()))
                break
        outcomes += [None] * (len(argvs) - len(outcomes))
        return batch_results(self.host, argvs, outcomes)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        args = checked_args(argv)
        await self._connect(None)
        self.advance()
        if self._garbage:
            return ListStream(_garbage(args, self.sim.steps).split("\n"), 0, "")
        if args[:1] == ["xentop"]:
            req = host_shell.parse_xentop(args)
            if req.answer is not None:
                a = req.answer
                return ListStream(a.stdout.splitlines(), a.exit_code, a.stderr)
            assert req.options is not None
            if not req.batch:
                return ListStream([], 1, "Error opening terminal: unknown.\n")
            return XentopStream(self, req.options)
        if args[:2] == ["sh", "-c"] and (spec := _dom0_stream_spec(args)) is not None:
            return Dom0ProcStream(self, *spec)
        if args[:1] == ["xenstore-watch"]:
            watch = await self._open_watch(args)
            if isinstance(watch, host_shell.Answer):
                return ListStream([], watch.exit_code, watch.stderr)
            return watch
        merge = args[: len(MERGE_STDERR)] == list(MERGE_STDERR)
        if merge and args[len(MERGE_STDERR):][:1] not in (["xentop"], ["xenstore-watch"]):
            ans = _safe_execute(self.sim, args[len(MERGE_STDERR):])
            return PacedStream(self, ans.combined().splitlines(), ans.exit_code, "",
                               ans.duration)
        if merge:
            return await self.stream(args[len(MERGE_STDERR):])
        ans = _safe_execute(self.sim, args)
        return PacedStream(self, ans.stdout.splitlines(), ans.exit_code, ans.stderr, ans.duration)

    async def _open_watch(self, args: list[str]) -> WatchStream | host_shell.Answer:
        parsed = host_shell.parse_watch(args)
        if isinstance(parsed, host_shell.Answer):
            return parsed
        keys, limit = parsed
        return WatchStream(self, keys, limit)

    async def open_pty(
        self, argv: Sequence[str], *, term: str = "xterm-256color", cols: int = 80,
        rows: int = 24,
    ) -> GuestConsole | FinishedSession:
        check_pty_request(term, cols, rows)
        args = checked_args(argv)
        await self._connect(None)
        self.advance()
        return open_console(self.sim, args, self.advance, cols, rows)

    async def close(self) -> None:
        return None

    # helpers for the streams
    def clock(self) -> float:
        return self._clock()

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)


def checked_args(argv: Sequence[str]) -> list[str]:
    """The argv as a list; TypeError for a bare string or a non-string item."""
    if isinstance(argv, str | bytes):
        raise TypeError("argv must be a sequence of strings, not a string")
    args = list(argv)
    for a in args:
        if not isinstance(a, str):
            raise TypeError(f"argv items must be str, got {type(a).__name__}")
    return args


def _safe_execute(host: SimHost, args: list[str]) -> host_shell.Answer:
    try:
        return host_shell.execute(host, args)
    except Exception as exc:  # a simulator bug must not look like a host answer
        return host_shell.Answer(INTERNAL_ERROR, "", f"xltop-sim: internal error: {exc!r}\n")


def _garbage(args: list[str], step: int) -> str:
    seed = zlib.crc32("\0".join(args).encode("utf-8", "surrogatepass")) ^ step
    rng = random.Random(seed)
    alphabet = "abcXYZ0123456789 \t:=-|/#%@!~\x1b[]{}()\"'"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 90)))
             for _ in range(rng.randrange(1, 12))]
    return "\n".join(lines) + "\n"


class ListStream:
    """A finished command's stdout, line by line."""

    def __init__(self, lines: list[str], exit_code: int, stderr: str) -> None:
        self._lines = list(lines)
        self._code = exit_code
        self._stderr = stderr

    async def readline(self, timeout: float | None = None) -> str | None:
        return self._lines.pop(0) if self._lines else None

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        lines, self._lines = self._lines, []
        return lines or None

    @property
    def exit_code(self) -> int | None:
        return None if self._lines else self._code

    async def stderr_text(self) -> str:
        return self._stderr

    async def close(self) -> None:
        self._lines.clear()


class _TimedStream:
    """Lines that become available at times of the runner's clock."""

    def __init__(self, runner: SimRunner) -> None:
        self._runner = runner
        self._buf: list[str] = []
        self._closed = False
        self._code: int | None = None

    async def _fill(self) -> None:
        """Add the lines that are due now."""
        raise NotImplementedError

    def _next_due(self) -> float:
        raise NotImplementedError

    async def readline(self, timeout: float | None = None) -> str | None:
        if not self._buf:
            lines = await self.readlines(timeout)
            if lines is None:
                return None
            self._buf = lines
        return self._buf.pop(0)

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        start = self._runner.clock()
        while True:
            if self._buf:
                lines, self._buf = self._buf, []
                return lines
            if self._closed or self._code is not None:
                return None
            if self._runner.unreachable is not None:
                raise ConnectionLost(self._runner.host, self._runner.unreachable)
            await self._fill()
            if self._buf or self._code is not None:
                continue
            wait = max(0.0, self._next_due() - self._runner.clock())
            if timeout is not None:
                left = timeout - (self._runner.clock() - start)
                if left <= 0 or wait > left:
                    if left > 0:
                        await self._runner.sleep(left)
                    raise TimeoutError
            await self._runner.sleep(wait)

    @property
    def exit_code(self) -> int | None:
        return None if self._buf else self._code

    async def stderr_text(self) -> str:
        return ""

    async def close(self) -> None:
        self._closed = True
        self._buf.clear()


class PacedStream(_TimedStream):
    """A command's output lines spread over its simulated run time (progress lines)."""

    def __init__(self, runner: SimRunner, lines: list[str], exit_code: int, stderr: str,
                 duration: float) -> None:
        super().__init__(runner)
        self._lines = lines
        self._final = exit_code
        self._stderr = stderr
        start = runner.clock()
        step = duration / max(1, len(lines))
        self._due = [start + step * (i + 1) if duration > 0 else start
                     for i in range(len(lines))]
        self._end = start + duration

    def _next_due(self) -> float:
        return self._due[0] if self._due else self._end

    async def _fill(self) -> None:
        now = self._runner.clock()
        while self._due and self._due[0] <= now:
            self._due.pop(0)
            self._buf.append(self._lines.pop(0))
        if not self._due and now >= self._end:
            self._code = self._final

    async def stderr_text(self) -> str:
        return self._stderr


class _PeriodicStream(_TimedStream):
    """A sample at once, then one every ``period`` seconds of the runner's clock."""

    def __init__(self, runner: SimRunner, period: float) -> None:
        super().__init__(runner)
        self._period = period
        self._due = runner.clock()

    def _sample(self) -> tuple[list[str], int | None]:
        """The next sample's lines, and the exit code when the command ends with it."""
        raise NotImplementedError

    def _next_due(self) -> float:
        return self._due

    async def _fill(self) -> None:
        if self._runner.clock() < self._due:
            return
        self._runner.advance()
        lines, self._code = self._sample()
        self._buf += lines
        self._due += self._period


class XentopStream(_PeriodicStream):
    """``xentop -b -d N ...``: a frame at once, then one every N seconds."""

    def __init__(self, runner: SimRunner, opts: XentopOptions) -> None:
        super().__init__(runner, opts.delay)
        self._opts = opts
        self._sampler = XentopSampler()
        self._frames = 0

    def _sample(self) -> tuple[list[str], int | None]:
        frame = self._sampler.frame(self._runner.sim, self._opts)
        self._frames += 1
        last = self._opts.iterations is not None and self._frames >= self._opts.iterations
        return frame.splitlines(), 0 if last else None


class Dom0ProcStream(_PeriodicStream):
    """``commands.dom0_stream(N, rings=..., rings_every=K)``: ``cat /proc/loadavg
    /proc/net/dev`` (and in the first sample and every K-th after it, the ring files as
    ``head`` prints them) and the end-of-sample line, at once and then every N seconds,
    until /proc cannot be read."""

    def __init__(self, runner: SimRunner, period: int, rings: bool, rings_every: int = 1) -> None:
        super().__init__(runner, period)
        self._rings = rings
        self._rings_every = max(1, rings_every)
        self._samples = 0

    def _sample(self) -> tuple[list[str], int | None]:
        ans = _safe_execute(self._runner.sim, list(DOM0_PROC))
        if ans.exit_code != 0:
            return ans.stdout.splitlines(), 1
        lines = ans.stdout.splitlines()
        if self._rings and self._samples % self._rings_every == 0:
            lines += host_shell.ring_files(self._runner.sim).stdout.splitlines()
        self._samples += 1
        return [*lines, DOM0_SAMPLE_END], None


def _dom0_stream_spec(args: list[str]) -> tuple[int, bool, int] | None:
    """(N, rings, K) when ``args`` is exactly ``commands.dom0_stream(N, rings=rings,
    rings_every=K)``."""
    m = re.search(r"sleep (\d+); done", args[2]) if len(args) == 3 else None
    if m is None:
        return None
    n = int(m[1])
    every = re.search(r"% (\d+)\)\) -eq 0", args[2])
    k = int(every[1]) if every is not None else 1
    for rings in (False, True):
        if tuple(args) == dom0_stream(n, rings=rings, rings_every=k):
            return n, rings, k
    return None


class WatchStream(_TimedStream):
    """``xenstore-watch KEY...``: the keys first, then paths as XenStore changes."""

    def __init__(self, runner: SimRunner, keys: list[str], limit: int | None) -> None:
        super().__init__(runner)
        self._keys = keys
        self._limit = limit
        self._sent = 0
        self._tree = _pack(xenstore_tree.build_tree(runner.sim))
        self._version = runner.sim.xs_version
        self._pending = list(keys)

    def _next_due(self) -> float:
        return self._runner.clock() + WATCH_POLL_S

    async def _fill(self) -> None:
        self._runner.advance()
        sim = self._runner.sim
        if sim.xs_version != self._version:
            old = _unpack(self._tree)
            new = xenstore_tree.build_tree(sim)
            fired = xenstore_tree.diff_paths(old, new)
            intro = [p for p in new if p.startswith("/local/domain/") and p.count("/") == 3
                     and p not in old]
            gone = [p for p in old if p.startswith("/local/domain/")
                    and p.count("/") == 3 and p not in new]
            specials = (["/@introduceDomain"] if intro else []) + (
                ["/@releaseDomain"] if gone else [])
            for path in fired + specials:
                for key in self._keys:
                    if xenstore_tree.watch_matches(key, path):
                        self._pending.append(path[1:] if path.startswith("/@") else path)
                        break
            self._tree, self._version = _pack(new), sim.xs_version
        while self._pending and (self._limit is None or self._sent < self._limit):
            self._buf.append(self._pending.pop(0))
            self._sent += 1
        if self._limit is not None and self._sent >= self._limit:
            self._code = 0


def _pack(tree: xenstore_tree.Tree) -> bytes:
    """A XenStore tree kept only to diff against later: ~30x smaller than the dict
    (a 50-domain host's tree is ~2 MB as a dict, ~70 KB packed)."""
    return zlib.compress(pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpack(packed: bytes) -> xenstore_tree.Tree:
    tree: xenstore_tree.Tree = pickle.loads(zlib.decompress(packed))  # noqa: S301 - our own
    return tree
