"""``xltop do`` as a subprocess on the demo fleet: results, errors, policy, confirmation."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(*args: str, journal: Path, extra_env: dict[str, str] | None = None,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XLTOP_JOURNAL": str(journal), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "tui", "do", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def entries(journal: Path) -> list[dict[str, object]]:
    """The demo fleet's entries: beside $XLTOP_JOURNAL, never in it."""
    assert not journal.exists()
    demo = journal.with_name(f"{journal.stem}-demo{journal.suffix}")
    return [json.loads(line) for line in demo.read_text().splitlines()]


def test_success_on_a_demo_host(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "pause", "--yes", journal=j)
    assert (r.returncode, r.stdout) == (0, "xl pause 1: done on xen-lab-02\n"), r.stderr
    e = entries(j)[-1]
    assert (e["outcome"], e["argv"], e["domain"], e["exit_code"]) == (
        "ok", ["xl", "pause", "1"], "mq-02", 0)


def test_json_result(tmp_path: Path) -> None:
    r = run("--demo", "xen-lab-02", "mq-02", "mem-set", "300m", "--yes", "--json",
            journal=tmp_path / "j.jsonl")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["outcome"] == "ok" and got["argv"] == ["xl", "mem-set", "1", "300m"]
    assert got["exit_code"] == 0 and got["host"] == "xen-lab-02"


def test_json_says_every_outcome_not_only_what_ran(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    for args, code, outcome, said in [
        (("nosuch", "pause", "--yes"), 2, "invalid", 'no domain "nosuch" on xen-lab-02'),
        (("mq-02", "pause"), 3, "refused", "needs confirmation: pass --yes"),  # (no terminal)
        (("mq-02", "mem-set", "lots", "--yes"), 2, "invalid", 'invalid size "lots"'),
    ]:
        r = run("--demo", "xen-lab-02", *args, "--json", journal=j)
        got = json.loads(r.stdout)
        assert (r.returncode, got["outcome"], got["exit_code"]) == (code, outcome, None)
        assert said in got["message"] and said in r.stderr
        assert (got["host"], got["verb"], got["target"]) == ("xen-lab-02", args[1], args[0])


def test_validation_error_exits_2_with_the_message(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "mem-set", "lots", "--yes", journal=j)
    assert r.returncode == 2
    assert r.stderr == ('xltop do: invalid size "lots": use a number with an optional '
                        "k/m/g/t suffix\n")
    assert entries(j)[-1]["outcome"] == "invalid"
    r = run("--demo", "xen-lab-02", "nosuch", "pause", "--yes", journal=j)
    assert r.returncode == 2 and 'no domain "nosuch" on xen-lab-02' in r.stderr


def test_an_argument_that_is_not_utf8_is_refused_and_journaled(tmp_path: Path) -> None:
    # the journal's UTF-8 encoding of $'bad\xffname' ended `xltop do` in a traceback
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "bad\udcffname", "pause", "--yes", journal=j)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert 'no domain "bad\\udcffname" on xen-lab-02' in r.stderr
    e = entries(j)[-1]
    assert (e["outcome"], e["domain"]) == ("invalid", "bad\udcffname")


def test_save_to_a_missing_directory_is_refused_before_sending(tmp_path: Path) -> None:
    # the dashboard's check, made by the control layer both use: xl cannot create it
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "save", "/nowhere/mq.chk", "--yes", journal=j)
    assert r.returncode == 2, r.stderr
    assert r.stderr == ("xltop do: no directory /nowhere on xen-lab-02 (xl cannot create it): "
                        "e.g. /var/lib/xen/save/mq.chk\n")
    assert entries(j)[-1]["outcome"] == "invalid"


def test_xl_failure_exits_1_with_xls_text(tmp_path: Path) -> None:
    # "$(reboot)" has no vif, so only xl can say that devid 9 does not exist
    r = run("--demo", "xen-lab-02", "$(reboot)", "network-detach", "9", "--yes",
            journal=tmp_path / "j.jsonl")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[-1] == "Unknown device 9." and lines.count("Unknown device 9.") == 1
    assert "xltop do: xl network-detach 9 9 on xen-lab-02: failed (exit 1)" in lines


def test_options_may_come_before_do(tmp_path: Path) -> None:
    env = {**os.environ, "XLTOP_JOURNAL": str(tmp_path / "j.jsonl")}
    r = subprocess.run([sys.executable, "-m", "tui", "--demo", "do", "xen-lab-02", "mq-02",
                        "pause", "--yes"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=60)
    assert (r.returncode, r.stdout) == (0, "xl pause 1: done on xen-lab-02\n"), r.stderr
    r = subprocess.run([sys.executable, "-m", "tui", "--bogus"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unrecognized arguments: --bogus" in r.stderr


def test_read_only_refuses(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "--read-only", "xen-lab-02", "mq-02", "destroy", "--yes", journal=j)
    assert r.returncode == 3
    assert r.stderr == ("xltop do: read-only mode (--read-only, or read_only in the config): "
                        "actions are refused\n")
    assert entries(j)[-1]["outcome"] == "refused"
    cfg = tmp_path / "config.toml"
    cfg.write_text("read_only = true\n")
    r = run("--demo", "--config", str(cfg), "xen-lab-02", "mq-02", "pause", "--yes", journal=j)
    assert r.returncode == 3 and "read-only" in r.stderr


def test_no_terminal_needs_yes(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "pause", journal=j, stdin="y\n")
    assert r.returncode == 3
    assert "needs confirmation: pass --yes (stdin is not a terminal)" in r.stderr
    assert entries(j)[-1]["outcome"] == "refused"


def test_json_even_for_a_command_line_it_cannot_read(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    for args, said in [(("--hosts", "abc", "xen-lab-02", "mq-02", "pause"), "--hosts needs"),
                       (("xen-lab-02", "mq-02"), "HOST, DOMAIN and VERB are required")]:
        r = run("--demo", "--json", *args, journal=j)
        got = json.loads(r.stdout)
        assert (r.returncode, got["outcome"], got["argv"]) == (2, "invalid", None)
        assert said in got["message"]


def test_a_reader_that_has_gone_changes_nothing(tmp_path: Path) -> None:
    # `xltop do ... | head -0`: the action ran and says so by its exit code, no traceback
    j = tmp_path / "j.jsonl"
    env = {**os.environ, "XLTOP_JOURNAL": str(j)}
    for extra in ((), ("--json",)):
        p = subprocess.run(
            f"{sys.executable} -m tui do --demo xen-lab-02 mq-02 pause --yes {' '.join(extra)}"
            " | head -c 0; echo rc=${PIPESTATUS[0]}",
            shell=True, executable="/bin/bash", cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=60)
        assert p.stdout == "rc=0\n" and "Traceback" not in p.stderr, p.stderr
    assert [e["outcome"] for e in entries(j)] == ["ok"] * 2  # (each run: a fresh demo fleet)


def test_a_host_whose_read_failed_says_so(tmp_path: Path) -> None:
    # no xl on the host (or sudo refusing): not "no domain web1"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[hosts]]\nname = "bare"\ntarget = "local"\n')
    j = tmp_path / "j.jsonl"
    r = run("--config", str(cfg), "bare", "web1", "pause", "--yes", journal=j,
            extra_env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert r.returncode == 4, r.stderr
    assert "xltop do: bare's last read failed (" in r.stderr and "xl" in r.stderr
    # and, as every action, it is journaled: refused, nothing sent
    cfg.write_text('connect_timeout = 2\n[[hosts]]\nname = "dead"\ntarget = "127.0.0.1:1"\n')
    r = run("--config", str(cfg), "dead", "web1", "pause", "--yes", journal=j)
    assert r.returncode == 4 and "dead is unreachable" in r.stderr, r.stderr
    got = [(e["host"], e["outcome"]) for e in
           (json.loads(line) for line in j.read_text().splitlines())]
    assert got == [("bare", "refused"), ("dead", "refused")]


def test_usage_errors(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-nowhere", "mq-02", "pause", journal=j)
    assert r.returncode == 2 and "no demo host 'xen-nowhere'" in r.stderr
    r = run("--demo", "xen-lab-02", "mq-02", "fly", journal=j)
    assert r.returncode == 2 and "unknown verb 'fly'" in r.stderr
    r = run("--help", journal=j)
    assert r.returncode == 0 and r.stdout.startswith("usage: xltop do")


def _spawn(*args: str, journal: Path) -> pexpect.spawn:
    env = {**os.environ, "XLTOP_JOURNAL": str(journal), "TERM": "xterm"}
    # SIGINT as a terminal sends it, whatever disposition we inherited (a background job's
    # is "ignore", and Python then installs no KeyboardInterrupt handler)
    return pexpect.spawn(sys.executable, ["-m", "tui", "do", *args], cwd=str(ROOT), env=env,
                         timeout=30, dimensions=(24, 100),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _exit_code(child: pexpect.spawn) -> int | None:
    """The child's exit status once its output has ended."""
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_terminal_yes_no_confirmation(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    child = _spawn("--demo", "xen-lab-02", "mq-02", "pause", journal=j)
    child.expect_exact("xl pause 1")
    child.expect_exact("target: mq-02 (domid 1) on xen-lab-02")
    child.expect_exact("Run it? [y/N] ")
    child.sendline("n")
    assert _exit_code(child) == 3
    child = _spawn("--demo", "xen-lab-02", "mq-02", "pause", journal=j)
    child.expect_exact("Run it? [y/N] ")
    child.sendline("y")
    child.expect_exact("xl pause 1: done on xen-lab-02")
    assert _exit_code(child) == 0


def test_terminal_typed_name_on_production(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    child = _spawn("--demo", "xen-prod-01", "web-01", "pause", journal=j)
    child.expect_exact("xen-prod-01 is a production host")
    child.expect_exact("Type 'web-01' to confirm: ")
    child.sendline("web")
    assert _exit_code(child) == 3
    child = _spawn("--demo", "xen-prod-01", "web-01", "destroy", journal=j)
    child.expect_exact("destroy kills the domain at once")
    child.expect_exact("Type 'web-01' to confirm: ")
    child.sendline("web-01")
    child.expect_exact("xl destroy 1: done on xen-prod-01")
    assert _exit_code(child) == 0
    assert [e["outcome"] for e in entries(j)] == ["refused", "ok"]


def test_console_through_xltop_do(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    for _ in range(3):
        child = _spawn("--demo", "xen-lab-02", "mq-02", "console", journal=j)
        child.expect_exact("Ctrl-] detaches")
        child.send("echo hel''lo\r")
        child.expect_exact("\r\nhello\r\n")
        child.send("\x1d")
        child.expect_exact("detached from the console")
        assert _exit_code(child) == 0
    assert [e["verb"] for e in entries(j)] == ["console"] * 3
    child = _spawn("--demo", "xen-lab-02", "mq-02", "console", "-t", "pv", "-n", "0",
                   journal=j)  # xl console's own options
    child.expect_exact("Ctrl-] detaches")
    child.send("\x1d")
    child.expect_exact("detached from the console")
    assert _exit_code(child) == 0
    assert entries(j)[-1]["argv"] == ["xl", "console", "-t", "pv", "-n", "0", "1"]
    child = _spawn("--demo", "xen-lab-02", "Domain-0", "console", journal=j)
    child.expect_exact("console is not possible on Domain-0")
    assert _exit_code(child) == 2


def test_a_console_without_a_terminal_is_journaled_as_the_dashboard_does(
        tmp_path: Path) -> None:
    # the dashboard journals a console it cannot attach for want of a terminal; xltop do
    # said why and exited 2, and its journal had no line for the attempt
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "console", journal=j)
    assert r.returncode == 2 and "console needs a terminal on stdin" in r.stderr
    e = entries(j)[-1]
    assert (e["verb"], e["outcome"], e["argv"], e["domain"]) == (
        "console", "invalid", ["xl", "console", "1"], "mq-02")
    assert e["message"] == "console needs a terminal on stdin"


def test_a_console_in_use_is_said_once_and_never_claimed_attached(tmp_path: Path) -> None:
    # another session holds mq-02's console (xenconsole's lock): xltop must not first say
    # "attached", nor echo xenconsole's raw line before its own message
    j = tmp_path / "j.jsonl"
    held = str(ROOT / "tests" / "console_scripts" / "do_held_console.py")
    child = pexpect.spawn(sys.executable, [held, "xen-lab-02", "mq-02", "--", "--demo",
                                           "xen-lab-02", "mq-02", "console"],
                          cwd=str(ROOT), env={**os.environ, "XLTOP_JOURNAL": str(j),
                                              "TERM": "xterm"},
                          timeout=30, dimensions=(24, 100))
    child.expect(pexpect.EOF)
    child.close()
    said = child.before.decode()
    assert child.exitstatus == 1, said
    assert "attached" not in said
    assert said.count("Could not lock /var/lock/xenconsole.1") == 1, said
    assert said.strip() == ("xltop do: the console is in use by another session (xenconsole: "
                            "Could not lock /var/lock/xenconsole.1: Resource temporarily "
                            "unavailable)"), said
    [e] = entries(j)
    assert (e["verb"], e["outcome"], e["exit_code"]) == ("console", "failed", 11)


def test_json_says_how_a_console_ended(tmp_path: Path) -> None:
    # after a console attached and detached, --json said {"outcome": "unknown", "argv":
    # null, "message": ""} (exit 0); and a console in use was "unknown" too (exit 1)
    j = tmp_path / "j.jsonl"
    child = _spawn("--demo", "--json", "xen-lab-02", "mq-02", "console", journal=j)
    child.expect_exact("Ctrl-] detaches")
    child.send("\x1d")
    assert _exit_code(child) == 0
    got = json.loads(child.before.decode().strip().splitlines()[-1])
    assert (got["outcome"], got["argv"], got["exit_code"], got["message"]) == (
        "ok", ["xl", "console", "1"], 0, "detached from the console")
    held = str(ROOT / "tests" / "console_scripts" / "do_held_console.py")
    child = pexpect.spawn(sys.executable, [held, "xen-lab-02", "mq-02", "--", "--demo",
                                           "--json", "xen-lab-02", "mq-02", "console"],
                          cwd=str(ROOT), env={**os.environ, "XLTOP_JOURNAL": str(j),
                                              "TERM": "xterm"},
                          timeout=30, dimensions=(24, 100))
    assert _exit_code(child) == 1
    got = json.loads(child.before.decode().strip().splitlines()[-1])
    assert (got["outcome"], got["argv"], got["exit_code"]) == (
        "failed", ["xl", "console", "1"], 11)
    assert "the console is in use" in got["message"]
    # the JSON and the journal agree
    assert [(e["outcome"], e["exit_code"]) for e in entries(j)] == [("ok", 0), ("failed", 11)]


def test_the_simulated_console_is_one_session_at_a_time() -> None:
    from collectors.sim.console import FinishedSession, GuestConsole, open_console
    from collectors.sim.fleet import make_lab_like_host

    host = make_lab_like_host()
    domid, d = next((k, d) for k, d in host.domains.items() if k)
    first = open_console(host, ["xl", "console", d.name], lambda: None, 80, 24)
    assert isinstance(first, GuestConsole)
    second = open_console(host, ["xl", "console", str(domid)], lambda: None, 80, 24)
    assert isinstance(second, FinishedSession)
    assert asyncio.run(second.wait()) == 11
    assert b"Could not lock" in asyncio.run(second.read())
    asyncio.run(first.close())  # its lock goes with it
    assert isinstance(open_console(host, ["xl", "console", d.name], lambda: None, 80, 24),
                      GuestConsole)


def test_hostile_names_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "evil\x1b[2Jname", "pause", "--yes", journal=j)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "xl pause 12: done on xen-lab-02\n"
    r = run("--demo", "xen-lab-02", "bad\x1b]0;pwned\x07", "pause", "--yes", journal=j)
    assert r.returncode == 2
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert 'no domain "bad\\x1b]0;pwned\\x07"' in r.stderr
    r = run("--demo", "--json", "xen-lab-02", "\u202eevil-rtl", "pause", "--yes", journal=j)
    assert r.returncode == 0 and "\u202e" not in r.stdout
    assert json.loads(r.stdout)["target"] == "\u202eevil-rtl (domid 13)"


def test_sched_credit2_weight_and_cap(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "sched-credit2", "-w", "512", "-c", "50", "--yes",
            journal=j)
    assert (r.returncode, r.stdout) == (0, "xl sched-credit2 -d 1 -w 512 -c 50: done on "
                                           "xen-lab-02\n"), r.stderr
    r = run("--demo", "xen-lab-02", "mq-02", "sched-credit2", "-w", "lots", "--yes", journal=j)
    assert r.returncode == 2 and "invalid weight 'lots': use a whole number" in r.stderr
    r = run("--demo", "xen-lab-02", "mq-02", "sched-credit", "-w", "300", "--yes", journal=j)
    assert r.returncode == 2 and "runs the credit2 scheduler, not credit" in r.stderr
    assert [e["outcome"] for e in entries(j)] == ["ok", "invalid"]


def test_yes_on_production_states_what_it_confirmed(tmp_path: Path) -> None:
    r = run("--demo", "xen-prod-01", "web-01", "mem-set", "1", "--yes",
            journal=tmp_path / "j.jsonl")
    assert r.returncode == 0 and r.stdout == "xl mem-set 1 1: done on xen-prod-01\n"
    said = r.stderr.splitlines()
    assert "xltop do: confirmed by --yes: xen-prod-01 is a production host" in said
    assert any(s.startswith("xltop do: confirmed by --yes:") and "quarter" in s for s in said)


def test_migrate_into_a_production_host_needs_yes_and_says_why(tmp_path: Path) -> None:
    j = tmp_path / "j.jsonl"
    r = run("--demo", "xen-lab-02", "mq-02", "migrate", "root@xen-prod-03", journal=j)
    assert r.returncode == 3 and "xen-prod-03" in r.stderr  # no terminal, no --yes
    # host names compare as DNS compares them: upper case or a trailing dot is the same host
    for other in ("root@XEN-PROD-03", "Xen-Prod-03."):
        r = run("--demo", "xen-lab-02", "mq-02", "migrate", other, "--yes", journal=j)
        assert f"confirmed by --yes: {other} is a production host" in r.stderr
    r = run("--demo", "xen-lab-02", "mq-02", "migrate", "root@xen-prod-03", "--yes", journal=j)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "xl migrate 1 root@xen-prod-03: done on xen-lab-02\n"
    assert ("xltop do: confirmed by --yes: root@xen-prod-03 is a production host"
            in r.stderr.splitlines())
    r = run("--demo", "xen-prod-01", "web-01", "migrate", "xen-lab-02", journal=j)
    assert r.returncode == 3  # from a production host: refused without --yes too
    r = run("--demo", "xen-prod-03", "ldap-03", "migrate", "xen-lab-02", "--yes", journal=j)
    assert r.returncode == 0 and "is a production host" in r.stderr  # its source is prod
    assert [e["outcome"] for e in entries(j)][:1] + [e["outcome"] for e in entries(j)][3:] == [
        "refused", "ok", "refused", "ok"]


def test_ctrl_c_while_xl_runs_says_what_was_sent(tmp_path: Path) -> None:
    # the JSON and the journal agree: xl was sent this argv, and said this much, when
    # Ctrl-C came; its outcome is unknown
    j = tmp_path / "j.jsonl"
    env = {**os.environ, "XLTOP_JOURNAL": str(j)}
    p = subprocess.Popen(
        [sys.executable, "-m", "tui", "do", "--demo", "xen-lab-02", "api-02", "save",
         "/var/lib/xen/save/x.chk", "--yes", "--json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stderr is not None
    said = ""
    while "Saving to" not in said:  # xl is running: its first lines came
        line = p.stderr.readline()
        assert line, said
        said += line
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 4
    got = json.loads(out)
    assert got["argv"] == ["xl", "save", "-c", "2", "/var/lib/xen/save/x.chk"]
    assert got["outcome"] == "unknown" and got["duration_s"] > 0
    assert "interrupted while xl save" in got["message"]
    (entry,) = entries(j)
    assert entry["outcome"] == "unknown" and entry["argv"] == got["argv"]
    assert any("Saving to /var/lib/xen/save/x.chk" in x for x in entry["stderr_tail"])


def test_ctrl_c_at_the_prompt_ends_the_run_and_sends_nothing(tmp_path: Path) -> None:
    # the answer was read in a worker thread, which asyncio.run waited for at its end:
    # Ctrl-C at the prompt hung until Enter was pressed
    j = tmp_path / "j.jsonl"
    for extra in ((), ("--json",)):
        child = _spawn("--demo", "xen-lab-02", "mq-02", "pause", *extra, journal=j)
        child.expect_exact("Run it? [y/N] ")
        child.sendintr()
        child.expect_exact("xltop do: interrupted: the action was not sent", timeout=10)
        child.expect(pexpect.EOF, timeout=10)
        child.close()
        assert child.exitstatus == 3
        if extra:
            got = json.loads(child.before.decode().strip().splitlines()[-1])
            assert (got["outcome"], got["argv"]) == ("refused", None)
    # nothing sent; journaled as a "n" at the prompt is
    assert [(e["outcome"], e["message"], e["argv"]) for e in entries(j)
            ] == [("refused", "interrupted at the confirmation", ["xl", "pause", "1"])] * 2


def test_what_follows_progress_on_a_terminal_starts_a_line_of_its_own(
        tmp_path: Path) -> None:
    # the progress line is rewritten in place ("\r... 18%"): the result was appended to
    # it, "End of stream: 0/0 0%xl save -c 2 /var/lib/xen/a.chk: done on xen-lab-02", and
    # so was Ctrl-C's "Frames: 145440/775680 18%^Cxltop do: interrupted while ..."
    j = tmp_path / "j.jsonl"
    child = _spawn("--demo", "--yes", "xen-lab-02", "api-02", "save", "/var/lib/xen/a.chk",
                   journal=j)
    child.expect_exact("End of stream: 0/0 0%")
    child.expect_exact("xl save -c 2 /var/lib/xen/a.chk: done on xen-lab-02")
    assert child.before.decode().endswith("\n"), repr(child.before[-80:])
    assert _exit_code(child) == 0
    child = _spawn("--demo", "--yes", "xen-lab-02", "api-02", "save", "/var/lib/xen/a.chk",
                   journal=j)
    child.expect(rb"Frames: \d+/\d+ +\d+%")
    child.sendintr()
    child.expect_exact("xltop do: interrupted while xl save", timeout=10)
    before = child.before.decode()
    assert before.endswith("\n"), repr(before[-80:])
    assert _exit_code(child) == 4


def test_an_unwritable_journal_is_a_warning_and_the_action_stands(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    r = run("--demo", "xen-lab-02", "mq-02", "pause", "--yes",
            journal=tmp_path / "file" / "j.jsonl")
    assert r.returncode == 0, r.stderr
    assert "xl pause 1: done on xen-lab-02" in r.stdout + r.stderr
    warned = [ln for ln in r.stderr.splitlines() if "not written" in ln]
    assert len(warned) == 1 and warned[0].startswith("xltop do: warning: journal "), r.stderr


def test_every_message_of_xltop_do_is_one_line_whatever_names_it_quotes(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The validator quotes the host's names in many messages ("web\nxltop do: done is
    already paused"): each of xltop's own messages stays one line on stderr; only xl's
    verbatim output keeps its lines."""
    from tui import do_cli

    assert do_cli._fail("w\nxltop do: done is already paused", 2) == 2
    do_cli._err("xl: first line\nxl: second line")
    assert capsys.readouterr().err.splitlines() == [
        "xltop do: w\\nxltop do: done is already paused",
        "xl: first line", "xl: second line"]
