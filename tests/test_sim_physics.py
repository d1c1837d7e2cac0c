"""The demo's vCPU and network data are physically possible: at most one vCPU runs on a
pCPU at a time, a paused domain's vCPUs do not run, and a guest paused from the start
neither sends nor receives. Read through a SimRunner, parsed with the real parsers."""

from __future__ import annotations

from collections import Counter

import pytest

from collectors import commands
from collectors.parse.rings import parse_ring_dump, ring_stats
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_vcpu import VcpuRow
from tests.sim_support import Demo


def _running_per_pcpu(rows: list[VcpuRow]) -> Counter[int]:
    return Counter(v.cpu for v in rows if v.state == "r--" and v.cpu is not None)


@pytest.mark.parametrize("seed", [7, 0, 3])
def test_at_most_one_running_vcpu_per_pcpu_and_none_of_a_paused_domain(seed: int) -> None:
    for host_name in ("xen-prod-01", "xen-lab-02", "xen-prod-03"):
        demo = Demo(host_name, seed)
        for t in range(12):
            if t:
                demo.wait(5)
            state = {r.domid: r.state for r in demo.xl_list().values()}
            rows = demo.vcpus()
            over = {c: n for c, n in _running_per_pcpu(rows).items() if n > 1}
            assert not over, (seed, host_name, t, over)
            for v in rows:
                flags = state[v.domid]
                assert flags is not None
                if flags[2] == "p" or flags[3] == "s":
                    assert v.state != "r--", (seed, host_name, t, v)


def test_paused_by_xl_and_pinned_vcpus_keep_one_runner_per_pcpu() -> None:
    demo = Demo()
    running = [v for v in demo.vcpus() if v.state == "r--" and v.domid]
    assert running
    v = running[0]
    demo.ok("xl", "pause", str(v.domid))
    assert all(r.state != "r--" for r in demo.vcpus() if r.domid == v.domid)
    demo.ok("xl", "unpause", str(v.domid))
    demo.wait(2)
    # pin every running vCPU onto one pCPU: still only one of them runs there
    for r in [r for r in demo.vcpus() if r.state == "r--" and r.domid]:
        demo.ok("xl", "vcpu-pin", str(r.domid), str(r.vcpu), "0")
    assert _running_per_pcpu(demo.vcpus())[0] <= 1
    demo.wait(3)
    assert max(_running_per_pcpu(demo.vcpus()).values(), default=0) <= 1


def _net_and_rings(demo: Demo, name: str) -> tuple[object, ...]:
    """The guest's vif counters (xentop -n), its rings' indices and /proc/net/dev's vif rows."""
    top = parse_xentop(demo.ok(*commands.xentop_once()))
    dom = next(x for x in top[-1] if x.name == name)
    domid = demo.xl_list()[name].domid
    dump = parse_ring_dump(demo.ok(*commands.RING_FILES))
    rings = [ring_stats(q, "sim") for (d, _), qs in dump.netback.items() if d == domid
             for q in qs]
    return dom.nettx_k, dom.netrx_k, dom.networks, rings


@pytest.mark.parametrize("seed", [7, 0])
def test_initially_paused_domains_receive_and_send_nothing(seed: int) -> None:
    for host_name in ("xen-prod-01", "xen-lab-02", "xen-prod-03"):
        demo = Demo(host_name, seed)
        paused = [r.name for r in demo.xl_list().values()
                  if r.state is not None and r.state[2] == "p" and r.state[3] == "-"]
        paused = [n for n in paused if demo.host.by_name(n).nics]  # type: ignore[union-attr]
        assert paused
        for name in paused:
            before = _net_and_rings(demo, name)
            assert before[2]  # xentop -n showed its vifs
            demo.wait(120)
            assert _net_and_rings(demo, name) == before, (seed, host_name, name)


def test_a_cap_limits_the_domains_cpu() -> None:
    """sched-credit2 -c 50: at most half a pCPU, whatever the guest wants (the demo's
    busiest domain kept 60-80 % under a cap of 50)."""
    demo = Demo()
    before = demo.xl_list()
    demo.wait(60)
    after = demo.xl_list()
    used = {n: (after[n].cpu_time_s or 0.0) - (before[n].cpu_time_s or 0.0)
            for n in after if n in before and n != "Domain-0"}
    busiest = max(used, key=lambda n: used[n])
    assert used[busiest] > 40  # more than the cap would allow
    demo.ok("xl", "sched-credit2", "-d", busiest, "-c", "50")
    start = demo.xl_list()[busiest].cpu_time_s or 0.0
    demo.wait(60)
    spent = (demo.xl_list()[busiest].cpu_time_s or 0.0) - start
    assert 0 < spent <= 30.0 + 0.2, spent  # xl list's tenths


@pytest.mark.parametrize("seed", [7, 0])
def test_a_vcpu_waiting_for_a_busy_pcpu_gets_its_share(seed: int) -> None:
    """An overcommitted pCPU is shared: a runnable vCPU of a running domain is not starved
    for ever because domains with lower domids asked first (the demo's git-03 sat runnable
    with its CPU time frozen for 19 minutes, and a domain migrated in stayed at 0:00:00)."""
    waiting_seen = 0
    for host_name in ("xen-prod-01", "xen-lab-02", "xen-prod-03"):
        demo = Demo(host_name, seed)
        demo.wait(5)
        flags = {r.domid: r.state or "" for r in demo.xl_list().values()}
        waiting = {(v.domid, v.vcpu): v.cpu_time_s for v in demo.vcpus()
                   if v.state == "---" and v.domid and not set("psd") & set(flags[v.domid])}
        waiting_seen += len(waiting)
        demo.wait(120)
        later = {(v.domid, v.vcpu): v.cpu_time_s for v in demo.vcpus()}
        stuck = [k for k, t in waiting.items() if later.get(k) == t]
        assert not stuck, (seed, host_name, stuck)
    assert waiting_seen  # the demo has such vCPUs to look at
