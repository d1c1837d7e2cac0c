"""The simulated fleet's mix, the lab copy, and a round trip through the real parsers."""

from __future__ import annotations

import asyncio

import pytest

from collectors import commands
from collectors.model import DomainType
from collectors.sim.evolve import advance
from collectors.sim.fleet import HOSTILE_NAMES, host_names, make_fleet, make_lab_like_host
from collectors.sim.runner import SimRunner
from collectors.sim.state import SimHost
from collectors.sim.xenstore_tree import build_tree
from tests.sim_support import FakeClock, xl

START = 1_800_000_000.0


def test_host_names() -> None:
    assert host_names(4) == ["xen-prod-01", "xen-lab-02", "xen-prod-03", "xen-lab-04"]
    assert [h.name for h in make_fleet(hosts=2, domains=1, start=START)] == host_names(2)


def test_fleet_mix() -> None:
    fleet = make_fleet(hosts=3, domains=8, seed=0, start=START)
    for host in fleet:
        doms = host.sorted_domains()
        assert doms[0].name == "Domain-0" and doms[0].domid == 0
        assert xl(host, "xl", "list").stdout.splitlines()[1].startswith("Domain-0 ")
    doms = [d for h in fleet for d in h.domains.values() if d.domid]
    flags = {d.xl_flags() for d in doms}
    assert {"---sc-", "---s--"} <= flags
    assert any(f.startswith("r") for f in flags) and any(f.startswith("-b") for f in flags)
    assert any(f[2] == "p" for f in flags) and any(f.endswith("d") for f in flags)
    assert {d.type for d in doms} == {DomainType.PV, DomainType.HVM, DomainType.PVH}
    counts = [d.max_vcpus for d in doms]
    assert min(counts) == 1 and 8 <= max(counts) <= 16
    assert any(not v.hard.all for d in doms for v in d.vcpus)
    assert any(not v.soft.all for d in doms for v in d.vcpus)
    over = [h for h in fleet
            if sum(d.online_vcpus for d in h.domains.values() if d.active) > h.nr_cpus]
    assert over
    for h in fleet:
        assert h.free_kib() > 0
        assert len({d.name for d in h.domains.values()}) == len(h.domains)


def test_hostile_names_on_one_host() -> None:
    fleet = make_fleet(hosts=3, domains=4, seed=0, start=START)
    holders = [h for h in fleet if h.by_name(HOSTILE_NAMES[0])]
    assert len(holders) == 1
    host = holders[0]
    for name in HOSTILE_NAMES:
        assert host.by_name(name) is not None
    long = next(n for n in HOSTILE_NAMES if len(n) == 45)
    row = next(r for r in xl(host, "xl", "list").stdout.splitlines() if r.startswith(long))
    assert row[45] == " " and len(row) > len(xl(host, "xl", "list").stdout.splitlines()[1])
    assert "evil\x1b[2Jname" in xl(host, "xl", "list").stdout  # raw, as real xl prints it
    assert "evil\\x1b[2Jname" in xl(host, "xenstore-ls", "-f", "/local/domain").stdout
    assert '"name": "evil\\u001B[2Jname"' in xl(host, "xl", "list", "-l").stdout


def test_fleet_is_deterministic() -> None:
    a = make_fleet(hosts=3, domains=8, seed=9, start=START)
    b = make_fleet(hosts=3, domains=8, seed=9, start=START)
    for ha, hb in zip(a, b, strict=True):
        assert xl(ha, "xl", "list", "-l").stdout == xl(hb, "xl", "list", "-l").stdout
        assert build_tree(ha) == build_tree(hb)


def test_lab_like_host_mirrors_the_lab() -> None:
    host = make_lab_like_host()
    assert (host.nr_cpus, host.bridges) == (2, ["xenbr0"])
    rows = {r.split()[0]: r.split() for r in xl(host, "xl", "list").stdout.splitlines()[1:]}
    assert [(n, rows[n][2], rows[n][3]) for n in ("Domain-0", "db1", "idle1", "web1")] == [
        ("Domain-0", "1024", "2"), ("db1", "160", "2"), ("idle1", "128", "1"),
        ("web1", "128", "2")]
    assert host.domains[1].static_max_kib == 192 * 1024
    assert host.domains[3].static_max_kib == 256 * 1024
    assert [k.vdev for k in host.domains[1].disks] == ["xvda", "xvdb"]
    assert [n.mac for n in host.domains[1].nics] == ["00:16:3e:10:00:02", "00:16:3e:10:00:03"]
    assert host.domains[2].disks == [] and host.domains[2].nics == []
    assert "/etc/xen/idle1.cfg" in host.files


def test_sim_does_not_touch_the_network_or_a_shell() -> None:
    from pathlib import Path

    import collectors.sim.host_shell as shell

    src = Path(shell.__file__).read_text()
    assert "subprocess" not in src and "os.system" not in src


# --- round trip through collectors/parse ---------------------------------------------


def _busy_fleet() -> list[SimHost]:
    fleet = make_fleet(hosts=3, domains=8, seed=0, start=START)
    for h in fleet:
        advance(h, START + 90)
    return fleet


def test_parsers_read_xl_list_and_vcpu_list() -> None:
    from collectors.parse.xl_list import parse_xl_list, parse_xl_list_long
    from collectors.parse.xl_vcpu import parse_xl_vcpu_list

    for host in _busy_fleet():
        rows = parse_xl_list(xl(host, "xl", "list", "-v").stdout)
        assert [(r.name, r.domid) for r in rows] == [(d.name, d.domid)
                                                    for d in host.sorted_domains()]
        for r in rows:
            d = host.domains[r.domid]  # type: ignore[index]
            assert (r.mem_mib, r.vcpus, r.state) == (d.mem_kib // 1024, d.online_vcpus,
                                                     d.xl_flags())
            assert r.uuid == (d.uuid if d.domid else "00000000-0000-0000-0000-000000000000")
        vrows = parse_xl_vcpu_list(xl(host, "xl", "vcpu-list").stdout)
        assert len(vrows) == sum(d.max_vcpus for d in host.domains.values())
        for v in vrows:
            sv = host.domains[v.domid].vcpus[v.vcpu]
            assert v.cpu == (sv.cpu if sv.online else None)
            assert v.hard_affinity.all == sv.hard.all or set(v.hard_affinity.cpus) == {
                c for c in range(host.nr_cpus) if sv.hard.contains(c)}
        configs = parse_xl_list_long(xl(host, "xl", "list", "-l").stdout)
        assert [c.domid for c in configs] == sorted(host.domains)
        for c in configs[1:]:
            d = host.domains[c.domid]
            assert (c.name, c.uuid, c.max_memkb, c.target_memkb) == (
                d.name, d.uuid, d.static_max_kib, d.target_kib)


def test_parsers_read_xentop_devices_xenstore_rings_proc() -> None:
    from collectors.parse.procfs import parse_dom0_proc
    from collectors.parse.rings import parse_ring_dump
    from collectors.parse.xenstore import parse_xenstore_ls
    from collectors.parse.xentop import parse_xentop
    from collectors.parse.xl_devices import parse_block_list, parse_network_list
    from collectors.parse.xl_info import host_info_from, parse_cpupool_list, parse_xl_info

    for host in _busy_fleet():
        clock = FakeClock(host.now)
        runner = SimRunner(host, clock=clock, sleep=clock.sleep)
        top = asyncio.run(runner.run(commands.xentop_once())).stdout
        frames = parse_xentop(top)
        assert len(frames) == 2
        names = sorted(d.name for d in host.domains.values())
        assert sorted(x.name for x in frames[1]) == names
        for x in frames[1]:
            d = host.by_name(x.name)
            assert d is not None
            assert (x.mem_k, x.vcpus, x.nets) == (d.mem_kib, d.max_vcpus, len(d.nics))
        info = host_info_from(parse_xl_info(xl(host, "xl", "info").stdout))
        assert (info.nr_cpus, info.total_memory_mib) == (host.nr_cpus, host.total_kib // 1024)
        pools = parse_cpupool_list(xl(host, "xl", "cpupool-list").stdout)
        assert [(p.name, p.cpus, p.domains) for p in pools] == [
            ("Pool-0", host.nr_cpus, len(host.domains))]
        for d in host.sorted_domains()[1:]:
            nics = parse_network_list(xl(host, "xl", "network-list", str(d.domid)).stdout)
            assert [(n.idx, n.mac) for n in nics] == [
                (n.devid, n.mac) for n in sorted(d.nics, key=lambda n: str(n.devid))]
            vbds = parse_block_list(xl(host, "xl", "block-list", str(d.domid)).stdout)
            assert sorted(v.vdev for v in vbds) == sorted(k.devid for k in d.disks)
        tree = parse_xenstore_ls(xl(host, *commands.XENSTORE_DOMAINS).stdout)
        want = {p: v for p, v in build_tree(host).items() if p.startswith("/local/domain/")}
        assert tree == want
        dump = parse_ring_dump(xl(host, *commands.RING_FILES).stdout)
        assert not dump.errors
        assert set(dump.netback) == {(d.domid, n.devid) for d in host.domains.values()
                                     if not d.dying
                                     for n in d.nics if n.backend_state == 4 and n.queues}
        dom0 = parse_dom0_proc(xl(host, *commands.DOM0_PROC).stdout)
        assert dom0.load == pytest.approx(tuple(host.load), abs=0.006)
        vif_names = {n.ifname(d.domid) for d in host.domains.values() for n in d.nics}
        assert vif_names <= {i.name for i in dom0.interfaces}


def test_paths_resolve_as_on_linux() -> None:
    """``test``/``cat`` and xl see ``//`` and ``.`` as Linux does, and a directory that
    holds files is one (the demo's LVM volumes under /dev/vg0)."""
    host = make_lab_like_host()
    host.files["/dev/vg0/db1-disk"] = ""
    host.files["/etc/xen/x.cfg"] = 'name = "x"\n'
    assert xl(host, "test", "-e", "/tmp/.").exit_code == 0
    assert xl(host, "test", "-d", "/dev/vg0").exit_code == 0
    assert xl(host, "test", "-f", "/dev/vg0").exit_code == 1
    assert xl(host, "test", "-f", "/dev/vg0//db1-disk").exit_code == 0
    assert xl(host, "test", "-e", "//etc/./xen/x.cfg").exit_code == 0
    assert xl(host, "cat", "/etc//xen/x.cfg").stdout == 'name = "x"\n'
    assert xl(host, "test", "-e", "/dev/vg1").exit_code == 1
    assert xl(host, "test", "-e", "").exit_code == 1
    assert xl(host, "test", "-d", "").exit_code == 1
