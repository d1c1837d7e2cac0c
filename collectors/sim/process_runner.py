"""Runners for a simulated fleet that lives in another process (:mod:`collectors.sim.server`).

The app then pays for a simulated host what it pays for a real one over SSH: sending
argv, reading text back, parsing it. :class:`SimProcess` starts the server on first use
(inside the running event loop) and is shared by its hosts' :class:`ProcessSimRunner`\\ s;
the last runner to close stops it. If the server dies, calls fail with ConnectError and
the next call starts a fresh one (same seed: the same fleet, from its start).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from collectors.model import HostId
from collectors.sim import wire
from collectors.sim.fleet import host_names
from collectors.sim.runner import checked_args
from collectors.transport.base import (
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
)
from collectors.transport.lines import TailBuffer
from collectors.transport.pty import check_pty_request

READ_LIMIT = 1 << 28  # one answer is one line: a 100-domain xl list -l is ~1 MB
GUARD_S = 15.0  # past a command's own timeout, stop waiting for a server that hangs
_ROOT = Path(__file__).resolve().parents[2]


class SimProcess:
    """One simulator subprocess serving ``hosts`` × ``domains`` (``make_fleet``)."""

    def __init__(self, hosts: int, domains: int, seed: int = 0, *, start: float | None = None,
                 pcpus: int = 0, fake_clock: bool = False) -> None:
        self.names = host_names(hosts)
        self.argv = [sys.executable, "-m", "collectors.sim.server", "--hosts", str(hosts),
                     "--domains", str(domains), "--seed", str(seed)]
        if start is not None:
            self.argv += ["--start", repr(float(start))]
        if pcpus:
            self.argv += ["--pcpus", str(pcpus)]
        if fake_clock:
            self.argv.append("--fake-clock")
        self._proc: asyncio.subprocess.Process | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Future[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._streams: dict[int, ProcessLineStream] = {}
        self._next_id = 1
        self._users = 0
        self._stderr = TailBuffer(8192)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def runners(self) -> dict[str, ProcessSimRunner]:
        """One runner per simulated host, keyed by host name."""
        self._users += len(self.names)
        return {name: ProcessSimRunner(self, name) for name in self.names}

    # --- the process ---------------------------------------------------------------------

    async def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._proc is not None and self._loop is not loop:
            self._kill()  # started under another event loop (tests): start afresh
        if self._proc is not None and self._proc.returncode is None and self._starting is None:
            return
        if self._starting is None:
            self._starting = loop.create_future()
            self._loop = loop
            try:
                await self._spawn()
            except BaseException as exc:
                if isinstance(exc, Exception):
                    self._starting.set_exception(exc)
                    self._starting.exception()  # retrieved here; waiters get it too
                else:
                    self._starting.cancel()
                self._starting = None
                self._kill()
                raise
            self._starting.set_result(None)
            self._starting = None
            return
        await asyncio.shield(self._starting)

    async def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        self._stderr = TailBuffer(8192)
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, limit=READ_LIMIT,
                start_new_session=True)
        except OSError as e:
            raise ConnectError(self.names[0] if self.names else "sim",
                               f"cannot start the simulator: {e}") from e
        self._proc = proc
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[0] = ready
        self._tasks = [asyncio.create_task(self._read(proc), name="sim-process:stdout"),
                       asyncio.create_task(self._read_stderr(proc), name="sim-process:stderr")]
        await ready

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        try:
            while line := await proc.stdout.readline():
                self._dispatch(wire.decode(line))
        except (ValueError, asyncio.LimitOverrunError, ConnectionError):
            pass
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), 2.0)
        self._died(proc)

    async def _read_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        with contextlib.suppress(Exception):
            while data := await proc.stderr.read(4096):
                self._stderr.write(data)

    def _died(self, proc: asyncio.subprocess.Process) -> None:
        if self._proc is not proc:
            return
        self._proc = None
        tail = self._stderr.text().strip().splitlines()
        why = f"simulator process exited ({proc.returncode})"
        if tail:
            why += f": {tail[-1][:200]}"
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectError("sim", why))
                fut.exception()
        self._pending.clear()
        for stream in self._streams.values():
            stream.fail(["lost", why])
        self._streams.clear()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        rid = msg.get("id")
        if not isinstance(rid, int):
            return
        if ("ok" in msg or "err" in msg) and rid in self._pending:
            fut = self._pending.pop(rid)
            if not fut.done():
                fut.set_result(msg)
            return
        stream = self._streams.get(rid)
        if stream is None:
            return
        if "lines" in msg:
            stream.feed(msg["lines"])
        elif "end" in msg:
            code, err = msg["end"]
            stream.finish(code, err)
            self._streams.pop(rid, None)
        elif "err" in msg:
            stream.fail(msg["err"])
            self._streams.pop(rid, None)

    # --- requests --------------------------------------------------------------------

    def _send(self, msg: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise ConnectError(str(msg.get("host", "sim")), "simulator process is not running")
        proc.stdin.write(wire.encode(msg))

    def new_id(self) -> int:
        rid = self._next_id
        self._next_id += 1
        return rid

    async def request(self, host: HostId, op: str, *, guard: float | None = None,
                      stream: ProcessLineStream | None = None, rid: int | None = None,
                      **fields: Any) -> Any:
        await self._ensure()
        rid = self.new_id() if rid is None else rid
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        if stream is not None:
            stream.sid = rid
            self._streams[rid] = stream
        try:
            self._send({"id": rid, "op": op, "host": host, **fields})
            msg = await (asyncio.wait_for(fut, guard) if guard is not None else fut)
        except TimeoutError:
            raise CommandTimeout(host, "the simulator did not answer") from None
        except ConnectError as e:
            raise ConnectError(host, e.message) from None
        finally:
            self._pending.pop(rid, None)
        if "err" in msg:
            self._streams.pop(rid, None)
            wire.raise_error(host, msg["err"])
        return msg.get("ok")

    def notify(self, host: HostId, op: str, **fields: Any) -> None:
        """Send a request whose answer nobody waits for (closing a stream, resizing)."""
        if self._proc is None:
            return
        rid = self.new_id()
        with contextlib.suppress(ConnectError):
            self._send({"id": rid, "op": op, "host": host, **fields})

    def forget_stream(self, sid: int) -> None:
        self._streams.pop(sid, None)

    async def release(self) -> None:
        """A runner closed; the last one stops the process."""
        self._users = max(0, self._users - 1)
        if self._users == 0:
            await self.close()

    async def close(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if self._loop is not asyncio.get_running_loop():
            self._kill()
            return
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()  # the server exits at end of input
        try:
            await asyncio.wait_for(proc.wait(), 3.0)
        except TimeoutError:
            self._kill()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t
        self._tasks = []
        self._died(proc)

    def _kill(self) -> None:
        proc = self._proc
        self._proc = None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        self._pending.clear()
        self._streams.clear()


class ProcessSimRunner:
    """The Runner protocol (and open_pty) for one host of a :class:`SimProcess`."""

    def __init__(self, sim: SimProcess, host: HostId) -> None:
        self._sim = sim
        self._host = host
        self._closed = False
        self.last_rtt_s: float | None = None  # the last request's round trip to the sim

    @property
    def host(self) -> HostId:
        return self._host

    def _open(self) -> None:
        if self._closed:
            raise ConnectError(self._host, "runner closed")

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = checked_args(argv)
        self._open()
        t0 = time.monotonic()
        ans = await self._sim.request(self._host, "run", argv=args, timeout=timeout,
                                      input=input, guard=_guard(timeout))
        self.last_rtt_s = time.monotonic() - t0
        return wire.result_from_wire(ans)

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        batch = [checked_args(a) for a in argvs]
        self._open()
        guard = None if timeout is None else GUARD_S + timeout * max(1, len(batch))
        t0 = time.monotonic()
        ans = await self._sim.request(self._host, "batch", argvs=batch, timeout=timeout,
                                      guard=guard)
        self.last_rtt_s = time.monotonic() - t0
        return [wire.result_from_wire(r) for r in ans]

    async def stream(self, argv: Sequence[str]) -> LineStream:
        args = checked_args(argv)
        self._open()
        stream = ProcessLineStream(self._sim, self._host)
        await self._sim.request(self._host, "stream", argv=args, stream=stream,
                                guard=GUARD_S)
        return stream

    async def open_pty(
        self, argv: Sequence[str], *, term: str = "xterm-256color", cols: int = 80,
        rows: int = 24,
    ) -> ProcessPtySession:
        check_pty_request(term, cols, rows)
        args = checked_args(argv)
        self._open()
        sid = self._sim.new_id()  # the session is known by its opening request's id
        await self._sim.request(self._host, "pty", argv=args, term=term, cols=cols, rows=rows,
                                guard=GUARD_S, rid=sid)
        return ProcessPtySession(self._sim, self._host, sid)

    async def inject(self, what: str, value: object) -> None:
        """Failure injection on the simulated host: ``unreachable`` (a reason or None),
        ``latency`` (seconds) or ``garbage`` (bool)."""
        await self._sim.request(self._host, "inject", what=what, value=value, guard=GUARD_S)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._sim.release()


class ProcessLineStream:
    """A stream's lines as the server forwards them (whole frames at once)."""

    def __init__(self, sim: SimProcess, host: HostId) -> None:
        self._sim = sim
        self._host = host
        self.sid = 0
        self._lines: deque[str] = deque()
        self._wake = asyncio.Event()
        self._end: tuple[int | None, str] | None = None
        self._error: list[str] | None = None
        self._closed = False

    def feed(self, lines: list[str]) -> None:
        self._lines.extend(lines)
        self._wake.set()

    def finish(self, code: int | None, stderr: str) -> None:
        self._end = (code, stderr)
        self._wake.set()

    def fail(self, err: list[str]) -> None:
        self._error = err
        self._wake.set()

    async def readline(self, timeout: float | None = None) -> str | None:
        if not self._lines:
            lines = await self.readlines(timeout)
            if lines is None:
                return None
            self._lines.extend(lines)
        return self._lines.popleft()

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        while True:
            if self._lines:
                lines = list(self._lines)
                self._lines.clear()
                return lines
            if self._closed or self._end is not None:
                return None
            if self._error is not None:
                wire.raise_error(self._host, self._error)
            self._wake.clear()
            if timeout is None:
                await self._wake.wait()
            else:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    @property
    def exit_code(self) -> int | None:
        if self._lines or self._end is None:
            return None
        return self._end[0]

    async def stderr_text(self) -> str:
        return self._end[1] if self._end is not None else ""

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._lines.clear()
        self._wake.set()
        if self._end is None and self._error is None:
            self._sim.forget_stream(self.sid)
            self._sim.notify(self._host, "close", sid=self.sid)


class ProcessPtySession:
    """A terminal session (``xl console``) on a simulated host in the server."""

    def __init__(self, sim: SimProcess, host: HostId, sid: int) -> None:
        self._sim = sim
        self._host = host
        self._sid = sid

    async def write(self, data: bytes) -> None:
        await self._sim.request(self._host, "pty_write", sid=self._sid, data=wire.to_text(data))

    async def read(self, n: int = 65536) -> bytes:
        try:
            text = await self._sim.request(self._host, "pty_read", sid=self._sid, n=n)
        except ValueError:
            return b""  # the session is gone
        except ConnectError as e:
            raise ConnectionLost(self._host, e.message) from None
        return wire.to_bytes(text)

    def resize(self, cols: int, rows: int) -> None:
        self._sim.notify(self._host, "pty_resize", sid=self._sid, cols=cols, rows=rows)

    async def wait(self) -> int | None:
        try:
            status = await self._sim.request(self._host, "pty_wait", sid=self._sid)
        except (ValueError, ConnectError):
            return None
        return int(status) if status is not None else None

    async def close(self) -> None:
        with contextlib.suppress(ConnectError, ValueError):
            await self._sim.request(self._host, "close", sid=self._sid, guard=GUARD_S)


def _guard(timeout: float | None) -> float | None:
    return None if timeout is None else timeout + GUARD_S
