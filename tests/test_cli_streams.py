"""Every headless command with its standard streams as scripts and cron leave them: a
reader that has gone (``| head -c 0``), a full disk (``> /dev/full``), no stdout
(``>&-``), no stdin (``<&-``), no stderr (``2>&-``). One line that says so and an exit
code that means something, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

XL_LIST = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
           "Domain-0                                     0  1024     2     r-----     109.5\n")


def sh(script: str, tmp: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``script`` in bash, with ``X`` the xltop command and a scratch HOME and journal."""
    env = {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "c"),
           "XDG_STATE_HOME": str(tmp / "s"), "XLTOP_JOURNAL": str(tmp / "j.jsonl"),
           "X": f"{sys.executable} -m tui"}
    env.pop("XLTOP_CONFIG", None)
    (tmp / "xl-list.txt").write_text(XL_LIST)
    return subprocess.run(["bash", "-c", script], cwd=tmp, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def _demo_journal(tmp: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (tmp / "j-demo.jsonl").read_text().splitlines()]


def test_parse_to_a_reader_that_has_gone_is_no_error(tmp_path: Path) -> None:
    r = sh('$X parse xl-list xl-list.txt | head -c 0; echo "rc=${PIPESTATUS[0]}"', tmp_path)
    assert (r.stdout, r.stderr) == ("rc=0\n", "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_parse_to_a_full_disk_or_no_stdout_is_one_line(tmp_path: Path) -> None:
    r = sh("$X parse xl-list xl-list.txt > /dev/full", tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "xltop parse: cannot write the output: No space left on device\n")
    r = sh("$X parse xl-list xl-list.txt >&-", tmp_path)
    assert (r.returncode, r.stderr) == (1, "xltop parse: cannot write the output: "
                                           "stdout is closed\n")


def test_parse_help_to_a_reader_that_has_gone_or_no_stdout(tmp_path: Path) -> None:
    r = sh('$X parse --help | head -c 0; echo "rc=${PIPESTATUS[0]}"', tmp_path)
    assert (r.stdout, r.stderr) == ("rc=0\n", "")
    r = sh("$X parse --help >&-", tmp_path)
    assert (r.returncode, r.stderr) == (1, "xltop parse: cannot write the output: "
                                           "stdout is closed\n")


def test_parse_without_stdin_says_so(tmp_path: Path) -> None:
    r = sh("$X parse xl-list <&-", tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "xltop parse: stdin is closed\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_do_whose_result_cannot_be_written_keeps_the_actions_exit_code(tmp_path: Path
                                                                        ) -> None:
    # the action ran (and is journaled): its exit code stands, the lost output is said
    r = sh("$X do --demo --yes xen-lab-02 mq-02 pause > /dev/full", tmp_path)
    assert (r.returncode, r.stderr) == (
        0, "xltop do: cannot write the result: No space left on device\n")
    r = sh("$X do --demo --yes --json xen-lab-02 mq-02 pause >&-", tmp_path)
    assert (r.returncode, r.stderr) == (0, "xltop do: cannot write the result: "
                                           "stdout is closed\n")
    assert [e["outcome"] for e in _demo_journal(tmp_path)] == ["ok", "ok"]


def test_do_without_stdin_is_not_a_terminal(tmp_path: Path) -> None:
    r = sh("$X do --demo xen-lab-02 mq-02 pause <&-", tmp_path)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert "needs confirmation: pass --yes (stdin is not a terminal)" in r.stderr
    r = sh("$X do --demo --yes xen-lab-02 mq-02 pause <&-", tmp_path)
    assert (r.returncode, r.stdout) == (0, "xl pause 1: done on xen-lab-02\n"), r.stderr


def test_do_without_stderr_still_acts_and_reports(tmp_path: Path) -> None:
    # (its messages go nowhere; the action and the exit code are as with stderr)
    r = sh("$X do --demo --yes xen-prod-01 web-01 destroy 2>&-", tmp_path)
    assert (r.returncode, r.stdout) == (0, "xl destroy 1: done on xen-prod-01\n")
    r = sh("$X do --demo xen-lab-02 mq-02 pause 2>&-", tmp_path)
    assert (r.returncode, r.stdout) == (3, "")


def test_the_dashboard_without_stdin_says_it_needs_a_terminal(tmp_path: Path) -> None:
    r = sh("$X --demo <&-", tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("xltop: the dashboard needs a terminal")
