"""A simulated fleet in its own process, answering Runner calls on stdin/stdout.

    python -m collectors.sim.server --hosts 100 --domains 50 [--seed 0] [--start T]

The fleet (``make_fleet``) and every host's SimRunner live here, so the simulator's CPU
and memory (host evolution, rendering xl/xentop/XenStore text) are not the dashboard's:
the app talks to it through :class:`collectors.sim.process_runner.ProcessSimRunner` as it
would to real hosts over SSH. The protocol is in :mod:`collectors.sim.wire`. The server
exits when its stdin closes (the app went away).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from typing import Any, BinaryIO

from collectors.sim import wire
from collectors.sim.fleet import make_fleet, set_pcpus, sim_runners
from collectors.sim.runner import SimRunner
from collectors.transport.base import ConnectError, LineStream
from collectors.transport.pty import PtySession

MAX_LINES_PER_EVENT = 20_000
READ_LIMIT = 1 << 28  # a request line (argv, terminal input) is never near this


class FakeClock:
    """Time that only moves when a command sleeps (byte-exact tests)."""

    def __init__(self, start: float) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class SimServer:
    def __init__(self, runners: dict[str, SimRunner], out: BinaryIO) -> None:
        self.runners = runners
        self._out = out
        self._streams: dict[int, LineStream] = {}
        self._ptys: dict[int, PtySession] = {}
        self._pumps: dict[int, asyncio.Task[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, msg: dict[str, Any]) -> None:
        self._out.write(wire.encode(msg))
        self._out.flush()

    async def serve(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                try:
                    msg = wire.decode(line)
                    rid = int(msg["id"])
                except (ValueError, KeyError, TypeError):
                    continue  # not ours to answer: the client never sends this
                self._spawn(self._answer(rid, msg))
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t
        for s in list(self._streams.values()):
            with contextlib.suppress(Exception):
                await s.close()
        for p in list(self._ptys.values()):
            with contextlib.suppress(Exception):
                await p.close()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _runner(self, msg: dict[str, Any]) -> SimRunner:
        name = str(msg.get("host"))
        runner = self.runners.get(name)
        if runner is None:
            raise ConnectError(name, "no such simulated host")
        return runner

    async def _answer(self, rid: int, msg: dict[str, Any]) -> None:
        try:
            result = await self._op(rid, msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure goes back to the caller, typed
            self.send({"id": rid, "err": wire.error_of(exc)})
            return
        if result is not _NO_ANSWER:
            self.send({"id": rid, "ok": result})

    async def _op(self, rid: int, msg: dict[str, Any]) -> Any:
        op = msg.get("op")
        if op == "hosts":
            return list(self.runners)
        if op == "run":
            res = await self._runner(msg).run(msg["argv"], timeout=msg.get("timeout"),
                                              input=msg.get("input"))
            return wire.result_to_wire(res)
        if op == "batch":
            results = await self._runner(msg).run_batch(msg["argvs"], timeout=msg.get("timeout"))
            return [wire.result_to_wire(r) for r in results]
        if op == "stream":
            stream = await self._runner(msg).stream(msg["argv"])
            self._streams[rid] = stream
            task = asyncio.current_task()
            if task is not None:
                self._pumps[rid] = task
            self.send({"id": rid, "ok": None})
            await self._pump(rid, stream)
            return _NO_ANSWER
        if op == "close":
            await self._close(int(msg["sid"]))
            return None
        if op == "pty":
            session = await self._runner(msg).open_pty(
                msg["argv"], term=msg["term"], cols=msg["cols"], rows=msg["rows"])
            self._ptys[rid] = session
            return None
        if isinstance(op, str) and op.startswith("pty_"):
            return await self._pty_op(op, msg)
        if op == "inject":
            return self._inject(self._runner(msg), msg)
        raise ValueError(f"unknown operation {op!r}")

    async def _pump(self, sid: int, stream: LineStream) -> None:
        """Forward a stream's lines, everything available at once in one event."""
        try:
            while True:
                line = await stream.readline(None)
                if line is None:
                    break
                lines = [line]
                ended = False
                while len(lines) < MAX_LINES_PER_EVENT:
                    try:
                        more = await stream.readline(0)
                    except TimeoutError:
                        break
                    if more is None:
                        ended = True
                        break
                    lines.append(more)
                self.send({"id": sid, "lines": lines})
                if ended:
                    break
            self.send({"id": sid, "end": [stream.exit_code, await stream.stderr_text()]})
        except Exception as exc:  # ConnectionLost and friends end the stream, typed
            self.send({"id": sid, "err": wire.error_of(exc)})
        finally:
            self._streams.pop(sid, None)
            self._pumps.pop(sid, None)
            with contextlib.suppress(Exception):
                await stream.close()

    async def _close(self, sid: int) -> None:
        pump = self._pumps.pop(sid, None)
        if pump is not None:
            pump.cancel()  # parked in readline; its finally closes the stream
        stream = self._streams.pop(sid, None)
        if stream is not None:
            await stream.close()
        pty = self._ptys.pop(sid, None)
        if pty is not None:
            await pty.close()

    async def _pty_op(self, op: str, msg: dict[str, Any]) -> Any:
        session = self._ptys.get(int(msg["sid"]))
        if session is None:
            raise ValueError("no such terminal session")
        if op == "pty_write":
            await session.write(wire.to_bytes(msg["data"]))
            return None
        if op == "pty_read":
            return wire.to_text(await session.read(int(msg.get("n", 65536))))
        if op == "pty_resize":
            session.resize(int(msg["cols"]), int(msg["rows"]))
            return None
        if op == "pty_wait":
            return await session.wait()
        raise ValueError(f"unknown operation {op!r}")

    def _inject(self, runner: SimRunner, msg: dict[str, Any]) -> None:
        what, value = msg.get("what"), msg.get("value")
        if what == "unreachable":
            runner.set_unreachable(None if value is None else str(value))
        elif what == "latency":
            runner.set_latency(float(value or 0.0))
        elif what == "garbage":
            runner.set_garbage(bool(value))
        else:
            raise ValueError(f"unknown failure {what!r}")


_NO_ANSWER = object()


def build_runners(args: argparse.Namespace) -> dict[str, SimRunner]:
    start = args.start if args.start is not None else time.time()
    fleet = make_fleet(args.hosts, args.domains, args.seed, start=start)
    if args.pcpus:
        set_pcpus(fleet, args.pcpus)
    if args.fake_clock:
        clock = FakeClock(start)
        return dict(sim_runners(fleet, clock=clock, sleep=clock.sleep))
    return dict(sim_runners(fleet))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="xltop's simulated fleet, served on stdin/stdout")
    p.add_argument("--hosts", type=int, default=3)
    p.add_argument("--domains", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=float, default=None, help="the fleet's start time (epoch)")
    p.add_argument("--pcpus", type=int, default=0, help="override every host's pCPU count")
    p.add_argument("--fake-clock", action="store_true",
                   help="time moves only when a command sleeps (tests)")
    return p.parse_args(argv)


async def serve_stdio(args: argparse.Namespace) -> None:
    runners = build_runners(args)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    server = SimServer(runners, sys.stdout.buffer)
    server.send({"id": 0, "ok": list(runners)})  # ready: the fleet is built
    await server.serve(reader)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        asyncio.run(serve_stdio(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
