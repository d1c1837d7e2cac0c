"""Simulated rings fill and drain with traffic; blkback OO grows; Open vSwitch hosts.

Everything is read the way xltop reads it (the RING_FILES dump, xentop, /proc/net/dev,
XenStore) and parsed with the real parsers; occupancy is judged with the Rings view's own
``RingStats.pressure``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from collectors import commands
from collectors.model import RingStats
from collectors.parse.procfs import parse_proc_net_dev, split_cat
from collectors.parse.rings import parse_ring_dump, ring_stats
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import parse_xentop
from collectors.sim import evolve
from collectors.sim.fleet import make_fleet
from collectors.sim.render_xentop import XentopOptions, XentopSampler
from collectors.sim.state import U32, SimHost
from collectors.topology import topology_from_xenstore
from tests.sim_support import xl
from tui.ring_watch import FULL_AT

START = 1_800_000_000.0
RingKey = tuple[str, int, int, int, str]  # host, domid, devid, queue, direction


def rings(host: SimHost) -> dict[RingKey, RingStats]:
    res = xl(host, *commands.RING_FILES)
    assert res.exit_code == 0, res.stderr
    dump = parse_ring_dump(res.stdout)
    assert dump.errors == ()
    out: dict[RingKey, RingStats] = {}
    for (domid, devid), queues in dump.netback.items():
        for q in queues:
            for r in ring_stats(q, "sim"):
                assert r.direction is not None
                out[(host.name, domid, devid, r.queue, r.direction)] = r
    return out


def blkback(host: SimHost) -> dict[tuple[int, int], dict[str, int]]:
    dump = parse_ring_dump(xl(host, *commands.RING_FILES).stdout)
    return {k: dict(v) for k, v in dump.blkback.items()}


def xentop(host: SimHost) -> str:
    return XentopSampler().frame(host, XentopOptions(iterations=1, networks=True, vbds=True,
                                                     full_name=True))


def proc_net_dev(host: SimHost) -> dict[str, tuple[int, int]]:
    res = xl(host, *commands.DOM0_PROC)
    assert res.exit_code == 0, res.stderr
    _, netdev = split_cat(res.stdout)
    return {c.name: (c.rx_bytes, c.tx_bytes) for c in parse_proc_net_dev(netdev)}


def fwd(a: int, b: int) -> int:
    """How far index ``b`` is ahead of ``a``, mod 2³² (the ring's own arithmetic)."""
    return (b - a) % (1 << 32)


def check_ring(key: RingKey, r: RingStats) -> None:
    """rsp_prod ≤ rsp_pvt ≤ req_cons ≤ req_prod within one ring of ``entries`` slots."""
    assert r.entries == 256, key
    assert r.req_prod is not None and r.rsp_prod is not None and r.req_cons is not None
    assert r.requests_outstanding is not None and r.unconsumed is not None
    assert r.responses_pending is not None
    assert 0 <= r.requests_outstanding <= r.entries, (key, r)
    consumed = fwd(r.rsp_prod, r.req_cons)
    assert consumed + r.unconsumed == r.requests_outstanding, (key, r)
    assert r.responses_pending <= consumed, (key, r)


def timeline(seed: int, hosts: int, steps: int, every: int = 2,
             ) -> Iterator[tuple[int, list[SimHost], dict[RingKey, RingStats]]]:
    fleet = make_fleet(hosts=hosts, domains=8, seed=seed, start=START)
    for t in range(0, steps + 1, every):
        for h in fleet:
            evolve.advance(h, START + t)
        now: dict[RingKey, RingStats] = {}
        for h in fleet:
            now.update(rings(h))
        yield t, fleet, now


@pytest.fixture(scope="module")
def history() -> list[tuple[int, dict[RingKey, RingStats]]]:
    """Six hosts (two of them Open vSwitch) over five minutes, sampled every 2 s."""
    return [(t, now) for t, _, now in timeline(seed=0, hosts=6, steps=300)]


def pressures(history: list[tuple[int, dict[RingKey, RingStats]]],
              ) -> dict[RingKey, list[float]]:
    out: dict[RingKey, list[float]] = {}
    for _, now in history:
        for key, r in now.items():
            p = r.pressure
            assert p is not None
            out.setdefault(key, []).append(p)
    return out


# --- indices ------------------------------------------------------------------------------


def test_indices_stay_consistent_and_producers_only_grow(
        history: list[tuple[int, dict[RingKey, RingStats]]]) -> None:
    prev: dict[RingKey, RingStats] = {}
    checked = 0
    for _, now in history:
        assert now
        for key, r in now.items():
            check_ring(key, r)
            old = prev.get(key)
            if old is not None:
                for field in ("req_prod", "req_cons", "rsp_prod"):
                    a, b = getattr(old, field), getattr(r, field)
                    assert fwd(a, b) < 1 << 31, (key, field, a, b)  # never went back
                checked += 1
        prev = now
    assert checked > 1000


def test_indices_wrap_like_ring_idx() -> None:
    fleet = make_fleet(hosts=1, domains=8, seed=0, start=START)
    host = fleet[0]
    nic = next(n for d in host.sorted_domains() for n in d.nics if n.stall == "tx")
    for q in nic.queues:  # the same ring, 500 requests before the uint32 wraps
        for side in (q.tx, q.rx):
            shift = (1 << 32) - 500 - side.rsp_prod
            for name in ("req_prod", "req_cons", "rsp_prod", "rsp_pvt", "req_event",
                         "rsp_event"):
                setattr(side, name, (getattr(side, name) + shift) & U32)
    domid = next(d.domid for d in host.sorted_domains() if nic in d.nics)
    seen_high = seen_low = False
    prev: dict[RingKey, RingStats] = {}
    for t in range(0, 80):
        evolve.advance(host, START + t)
        now = {k: r for k, r in rings(host).items() if k[1:3] == (domid, nic.devid)}
        assert now
        for key, r in now.items():
            check_ring(key, r)
            assert r.req_prod is not None and r.req_prod <= U32
            seen_high |= r.rsp_prod is not None and r.rsp_prod > U32 - 1000
            seen_low |= r.rsp_prod is not None and r.rsp_prod < 1000
            if key in prev:
                old = prev[key]
                assert old.rsp_prod is not None and r.rsp_prod is not None
                assert fwd(old.rsp_prod, r.rsp_prod) < 1 << 31
        prev = now
    assert seen_high and seen_low


def test_ring_size_agrees_with_xenstore() -> None:
    for host in make_fleet(hosts=4, domains=8, seed=3, start=START):
        evolve.advance(host, START + 5)
        xs = parse_xenstore_ls(xl(host, *commands.XENSTORE_DOMAINS).stdout)
        topo = topology_from_xenstore(host.name, xs)
        by_key = {(d.domid, d.devid): d for d in topo.devices if d.kind.value == "vif"}
        now = rings(host)
        assert now
        for (_, domid, devid, queue, _), r in now.items():
            dev = by_key[(domid, devid)]
            assert dev.ring_size == r.entries
            assert dev.queues is not None and queue < dev.queues
        for dev in topo.devices:
            if dev.kind.value == "vbd" and dev.ring_page_order is not None:
                assert dev.ring_size == 32 << dev.ring_page_order


# --- occupancy over time --------------------------------------------------------------------


def test_most_rings_near_empty_and_busy_ones_partly_full(
        history: list[tuple[int, dict[RingKey, RingStats]]]) -> None:
    for _, now in history[5:]:
        ps = [r.pressure or 0.0 for r in now.values()]
        assert sum(p < 0.1 for p in ps) >= 0.7 * len(ps)
    partly = [k for k, ps in pressures(history).items()
              if 0.2 <= sorted(ps)[len(ps) // 2] < FULL_AT]
    assert partly  # a busy vif whose median occupancy is well above idle


def test_occupancy_moves_with_time(history: list[tuple[int, dict[RingKey, RingStats]]]) -> None:
    moving = [k for k, ps in pressures(history).items() if len({round(p, 3) for p in ps}) >= 10]
    assert len(moving) >= 10
    for ps in pressures(history).values():
        if max(ps) > 0.05:
            break
    else:
        pytest.fail("no ring ever left empty")


def longest_full_run(ps: list[float]) -> tuple[int, int]:
    """(length, end index) of the longest run of samples at or above FULL_AT."""
    best, end, run = 0, -1, 0
    for i, p in enumerate(ps):
        run = run + 1 if p >= FULL_AT else 0
        if run > best:
            best, end = run, i
    return best, end


def test_a_ring_sits_full_for_a_while_then_drains(
        history: list[tuple[int, dict[RingKey, RingStats]]]) -> None:
    stalls: dict[RingKey, int] = {}
    for key, ps in pressures(history).items():
        run, end = longest_full_run(ps)
        if run >= 8 and any(p < 0.5 for p in ps[end + 1:]):  # ≥ 16 s full, then drained
            stalls[key] = run
    assert stalls
    assert {k[4] for k in stalls} == {"tx", "rx"}  # a slow backend and a slow guest
    stalled_domains = {k[:2] for k in stalls}
    assert 1 <= len(stalled_domains) <= 4  # a few domains of the fleet, not everywhere


def test_paused_guest_freezes_its_rings_and_uses_up_rx_buffers() -> None:
    host = make_fleet(hosts=1, domains=8, seed=0, start=START)[0]
    d, nic = next((d, n) for d in host.sorted_domains() if d.domid and d.active
                  for n in d.nics if n.traffic >= 20 and n.queues and not n.stall)
    evolve.advance(host, START + 10)
    d.pause_count = 1
    evolve.advance(host, START + 11)
    before = {k: r for k, r in rings(host).items() if k[1:3] == (d.domid, nic.devid)}
    evolve.advance(host, START + 40)
    after = {k: r for k, r in rings(host).items() if k[1:3] == (d.domid, nic.devid)}
    for key, r in after.items():
        check_ring(key, r)
        old = before[key]
        assert r.req_prod == old.req_prod  # a paused guest posts nothing
        if key[4] == "tx":
            assert r.rsp_prod == old.rsp_prod
    rx_free = [r.unconsumed for k, r in after.items() if k[4] == "rx"]
    assert min(v or 0 for v in rx_free) < 256 - 100  # netback used up posted buffers
    d.pause_count = 0
    evolve.advance(host, START + 50)
    resumed = {k: r for k, r in rings(host).items() if k[1:3] == (d.domid, nic.devid)}
    assert all((r.pressure or 0.0) < 0.5 for r in resumed.values())


# --- determinism, and the other values of a seed left alone -------------------------------


def test_same_seed_same_rings_other_seed_others() -> None:
    def last(seed: int) -> dict[RingKey, RingStats]:
        out: dict[RingKey, RingStats] = {}
        for _, _, now in timeline(seed=seed, hosts=3, steps=60, every=20):
            out = now
        return out

    a, b, c = last(7), last(7), last(8)
    assert a == b
    assert a != c


def test_ring_stream_does_not_move_any_other_value() -> None:
    """Replacing the ring stream changes the rings and nothing xentop, xl or
    /proc/net/dev show: CPU, memory and every counter of a seed stay as they were."""
    plain = make_fleet(hosts=4, domains=8, seed=0, start=START)
    other = make_fleet(hosts=4, domains=8, seed=0, start=START)
    for h in other:
        h.ring_rng = random.Random("something else")
    reads = (("xl", "list", "-v"), ("xl", "vcpu-list"), ("xl", "info"), commands.DOM0_PROC,
             commands.XENSTORE_DOMAINS)
    for t in (30, 120):
        for a, b in zip(plain, other, strict=True):
            evolve.advance(a, START + t)
            evolve.advance(b, START + t)
            assert xentop(a) == xentop(b)
            for argv in reads:
                assert xl(a, *argv).stdout == xl(b, *argv).stdout, argv
            assert blkback(a) == blkback(b)
    assert any(rings(a) != rings(b) for a, b in zip(plain, other, strict=True))


# --- blkback --------------------------------------------------------------------------------


def test_oo_req_grows_slowly_on_the_congested_vbd_and_io_counters_grow() -> None:
    host = make_fleet(hosts=1, domains=8, seed=0, start=START)[0]
    congested = [(d.domid, k.devid) for d in host.sorted_domains() for k in d.disks
                 if k.congested]
    busy = [(d.domid, k.devid) for d in host.sorted_domains() for k in d.disks
            if k.iops >= 3 and d.active and k.backend_type == "phy" and not k.empty]
    assert len(congested) == 1 and busy
    first = blkback(host)
    samples = [first]
    for t in range(10, 130, 10):
        evolve.advance(host, START + t)
        samples.append(blkback(host))
    for old, new in zip(samples, samples[1:], strict=False):
        for key, stats in new.items():
            for name, value in stats.items():
                assert value >= old[key][name], (key, name)  # cumulative counters
    oo = [s[congested[0]]["oo_req"] for s in samples]
    assert oo[-1] > oo[0]
    assert sum(b > a for a, b in zip(oo, oo[1:], strict=False)) >= 6  # keeps growing
    assert (oo[-1] - oo[0]) / 120 < 20  # OO/s: a trickle, not a flood
    last = samples[-1]
    for key in busy:
        assert last[key]["rd_req"] + last[key]["wr_req"] > first[key]["rd_req"] + first[key][
            "wr_req"]
        assert last[key]["rd_sect"] + last[key]["wr_sect"] > first[key]["rd_sect"] + first[
            key]["wr_sect"]
    others = [k for k in last if k not in congested]
    assert all(last[k]["oo_req"] == first[k]["oo_req"] for k in others)


# --- Open vSwitch hosts ---------------------------------------------------------------------


def test_hosts_alternate_bridge_kinds_from_the_fourth_on() -> None:
    fleet = make_fleet(hosts=7, domains=4, seed=0, start=START)
    assert [h.ovs for h in fleet] == [False, False, False, True, False, True, False]
    small = make_fleet(hosts=3, domains=4, seed=0, start=START)
    for a, b in zip(fleet, small, strict=False):  # the first three are the 3-host demo's
        for argv in (("xl", "list", "-v"), commands.XENSTORE_DOMAINS, commands.DOM0_PROC):
            assert xl(a, *argv).stdout == xl(b, *argv).stdout
        assert xentop(a) == xentop(b)


def test_ovs_host_xentop_sees_no_vifs_while_proc_net_dev_counts() -> None:
    fleet = make_fleet(hosts=5, domains=8, seed=0, start=START)
    ovs, bridged = fleet[3], fleet[4]
    assert ovs.ovs and not bridged.ovs
    evolve.advance(ovs, START + 10)
    xs = parse_xenstore_ls(xl(ovs, *commands.XENSTORE_DOMAINS).stdout)
    topo = topology_from_xenstore(ovs.name, xs)
    vifs = [d for d in topo.devices if d.kind.value == "vif" and d.backend_state is not None
            and d.backend_state.value == 4]
    assert vifs and {d.bridge for d in vifs} == {"ovsbr0"}
    assert all(xs[f"/local/domain/0/backend/vif/{d.domid}/{d.devid}/script"]
               == "/etc/xen/scripts/vif-openvswitch" for d in vifs)
    assert xl(ovs, *commands.LIST_BRIDGES).stdout == "ovsbr0\n"

    text = xentop(ovs)
    rows = parse_xentop(text)[-1]
    assert len(rows) == len(ovs.domains)
    for row in rows:
        assert (row.nets, row.nettx_k, row.netrx_k, row.networks) == (0, 0, 0, ())
    header = text.splitlines()[0]
    nets_end = header.index("NETS") + 4
    for line in text.splitlines()[1:]:
        if not line.startswith("VBD "):  # a domain's row, not its -x lines
            assert line[nets_end - 4:nets_end] == "   0"  # %4u, like every other zero
    assert "Net0" not in text

    before = proc_net_dev(ovs)
    evolve.advance(ovs, START + 40)
    after = proc_net_dev(ovs)
    assert "xenbr0" not in after and "ovsbr0" in after
    flowing = {n.ifname(d.domid) for d in ovs.sorted_domains() if d.active
               for n in d.nics if n.traffic >= 1.0 and n.queues}
    assert flowing
    for name in flowing:  # packets each way: Dom0 still counts them per vif
        assert after[name][0] > before[name][0] and after[name][1] > before[name][1], name
    assert all(after[d.name][0] >= before[d.name][0] and after[d.name][1] >= before[d.name][1]
               for d in vifs if d.name)
    assert after["ovs-system"] == before["ovs-system"] == (0, 0)

    # a bridged host still shows its guests' vifs in xentop
    evolve.advance(bridged, START + 10)
    bridged_rows = parse_xentop(xentop(bridged))[-1]
    assert any((r.nets or 0) > 0 and (r.netrx_k or 0) > 0 for r in bridged_rows)


def test_ovs_guest_config_names_its_bridge_and_script() -> None:
    host = make_fleet(hosts=4, domains=4, seed=0, start=START)[3]
    cfgs = [v for p, v in host.files.items() if p.startswith("/etc/xen/") and p.endswith(".cfg")]
    assert cfgs and all("bridge=ovsbr0" in c and "script=/etc/xen/scripts/vif-openvswitch" in c
                        for c in cfgs if "vif = " in c)
    res = xl(host, "xl", "network-attach", next(d.name for d in host.sorted_domains()
                                                 if d.domid and d.active), "bridge=ovsbr0")
    assert res.exit_code == 0, res.stderr


def test_cd_drives_known_from_the_backends_device_type() -> None:
    host = make_fleet(hosts=1, domains=12, seed=0, start=START)[0]
    xs = parse_xenstore_ls(xl(host, *commands.XENSTORE_DOMAINS).stdout)
    topo = topology_from_xenstore(host.name, xs)
    vbds = [d for d in topo.devices if d.kind.value == "vbd"]
    drives = {(d.domid, d.name) for d in vbds if d.cdrom}
    assert drives == {(d.domid, k.vdev) for d in host.domains.values() for k in d.disks
                      if k.cdrom}
    assert drives and all(d.cdrom is False for d in vbds if (d.domid, d.name) not in drives)
    # a backend that does not say (no device-type node): unknown, not "not a CD drive"
    path = next(p for p in xs if p.endswith("/device-type") and "/backend/vbd/" in p)
    del xs[path]
    assert any(d.cdrom is None for d in topology_from_xenstore(host.name, xs).devices)
