"""Runs commands on this machine: exec without a shell, optional ``sudo -n``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Sequence

from collectors.model import HostId
from collectors.transport.argv import checked_argv, with_sudo
from collectors.transport.base import (
    CommandResult,
    CommandTimeout,
    LineStream,
    OutputTooLarge,
    TransportError,
    batch_results,
)
from collectors.transport.lines import (
    MAX_OUTPUT_BYTES,
    ChunkedLineReader,
    TailBuffer,
    decode,
    read_to_end,
)
from collectors.transport.local_pty import LocalPtySession, end_process_group
from collectors.transport.pty import PtySession, check_pty_request

_PIPE = asyncio.subprocess.PIPE
_DEVNULL = asyncio.subprocess.DEVNULL
_REAP_S = 2.0


class LocalRunner:
    """Implements Runner for the local host (Dom0 itself)."""

    def __init__(
        self, host: HostId = "local", *, sudo: bool = False, command_timeout: float = 30.0
    ) -> None:
        if command_timeout <= 0:
            raise ValueError(f"command_timeout must be positive, got {command_timeout}")
        self._host = host
        self._sudo = sudo
        self._command_timeout = command_timeout
        self._streams: set[LocalLineStream] = set()
        self._ptys: set[LocalPtySession] = set()
        self.last_rtt_s: float | None = None

    @property
    def host(self) -> HostId:
        return self._host

    def _full_argv(self, argv: Sequence[str]) -> tuple[str, ...]:
        return with_sudo(checked_argv(argv), self._sudo)

    async def _spawn(
        self, full: tuple[str, ...], *, stdin: int
    ) -> asyncio.subprocess.Process | CommandResult:
        """The started process, or a 127/126 result when it cannot be executed."""
        try:
            return await asyncio.create_subprocess_exec(
                *full, stdin=stdin, stdout=_PIPE, stderr=_PIPE, start_new_session=True
            )
        except FileNotFoundError:
            return CommandResult(full, 127, "", f"{full[0]}: command not found\n", 0.0)
        except PermissionError:
            return CommandResult(full, 126, "", f"{full[0]}: permission denied\n", 0.0)
        except OSError as exc:
            raise TransportError(self._host, f"cannot start {full[0]}: {exc}") from exc

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        full = self._full_argv(argv)
        limit = self._command_timeout if timeout is None else timeout
        started = time.monotonic()
        proc = await self._spawn(full, stdin=_DEVNULL if input is None else _PIPE)
        if isinstance(proc, CommandResult):
            return proc
        self.last_rtt_s = time.monotonic() - started  # (no link: the time to start one)
        data = None if input is None else input.encode()
        try:
            async with asyncio.timeout(limit):
                out, err = await _communicate(proc, data, self._host, full[0])
        except TimeoutError:
            raise CommandTimeout(
                self._host, f"{full[0]} did not finish within {limit:g} s (killed)"
            ) from None
        finally:
            if proc.returncode is None:  # timed out, too talkative or cancelled: no orphans
                _kill_group(proc.pid)
                await _reaped(proc)
        rc = proc.returncode
        assert rc is not None
        duration = time.monotonic() - started
        return CommandResult(full, rc if rc >= 0 else 128 - rc, decode(out), decode(err), duration)

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        async def ended(argv: Sequence[str]) -> tuple[CommandResult | BaseException, float]:
            try:
                return await self.run(argv, timeout=timeout), time.monotonic()
            except TransportError as e:
                return e, time.monotonic()

        # side by side: one that times out keeps none of the others from finishing
        outcomes = await asyncio.gather(*(ended(a) for a in argvs))
        return batch_results(self._host, argvs, outcomes)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        full = self._full_argv(argv)
        proc = await self._spawn(full, stdin=_DEVNULL)
        if isinstance(proc, CommandResult):
            return FinishedLineStream(proc)
        stream = LocalLineStream(proc, on_close=self._streams.discard)
        self._streams.add(stream)
        return stream

    async def open_pty(
        self, argv: Sequence[str], *, term: str, cols: int, rows: int
    ) -> PtySession:
        check_pty_request(term, cols, rows)
        session = await LocalPtySession.start(
            self._full_argv(argv), term=term, cols=cols, rows=rows
        )
        self._ptys.add(session)
        return session

    async def close(self) -> None:
        streams, ptys = list(self._streams), list(self._ptys)
        self._streams.clear()
        self._ptys.clear()
        await asyncio.gather(
            *(s.close() for s in streams), *(p.close() for p in ptys), return_exceptions=True
        )


async def _communicate(proc: asyncio.subprocess.Process, data: bytes | None, host: HostId,
                       what: str) -> tuple[bytes, bytes]:
    """``proc.communicate(data)`` reading at most MAX_OUTPUT_BYTES of each pipe."""
    assert proc.stdout is not None and proc.stderr is not None
    if data is not None:
        assert proc.stdin is not None
        proc.stdin.write(data)  # small (a config file): buffered at once, not drained
        proc.stdin.close()
    got = await read_to_end(proc.stdout.read, proc.stderr.read)
    if got is None:
        raise OutputTooLarge(host, f"{what} printed more than {MAX_OUTPUT_BYTES >> 20} MiB "
                             "(not read; the command was killed)")
    await proc.wait()
    return got[0], got[1]


async def _reaped(proc: asyncio.subprocess.Process) -> None:
    """Wait a little for a killed child. asyncio's wait() returns once its pipes are closed
    too, so what they still hold is read and dropped (a full pipe that nobody reads never
    closes); a pipe a runaway grandchild keeps open is left after _REAP_S."""
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(_REAP_S):
            await read_to_end(proc.stdout.read, proc.stderr.read)
            await proc.wait()
    except TimeoutError:
        # asyncio has no public way to let go of a child's pipes: close its transport, or
        # it outlives the event loop (and complains at exit)
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            transport.close()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class LocalLineStream:
    """Implements LineStream over a local child's stdout; stderr is kept (last 64 KiB)."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        *,
        on_close: Callable[[LocalLineStream], None] | None = None,
        grace_s: float = 2.0,
    ) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self._proc = proc
        self._stdout = proc.stdout
        self._reader = ChunkedLineReader(self._read_chunk)
        self._stderr = TailBuffer()
        self._stderr_task = asyncio.create_task(self._drain_stderr(proc.stderr))
        self._on_close = on_close
        self._grace_s = grace_s
        self._closed = False

    async def _drain_stderr(self, stderr: asyncio.StreamReader) -> None:
        while data := await stderr.read(65536):
            self._stderr.write(data)

    async def _read_chunk(self) -> bytes:
        data = await self._stdout.read(65536)
        if not data:  # the command ended (or closed its stdout): collect its status
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 1.0)
        return data

    async def readline(self, timeout: float | None = None) -> str | None:
        if self._closed:
            return None
        return await self._reader.readline(timeout)

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        if self._closed:
            return None
        return await self._reader.readlines(timeout)

    @property
    def exit_code(self) -> int | None:
        return self._proc.returncode

    async def stderr_text(self) -> str:
        if self._proc.returncode is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
        return self._stderr.text()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close(self)
        await end_process_group(self._proc, self._grace_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
        self._stderr_task.cancel()


class FinishedLineStream:
    """A stream whose command could not start: no lines, its error on stderr."""

    def __init__(self, result: CommandResult) -> None:
        self._result = result

    async def readline(self, timeout: float | None = None) -> str | None:
        return None

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        return None

    @property
    def exit_code(self) -> int | None:
        return self._result.exit_code

    async def stderr_text(self) -> str:
        return self._result.stderr

    async def close(self) -> None:
        return None
