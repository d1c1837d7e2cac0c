"""LocalRunner: real processes, no shell, timeouts that kill the whole process group."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from collectors.transport.base import (
    BatchOutputTooLarge,
    BatchTimeout,
    CommandTimeout,
    LineStream,
    OutputTooLarge,
    Runner,
)
from collectors.transport.lines import MAX_OUTPUT_BYTES
from collectors.transport.local import LocalRunner

HOSTILE = ["$(touch canary)", "; rm -rf /", "`id`", "a'b\"c", "[red]x", "two\nlines", "", "-n"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is dead for our purpose
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_is_a_runner() -> None:
    assert isinstance(LocalRunner(), Runner)
    assert LocalRunner().host == "local"


async def test_run_exit_codes_streams_and_unicode() -> None:
    r = LocalRunner()
    res = await r.run(["sh", "-c", "printf 'héllo ✓\\n'; echo oops >&2; exit 3"])
    assert (res.exit_code, res.stdout, res.stderr) == (3, "héllo ✓\n", "oops\n")
    assert not res.ok and res.argv == ("sh", "-c", "printf 'héllo ✓\\n'; echo oops >&2; exit 3")
    assert r.last_rtt_s is not None and 0 < r.last_rtt_s <= res.duration_s
    slow = await r.run(["sleep", "0.3"])  # the latency is the start, not the run time
    assert r.last_rtt_s < 0.3 <= slow.duration_s
    ok = await r.run(["true"])
    assert ok.ok and ok.stdout == "" and ok.stderr == ""


async def test_run_passes_input_and_replaces_bad_utf8() -> None:
    r = LocalRunner()
    assert (await r.run(["cat"], input="line1\nligne ü\n")).stdout == "line1\nligne ü\n"
    res = await r.run(["printf", "a\\377b"])
    assert res.stdout == "a\ufffdb"
    # no input: stdin is /dev/null, so a reader of stdin does not hang
    assert (await r.run(["cat"], timeout=5)).stdout == ""


async def test_missing_executable_is_a_result_not_an_exception() -> None:
    res = await LocalRunner().run(["xl-does-not-exist", "list"])
    assert res.exit_code == 127
    assert res.stderr == "xl-does-not-exist: command not found\n"
    stream = await LocalRunner().stream(["xl-does-not-exist"])
    assert await stream.readline(1) is None
    assert stream.exit_code == 127
    assert "command not found" in await stream.stderr_text()


async def test_hostile_arguments_arrive_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = await LocalRunner().run(["printf", "%s\\0", *HOSTILE])
    assert res.stdout.split("\0")[:-1] == HOSTILE
    assert not (tmp_path / "canary").exists()


@pytest.mark.parametrize("argv", [[], "xl list", ["xl", "a\0b"], ["xl", 3]])
async def test_bad_argv_is_refused(argv: object) -> None:
    with pytest.raises(ValueError):
        await LocalRunner().run(argv)  # type: ignore[arg-type]


async def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as info:
        await LocalRunner(command_timeout=0.5).run(
            ["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"]
        )
    assert time.monotonic() - started < 3
    assert "did not finish within 0.5 s" in str(info.value) and info.value.host == "local"
    grandchild = int(pidfile.read_text())
    for _ in range(50):
        if not _alive(grandchild):
            break
        await asyncio.sleep(0.02)
    assert not _alive(grandchild)


async def test_sudo_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "sudo"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$*" > "$SUDO_LOG"\nshift\nexec "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setenv("SUDO_LOG", str(tmp_path / "log"))
    res = await LocalRunner(sudo=True).run(["echo", "$(id)"])
    assert res.stdout == "$(id)\n"
    assert res.argv == ("sudo", "-n", "echo", "$(id)")
    assert (tmp_path / "log").read_text() == "-n echo $(id)\n"


async def test_run_batch_runs_concurrently_in_order() -> None:
    r = LocalRunner()
    started = time.monotonic()
    results = await r.run_batch(
        [["sh", "-c", f"sleep 0.4; echo {i}; exit {i}"] for i in range(4)]
    )
    assert time.monotonic() - started < 1.2  # 4 x 0.4 s in sequence would be 1.6 s
    assert [(x.stdout, x.exit_code) for x in results] == [(f"{i}\n", i) for i in range(4)]


async def test_run_batch_dates_each_result_by_when_it_ended() -> None:
    # run side by side, a quick command ends long before a slow one: its output is older
    quick, slow = await LocalRunner().run_batch([["true"], ["sleep", "0.4"]])
    assert quick.ended_early_s is not None and 0.3 <= quick.ended_early_s <= 1.0
    assert slow.ended_early_s is None


async def test_a_command_that_times_out_keeps_the_others_results() -> None:
    started = time.monotonic()
    with pytest.raises(BatchTimeout, match="sleep 30: sleep did not finish within 0.3 s") as cut:
        await LocalRunner().run_batch([["echo", "one"], ["sleep", "30"], ["echo", "two"]],
                                      timeout=0.3)
    assert time.monotonic() - started < 3
    one, hung, two = cut.value.results
    assert hung is None and one is not None and two is not None
    assert (one.stdout, two.stdout) == ("one\n", "two\n")
    # dated from the moment the batch gave up on sleep
    assert one.ended_early_s is not None and 0.2 <= one.ended_early_s <= 2.0


async def test_a_command_that_prints_too_much_keeps_the_others_results() -> None:
    """One runaway command (a hostile or broken Dom0's xl info) costs its own output, not
    the round trip's: the others' results come back, the error names the command."""
    with pytest.raises(BatchOutputTooLarge, match="^local: sh -c 'yes xxxxxxxx >&2': "
                       f"sh printed more than {MAX_OUTPUT_BYTES >> 20} MiB") as cut:
        await LocalRunner().run_batch([["echo", "one"], ["sh", "-c", "yes xxxxxxxx >&2"],
                                       ["echo", "two"]])
    one, flood, two = cut.value.results
    assert flood is None and one is not None and two is not None
    assert (one.stdout, two.stdout) == ("one\n", "two\n")


async def test_stream_lines_as_produced_and_timeout() -> None:
    r = LocalRunner()
    stream = await r.stream(
        ["sh", "-c", "echo one; sleep 0.6; printf 'two\\nthr'; sleep 0.2; echo ee"]
    )
    assert isinstance(stream, LineStream)
    started = time.monotonic()
    assert await stream.readline(5) == "one"
    assert time.monotonic() - started < 0.5  # did not wait for the rest
    with pytest.raises(TimeoutError):
        await stream.readline(0.1)
    assert await stream.readline(5) == "two"
    assert await stream.readline(5) == "three"
    assert await stream.readline(5) is None
    assert stream.exit_code == 0
    await stream.close()


async def test_stream_unterminated_last_line_and_stderr() -> None:
    stream = await LocalRunner().stream(["sh", "-c", "printf 'a\\nb'; echo bad >&2; exit 4"])
    assert [await stream.readline(5) for _ in range(3)] == ["a", "b", None]
    assert stream.exit_code == 4
    assert await stream.stderr_text() == "bad\n"


async def test_close_ends_running_streams(tmp_path: Path) -> None:
    r = LocalRunner()
    pidfile = tmp_path / "pid"
    stream = await r.stream(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; echo up; wait"])
    assert await stream.readline(5) == "up"
    await r.close()
    assert stream.exit_code is not None
    assert not _alive(int(pidfile.read_text()))
    assert await stream.readline(1) is None


async def test_output_beyond_the_cap_is_an_error_and_the_command_is_killed(tmp_path: Path) -> None:
    r = LocalRunner(command_timeout=20)
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(OutputTooLarge, match=f"printed more than {MAX_OUTPUT_BYTES >> 20} MiB"):
        await r.run(["sh", "-c", f"echo $$ > {pidfile}; exec yes xxxxxxxxxxxxxxxxxxxxxxx"])
    assert time.monotonic() - started < 15  # stopped at the cap, not at the timeout
    pid = int(pidfile.read_text())
    for _ in range(100):
        if not _alive(pid):
            break
        await asyncio.sleep(0.02)
    assert not _alive(pid)
    with pytest.raises(OutputTooLarge):  # stderr is capped as well
        await r.run(["sh", "-c", "yes >&2"])


async def test_big_outputs_below_the_cap_arrive_whole_on_both_pipes() -> None:
    r = LocalRunner()
    n = 3 << 20  # both pipes full at once: neither may stall the other
    res = await r.run(["sh", "-c", f"head -c {n} /dev/zero | tr '\\0' a & "
                                   f"head -c {n} /dev/zero | tr '\\0' b >&2; wait"])
    assert res.ok and res.stdout == "a" * n and res.stderr == "b" * n


async def test_a_timeout_returns_even_when_an_escaped_grandchild_holds_the_pipes(
    tmp_path: Path,
) -> None:
    # asyncio's wait() also waits for the pipes to close; a child that left the process
    # group keeps them open, so the runner stops waiting after a short grace
    pidfile = tmp_path / "pid"
    r = LocalRunner(command_timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(CommandTimeout):
            await r.run(["sh", "-c", f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 30' & "
                                     "sleep 30"])
        assert time.monotonic() - started < 6
    finally:
        for _ in range(50):
            if pidfile.exists() and pidfile.read_text().strip():
                os.kill(int(pidfile.read_text()), 9)
                break
            await asyncio.sleep(0.02)
