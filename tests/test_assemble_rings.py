"""Devices with their rings, merged from XenStore and the RING_FILES dump as the poller
reads them (the simulated lab host answers the real commands)."""

from __future__ import annotations

from collectors import commands
from collectors.assemble import Inputs, Merger
from collectors.model import Device, DeviceKind
from collectors.parse.rings import parse_ring_dump
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.sim.state import SimHost
from collectors.topology import topology_from_xenstore
from tests.sim_support import lab_b, xl


def vifs(host: SimHost) -> dict[str, Device]:
    topo = topology_from_xenstore(
        host.name, parse_xenstore_ls(xl(host, *commands.XENSTORE_DOMAINS).stdout))
    dump = parse_ring_dump(xl(host, *commands.RING_FILES).stdout)
    assert dump.errors == ()
    devs = Merger(host.name).devices(Inputs(topology=topo, rings=dump, rings_t=1.0))
    return {d.interface_name: d for d in devs if d.kind is DeviceKind.VIF}


def test_a_renamed_vif_has_its_rings() -> None:
    # netback names its debugfs directory after the interface when the frontend connects,
    # after the hotplug script renamed it to the vifname
    host = lab_b()
    res = xl(host, "xl", "network-attach", "web1", "bridge=xenbr0", "vifname=web1-eth9")
    assert res.exit_code == 0, res.stderr
    assert "/xen-netback/web1-eth9/io_ring_q0 <==" in xl(host, *commands.RING_FILES).stdout
    by_name = vifs(host)
    named, plain = by_name["web1-eth9"], by_name["vif3.0"]
    assert len(named.rings) == len(plain.rings) == 4  # 2 queues × TX, RX
    assert all(r.fill is not None for r in named.rings)
    assert named.ring_source == "netback debugfs /sys/kernel/debug/xen-netback/web1-eth9"
    assert {r.source for r in named.rings} == {
        f"/sys/kernel/debug/xen-netback/web1-eth9/io_ring_q{q}" for q in (0, 1)}
