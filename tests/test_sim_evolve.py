"""Time evolution: deterministic under a seed, whatever the read pattern; plausible dynamics."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors import commands
from collectors.model import CpuSet
from collectors.sim.evolve import advance
from collectors.sim.fleet import make_fleet, sim_runners
from collectors.sim.runner import INTERNAL_ERROR
from collectors.sim.state import SimHost
from tests.sim_support import FakeClock, xl

START = 1_800_000_000.0
READS = (
    ("xl", "list", "-v"), ("xl", "vcpu-list"), ("xl", "info"), ("xenstore-ls", "-f"),
    commands.RING_FILES, commands.DOM0_PROC, ("xl", "list", "-l"),
)


def outputs(host: SimHost) -> list[str]:
    return [xl(host, *argv).stdout for argv in READS]


async def _read_fleet(seed: int, times: list[float]) -> list[list[str]]:
    fleet = make_fleet(hosts=3, domains=8, seed=seed, start=START)
    clock = FakeClock(START)
    runners = sim_runners(fleet, clock=clock, sleep=clock.sleep)
    last: list[list[str]] = []
    for t in times:
        clock.t = t
        last = []
        for r in runners.values():
            last.append([(await r.run(argv)).stdout for argv in READS])
    return last


def test_same_seed_same_time_same_outputs_whatever_the_read_pattern() -> None:
    often = asyncio.run(_read_fleet(7, [START + k * 0.7 for k in range(1, 41)]))
    once = asyncio.run(_read_fleet(7, [START + 40 * 0.7]))
    assert often == once


def test_other_seed_other_fleet() -> None:
    a = asyncio.run(_read_fleet(1, [START + 10]))
    b = asyncio.run(_read_fleet(2, [START + 10]))
    assert a != b


def test_actions_replay_identically() -> None:
    def run() -> list[str]:
        host = make_fleet(hosts=1, domains=6, seed=4, start=START)[0]
        advance(host, START + 5)
        guest = next(d for d in host.sorted_domains() if d.domid and d.active)
        xl(host, "xl", "mem-set", str(guest.domid), "300")
        xl(host, "xl", "network-attach", str(guest.domid), "bridge=xenbr0")
        advance(host, START + 40)
        return outputs(host)

    assert run() == run()


def test_running_guests_accumulate_and_stopped_ones_do_not() -> None:
    host = make_fleet(hosts=1, domains=8, seed=0, start=START)[0]
    before = {d.domid: (d.cpu_time_ns, d.xl_flags()) for d in host.domains.values()}
    counters = {d.domid: sum(n.rx_bytes + n.tx_bytes for n in d.nics)
                for d in host.domains.values()}
    advance(host, START + 120)
    for d in host.domains.values():
        grew = d.cpu_time_ns > before[d.domid][0]
        assert grew == d.active, (d.name, d.xl_flags())
        if not d.active and not d.paused:
            assert sum(n.rx_bytes + n.tx_bytes for n in d.nics) == counters[d.domid]
    flags = {d.xl_flags() for d in host.domains.values()}
    assert "---sc-" in flags and any(f[2] == "p" for f in flags) and any("d" in f for f in flags)


def test_vcpus_stay_within_hard_affinity_and_move() -> None:
    host = make_fleet(hosts=1, domains=10, seed=5, start=START)[0]
    pinned = [(d, v) for d in host.domains.values() for v in d.vcpus if not v.hard.all]
    assert pinned
    seen: dict[tuple[int, int], set[int]] = {}
    for t in range(1, 200):
        advance(host, START + t)
        for d in host.domains.values():
            for v in d.vcpus:
                if v.online:
                    assert v.hard.contains(v.cpu)
                    seen.setdefault((d.domid, v.id), set()).add(v.cpu)
    assert any(len(cpus) > 1 for cpus in seen.values())


def test_balloon_drifts_toward_target() -> None:
    host = make_fleet(hosts=1, domains=4, seed=2, start=START)[0]
    d = next(d for d in host.sorted_domains() if d.domid and d.active and d.pv_drivers)
    xl(host, "xl", "mem-set", str(d.domid), str(d.target_kib // 2048))
    gaps = []
    for t in range(1, 30):
        advance(host, START + t)
        gaps.append(abs(d.mem_kib - d.target_kib))
    assert gaps[0] > gaps[5] > gaps[-1] == 0
    assert all(a >= b for a, b in zip(gaps, gaps[1:], strict=False))


def test_rings_busy_ring_and_oo_growth() -> None:
    host = make_fleet(hosts=1, domains=8, seed=0, start=START)[0]
    hot = [n for d in host.domains.values() for n in d.nics if n.backlog > 0.5]
    slow = [k for d in host.domains.values() for k in d.disks if k.congested]
    assert hot and slow
    oo0 = slow[0].oo_req
    fills = []
    for t in range(1, 120):
        advance(host, START + t)
        fills.append(max(q.tx.outstanding() for q in hot[0].queues))
    assert max(fills) >= 200  # a TX ring the backend lags on stays near full
    assert slow[0].oo_req > oo0
    rings = xl(host, *commands.RING_FILES).stdout
    assert "TX: nr_ents 256\nreq prod" in rings


def test_oversubscribed_host_has_waiting_vcpus() -> None:
    host = make_fleet(hosts=3, domains=8, seed=0, start=START)[2]
    online = sum(d.online_vcpus for d in host.domains.values() if d.active)
    assert online > host.nr_cpus
    waited = 0
    for t in range(1, 60):
        advance(host, START + t)
        waited += sum(1 for d in host.domains.values() for v in d.vcpus
                      if v.online and d.active and not v.running and not v.blocked)
    assert waited > 0
    assert "   ---  " in xl(host, "xl", "vcpu-list").stdout or waited > 0


def test_pin_keeps_future_placement() -> None:
    host = make_fleet(hosts=1, domains=3, seed=1, start=START)[0]
    d = next(d for d in host.sorted_domains() if d.domid and d.active)
    assert xl(host, "xl", "vcpu-pin", str(d.domid), "all", "2-3").exit_code == 0
    for t in range(1, 50):
        advance(host, START + t)
        assert all(v.cpu in (2, 3) for v in d.vcpus if v.online)
    assert all(v.hard == CpuSet.of({2, 3}) for v in d.vcpus)


# --- the simulator never raises, whatever the argv -------------------------------------------

_WORDS = st.sampled_from([
    "xl", "xentop", "xenstore-ls", "xenstore-read", "xenstore-list", "xenstore-watch", "sh",
    "-c", "cat", "test", "head", "list", "vcpu-list", "info", "pause", "unpause", "destroy",
    "save", "restore", "create", "mem-set", "mem-max", "vcpu-set", "vcpu-pin", "network-attach",
    "network-detach", "block-attach", "block-detach", "cd-insert", "cd-eject", "shutdown",
    "reboot", "-b", "-i", "1", "-d", "0", "-f", "-v", "-l", "-n", "-x", "-N", "-p", "-w", "-a",
    "all", "^all", "0-3", "db1", "web1", "idle1", "Domain-0", "0", "1", "99", "4294967295",
    "/local/domain", "/etc/xen/db1.cfg", "/var/lib/xen/save/x.chk", "bridge=xenbr0",
    "mac=zz:zz", "xvdb", "/srv/xen/web1.img,raw,xvdc,rw", "100g", "-5", "lots", "$(reboot)",
    "; rm -rf /", "\x00", "\n", "--", "--help", "-h", "\u202e",
])
_ARGV = st.lists(st.one_of(_WORDS, st.text(max_size=12)), min_size=0, max_size=7)


@settings(max_examples=300, deadline=None)
@given(argv=_ARGV)
def test_any_argv_gets_a_command_result(argv: list[str]) -> None:
    host = make_fleet(hosts=1, domains=3, seed=0, start=START)[0] if not _HOSTS else _HOSTS[0]
    _HOSTS[:] = [host]
    clock = FakeClock(START)
    runner = sim_runners([host], clock=clock, sleep=clock.sleep)[host.name]
    result = asyncio.run(runner.run(argv))
    assert result.exit_code != INTERNAL_ERROR, result.stderr
    assert isinstance(result.stdout, str) and isinstance(result.stderr, str)


_HOSTS: list[SimHost] = []
