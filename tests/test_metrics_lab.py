"""Real-Xen tier: ``xltop --serve-metrics`` pointed at the lab, scraped as Prometheus
would, against what ``xl list``, ``xl vcpu-list`` and blkback's files say."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Lab
from tests.metrics_support import Exposition, parse_exposition, scrape

pytestmark = [pytest.mark.lab, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scraped(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exposition]:
    home = tmp_path_factory.mktemp("metricslab")
    cfg = home / "config.toml"
    cfg.write_text("[[hosts]]\n"
                   f'name = "lab"\ntarget = "{lab.target}"\n'
                   f'key = "{lab.key}"\nknown_hosts = "{lab.known_hosts}"\n')
    env = {**os.environ, "XLTOP_CONFIG": str(cfg), "HOME": str(home),
           "XDG_STATE_HOME": str(home / "state")}
    p = subprocess.Popen([sys.executable, "-m", "tui", "--serve-metrics", "127.0.0.1:0"],
                         cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stderr is not None
        line = p.stderr.readline()
        assert "serving Prometheus metrics of 1 host(s)" in line, line
        url = line.split(" on ", 1)[1].split()[0]
        deadline = time.monotonic() + 180
        while True:  # until the first full read (vCPUs, XenStore's devices, blkback) is in
            exp = parse_exposition(scrape(url)[2].decode())
            if (exp.values("xen_host_up") == [1.0] and exp.values("xen_vcpu_cpu_seconds_total")
                    and exp.values("xen_vbd_oo_requests_total")
                    and exp.values("xen_ring_pressure")) or time.monotonic() > deadline:
                break
            time.sleep(1)
        yield exp
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_the_lab_exporter_reports_what_xl_list_reports(lab: Lab, scraped: Exposition) -> None:
    rows = [line.split() for line in lab.ssh("xl list").stdout.splitlines()[1:]]
    assert scraped.values("xen_host_up", host="lab") == [1.0]
    assert scraped.label_values("xen_domain_state", "domain") == {r[0] for r in rows}
    for name, domid, mem_mib, vcpus, *_ in rows:
        who = {"host": "lab", "domain": name, "domid": domid}
        assert scraped.one("xen_domain_vcpus_online", **who) == int(vcpus)
        mem = scraped.one("xen_domain_memory_bytes", **who)
        assert abs(mem / 2**20 - int(mem_mib)) <= 1, (name, mem, mem_mib)
        assert scraped.one("xen_domain_cpu_seconds_total", **who) > 0
    assert scraped.label_values("xen_host_info", "xen_version").pop().startswith("4.17")
    assert scraped.one("xen_host_cpus", host="lab") == 2


def test_the_lab_exporter_has_every_vcpu_and_the_blkback_and_netback_numbers(
        lab: Lab, scraped: Exposition) -> None:
    vcpus = {(r[0], r[1], r[2]) for r in
             (line.split() for line in lab.ssh("xl vcpu-list").stdout.splitlines()[1:])}
    got = {(dict(k)["domain"], dict(k)["domid"], dict(k)["vcpu"])
           for k in scraped.samples["xen_vcpu_cpu_seconds_total"]}
    assert got == vcpus
    web1 = lab.ssh("xl domid web1").stdout.strip()
    oo = int(lab.ssh(f"cat /sys/bus/xen-backend/devices/vbd-{web1}-51712/statistics/oo_req")
             .stdout)
    assert scraped.one("xen_vbd_oo_requests_total", domain="web1", devid="51712") == oo
    assert scraped.one("xen_vbd_read_requests_total", domain="web1", devid="51712") >= 1
    queues = int(lab.ssh(f"xenstore-read /local/domain/{web1}/device/vif/0/"
                         "multi-queue-num-queues").stdout.strip() or 1)
    rings = scraped.samples["xen_ring_pressure"]
    web1_rings = {(dict(k)["queue"], dict(k)["direction"]) for k in rings
                  if dict(k)["domain"] == "web1" and dict(k)["device"] == f"vif{web1}.0"}
    assert web1_rings == {(str(q), d) for q in range(queues) for d in ("tx", "rx")}
    assert all(0.0 <= v <= 1.0 for v in rings.values())
    assert scraped.values("xen_vif_receive_bytes_total", domain="web1", device=f"vif{web1}.0")
