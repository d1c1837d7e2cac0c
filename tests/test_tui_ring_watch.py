"""Ring pressure per direction, the "stays full" history, and the ring table cells."""

from __future__ import annotations

from dataclasses import replace

import pytest

from collectors.model import Device, DeviceKind, HostSnapshot, HostStatus, RingStats
from collectors.parse.rings import parse_netback_io_ring, ring_stats
from collectors.serialize import to_jsonable
from tests.conftest import FIXTURES
from tui.ring_cells import RingStyles, bar, gauges, occupancy_cells, pct_cell, why_unknown
from tui.ring_watch import (
    RingWatch,
    device_pressure,
    level,
    queue_pressures,
)

LAB_B = FIXTURES / "xen-4.17-lab-b"


def tx(outstanding: int, entries: int = 256, queue: int = 0) -> RingStats:
    return RingStats(queue, "tx", entries, requests_outstanding=outstanding,
                     unconsumed=outstanding)


def rx(unconsumed: int, entries: int = 256, queue: int = 0) -> RingStats:
    # an RX ring keeps its posted buffers outstanding: req_prod − rsp_prod stays near size
    return RingStats(queue, "rx", entries, requests_outstanding=entries, unconsumed=unconsumed)


def vif(*rings: RingStats, devid: int = 0, domid: int = 1) -> Device:
    return Device("h", domid, DeviceKind.VIF, devid, rings=rings, queues=1, ring_size=256)


def snap(seq: int, devices: tuple[Device, ...], status: HostStatus = HostStatus.OK
         ) -> HostSnapshot:
    return HostSnapshot("h", 1000.0 + seq, status, devices=devices, seq=seq)


def test_idle_rings_from_the_real_host_are_not_full() -> None:
    """lab-b's netback debugfs: RX (256) outstanding is an idle ring full of empty buffers."""
    dump = (LAB_B / "netback-debugfs.out").read_text().split("== ")[1]
    q = parse_netback_io_ring(dump.split("\n", 1)[1])
    stats = ring_stats(q, "io_ring_q0")
    by_dir = {s.direction: s for s in stats}
    assert by_dir["rx"].requests_outstanding == 256  # what "fill" alone would call 100 %
    assert by_dir["rx"].pressure == 0.0
    assert by_dir["tx"].pressure == 0.0
    # the JSON (--once, --batch) carries both numbers, so scripts need not redo the maths
    rx_json = to_jsonable(by_dir["rx"])
    assert (rx_json["fill"], rx_json["pressure"]) == (1.0, 0.0)


@pytest.mark.parametrize(("ring", "expected"), [
    (tx(0), 0.0), (tx(128), 0.5), (tx(256), 1.0), (tx(300), 1.0),
    (rx(256), 0.0), (rx(64), 0.75), (rx(0), 1.0),
    (RingStats(0, "tx", None, requests_outstanding=3), None),
    (RingStats(0, "rx", 256, unconsumed=None), None),
    (RingStats(0, None, 32, requests_outstanding=16), 0.5),
])
def test_ring_pressure(ring: RingStats, expected: float | None) -> None:
    assert ring.pressure == expected


def test_device_pressure_is_the_fullest_ring_and_unknown_is_none() -> None:
    dev = vif(tx(10), rx(256), tx(200, queue=1), rx(128, queue=1))
    assert device_pressure(dev) == pytest.approx(200 / 256)
    assert queue_pressures(dev, "tx") == [pytest.approx(10 / 256), pytest.approx(200 / 256)]
    assert queue_pressures(dev, "rx") == [0.0, 0.5]
    assert device_pressure(vif()) is None
    assert [level(p) for p in (None, 0.1, 0.5, 0.89, 0.9, 1.0)] == [
        "unknown", "ok", "busy", "busy", "full", "full"]


def test_a_ring_that_stays_full_is_flagged_after_n_fresh_readings() -> None:
    watch = RingWatch(samples=3)
    full, calm = vif(tx(250)), vif(tx(250), devid=1)
    key = full.key
    for seq in (1, 2):
        assert watch.observe(snap(seq, (full, calm)))
        assert not watch.stays_full(key)
    assert watch.observe(snap(3, (full, replace(calm, rings=(tx(10),)))))
    assert watch.stays_full(key)
    assert not watch.stays_full(calm.key)
    # the same snapshot again does not count twice; a stale host's repeats do not count
    assert not watch.observe(snap(3, (full,)))
    assert not watch.observe(snap(4, (vif(tx(0)),), HostStatus.STALE))
    assert watch.stays_full(key)
    # one reading below the threshold clears it
    watch.observe(snap(5, (vif(tx(100)),)))
    assert not watch.stays_full(key)
    assert watch.history(key)[-1] == pytest.approx(100 / 256)


def test_unknown_occupancy_never_counts_as_full() -> None:
    watch = RingWatch(samples=2)
    blind = vif()
    for seq in (1, 2, 3):
        watch.observe(snap(seq, (blind,)))
    assert watch.history(blind.key) == (None, None)
    assert not watch.stays_full(blind.key)


def test_devices_that_go_away_are_forgotten() -> None:
    watch = RingWatch(samples=1)
    watch.observe(snap(1, (vif(tx(256)),)))
    watch.observe(snap(2, ()))
    assert watch.history(vif().key) == ()


def test_gauges_and_cells_show_levels_with_symbols() -> None:
    styles = RingStyles.from_variables({"ring-ok": "#00ff00", "ring-warn": "#ffaa00",
                                        "ring-full": "#ff0000", "text-muted": "#888888"})
    assert bar(0.0, 4) == "····"
    assert bar(0.5, 4) == "██··"
    assert bar(1.0, 4) == "████"
    assert bar(0.69, 4) == "██▊·"
    g = gauges([0.1, None, 1.0], 4, styles)
    assert g.plain == "▍··· ?··· ████"
    many = gauges([0.0] * 6, 2, styles)
    assert many.plain.endswith(" +2")
    assert pct_cell(0.97, styles).plain == " 97% ✖"
    assert pct_cell(0.6, styles).plain == " 60% ▲"
    assert pct_cell(0.1, styles).plain == " 10%  "  # the same width: numbers line up
    assert pct_cell(0.05, styles).plain == "  5%  "
    assert pct_cell(None, styles).plain == "   ?  "


def test_unknown_occupancy_says_why_instead_of_zero() -> None:
    styles = RingStyles.from_variables({})
    vbd = Device("h", 1, DeviceKind.VBD, 51712, ring_source=(
        "blkback exposes no ring indices (occupancy unknown); OO from statistics/"))
    tx_cell, rx_cell = occupancy_cells(vbd, styles)
    assert tx_cell.plain == "? blkback: no indices"
    assert "0" not in tx_cell.plain and rx_cell.plain == ""
    no_debugfs = Device("h", 1, DeviceKind.VIF, 0,
                        ring_source="debugfs not mounted: mount: permission denied")
    assert why_unknown(no_debugfs) == "debugfs not mounted: mount: permission denied"
    hostile = replace(no_debugfs, ring_source="\x1b[2J[red]x")
    cell, _ = occupancy_cells(hostile, styles)
    assert cell.plain == "? \\x1b[2J[red]x"


def test_a_reading_repeated_by_later_snapshots_counts_once() -> None:
    """A big fleet reads each host's rings every few ticks, and every tick's snapshot
    carries the last reading (the merger keeps the same devices until the rings change):
    one full reading is not a ring that stays full."""
    from collectors.assemble import Inputs, Merger
    from collectors.parse.rings import parse_ring_dump
    from collectors.topology import topology_from_xenstore

    fe, be = "/local/domain/1/device/vif/0", "/local/domain/0/backend/vif/1/0"
    topo = topology_from_xenstore("h", {f"{fe}/backend": be, f"{fe}/state": "4",
                                        f"{fe}/tx-ring-ref": "8", f"{be}/state": "4"})
    text = ("==> /sys/kernel/debug/xen-netback/vif1.0/io_ring_q0 <==\nQueue 0\n"
            "TX: nr_ents 256\nreq prod 250 (250) cons 250 (250) event 251 (251)\n"
            "rsp prod 0 (base) pvt 0 (0) event 1 (1)\n")
    merger, watch = Merger("h"), RingWatch(samples=3)
    key = ("h", 1, "vif", 0)
    seq = 0
    for reading in (1.0, 2.0, 3.0):
        inp = Inputs(topology=topo, rings=parse_ring_dump(text), rings_t=reading)
        for _tick in range(3):  # this reading in three snapshots
            seq += 1
            watch.observe(snap(seq, merger.devices(inp)))
        assert watch.history(key) == (pytest.approx(250 / 256),) * int(reading)
        assert watch.stays_full(key) is (reading == 3.0)
