"""The batch script really runs under /bin/sh and splits back into per-command results."""

import os
import signal
import subprocess
import time

from collectors.transport.base import (
    STOP_BATCH,
    STOP_BATCH_ENDED,
    batch_pid,
    make_batch_script,
    split_batch_output,
)

HOSTILE = ["$(touch canary)", "; rm -rf /", "`id`", "a'b\"c", "[red]x", "line\nbreak", ""]


def _run(argvs: list[list[str]]) -> list:
    batch = make_batch_script(argvs)
    p = subprocess.run(["sh", "-c", batch.script], capture_output=True, text=True, check=False)
    return split_batch_output(batch, p.stdout, p.stderr, 0.1)


def test_outputs_exit_codes_and_stderr_are_kept_apart(tmp_path) -> None:
    res = _run([
        ["printf", "a\\nb\\n"],
        ["printf", "no newline"],
        ["true"],
        ["sh", "-c", "echo oops >&2; exit 3"],
    ])
    assert [r.exit_code for r in res] == [0, 0, 0, 3]
    assert res[0].stdout == "a\nb\n"
    assert res[1].stdout == "no newline"
    assert res[2].stdout == "" and res[2].stderr == ""
    assert res[3].stderr == "oops\n" and res[3].stdout == ""


def test_hostile_arguments_arrive_as_single_literal_arguments(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = _run([["printf", "%s\\0", *HOSTILE]])
    assert res[0].stdout.split("\0")[:-1] == HOSTILE
    assert not (tmp_path / "canary").exists()


def test_output_that_imitates_the_marker_does_not_confuse_the_split() -> None:
    batch = make_batch_script([["echo", "@@xltop-fake 0 0"], ["echo", "x"]])
    p = subprocess.run(["sh", "-c", batch.script], capture_output=True, text=True, check=False)
    res = split_batch_output(batch, p.stdout, p.stderr, 0.0)
    assert res[0].stdout == "@@xltop-fake 0 0\n"
    assert res[1].stdout == "x\n"


def test_a_script_cut_short_gives_none_for_unfinished_commands() -> None:
    batch = make_batch_script([["echo", "one"], ["echo", "two"]])
    p = subprocess.run(["sh", "-c", batch.script], capture_output=True, text=True, check=False)
    cut = p.stdout[: p.stdout.index("two")]
    res = split_batch_output(batch, cut, "", 0.0)
    assert res[0] is not None and res[0].stdout == "one\n"
    assert res[1] is None


def test_a_command_whose_stderr_was_cut_has_no_result_not_an_empty_stderr() -> None:
    # a runner stopped reading stderr at its cap while every end marker had come on
    # stdout (the last command flooded stderr, then ended): its stderr is lost, not ""
    batch = make_batch_script([["echo", "one"], ["sh", "-c", "echo lots >&2"]])
    p = subprocess.run(["sh", "-c", batch.script], capture_output=True, text=True, check=False)
    cut = p.stderr[: p.stderr.index("lots")]
    assert split_batch_output(batch, p.stdout, cut, 0.0)[1] is not None  # read to its end?
    first, last = split_batch_output(batch, p.stdout, cut, 0.0, stderr_cut=True)
    assert first is not None and first.stdout == "one\n" and last is None


def test_each_result_says_how_long_before_the_batch_end_it_ended() -> None:
    # the host's /proc/uptime at each end marker dates every output, not only the batch
    res = _run([["sleep", "0.4"], ["true"], ["sleep", "0.3"], ["true"]])
    early = [r.ended_early_s for r in res]
    assert early[3] is None  # the last one
    assert early[0] is not None and early[1] is not None  # both ~0.3 s: the last sleep
    assert 0.2 <= early[1] <= early[0] <= 1.0
    assert early[2] is None or early[2] < 0.1  # /proc/uptime ticks in hundredths


def test_a_host_without_proc_uptime_gives_undated_results_and_no_noise() -> None:
    batch = make_batch_script([["sleep", "0.2"], ["echo", "x"]])
    script = batch.script.replace("/proc/uptime", "/nonexistent/uptime")
    p = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
    res = split_batch_output(batch, p.stdout, p.stderr, 0.0)
    assert [r.ended_early_s for r in res] == [None, None]
    assert res[1].stdout == "x\n" and res[0].stderr == "" and res[1].stderr == ""


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True,
                         text=True, check=True).stdout
    return [int(a) for a, b in (line.split() for line in out.splitlines()) if int(b) == pid]


def test_a_batch_cut_short_is_stopped_with_the_command_that_hangs() -> None:
    batch = make_batch_script([["echo", "one"], ["sleep", "41.5"], ["echo", "never"]])
    script = subprocess.Popen(["sh", "-c", batch.script], stdout=subprocess.PIPE, text=True)
    try:
        assert script.stdout is not None
        pid = batch_pid(batch, script.stdout.readline())
        assert pid == script.pid
        deadline = time.monotonic() + 5
        while not (kids := _children(pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(kids) == 1  # the hanging sleep
        # a process that is not the batch's (a reused PID) is left alone
        other = subprocess.Popen(["sleep", "41.5"])
        left = subprocess.run(["sh", "-c", STOP_BATCH, "sh", str(other.pid), batch.token])
        assert left.returncode == 1 and not _gone(other.pid, within=0.3)
        other.kill()
        other.wait()
        subprocess.run(["sh", "-c", STOP_BATCH, "sh", str(pid), batch.token], check=True)
        assert script.wait(timeout=5) == -signal.SIGKILL
        assert _gone(kids[0])
        assert "never" not in script.stdout.read()
        # once it is gone, stopping it says it had ended
        again = subprocess.run(["sh", "-c", STOP_BATCH, "sh", str(pid), batch.token])
        assert again.returncode == STOP_BATCH_ENDED
    finally:
        script.kill()
        script.wait()


def test_batch_pid_only_from_the_scripts_own_first_line() -> None:
    batch = make_batch_script([["true"]])
    assert batch_pid(batch, f"{batch.token} pid 123\n{batch.token} 0\n") == 123
    assert batch_pid(batch, "@@xltop-000000000000 pid 123\n") is None  # another token
    assert batch_pid(batch, f"{batch.token} pid 12x\n") is None
    assert batch_pid(batch, f"{batch.token} pid \u0661\u0662\n") is None  # not ASCII digits
    assert batch_pid(batch, "") is None
