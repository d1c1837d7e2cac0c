"""SimRunner: the Runner protocol, streams on an injected clock, failure injection, console."""

from __future__ import annotations

import asyncio

import pytest

from collectors import commands
from collectors.sim.fleet import make_lab_like_host
from collectors.sim.runner import KILLED, SimRunner
from collectors.transport.base import (
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
    Runner,
)
from collectors.transport.pty import PtySession
from tests.sim_support import FakeClock


def lab_runner(latency: float = 0.0) -> tuple[SimRunner, FakeClock]:
    host = make_lab_like_host()
    clock = FakeClock(host.t0)
    return SimRunner(host, clock=clock, sleep=clock.sleep, latency_s=latency), clock


async def test_is_a_runner_and_answers_argv() -> None:
    runner, clock = lab_runner(latency=0.05)
    assert isinstance(runner, Runner)
    assert runner.host == "xenlab"
    res = await runner.run(["xl", "list"])
    assert res.argv == ("xl", "list") and res.ok
    assert res.stdout.splitlines()[1].startswith("Domain-0 ")
    assert runner.last_rtt_s == pytest.approx(0.05)
    assert clock.slept == [0.05]
    results = await runner.run_batch([["xl", "info", "host"], ["xl", "pause", "nosuch"]])
    assert [r.stdout for r in results] == ["xenlab\n", ""]
    assert [r.exit_code for r in results] == [0, 1]


async def test_helper_commands() -> None:
    runner, _ = lab_runner()
    assert (await runner.run(commands.LIST_BRIDGES)).stdout == "/sys/class/net/xenbr0\n"
    assert (await runner.run(commands.LIST_XEN_CONFIGS)).stdout == (
        "/etc/xen/db1.cfg\n/etc/xen/idle1.cfg\n/etc/xen/web1.cfg\n"
        "/etc/xen/auto/db1.cfg\n/etc/xen/auto/idle1.cfg\n/etc/xen/auto/web1.cfg\n")
    assert (await runner.run(commands.LIST_SAVE_FILES)).stdout == ""
    await runner.run(["xl", "save", "-c", "idle1", "/var/lib/xen/save/idle1.chk"])
    await runner.run(["xl", "save", "-c", "db1", "/root/db1.chk"])
    assert (await runner.run(commands.LIST_SAVE_FILES)).stdout == (
        "/var/lib/xen/save/idle1.chk\n/root/db1.chk\n")
    assert (await runner.run(commands.path_exists("/var/lib/xen/save/idle1.chk"))).ok
    assert not (await runner.run(commands.path_exists("/var/lib/xen/save/none.chk"))).ok
    assert (await runner.run(commands.MOUNT_DEBUGFS)).ok
    other = await runner.run(["sh", "-c", "cat /etc/shadow"])
    assert (other.exit_code, other.stderr) == (127, "sh: simulated host runs no arbitrary "
                                                    "scripts\n")
    missing = await runner.run(["foo", "--bar"])
    assert (missing.exit_code, missing.stderr) == (127, "sh: 1: foo: not found\n")


async def test_merge_stderr_keeps_the_order_xl_wrote_in() -> None:
    runner, _ = lab_runner()
    res = await runner.run([*commands.MERGE_STDERR, "xl", "vcpu-list", "nosuch"])
    assert res.stderr == ""
    assert res.stdout.splitlines() == [
        "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)",
        "nosuch is an invalid domain identifier (rc=-6)"]


async def test_merged_save_progress_streams_over_the_save_time() -> None:
    runner, clock = lab_runner()
    start = clock.t
    stream = await runner.stream(
        [*commands.MERGE_STDERR, "xl", "save", "idle1", "/var/lib/xen/save/i.chk"])
    lines: list[tuple[float, str]] = []
    while (line := await stream.readline()) is not None:
        lines.append((clock.t - start, line))
    assert stream.exit_code == 0
    assert lines[0][1].startswith("Saving to /var/lib/xen/save/i.chk new xl format")
    assert lines[-2][1] == "xc: progress: Frames: 32768/32768  100%"
    assert lines[0][0] < lines[-1][0]  # spread over the save, not all at once
    assert "idle1" not in (await runner.run(["xl", "list"])).stdout


async def test_xentop_once_takes_a_second_and_second_frame_has_cpu() -> None:
    runner, clock = lab_runner()
    clock.t += 30
    res = await runner.run(commands.xentop_once())
    assert res.ok and res.duration_s == pytest.approx(1.0)
    frames = res.stdout.split("      NAME  STATE")
    assert len(frames) == 3
    first = [ln for ln in frames[1].splitlines() if ln.startswith("  Domain-0")][0]
    second = [ln for ln in frames[2].splitlines() if ln.startswith("  Domain-0")][0]
    assert first.split()[3] == "0.0" and float(second.split()[3]) > 0.0


async def test_xentop_stream_frames_follow_the_clock() -> None:
    runner, clock = lab_runner()
    start = clock.t
    stream = await runner.stream(commands.xentop_stream(2))
    assert isinstance(stream, LineStream)
    header = await stream.readline()
    assert header is not None and header.startswith("      NAME  STATE")
    assert clock.t == start  # the first frame comes at once
    seen = [header]
    while True:
        line = await stream.readline()
        assert line is not None
        if line.startswith("      NAME"):
            break
        seen.append(line)
    assert clock.t == start + 2
    with pytest.raises(TimeoutError):
        while True:
            await stream.readline(timeout=0.5)
    assert stream.exit_code is None
    await stream.close()
    assert await stream.readline() is None


async def test_stream_loses_connection_when_host_goes_away() -> None:
    runner, _ = lab_runner()
    stream = await runner.stream(commands.xentop_stream(1))
    assert await stream.readline() is not None
    runner.set_unreachable("No route to host")
    with pytest.raises(ConnectionLost):
        while True:
            await stream.readline()


async def test_xenstore_watch_reports_changes() -> None:
    runner, clock = lab_runner()
    stream = await runner.stream(commands.XENSTORE_WATCH)
    first = [await stream.readline() for _ in range(3)]
    assert first == ["/local/domain", "@introduceDomain", "@releaseDomain"]
    with pytest.raises(TimeoutError):
        await stream.readline(timeout=1.0)
    assert (await runner.run(["xl", "mem-set", "db1", "150"])).ok
    assert await stream.readline(timeout=1.0) == "/local/domain/1/memory/target"
    assert (await runner.run(["xl", "destroy", "idle1"])).ok
    fired = []
    while (line := await _next(stream)) is not None:
        fired.append(line)
    assert "/local/domain/2" in fired and fired[-1] == "@releaseDomain"
    assert "/local/domain/1/memory/target" not in fired
    limited = await runner.run(["xenstore-watch", "-n", "2", "/local/domain", "@releaseDomain"])
    assert (limited.exit_code, limited.stdout) == (0, "/local/domain\n@releaseDomain\n")
    del clock


async def _next(stream: LineStream) -> str | None:
    try:
        return await stream.readline(timeout=1.0)
    except TimeoutError:
        return None


async def test_never_ending_commands_without_timeout_are_killed() -> None:
    runner, clock = lab_runner()
    start = clock.t
    res = await runner.run(["xenstore-watch", "/local/domain"])
    assert (res.exit_code, res.stdout) == (KILLED, "/local/domain\n")
    assert clock.t - start == pytest.approx(60.0)
    with pytest.raises(CommandTimeout):
        await runner.run(["xentop", "-b"], timeout=5)


async def test_failure_injection() -> None:
    runner, clock = lab_runner()
    runner.set_unreachable("Connection refused")
    with pytest.raises(ConnectError, match="xenlab: Connection refused"):
        await runner.run(["xl", "list"])
    runner.set_unreachable(None)
    runner.set_latency(3.0)
    before = clock.t
    with pytest.raises(CommandTimeout):
        await runner.run(["xl", "list"], timeout=1.0)
    assert clock.t - before == pytest.approx(1.0)
    runner.set_latency(0.0)
    runner.set_garbage(True)
    junk = await runner.run(["xl", "list"])
    assert junk.ok and "Domain-0" not in junk.stdout and junk.stdout
    assert (await runner.run(["xl", "list"])).stdout == junk.stdout  # same moment, same junk
    runner.set_garbage(False)
    assert (await runner.run(["xl", "list"])).stdout.startswith("Name ")


async def test_slow_actions_time_out_but_still_happen() -> None:
    runner, _ = lab_runner()
    with pytest.raises(CommandTimeout):
        await runner.run(["xl", "save", "db1", "/var/lib/xen/save/db1.chk"], timeout=0.1)
    assert 1 not in runner.sim.domains  # like a real host: the save went on without us


async def test_argv_must_be_a_list_of_strings() -> None:
    runner, _ = lab_runner()
    with pytest.raises(TypeError):
        await runner.run("xl list")
    with pytest.raises(TypeError):
        await runner.run(["xl", 3])  # type: ignore[list-item]


# --- console ---------------------------------------------------------------------------


async def _read_until(pty: PtySession, needle: bytes) -> bytes:
    buf = b""
    while needle not in buf:
        chunk = await asyncio.wait_for(pty.read(), 1.0)
        assert chunk, f"EOF before {needle!r}: {buf!r}"
        buf += chunk
    return buf


async def test_console_echo_and_detach() -> None:
    runner, _ = lab_runner()
    pty = await runner.open_pty(["xl", "console", "idle1"], term="xterm", cols=100, rows=30)
    assert isinstance(pty, PtySession)
    await pty.write(b"echo hello\r")
    out = await _read_until(pty, b"/ # ")
    assert out == b"echo hello\r\nhello\r\n/ # "
    await pty.write(b"hostname\r")
    assert b"(none)\r\n" in await _read_until(pty, b"/ # ")
    await pty.write(b"uname -a\r")
    assert b"Linux (none) 6.1.0-50-amd64 " in await _read_until(pty, b"/ # ")
    await pty.write(b"x\x1d")  # Ctrl-] with other bytes is just input
    assert await _read_until(pty, b"^]") == b"x^]"
    pty.resize(120, 40)
    await pty.write(b"\x1d")
    assert await asyncio.wait_for(pty.wait(), 1.0) == 0
    assert await pty.read() == b""


async def test_console_errors() -> None:
    runner, _ = lab_runner()
    dom0 = await runner.open_pty(["xl", "console", "Domain-0"], term="xterm", cols=80, rows=24)
    assert await dom0.wait() == 22
    assert await dom0.read() == b"Can't specify Domain-0\r\n"
    nosuch = await runner.open_pty(["xl", "console", "nosuch"], term="xterm", cols=80, rows=24)
    assert await nosuch.wait() == 1
    assert await nosuch.read() == b"nosuch is an invalid domain identifier (rc=-6)\r\n"
    with pytest.raises(ValueError):
        await runner.open_pty(["xl", "console", "idle1"], term="bad term", cols=80, rows=24)


async def test_console_ends_when_the_domain_goes() -> None:
    runner, _ = lab_runner()
    pty = await runner.open_pty(["xl", "console", "web1"], term="xterm", cols=80, rows=24)
    reader = asyncio.ensure_future(pty.read())
    await asyncio.sleep(0)
    assert (await runner.run(["xl", "destroy", "web1"])).ok
    assert await asyncio.wait_for(reader, 1.0) == b""
    assert await pty.wait() == 0


async def test_paused_guest_console_is_silent() -> None:
    runner, _ = lab_runner()
    await runner.run(["xl", "pause", "idle1"])
    pty = await runner.open_pty(["xl", "console", "idle1"], term="xterm", cols=80, rows=24)
    await pty.write(b"echo hi\r")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(pty.read(), 0.05)
    await pty.close()
    assert await pty.wait() is None
