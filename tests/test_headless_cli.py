"""``xltop --once --json`` and ``xltop --batch`` as subprocesses, as scripts run them: the
demo fleet, the demo fallback when nothing is configured, and a host that is down."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from collectors.config import HostConfig, Settings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from collectors.transport.base import Runner
from tui.cli import _batch, _once

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def xltop(*args: str, home: Path, path: str | None = None,
          timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """xltop with a HOME of its own: no user config, no ~/.ssh/config."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_STATE_HOME": str(home / ".state")}
    env.pop("XLTOP_CONFIG", None)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "tui", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_demo_once_json_has_hosts_domains_vcpus_devices_and_rings(tmp_path: Path) -> None:
    r = xltop("--demo", "--once", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    fleet = json.loads(r.stdout)
    hosts = fleet["hosts"]
    assert len(hosts) >= 3
    for h in hosts:
        assert h["status"] == "ok" and h["info"]["xen_version"].startswith("4.17"), h["host"]
        names = {d["name"] for d in h["domains"]}
        assert "Domain-0" in names and len(names) > 3
        domids = {d["domid"] for d in h["domains"]}
        assert {v["domid"] for v in h["vcpus"]} <= domids and len(h["vcpus"]) >= len(domids)
        vifs = [d for d in h["devices"] if d["kind"] == "vif"]
        vbds = [d for d in h["devices"] if d["kind"] == "vbd"]
        assert vifs and vbds
        ring = next(r for d in vifs for r in d["rings"])
        assert ring["entries"] == 256 and 0.0 <= ring["fill"] <= 1.0
        assert all(isinstance(d["oo_req"], int) for d in vbds if d["stats_source"]
                   and d["stats_source"].startswith("blkback"))


def lines(r: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return lines_of(r.stdout)


def test_demo_batch_prints_complete_records_at_the_interval(tmp_path: Path) -> None:
    r = xltop("--demo", "--batch", "--interval", "0.5", "--iterations", "3", home=tmp_path)
    assert r.returncode == 0, r.stderr
    records = lines(r)
    assert len(records) == 3
    times = [rec["time"] for rec in records]
    assert times == sorted(times) and times[2] - times[0] >= 0.9
    for rec in records:
        assert [h["host"] for h in rec["hosts"]] == ["xen-prod-01", "xen-lab-02", "xen-prod-03"]
    first = records[0]["hosts"]
    # the first record waited for every host's first full read: XenStore's targets are in
    assert all(d["mem_target_kib"] is not None for h in first for d in h["domains"])
    assert all(h["devices"] for h in first)
    # rates need two samples: unknown (null) at first, numbers later, never a made-up 0
    last = records[-1]["hosts"]
    assert any(d["cpu_pct"] is not None for h in last for d in h["domains"])


def test_no_host_no_config_no_xl_says_it_shows_the_demo_fleet(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    r = xltop("--once", "--json", home=tmp_path, path=str(empty))
    assert r.returncode == 0, r.stderr
    assert "showing the demo fleet" in r.stderr
    hosts = json.loads(r.stdout)["hosts"]
    assert len(hosts) == 3
    assert all(h["simulated"] is True for h in hosts)  # made-up numbers, said in the data


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("mode", ["--once", "--batch"])
def test_a_host_that_is_down_is_reported_not_dropped(tmp_path: Path, mode: str) -> None:
    target = f"root@127.0.0.1:{closed_port()}"
    extra = ["--iterations", "1", "--interval", "0.5"] if mode == "--batch" else ["--json"]
    r = xltop(mode, *extra, target, home=tmp_path, timeout=120)
    assert r.returncode == (1 if mode == "--once" else 0), r.stderr
    if mode == "--once":  # the exit code alone does not say which host
        assert f"xltop: {target}: unreachable: " in r.stderr
    (host,) = lines(r)[0]["hosts"] if mode == "--batch" else json.loads(r.stdout)["hosts"]
    assert host["host"] == target and host["status"] == "unreachable"
    assert host["domains"] == [] and "refused" in host["message"].lower()


class SlowRoundTrips(SimRunner):
    """A host whose round trips (xl list, XenStore...) take longer than the interval, as
    over a slow SSH link, while its xentop stream flows at once."""

    async def run_batch(self, argvs: Any, *, timeout: float | None = None) -> Any:
        await asyncio.sleep(1.2)
        return await super().run_batch(argvs, timeout=timeout)


async def batch_of_two(other: type[SimRunner], iterations: int,
                       capsys: pytest.CaptureFixture[str]) -> tuple[str, str, list[Any]]:
    """--batch (interval 0.5 s) on two demo hosts, the second one's runner ``other``: the
    hosts' names and the records printed."""
    fast, slow = make_fleet(2, 6, seed=3, start=time.time())
    configs = [HostConfig(h.name, f"demo:{i}") for i, h in enumerate((fast, slow))]
    runners: dict[str, Runner] = {fast.name: SimRunner(fast), slow.name: other(slow)}
    assert await _batch(configs, Settings(interval_s=0.5), runners, iterations) == 0
    return fast.name, slow.name, lines_of(capsys.readouterr().out)


async def test_the_first_batch_record_waits_for_a_slow_hosts_first_full_read(
        capsys: pytest.CaptureFixture[str]) -> None:
    fast_name, slow_name, records = await batch_of_two(SlowRoundTrips, 2, capsys)
    assert len(records) == 2
    assert records[1]["time"] - records[0]["time"] >= 0.4  # a late first: no burst after it
    for rec in records:
        by_name = {h["host"]: h for h in rec["hosts"]}
        assert set(by_name) == {fast_name, slow_name}  # nobody left out while slow
        doms = by_name[slow_name]["domains"]
        assert doms and all(d["mem_target_kib"] is not None and d["domid"] is not None
                            for d in doms)
        assert by_name[slow_name]["devices"]


class SlowCommands(SimRunner):
    """Every round trip takes most of the command timeout (a loaded Dom0): slow, alive."""

    async def run_batch(self, argvs: Any, *, timeout: float | None = None) -> Any:
        await asyncio.sleep(0.3)
        return await super().run_batch(argvs, timeout=timeout)

    async def run(self, argv: Any, *, timeout: float | None = None, **kw: Any) -> Any:
        await asyncio.sleep(0.3)
        return await super().run(argv, timeout=timeout, **kw)


async def test_once_reports_a_slow_host_with_its_data_not_as_unreachable(
        capsys: pytest.CaptureFixture[str]) -> None:
    host = make_fleet(1, 6, seed=3, start=time.time())[0]
    settings = Settings(command_timeout_s=0.5)  # each read answers within it, the poll not
    assert await _once([HostConfig(host.name, "demo:0")], settings,
                       {host.name: SlowCommands(host)}) == 0
    (snap,) = json.loads(capsys.readouterr().out)["hosts"]
    assert snap["status"] == "ok" and snap["domains"], snap.get("message")


def lines_of(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_json_alone_prints_one_snapshot_and_no_terminal_no_dashboard(tmp_path: Path) -> None:
    r = xltop("--demo", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["hosts"]) == 3
    # without a terminal the dashboard would spin on nothing: it says what to use instead
    r = xltop("--demo", home=tmp_path, timeout=30)
    assert (r.returncode, r.stdout) == (2, "")
    assert "needs a terminal" in r.stderr and "--once" in r.stderr


def test_iterations_alone_means_batch(tmp_path: Path) -> None:
    r = xltop("--demo", "--iterations", "2", "--interval", "0.5", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(lines(r)) == 2


def test_demo_pcpus_gives_every_host_that_many(tmp_path: Path) -> None:
    r = xltop("--demo", "--hosts", "1", "--domains", "20", "--pcpus", "256", "--once",
              home=tmp_path)
    assert r.returncode == 0, r.stderr
    (host,) = json.loads(r.stdout)["hosts"]
    assert host["info"]["nr_cpus"] == 256


@pytest.mark.parametrize("mode", [["--once"], ["--batch", "--iterations", "1"],
                                  ["--serve-metrics", "0"], []])
def test_a_bad_target_is_a_one_line_error_in_every_mode(tmp_path: Path, mode: list[str]) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[hosts]]\nname = "xen1"\ntarget = "root@xen1:99999"\n')
    for args in (["--config", str(cfg)], ["root@h:99999"], ["user@"]):
        res = xltop(*mode, *args, home=tmp_path, timeout=30)
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert res.stderr.startswith("xltop: host ") and res.stderr.count("\n") == 1


def test_ctrl_c_ends_batch_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    p = subprocess.Popen([sys.executable, "-m", "tui", "--demo", "--batch", "--interval", "1"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True,  # (SIGINT as a terminal sends it, whatever we inherited)
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout is not None
    first = p.stdout.readline()  # running: a line out
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert json.loads(first)["hosts"]
    assert (p.returncode, err) == (130, "")  # no CancelledError/KeyboardInterrupt traceback


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("mode", [["--once"], ["--batch", "--iterations", "1"]])
def test_an_unwritable_output_is_one_line_not_a_traceback(mode: list[str], tmp_path: Path
                                                          ) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "tui", "--demo", *mode], cwd=ROOT, env=env,
                           stdout=full, stderr=subprocess.PIPE, text=True, timeout=90)
    assert (r.returncode, r.stderr) == (1, "xltop: cannot write the output: No space left on "
                                           "device\n")


@pytest.mark.parametrize(("args", "said"), [
    (["--once", "--batch"], "--once and --batch: choose one"),
    (["--once", "--serve-metrics", "0"], "--once and --serve-metrics: choose one"),
    (["--once", "--iterations", "5"], "--iterations is for --batch"),
    (["--once", "root@127.0.0.1:1"], "it takes no HOST (root@127.0.0.1:1)"),
])
def test_options_that_contradict_are_refused_not_ignored(args: list[str], said: str,
                                                         tmp_path: Path) -> None:
    r = xltop("--demo", *args, home=tmp_path, timeout=30)
    assert (r.returncode, r.stdout) == (2, "") and said in r.stderr


@pytest.mark.parametrize("mode", [("--once", "--json"),
                                  ("--batch", "--interval", "0.2", "--iterations", "20")])
def test_a_reader_that_has_seen_enough_is_no_error(tmp_path: Path, mode: tuple[str, ...]) -> None:
    # `xltop --once --json | head -c 0`: no traceback, the exit code as without the pipe
    p = subprocess.run(
        f"{sys.executable} -m tui --demo {' '.join(mode)} | head -c 0; echo rc=${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", cwd=ROOT, capture_output=True, text=True,
        timeout=90, env={**os.environ, "HOME": str(tmp_path),
                         "XDG_CONFIG_HOME": str(tmp_path / "c"),
                         "XDG_STATE_HOME": str(tmp_path / "s")})
    assert p.stdout == "rc=0\n" and p.stderr == "", p.stderr


def test_a_host_named_twice_is_watched_once() -> None:
    # `xltop --once lab lab`, or a configured name and its target: one poller, one
    # connection and one entry in the JSON (it was two of each, under one name)
    from tui.cli import build_parser, resolve_hosts

    settings = Settings(hosts=(HostConfig("xen1", "root@10.0.0.5"),))
    args = build_parser().parse_args(["lab", "xen1", "lab", "root@10.0.0.5", "other"])
    hosts, runners = resolve_hosts(args, settings)
    assert [h.name for h in hosts] == ["lab", "xen1", "other"] and runners == {}


@pytest.mark.parametrize("mode", [["--once", "--json"], ["--batch", "--iterations", "1"]])
def test_an_output_that_cannot_take_the_names_gets_them_as_json_escapes(
        mode: list[str], tmp_path: Path) -> None:
    # a legacy locale (LANG=en_US.ISO-8859-1) or PYTHONIOENCODING=ascii: the demo fleet's
    # '\u202eevil-rtl' could not be encoded, a UnicodeEncodeError traceback and no JSON
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_STATE_HOME": str(tmp_path / "s"), "PYTHONIOENCODING": "ascii"}
    r = subprocess.run([sys.executable, "-m", "tui", "--demo", *mode], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=90)
    assert (r.returncode, r.stderr) == (0, "")
    assert "\\u202e" in r.stdout  # the same string, as JSON writes it in ASCII
    (fleet,) = lines_of(r.stdout) if mode[0] == "--batch" else [json.loads(r.stdout)]
    names = {d["name"] for h in fleet["hosts"] for d in h["domains"]}
    assert "\u202eevil-rtl" in names and "$(reboot)" in names


class LateXentop(SimRunner):
    """A host whose xentop stream gives its first frame after the interval (its phase in
    the fleet starts it up to an interval late; a loaded Dom0, a slow channel)."""

    async def stream(self, argv: Any) -> Any:
        if "xentop" in argv[0]:
            await asyncio.sleep(1.0)
        return await super().stream(argv)


async def test_the_first_batch_record_waits_for_each_hosts_first_xentop_frame(
        capsys: pytest.CaptureFixture[str]) -> None:
    # the first record was printed once the round trips were in, before the late host's
    # first frame: its domains without nets, vbds and the net/disk counters (all null),
    # the host 'ok' and its domains from 'xl list (no xentop)'
    *_, (record,) = await batch_of_two(LateXentop, 1, capsys)
    for h in record["hosts"]:
        assert h["sources"]["domains"].startswith("xentop"), (h["host"], h["sources"])
        assert h["domains"] and all(d["nets"] is not None and d["net_tx_bytes"] is not None
                                    for d in h["domains"]), h["host"]


def test_help_names_the_config_file_xltop_reads_under_xdg_config_home(tmp_path: Path) -> None:
    """The file is read from $XDG_CONFIG_HOME (not only ~/.config): --help says so."""
    xdg = tmp_path / ".config" / "xltop"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text("intervall = 2\n", encoding="utf-8")  # (misspelt)
    r = xltop("--once", "--demo", home=tmp_path)
    assert r.returncode == 2 and str(xdg / "config.toml") in r.stderr, r.stderr
    shown = xltop("--help", home=tmp_path).stdout
    assert "$XDG_CONFIG_HOME/xltop/config.toml" in " ".join(shown.split())
