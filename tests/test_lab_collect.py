"""Real-Xen tier: xltop's headless snapshot against what xl says on the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def _xl_list(lab: Lab) -> dict[str, tuple[int, int, int, str]]:
    out = lab.ssh("xl list").stdout.splitlines()[1:]
    rows = {}
    for line in out:
        f = line.split()
        rows[f[0]] = (int(f[1]), int(f[2]), int(f[3]), f[4])
    return rows


@dataclass(frozen=True)
class Observed:
    before: dict[str, tuple[int, int, int, str]]
    snap: dict
    after: dict[str, tuple[int, int, int, str]]
    vcpu_rows: list[list[str]]


@pytest.fixture(scope="module")
def observed(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Observed:
    """xl list, then ``xltop --once --json root@127.0.0.1:2222``, then xl list again."""
    cfg = tmp_path_factory.mktemp("labcfg") / "config.toml"
    cfg.write_text(
        "[[hosts]]\n"
        f'name = "lab"\ntarget = "{lab.target}"\n'
        f'key = "{lab.key}"\nknown_hosts = "{lab.known_hosts}"\n'
    )
    before = _xl_list(lab)
    vcpu_rows = [line.split() for line in lab.ssh("xl vcpu-list").stdout.splitlines()[1:]]
    env = {**os.environ, "XLTOP_CONFIG": str(cfg)}
    p = subprocess.run([sys.executable, "-m", "tui", "--once", "--json", lab.target],
                       capture_output=True, text=True, timeout=240, check=False, env=env)
    assert p.stdout, p.stderr
    after = _xl_list(lab)
    return Observed(before, json.loads(p.stdout), after, vcpu_rows)


def _affinity(text: str) -> str | list[int]:
    if text == "all":
        return "all"
    cpus: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        cpus.extend(range(int(a), int(b or a) + 1))
    return sorted(cpus)


def _stable_flags(flags: str) -> str:
    # r and b flip from one instant to the next; paused, shutdown, crash, dying do not
    return flags[2:]


def test_once_json_reports_the_domains_xl_list_reports(observed: Observed) -> None:
    before, snap, after = observed.before, observed.snap, observed.after
    assert before.keys() == after.keys(), "the lab changed during the test"
    (host,) = snap["hosts"]
    assert host["status"] == "ok", host["message"]
    assert "simulated" not in host  # (only the demo fleet's are)
    ours = {d["name"]: d for d in host["domains"]}
    assert set(ours) == set(before)
    for name, (domid, mem_mib, vcpus, flags) in before.items():
        d = ours[name]
        assert d["domid"] == domid
        assert d["vcpus_online"] == vcpus
        assert _stable_flags(d["state"]["flags"]) == _stable_flags(flags)
        assert d["mem_kib"] // 1024 in {mem_mib, after[name][1]}
    assert host["info"]["xen_version"].startswith("4.17")
    assert host["info"]["nr_cpus"] == 2


def test_once_json_reports_the_vcpus_of_xl_vcpu_list(observed: Observed) -> None:
    expected = {(r[0], int(r[1]), int(r[2])): (r[-3], r[-1]) for r in observed.vcpu_rows}
    host = observed.snap["hosts"][0]
    got = {(v["domain"], v["domid"], v["vcpu"]): v for v in host["vcpus"]}
    assert got.keys() == expected.keys()
    for key, (hard, soft) in expected.items():
        v = got[key]
        assert v["hard"] == _affinity(hard)
        assert v["soft"] == _affinity(soft)
        assert v["state"] in {"running", "blocked", "runnable", "offline"}


def test_once_json_has_web1_and_db1_rings_and_vbd_counters(lab: Lab, observed: Observed) -> None:
    host = observed.snap["hosts"][0]
    ids = {d["name"]: d["domid"] for d in host["domains"]}
    devs = host["devices"]
    vifs = {(d["domid"], d["devid"]): d for d in devs if d["kind"] == "vif"}
    vbds = {(d["domid"], d["devid"]): d for d in devs if d["kind"] == "vbd"}
    assert (ids["web1"], 0) in vifs
    assert {(ids["db1"], 0), (ids["db1"], 1)} <= vifs.keys()
    for key in [(ids["web1"], 0), (ids["db1"], 0), (ids["db1"], 1)]:
        vif = vifs[key]
        assert vif["frontend_state"] == "Connected" and vif["backend_state"] == "Connected"
        assert vif["bridge"] == "xenbr0"
        assert vif["rings"], vif["ring_source"]
        assert {r["direction"] for r in vif["rings"]} == {"tx", "rx"}
        assert len(vif["rings"]) == 2 * vif["queues"]
        for r in vif["rings"]:
            assert r["entries"] == 256
            assert 0 <= r["requests_outstanding"] <= 256
            assert "xen-netback" in r["source"]
            assert r["fill"] == r["requests_outstanding"] / 256
            # RX: an idle ring holds the guest's empty buffers (fill ~1): pressure is the
            # share used up, so idle is ~0 both ways
            expect = 1 - r["unconsumed"] / 256 if r["direction"] == "rx" else r["fill"]
            assert r["pressure"] == max(0.0, min(1.0, expect))
    assert {(ids["web1"], 51712), (ids["db1"], 51712), (ids["db1"], 51728)} <= vbds.keys()
    for key in [(ids["web1"], 51712), (ids["db1"], 51712), (ids["db1"], 51728)]:
        vbd = vbds[key]
        assert isinstance(vbd["oo_req"], int) and vbd["oo_req"] >= 0
        assert vbd["rd_req"] >= 1  # the guest kernel probed its disk
        assert vbd["ring_size"] == 32 << (vbd["ring_page_order"] or 0)
    # the same counters as the host's own statistics files
    web1_oo = lab.ssh(f"cat /sys/bus/xen-backend/devices/vbd-{ids['web1']}-51712/statistics/oo_req")
    assert vbds[(ids["web1"], 51712)]["oo_req"] == int(web1_oo.stdout)
