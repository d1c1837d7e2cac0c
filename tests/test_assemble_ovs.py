"""Domain net numbers on Open vSwitch hosts: from Dom0's /proc/net/dev when xentop sees no vifs.

Built from the real parsers on realistic text: lab-b's ``xenstore-ls -f`` (db1 = domid 1 with
vif1.0 and vif1.1, idle1 = 2 with none, web1 = 3 with vif3.0), xentop frames as an OVS host
prints them (NETS 0 for every guest) and Dom0 ``/proc/net/dev`` samples.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from collectors.assemble import NET_DOM0, NET_XENTOP, Inputs, Merger
from collectors.model import Domain, FleetSnapshot, HostSnapshot, HostStatus
from collectors.parse.procfs import parse_proc_net_dev
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import XentopDomain, parse_xentop
from collectors.serialize import fleet_to_json
from collectors.topology import Topology, topology_from_xenstore
from tests.conftest import FIXTURES, Lab

LAB_B = FIXTURES / "xen-4.17-lab-b"
HOST = "ovs1"

HEADER = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS"
          " NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")
# lab-b's first frame as an Open vSwitch host shows it: libxenstat finds no vifs
OVS_FRAME = HEADER + """
       db1 --b---          6    0.0     163840    5.2     164864       5.2     2    0        0        0    2        0        6        0         48          0    0
  Domain-0 -----r        127    0.0    1048576   33.3    1048576      33.3     2    0        0        0    0        0        0        0          0          0    0
     idle1 --b---          4    0.0     131072    4.2     132096       4.2     1    0        0        0    0        0        0        0          0          0    0
      web1 --b---          6    0.0     131072    4.2     132096       4.2     2    0        0        0    1        0        3        0         24          0    0
"""  # noqa: E501

NET_DEV_HEAD = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
"""  # noqa: E501


def net_dev(**ifaces: tuple[int, int]) -> str:
    """/proc/net/dev text; ``vif1_0=(rx, tx)`` is interface ``vif1.0``."""
    lines = [f"{'lo':>6}:       0       0    0    0    0     0          0         0"
             "        0       0    0    0    0     0       0          0"]
    for name, (rx, tx) in ifaces.items():
        lines.append(f"{name.replace('_', '.'):>6}: {rx:8d}      12    0    0    0     0"
                     f"          0         0 {tx:8d}      34    0    0    0     0       0"
                     "          0")
    return NET_DEV_HEAD + "\n".join(lines) + "\n"


def topology(extra: str = "") -> Topology:
    text = (LAB_B / "xenstore-ls-f.out").read_text() + extra
    return topology_from_xenstore(HOST, parse_xenstore_ls(text))


def frame(text: str = OVS_FRAME) -> tuple[XentopDomain, ...]:
    frames = parse_xentop(text)
    assert len(frames) >= 1
    return tuple(frames[0])


def inputs(t: float, dev_text: str | None, *, topo: Topology | None = None,
           xentop: tuple[XentopDomain, ...] | None = None, dom0_t: float | None = None
           ) -> Inputs:
    return Inputs(
        frame=xentop if xentop is not None else frame(),
        frame_t=t,
        topology=topo if topo is not None else TOPO,
        dom0_ifaces=tuple(parse_proc_net_dev(dev_text)) if dev_text is not None else None,
        dom0_t=(dom0_t if dom0_t is not None else t) if dev_text is not None else None,
        dom0_source="/proc/loadavg and /proc/net/dev over the host connection",
    )


def by_name(merger: Merger, inp: Inputs) -> dict[str, Domain]:
    return {d.name: d for d in merger.domains(inp, inp.frame_t or 0.0, None)}


TOPO = topology()


def test_the_fixture_topology_is_what_these_tests_assume() -> None:
    vifs = sorted((d.domid, d.name) for d in TOPO.devices if d.kind.value == "vif")
    assert vifs == [(1, "vif1.0"), (1, "vif1.1"), (3, "vif3.0")]
    assert {TOPO.domains[i].name for i in (0, 1, 2, 3)} == {"Domain-0", "db1", "idle1", "web1"}


def test_ovs_domain_bytes_are_the_sum_of_its_vifs_dom0_counters_in_xentop_direction() -> None:
    m = Merger(HOST)
    d = by_name(m, inputs(100.0, net_dev(eth0=(9_000, 8_000), vif1_0=(504, 1548),
                                         vif1_1=(10, 2150), vif3_0=(700, 766))))
    db1, web1 = d["db1"], d["web1"]
    # xentop's NETTX = Dom0-side Transmit (to the guest), NETRX = Dom0-side Receive
    assert (db1.net_tx_bytes, db1.net_rx_bytes) == (1548 + 2150, 504 + 10)
    assert (web1.net_tx_bytes, web1.net_rx_bytes) == (766, 700)
    assert db1.nets == 2 and web1.nets == 1
    assert db1.net_source == web1.net_source == NET_DOM0
    # the first sample has no rate
    assert db1.net_tx_rate is None and db1.net_rx_rate is None
    # domains without vifs keep xentop's numbers
    for name in ("Domain-0", "idle1"):
        assert (d[name].nets, d[name].net_tx_bytes, d[name].net_rx_bytes) == (0, 0, 0)
        assert d[name].net_source == NET_XENTOP


def test_ovs_rates_come_from_the_dom0_samples_and_their_times() -> None:
    m = Merger(HOST)
    by_name(m, inputs(100.0, net_dev(vif1_0=(504, 1548), vif1_1=(10, 2150), vif3_0=(700, 766))))
    later = inputs(102.0, net_dev(vif1_0=(504 + 4_000, 1548 + 10_000),
                                  vif1_1=(10 + 1_000, 2150 + 6_000), vif3_0=(700, 766 + 512)))
    d = by_name(m, later)
    assert d["db1"].net_tx_rate == pytest.approx(16_000 / 2)  # (10 000 + 6 000) B over 2 s
    assert d["db1"].net_rx_rate == pytest.approx(5_000 / 2)
    assert d["web1"].net_tx_rate == pytest.approx(256.0)
    assert d["web1"].net_rx_rate == 0.0
    # the rates are the Dom0 view's per-vif rates, summed
    dom0 = m.dom0(later)
    assert dom0 is not None
    vif_tx = {i.name: i.tx_rate for i in dom0.interfaces}
    assert d["db1"].net_tx_rate == pytest.approx((vif_tx["vif1.0"] or 0) + (vif_tx["vif1.1"] or 0))
    # a new xentop frame with the same Dom0 sample: same rates, not zero
    again = by_name(m, replace(later, frame=frame(), frame_t=104.0))
    assert again["db1"].net_tx_rate == pytest.approx(8_000.0)
    assert again["db1"].net_tx_bytes == d["db1"].net_tx_bytes


def test_a_vif_without_counters_makes_the_domain_unknown_not_a_partial_sum() -> None:
    m = Merger(HOST)
    d = by_name(m, inputs(100.0, net_dev(vif1_0=(504, 1548), vif3_0=(700, 766))))
    db1 = d["db1"]
    assert (db1.net_tx_bytes, db1.net_rx_bytes, db1.net_tx_rate, db1.net_rx_rate) == (
        None, None, None, None)
    assert db1.net_source is not None and "vif1.1" in db1.net_source
    assert "vif1.0" not in db1.net_source
    assert d["web1"].net_tx_bytes == 766  # other domains are not affected
    # still unknown on the next sample (no rate from a missing vif either)
    d = by_name(m, inputs(102.0, net_dev(vif1_0=(600, 2000), vif3_0=(800, 900))))
    assert d["db1"].net_tx_rate is None and d["db1"].net_tx_bytes is None
    assert d["web1"].net_tx_rate == pytest.approx(67.0)


def test_before_dom0_is_read_ovs_domains_are_unknown_not_zero() -> None:
    d = by_name(Merger(HOST), inputs(100.0, None))
    assert d["db1"].net_tx_bytes is None and d["db1"].net_rx_rate is None
    assert d["db1"].net_source == f"{NET_DOM0} not read yet"
    assert d["idle1"].net_tx_bytes == 0 and d["idle1"].net_source == NET_XENTOP


def test_a_counter_going_backwards_restarts_the_rate() -> None:
    m = Merger(HOST)
    by_name(m, inputs(100.0, net_dev(vif1_0=(5_000, 9_000), vif1_1=(0, 100), vif3_0=(1, 1))))
    d = by_name(m, inputs(102.0, net_dev(vif1_0=(5_200, 9_400), vif1_1=(0, 100), vif3_0=(1, 1))))
    assert d["db1"].net_tx_rate == pytest.approx(200.0)
    # vif1.0 re-created (counters from zero): no rate for that sample, bytes as they are now
    d = by_name(m, inputs(104.0, net_dev(vif1_0=(40, 80), vif1_1=(0, 300), vif3_0=(1, 1))))
    assert d["db1"].net_tx_rate is None and d["db1"].net_rx_rate is None
    assert d["db1"].net_tx_bytes == 80 + 300
    # the new value is the baseline
    d = by_name(m, inputs(106.0, net_dev(vif1_0=(140, 480), vif1_1=(0, 300), vif3_0=(1, 1))))
    assert d["db1"].net_tx_rate == pytest.approx(200.0)
    assert d["db1"].net_rx_rate == pytest.approx(50.0)


def test_a_vifname_from_xenstore_names_the_dom0_interface() -> None:
    topo = topology('/local/domain/0/backend/vif/3/0/vifname = "web1-pub"\n')
    m = Merger(HOST)
    # vif3.0 is someone else's counter here; web1's is web1-pub
    dev = NET_DEV_HEAD + (
        "  vif3.0:   99999     1    0    0    0     0          0         0   99999       1"
        "    0    0    0     0       0          0\n"
        "web1-pub:     321     3    0    0    0     0          0         0     654       5"
        "    0    0    0     0       0          0\n")
    d = by_name(m, inputs(100.0, dev, topo=topo))
    assert (d["web1"].net_tx_bytes, d["web1"].net_rx_bytes) == (654, 321)
    # without its interface, a custom-named vif is unknown
    d = by_name(m, inputs(102.0, net_dev(vif3_0=(1, 2)), topo=topo))
    assert d["web1"].net_tx_bytes is None
    assert d["web1"].net_source == f"{NET_DOM0}: no counters for web1-pub"


def test_hostile_vifnames_are_only_looked_up() -> None:
    hostile = "$(reboot); rm -rf / [red]x"
    topo = topology(f'/local/domain/0/backend/vif/3/0/vifname = "{hostile}"\n')
    d = by_name(Merger(HOST), inputs(100.0, net_dev(vif3_0=(1, 2)), topo=topo))
    assert d["web1"].net_tx_bytes is None
    assert d["web1"].net_source == f"{NET_DOM0}: no counters for {hostile}"


def _bridge_frame() -> tuple[XentopDomain, ...]:
    """lab-b's real ``xentop -b -n -x -v`` frame: a Linux bridge, xentop sees the vifs."""
    return frame((LAB_B / "xentop-b-full.out").read_text())


def test_where_xentop_reports_networks_nothing_changes() -> None:
    xt = _bridge_frame()
    assert {x.name: x.nets for x in xt}["db1"] == 2
    dev1 = net_dev(vif1_0=(1, 1), vif1_1=(1, 1), vif3_0=(1, 1))
    dev2 = net_dev(vif1_0=(9_999, 9_999), vif1_1=(9_999, 9_999), vif3_0=(9_999, 9_999))
    with_dom0, without = Merger(HOST), Merger(HOST)
    for t, dev in ((100.0, dev1), (102.0, dev2)):
        a = by_name(with_dom0, inputs(t, dev, xentop=xt))
        b = by_name(without, inputs(t, None, xentop=xt))
        assert a == b
    db1 = a["db1"]
    # exact bytes from xentop's -n lines (the fixture's Net0/Net1 TX and RX)
    assert (db1.net_tx_bytes, db1.net_rx_bytes) == (1548 + 2150, 504)
    assert db1.net_tx_rate == 0.0 and db1.net_source == NET_XENTOP


def test_net_source_is_in_the_json() -> None:
    d = by_name(Merger(HOST), inputs(100.0, net_dev(vif1_0=(1, 2), vif1_1=(3, 4),
                                                    vif3_0=(5, 6))))
    snap = HostSnapshot(host=HOST, time=100.0, status=HostStatus.OK,
                        domains=tuple(d.values()))
    out = fleet_to_json(FleetSnapshot(time=100.0, hosts=(snap,)))
    doms = {x["name"]: x for x in out["hosts"][0]["domains"]}
    assert doms["db1"]["net_source"] == NET_DOM0
    assert (doms["db1"]["net_tx_bytes"], doms["db1"]["net_rx_bytes"]) == (6, 4)
    assert doms["idle1"]["net_source"] == NET_XENTOP


# --- real Xen: the Dom0-derived numbers equal what xentop itself reports -----------------


def _ovs_view(xt: tuple[XentopDomain, ...]) -> tuple[XentopDomain, ...]:
    """The same frame as an Open vSwitch host would print it: no networks at all."""
    return tuple(replace(x, nets=0, nettx_k=0, netrx_k=0, networks=()) for x in xt)


def _vif_lines(dev_text: str) -> list[str]:
    """The vifs' lines (eth0 and the bridge move with the ssh session itself)."""
    return [line for line in dev_text.splitlines() if re.match(r"\s*vif\d+\.\d+:", line)]


@pytest.mark.lab
@pytest.mark.slow
def test_lab_dom0_counters_mean_what_xentops_net_columns_mean(lab: Lab) -> None:
    sep = "@@XLTOP@@"
    for _ in range(3):  # retry when traffic moved a counter between the two reads
        out = lab.ssh(f"xenstore-ls -f /local/domain; echo {sep}; cat /proc/net/dev; "
                      f"echo {sep}; xentop -b -n -f -i 1; echo {sep}; cat /proc/net/dev")
        assert out.returncode == 0, out.stderr
        xs, dev_before, xentop_text, dev_after = out.stdout.split(sep + "\n")
        if _vif_lines(dev_before) == _vif_lines(dev_after):
            break
    else:
        pytest.skip("vif counters kept moving during xentop")
    topo = topology_from_xenstore(HOST, parse_xenstore_ls(xs, "/local/domain"))
    real = frame(xentop_text)
    with_nets = {x.name: x for x in real if x.nets}
    assert with_nets, "the lab's guests should have vifs on its Linux bridge"
    ovs = by_name(Merger(HOST), inputs(100.0, dev_after, topo=topo, xentop=_ovs_view(real)))
    bridge = by_name(Merger(HOST), inputs(100.0, None, topo=topo, xentop=real))
    for name, x in with_nets.items():
        assert ovs[name].net_source == NET_DOM0
        assert ovs[name].nets == x.nets
        assert (ovs[name].net_tx_bytes, ovs[name].net_rx_bytes) == (
            bridge[name].net_tx_bytes, bridge[name].net_rx_bytes), name
        # and xentop's KiB columns agree with the direction
        assert x.nettx_k == (ovs[name].net_tx_bytes or 0) // 1024
        assert x.netrx_k == (ovs[name].net_rx_bytes or 0) // 1024
    assert len(_vif_lines(dev_after)) == sum(x.nets or 0 for x in real)


def test_a_new_dom0_sample_changes_the_vifs_traffic_and_no_device() -> None:
    m = Merger(HOST)
    first = inputs(100.0, net_dev(vif1_0=(504, 1548), vif1_1=(10, 2150), vif3_0=(700, 766)))
    before = m.devices(first)
    m.dom0(first)
    later = replace(first, dom0_t=102.0, dom0_ifaces=tuple(parse_proc_net_dev(net_dev(
        vif1_0=(504 + 4_000, 1548), vif1_1=(10, 2150), vif3_0=(700, 766)))))
    after = m.devices(later)
    assert after is before  # nothing a device is made of changed: no per-tick rebuild
    snap = HostSnapshot(host=HOST, time=102.0, status=HostStatus.OK, devices=after,
                        dom0=m.dom0(later))
    vif = {d.name: snap.vif_counters(d) for d in after if d.kind.value == "vif"}
    assert vif["vif1.0"] is not None and vif["vif1.0"].rx_bytes == 4_504
    assert vif["vif1.0"].rx_rate == pytest.approx(2_000.0)
    assert vif["vif1.1"] is not None and vif["vif1.1"].rx_rate == 0.0
    assert all(snap.vif_counters(d) is None for d in after if d.kind.value == "vbd")
    # a new rings sample: the devices are rebuilt
    rebuilt = m.devices(replace(later, rings_t=103.0))
    assert rebuilt is not after
    assert all(a is not b for a, b in zip(rebuilt, after, strict=True) if b.kind.value == "vbd")


def test_the_json_gives_each_vif_its_dom0_traffic_and_no_private_fields() -> None:
    m = Merger(HOST)
    first = inputs(100.0, net_dev(vif1_0=(504, 1548), vif1_1=(10, 2150), vif3_0=(700, 766)))
    m.dom0(first)
    later = replace(first, dom0_t=102.0, dom0_ifaces=tuple(parse_proc_net_dev(net_dev(
        vif1_0=(504 + 4_000, 1548), vif1_1=(10, 2150)))))  # vif3.0 gone from Dom0's list
    dom0 = m.dom0(later)
    assert dom0 is not None and dom0.interface("vif1.0") is not None  # builds the index
    snap = HostSnapshot(host=HOST, time=102.0, status=HostStatus.OK, devices=m.devices(later),
                        dom0=dom0)
    out = fleet_to_json(FleetSnapshot(time=102.0, hosts=(snap,)))["hosts"][0]
    devs = {(d["kind"], d["name"]): d for d in out["devices"]}
    assert devs[("vif", "vif1.0")]["rx_bytes"] == 4_504
    assert devs[("vif", "vif1.0")]["rx_rate"] == pytest.approx(2_000.0)
    assert devs[("vif", "vif1.0")]["tx_rate"] == 0.0
    assert {k: devs[("vif", "vif3.0")][k] for k in ("rx_bytes", "tx_rate")} == {
        "rx_bytes": None, "tx_rate": None}  # unknown, not zero
    vbds = [d for (kind, _), d in devs.items() if kind == "vbd"]
    assert vbds and all("rx_bytes" not in d for d in vbds)
    assert set(out["dom0"]) == {"load", "interfaces", "source"}
