"""SshRunner against a real SSH protocol server on loopback running a real /bin/sh."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import time
from typing import Any

import pytest

from collectors.transport import ssh as ssh_module
from collectors.transport.backoff import Backoff
from collectors.transport.base import (
    BatchOutputTooLarge,
    BatchTimeout,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
    OutputTooLarge,
    Runner,
)
from collectors.transport.lines import MAX_OUTPUT_BYTES
from collectors.transport.ssh import SshRunner
from tests.sshd import SshEnv

pytest_plugins = ["tests.sshd"]  # the client_key and ssh_env fixtures

HOSTILE = ["$(touch canary)", "; rm -rf /", "`id`", "a'b\"c", "[red]x", "two\nlines", "", "-n"]


async def test_run_exit_codes_streams_unicode(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    assert isinstance(r, Runner)
    try:
        res = await r.run(["sh", "-c", "printf 'héllo ✓\\n'; echo oops >&2; exit 3"])
        assert (res.exit_code, res.stdout, res.stderr) == (3, "héllo ✓\n", "oops\n")
        assert res.argv == ("sh", "-c", "printf 'héllo ✓\\n'; echo oops >&2; exit 3")
        assert r.last_rtt_s is not None and 0 < r.last_rtt_s <= res.duration_s
        assert (await r.run(["cat"], input="in put ü\n")).stdout == "in put ü\n"
        assert (await r.run(["cat"])).stdout == ""  # stdin at EOF: no hang
        assert (await r.run(["printf", "a\\377b"])).stdout == "a\ufffdb"
        missing = await r.run(["xl-does-not-exist"])
        assert missing.exit_code == 127 and "not found" in missing.stderr
        killed = await r.run(["sh", "-c", "kill -9 $$"])
        assert killed.exit_code == 137
    finally:
        await r.close()


async def test_hostile_arguments_arrive_as_one_literal_argument_each(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        res = await r.run(["printf", "%s\\0", *HOSTILE])
        assert res.stdout.split("\0")[:-1] == HOSTILE
        batch = await r.run_batch([["printf", "%s\\0", *HOSTILE], ["echo", "$(id)"]])
        assert batch[0].stdout.split("\0")[:-1] == HOSTILE
        assert batch[1].stdout == "$(id)\n"
    finally:
        await r.close()
    assert not (ssh_env.server.workdir / "canary").exists()
    # the command string the server received quotes every argument
    first = ssh_env.server.sessions[0]
    assert first is not None and "'$(touch canary)'" in first


async def test_one_connection_many_channels_even_when_concurrent(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        results = await asyncio.gather(*(r.run(["echo", str(i)]) for i in range(6)))
        assert [x.stdout for x in results] == [f"{i}\n" for i in range(6)]
        await r.run(["true"])
        assert len(ssh_env.server.connections) == 1
        assert len(ssh_env.server.sessions) == 7
    finally:
        await r.close()


async def test_run_batch_is_one_channel(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        await r.run(["true"])  # connect first, then count channels of the batch alone
        before = len(ssh_env.server.sessions)
        results = await r.run_batch(
            [
                ["sh", "-c", "echo out1; echo err1 >&2"],
                ["sh", "-c", "printf 'no newline'; exit 2"],
                ["true"],
                ["sh", "-c", "echo err4 >&2; exit 7"],
                ["printf", "x\\ny\\n\\n"],
            ]
        )
        assert len(ssh_env.server.sessions) == before + 1
        got = [(x.argv[0], x.exit_code, x.stdout, x.stderr) for x in results]
        assert got == [
            ("sh", 0, "out1\n", "err1\n"),
            ("sh", 2, "no newline", ""),
            ("true", 0, "", ""),
            ("sh", 7, "", "err4\n"),
            ("printf", 0, "x\ny\n\n", ""),
        ]
        assert await r.run_batch([]) == []
        # each output dated by the host's clock: how long before the batch's end it ended
        first, last = await r.run_batch([["true"], ["sleep", "0.3"]])
        # the latency is the host's answer, not the commands' run time
        assert r.last_rtt_s is not None and 0 < r.last_rtt_s < 0.3 <= last.duration_s
        assert first.ended_early_s is not None and 0.2 <= first.ended_early_s <= 1.0
        assert last.ended_early_s is None
    finally:
        await r.close()


def _commands() -> list[str]:
    """Every process's arguments on this machine (where the loopback server runs them)."""
    out = subprocess.run(["ps", "-A", "-o", "args="], capture_output=True, text=True,
                         check=True).stdout
    return [line.strip() for line in out.splitlines()]


async def test_batch_cut_short_is_an_error(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        # the second command kills the batch's shell: its outcome and the third's are unknown
        with pytest.raises(ConnectionLost, match="before sh finished"):
            await r.run_batch([["true"], ["sh", "-c", "kill -9 $PPID"], ["true"]])
    finally:
        await r.close()


async def test_a_slow_channel_open_gets_the_link_s_time(
    ssh_env: SshEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An sshd slow to open a session (a loaded Dom0's first one) is the link's delay:
    the connect timeout bounds it, not a short command timeout, and it is the latency."""
    real_open = ssh_module._open_process

    async def slow_open(*args: Any, **kw: Any) -> Any:
        await asyncio.sleep(0.4)
        return await real_open(*args, **kw)

    monkeypatch.setattr(ssh_module, "_open_process", slow_open)
    r = SshRunner(ssh_env.target(command_timeout=0.2, connect_timeout=5.0))
    try:
        res = await r.run(["echo", "hi"])
        assert res.stdout == "hi\n"
        done = await r.run_batch([["true"], ["echo", "x"]])
        assert [x.stdout for x in done] == ["", "x\n"]
        assert r.last_rtt_s is not None and 0.4 <= r.last_rtt_s < 3
        with pytest.raises(CommandTimeout, match="did not finish within 0.2 s"):
            await r.run(["sleep", "30"])  # the command itself still has its own time
    finally:
        await r.close()
    r = SshRunner(ssh_env.target(command_timeout=0.1, connect_timeout=0.2))
    try:  # no channel within the link's time either: it says so
        with pytest.raises(CommandTimeout, match=r"did not start echo within 0.2 s"):
            await r.run(["echo", "hi"])
        with pytest.raises(CommandTimeout, match=r"did not start a batch of 1 command within"):
            await r.run_batch([["echo", "hi"]])
    finally:
        await r.close()


async def test_command_timeout_keeps_the_connection(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target(command_timeout=0.5))
    try:
        started = time.monotonic()
        with pytest.raises(CommandTimeout, match="did not finish within 0.5 s"):
            await r.run(["sleep", "30"])
        assert time.monotonic() - started < 3
        # the timeout is each command's: three of 0.2 s each in one batch are in time
        done = await r.run_batch([["sleep", "0.2"]] * 3, timeout=0.3)
        assert [x.exit_code for x in done] == [0, 0, 0]
        # a batch stops at the command that takes too long, and keeps what came before it
        started = time.monotonic()
        with pytest.raises(BatchTimeout, match=r"sleep 30.25 did not finish within 0.3 s "
                           r"\(stopped\)") as cut:
            await r.run_batch([["echo", "one"], ["sleep", "0.2"], ["sleep", "30.25"],
                               ["echo", "never"]], timeout=0.3)
        assert 0.5 <= time.monotonic() - started < 3
        # the hung command was stopped on the host, not left behind
        for _ in range(100):  # (a signalled process may take a moment to be reaped)
            if "sleep 30.25" not in _commands():
                break
            await asyncio.sleep(0.05)
        assert "sleep 30.25" not in _commands()
        first, second, *rest = cut.value.results
        assert first is not None and (first.exit_code, first.stdout) == (0, "one\n")
        assert second is not None and second.argv == ("sleep", "0.2")
        assert rest == [None, None]
        # each dated by how long before the cut it ended (the cut came 0.3 s after sleep 0.2)
        assert second.ended_early_s is not None and 0.25 <= second.ended_early_s <= 1.5
        assert first.ended_early_s is not None and first.ended_early_s > second.ended_early_s
        assert (await r.run(["echo", "still here"])).stdout == "still here\n"
        assert len(ssh_env.server.connections) == 1
    finally:
        await r.close()


async def test_a_command_that_prints_too_much_costs_only_its_own_output(
    ssh_env: SshEnv
) -> None:
    """A batch stops at a command that prints more than the cap, on stdout or stderr (a
    hostile or broken Dom0): the commands before it keep their results, the error names
    that command, it is stopped in Dom0, and the connection stays."""
    r = SshRunner(ssh_env.target())
    try:
        floods = (["yes", "xltop-test-flood-1"], ["sh", "-c", "exec yes xltop-test-flood-2 >&2"])
        for flood in floods:
            with pytest.raises(BatchOutputTooLarge, match=(
                    f"^127.0.0.1:[0-9]+: {re.escape(shlex.join(flood))} took the round "
                    rf"trip's output past {MAX_OUTPUT_BYTES >> 20} MiB \(not read; stopped\)$"
            )) as cut:
                await r.run_batch([["echo", "one"], flood, ["echo", "never"]])
            first, *rest = cut.value.results
            assert first is not None and (first.exit_code, first.stdout) == (0, "one\n")
            assert first.ended_early_s is not None
            assert rest == [None, None]
            for _ in range(100):  # stopped on the host, not left printing
                if "xltop-test-flood" not in " ".join(_commands()):
                    break
                await asyncio.sleep(0.05)
            assert "xltop-test-flood" not in " ".join(_commands())
        assert (await r.run(["echo", "still here"])).stdout == "still here\n"
        assert len(ssh_env.server.connections) == 1
    finally:
        await r.close()


async def test_sudo_prefix_reaches_the_remote(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target(sudo=True))
    try:
        res = await r.run(["echo", "$(id)", "a b"])
        assert res.stdout == "$(id) a b\n"
        assert res.argv == ("echo", "$(id)", "a b")
        await r.run_batch([["true"], ["echo", "x"]])
    finally:
        await r.close()
    calls = [c.split("\0")[:-1] for c in ssh_env.server.sudo_log.read_text().splitlines()]
    assert calls == [["-n", "echo", "$(id)", "a b"], ["-n", "true"], ["-n", "echo", "x"]]


async def test_stream_lines_arrive_as_produced(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        stream = await r.stream(
            ["sh", "-c", "echo one; sleep 0.6; echo two; echo warn >&2; printf 'end'; exit 5"]
        )
        assert isinstance(stream, LineStream)
        started = time.monotonic()
        assert await stream.readline(5) == "one"
        assert time.monotonic() - started < 0.5
        with pytest.raises(TimeoutError):
            await stream.readline(0.1)
        assert await stream.readline(5) == "two"
        assert await stream.readline(5) == "end"
        assert await stream.readline(5) is None
        assert stream.exit_code == 5
        assert await stream.stderr_text() == "warn\n"
        await stream.close()
    finally:
        await r.close()


async def test_closing_a_stream_stops_a_silent_remote_command(ssh_env: SshEnv) -> None:
    """xenstore-watch on a quiet store never writes, so SIGPIPE never comes: closing the
    stream must stop it anyway (it used to linger in Dom0, one more per reconnect)."""
    pidfile = ssh_env.tmp / "silent.pid"
    r = SshRunner(ssh_env.target())
    try:
        stream = await r.stream(["sh", "-c", f"echo $$ > {pidfile}; echo up; exec sleep 300"])
        assert await stream.readline(5) == "up"
        pid = int(pidfile.read_text())
        assert _alive(pid)
        await stream.close()
        for _ in range(100):  # up to 5 s
            if not _alive(pid):
                break
            await asyncio.sleep(0.05)
        assert not _alive(pid), "the remote command outlived its stream"
    finally:
        await r.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_dropped_connection_mid_stream_then_backoff_then_reconnect(ssh_env: SshEnv) -> None:
    backoff = Backoff(base_s=0.5, jitter=0.0)
    r = SshRunner(ssh_env.target(), backoff=backoff)
    try:
        stream = await r.stream(["sh", "-c", "while :; do echo tick; sleep 0.05; done"])
        assert await stream.readline(5) == "tick"
        ssh_env.server.drop_connections()
        with pytest.raises(ConnectionLost, match="lost while streaming sh"):
            for _ in range(1000):
                await stream.readline(5)
        assert not r.connected
        # within the backoff: fail fast, no new connection attempt
        with pytest.raises(ConnectError, match=r"; retrying, not before \d\d:\d\d:\d\d$"):
            await r.run(["true"])
        assert len(ssh_env.server.connections) == 0
        await asyncio.sleep(backoff.remaining() + 0.05)
        assert (await r.run(["echo", "back"])).stdout == "back\n"
        # the loss still counts until the new link has lasted STABLE_LINK_S
        assert len(ssh_env.server.connections) == 1 and backoff.failures == 1
    finally:
        await r.close()


async def test_a_host_that_drops_every_connection_is_retried_ever_later(
    ssh_env: SshEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each connection was made, so each loss counted as the first failure: retried every
    # ~1 s for ever
    backoff = Backoff(base_s=0.2, jitter=0.0)
    r = SshRunner(ssh_env.target(), backoff=backoff)
    waits: list[float] = []

    async def connect_then_drop() -> None:
        await asyncio.sleep(backoff.remaining() + 0.02)
        assert (await r.run(["echo", "up"])).stdout == "up\n"
        ssh_env.server.drop_connections()
        for _ in range(100):
            if not r.connected:
                break
            await asyncio.sleep(0.02)

    try:
        for _ in range(3):
            await connect_then_drop()
            waits.append(round(backoff.remaining(), 1))
        assert backoff.failures == 3 and waits[1] > waits[0] * 1.5 and waits[2] > waits[1] * 1.5
        # a link that lasted is lost as a first failure again
        monkeypatch.setattr(ssh_module, "STABLE_LINK_S", 0.0)
        await connect_then_drop()
        assert backoff.failures == 1
    finally:
        await r.close()


async def test_dropped_connection_mid_run_is_connection_lost(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        task = asyncio.create_task(r.run(["sh", "-c", "echo started; sleep 30"]))
        for _ in range(100):
            if ssh_env.server.children:
                break
            await asyncio.sleep(0.02)
        ssh_env.server.drop_connections()
        with pytest.raises(ConnectionLost, match="outcome unknown"):
            await task
    finally:
        await r.close()


async def test_host_id_defaults_to_the_target_and_can_be_named(ssh_env: SshEnv) -> None:
    target = ssh_env.target()
    assert SshRunner(target).host == f"127.0.0.1:{ssh_env.server.port}"
    named = SshRunner(target, name="web-dom0", backoff=Backoff(base_s=5))
    assert named.host == "web-dom0"
    ssh_env.server.drop_connections()
    await ssh_env.server.stop()  # nothing listens any more: errors name the host id
    with pytest.raises(ConnectError) as info:
        await named.run(["true"])
    assert info.value.host == "web-dom0" and str(info.value).startswith("web-dom0: ")
    await named.close()


async def test_close_closes_the_connection_and_next_call_reconnects(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    await r.run(["true"])
    stream = await r.stream(["sleep", "30"])
    conn = ssh_env.server.connections[0]
    await r.close()
    await asyncio.wait_for(conn.wait_closed(), 5)
    assert stream.exit_code is None and await stream.readline(1) is None
    assert (await r.run(["echo", "again"])).stdout == "again\n"
    assert len(ssh_env.server.connections) == 2
    await r.close()


async def test_output_beyond_the_cap_is_an_error_and_the_connection_stays(ssh_env: SshEnv) -> None:
    r = SshRunner(ssh_env.target())
    try:
        with pytest.raises(OutputTooLarge, match=f"more than {MAX_OUTPUT_BYTES >> 20} MiB"):
            await r.run(["sh", "-c", "yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
        n = 3 << 20
        res = await r.run(["sh", "-c", f"head -c {n} /dev/zero | tr '\\0' a & "
                                       f"head -c {n} /dev/zero | tr '\\0' b >&2; wait"])
        assert res.ok and res.stdout == "a" * n and res.stderr == "b" * n
        assert len(ssh_env.server.connections) == 1  # the same connection did both
    finally:
        await r.close()
