"""The simulated fleet in its own process: ProcessSimRunner answers exactly as SimRunner."""

from __future__ import annotations

import asyncio
import os

import pytest

from collectors import commands
from collectors.fleet import DemoOptions, demo_host_configs
from collectors.sim import wire
from collectors.sim.fleet import make_fleet, sim_runners
from collectors.sim.process_runner import ProcessSimRunner, SimProcess
from collectors.sim.runner import SimRunner
from collectors.transport.base import (
    BatchCut,
    BatchOutputTooLarge,
    BatchTimeout,
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
    Runner,
)
from collectors.transport.pty import PtySession
from tests.sim_support import FakeClock

START = 1_800_000_000.0
HOSTILE = ["$(reboot)", "; rm -rf /", "[red]x", "a\nb", "`id`"]


def _pair(hosts: int = 2, domains: int = 5, seed: int = 7) -> tuple[
        SimProcess, dict[str, ProcessSimRunner], dict[str, SimRunner]]:
    proc = SimProcess(hosts, domains, seed, start=START, fake_clock=True)
    clock = FakeClock(START)
    local = sim_runners(make_fleet(hosts, domains, seed, start=START), clock=clock,
                        sleep=clock.sleep)
    return proc, proc.runners(), local


async def _close(runners: dict[str, ProcessSimRunner]) -> None:
    for r in runners.values():
        await r.close()


async def test_answers_are_byte_identical_to_the_in_process_simulator() -> None:
    proc, remote, local = _pair()
    try:
        assert list(remote) == list(local)
        name = next(iter(local))
        sequence: list[list[str]] = [
            list(commands.XL_LIST), list(commands.XL_VCPU_LIST), list(commands.XL_INFO),
            list(commands.XENSTORE_DOMAINS), list(commands.RING_FILES),
            list(commands.DOM0_PROC), list(commands.XL_LIST_LONG),
            ["xl", "pause", "2"], list(commands.XL_LIST), ["xl", "unpause", "2"],
            ["xl", "list", *HOSTILE[:1]], ["xenstore-read", "/local/domain/1/name"],
            ["sh", "-c", "reboot"], ["nosuch"],
        ]
        for argv in sequence:
            a, b = await remote[name].run(argv), await local[name].run(argv)
            assert a == b, argv
        batch = [list(commands.XL_LIST), list(commands.XL_UPTIME), ["xl", "pause", "nosuch"]]
        assert await remote[name].run_batch(batch) == await local[name].run_batch(batch)
    finally:
        await _close(remote)


async def test_is_a_runner_and_hostile_arguments_stay_arguments() -> None:
    proc, remote, local = _pair(hosts=1, domains=3)
    r = next(iter(remote.values()))
    try:
        assert isinstance(r, Runner)
        res = await r.run(["xl", "list", *HOSTILE])
        assert isinstance(res, CommandResult) and res.argv == ("xl", "list", *HOSTILE)
        assert res.exit_code != 0  # xl looked the names up; nothing was run by a shell
        assert res == await next(iter(local.values())).run(["xl", "list", *HOSTILE])
        with pytest.raises(TypeError):
            await r.run("xl list")
        with pytest.raises(TypeError):
            await r.run(["xl", 3])  # type: ignore[list-item, unused-ignore]
    finally:
        await _close(remote)


async def test_unknown_host_unreachable_and_garbage() -> None:
    proc, remote, _ = _pair(hosts=1, domains=2)
    r = next(iter(remote.values()))
    try:
        stranger = ProcessSimRunner(proc, "no-such-host")
        with pytest.raises(ConnectError, match="no such simulated host"):
            await stranger.run(["xl", "list"])
        await r.inject("unreachable", "host is down for the test")
        with pytest.raises(ConnectError, match="down for the test"):
            await r.run(["xl", "list"])
        await r.inject("unreachable", None)
        await r.inject("garbage", True)
        junk = await r.run(list(commands.XL_LIST))
        assert junk.ok and "Name" not in junk.stdout
        await r.inject("garbage", False)
        assert (await r.run(list(commands.XL_LIST))).stdout.startswith("Name")
        with pytest.raises(ValueError, match="unknown failure"):
            await r.inject("meteor", 1)
    finally:
        await _close(remote)


async def test_xentop_stream_frames_and_close() -> None:
    proc = SimProcess(1, 3, 0)  # the real clock: one frame a second
    (r,) = proc.runners().values()
    try:
        stream = await r.stream(commands.xentop_stream(1))
        assert isinstance(stream, LineStream)
        frame = [await stream.readline(timeout=5.0)]
        with pytest.raises(TimeoutError):
            while True:  # the rest of the frame arrives at once, then quiet until the next
                frame.append(await stream.readline(timeout=0.3))
        assert frame[0] is not None and frame[0].split()[:2] == ["NAME", "STATE"]
        domains = len(make_fleet(1, 3, 0)[0].domains)
        assert len(frame) == 1 + domains and any(line and "Domain-0" in line for line in frame)
        nxt = await stream.readline(timeout=3.0)
        assert nxt == frame[0]  # the next frame's header
        assert stream.exit_code is None
        await stream.close()
        assert await stream.readline(timeout=0.1) is None
        # xentop's usage error as a stream: the same lines, status and stderr as in-process
        (local,) = sim_runners(make_fleet(1, 3, 0)).values()
        answers = []
        for runner in (r, local):
            bad = await runner.stream(["xentop", "-Z"])
            lines = []
            while (line := await bad.readline(timeout=2.0)) is not None:
                lines.append(line)
            answers.append((lines, bad.exit_code, await bad.stderr_text()))
        assert answers[0] == answers[1] and "invalid option" in answers[0][2]
    finally:
        await r.close()


async def test_watch_stream_fires_on_a_xenstore_change() -> None:
    proc = SimProcess(1, 3, 0)
    (r,) = proc.runners().values()
    try:
        watch = await r.stream(commands.XENSTORE_WATCH)
        initial = [await watch.readline(timeout=5.0) for _ in range(3)]
        assert initial == ["/local/domain", "@introduceDomain", "@releaseDomain"]
        assert (await r.run(["xl", "destroy", "1"])).ok
        fired = await watch.readline(timeout=5.0)
        assert fired is not None and (fired.startswith("/local/domain") or fired[0] == "@")
        await watch.close()
    finally:
        await r.close()


async def test_console_over_the_pipe() -> None:
    proc = SimProcess(1, 3, 0)
    (r,) = proc.runners().values()
    try:
        session = await r.open_pty(["xl", "console", "1"], cols=100, rows=30)
        assert isinstance(session, PtySession)
        await session.write(b"echo hello $(reboot)\r")
        out = b""
        while b"hello" not in out:
            out += await asyncio.wait_for(session.read(), 5.0)
        assert b"hello $(reboot)" in out  # echoed as text: the guest shell ran nothing
        session.resize(120, 40)
        await session.write(b"\x1d")  # Ctrl-] detaches
        assert await asyncio.wait_for(session.wait(), 5.0) == 0
        with pytest.raises(ValueError):
            await r.open_pty(["xl", "console", "1"], term="bad term!")
        missing = await r.open_pty(["xl", "console", "nosuch"])
        assert await asyncio.wait_for(missing.wait(), 5.0) != 0
    finally:
        await r.close()


async def test_server_death_is_a_connect_error_then_a_fresh_server() -> None:
    proc = SimProcess(1, 2, 0)
    (r,) = proc.runners().values()
    try:
        stream = await r.stream(commands.xentop_stream(1))
        assert await stream.readline(timeout=5.0) is not None
        pid = proc.pid
        assert pid is not None
        os.kill(pid, 9)
        with pytest.raises(ConnectionLost):
            while True:
                await stream.readline(timeout=5.0)
        for _ in range(50):  # the next call starts a new simulator
            try:
                res = await r.run(["xl", "list"])
                break
            except ConnectError as e:
                assert "simulator" in e.message
                await asyncio.sleep(0.05)
        assert res.ok and proc.pid not in (None, pid)
    finally:
        await r.close()


async def test_last_runner_closing_stops_the_process() -> None:
    proc = SimProcess(2, 2, 0)
    runners = proc.runners()
    a, b = runners.values()
    await a.run(["xl", "list"])
    pid = proc.pid
    assert pid is not None and _alive(pid)
    await a.close()
    assert proc.pid == pid  # b still uses it
    await b.close()
    await asyncio.sleep(0.1)
    assert proc.pid is None and not _alive(pid)
    with pytest.raises(ConnectError, match="closed"):
        await b.run(["xl", "list"])
    assert proc.pid is None


async def test_command_timeouts_come_back_typed() -> None:
    proc, remote, local = _pair(hosts=1, domains=2)
    r = next(iter(remote.values()))
    try:
        await r.inject("latency", 5.0)
        with pytest.raises(CommandTimeout):
            await r.run(["xl", "list"], timeout=1.0)
    finally:
        await _close(remote)


async def test_a_batch_cut_short_keeps_what_finished_across_the_process() -> None:
    proc, remote, local = _pair(hosts=1, domains=3)
    batch = [["xl", "list"], ["xl", "save", "-c", "2", "/var/lib/xen/save/x.chk"],
             ["xl", "list"]]  # a save takes longer than 0.5 s
    try:
        cuts = []
        for runner in (next(iter(remote.values())), next(iter(local.values()))):
            with pytest.raises(BatchTimeout, match="xl save -c 2 .* still running") as cut:
                await runner.run_batch(batch, timeout=0.5)
            cuts.append(cut.value.results)
        assert cuts[0] == cuts[1]
        first, *rest = cuts[0]
        assert rest == [None, None] and first is not None and "Domain-0" in first.stdout
        assert first.ended_early_s == 0.5  # dated from the cut, across the process too
    finally:
        await _close(remote)


def test_big_demo_fleets_run_the_simulator_out_of_process() -> None:
    _, small = demo_host_configs(DemoOptions(hosts=3, domains=8))
    assert all(isinstance(r, SimRunner) for r in small.values())
    configs, big = demo_host_configs(DemoOptions(hosts=25, domains=40))
    assert len(configs) == 25 and all(isinstance(r, ProcessSimRunner) for r in big.values())
    _, forced = demo_host_configs(DemoOptions(hosts=2, domains=2, process=True))
    assert all(isinstance(r, ProcessSimRunner) for r in forced.values())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("kind", "message"), [
    (BatchTimeout, "xl save did not finish within 5 s (stopped)"),
    (BatchOutputTooLarge, "xl info took the round trip's output past 64 MiB"),
])
def test_a_batch_cut_crosses_the_wire_with_its_kept_results(kind: type[BatchCut],
                                                             message: str) -> None:
    # (BatchOutputTooLarge went over as a plain transport error: its kept results lost)
    kept = CommandResult(("xl", "list"), 0, "Name ...\n", "", 0.25, 0.1)
    cut = kind("h", message, [kept, None])
    with pytest.raises(kind) as got:
        wire.raise_error("h", wire.decode(wire.encode({"err": wire.error_of(cut)}))["err"])
    assert (got.value.message, got.value.results) == (message, (kept, None))
