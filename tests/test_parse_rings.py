"""netback io_ring files, blkback statistics and the RING_FILES dump."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.parse.common import ParseError
from collectors.parse.rings import (
    NetbackQueue,
    RingIndices,
    parse_blkback_statistics,
    parse_netback_io_ring,
    parse_ring_dump,
    ring_stats,
    split_file_dump,
)

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")
STATS = {
    "ds_req": 0,
    "f_req": 0,
    "oo_req": 0,
    "rd_req": 3,
    "rd_sect": 24,
    "wr_req": 0,
    "wr_sect": 0,
}


def test_lab_ring_files_dump() -> None:
    dump = parse_ring_dump((DATA / "lab-ring-files.out").read_text())
    assert sorted(dump.netback) == [(1, 0), (1, 1), (3, 0)]
    q0, q1 = dump.netback[(1, 0)]
    assert (q0.queue, q1.queue) == (0, 1)
    assert q0.rx == RingIndices(256, 270, 14, 1, 14, 14, 15)
    assert q0.tx == RingIndices(256, 3, 3, 4, 3, 3, 4)
    assert dump.blkback == {(1, 51712): STATS, (1, 51728): STATS, (3, 51712): STATS}
    assert dump.errors == ()
    tx, rx = ring_stats(q0, "debugfs")
    assert (tx.direction, tx.requests_outstanding, tx.unconsumed) == ("tx", 0, 0)
    assert (rx.direction, rx.entries, rx.requests_outstanding, rx.unconsumed) == (
        "rx",
        256,
        256,
        256,
    )
    assert rx.fill == 1.0 and rx.source == "debugfs" and rx.queue == 0


@needs_fixtures
def test_fixture_dumps_with_ls_listings_and_eq_headers() -> None:
    a = parse_ring_dump((FIX / "xen-4.17-lab-a" / "netback-debugfs.out").read_text())
    assert sorted(a.netback) == [(1, 0), (1, 1), (3, 0)] and a.errors == ()
    rx = a.netback[(1, 0)][0].rx
    assert rx is not None and (rx.req_prod, rx.req_cons, rx.rsp_prod) == (256, 9, 9)
    (rx_stats,) = [s for s in ring_stats(a.netback[(1, 0)][0], "x") if s.direction == "rx"]
    assert rx_stats.requests_outstanding == 247  # "req prod 256 (247)"
    blk_a = parse_ring_dump((FIX / "xen-4.17-lab-a" / "blkback-stats.out").read_text())
    assert blk_a.blkback == {(1, 51712): STATS, (1, 51728): STATS, (3, 51712): STATS}
    blk_b = parse_ring_dump((FIX / "xen-4.17-lab-b" / "blkback-stats.out").read_text())
    assert sorted(blk_b.blkback) == [(1, 51712), (1, 51728), (3, 51712), (5, 51744)]
    b = parse_ring_dump((FIX / "xen-4.17-lab-b" / "netback-debugfs.out").read_text())
    assert b.netback[(1, 0)][1].rx == RingIndices(256, 271, 15, 1, 15, 15, 16)


def test_rx_only_queue_and_index_wrap() -> None:
    q = parse_netback_io_ring((DATA / "netback-io-ring-rx-only.out").read_text())
    assert q.queue == 3 and q.tx is None and q.rx is not None
    (rx,) = ring_stats(q, "debugfs")
    assert (rx.requests_outstanding, rx.unconsumed, rx.responses_pending) == (10, 5, 2)
    wrapped = NetbackQueue(0, RingIndices(256, 5, 2**32 - 3, 0, 2**32 - 1, 1, 0), None)
    (tx,) = ring_stats(wrapped, "x")  # req prod wrapped past 2**32
    assert (tx.requests_outstanding, tx.unconsumed, tx.responses_pending) == (6, 8, 2)
    partial = NetbackQueue(1, RingIndices(256, 5, None, None, None, None, None), None)
    (p,) = ring_stats(partial, "x")
    assert p.requests_outstanding is None and p.unconsumed is None and p.fill is None


def test_queue_number_from_the_file_name_when_missing() -> None:
    text = "TX: nr_ents 256\nreq prod 1 (0) cons 1 (0) event 2 (1)\n"
    assert parse_netback_io_ring(text, queue=2).queue == 2
    with pytest.raises(ParseError):
        parse_netback_io_ring(text)
    with pytest.raises(ParseError):
        parse_netback_io_ring("hello", queue=0)
    with pytest.raises(ParseError) as e:
        parse_netback_io_ring("Queue 0\nTX: nr_ents 256\nreq prod x (0)\n")
    assert e.value.line_no == 3


def test_split_file_dump_forms() -> None:
    head = "==> /a/b <==\n1\n\n==> /a/c <==\n\n==> /a/d <==\nx\ny\n"
    assert split_file_dump(head) == {"/a/b": "1\n", "/a/c": "", "/a/d": "x\ny\n"}
    assert split_file_dump("== /p\nv\n") == {"/p": "v\n"}
    assert split_file_dump("just one file\n") == {"": "just one file\n"}
    listing = (
        "/sys/x:\nvif1.0\n\n/sys/x/vif1.0:\nio_ring_q0\n== /sys/x/vif1.0/io_ring_q0\nQueue 0\n"
    )
    assert split_file_dump(listing) == {"/sys/x/vif1.0/io_ring_q0": "Queue 0\n"}


def test_blkback_statistics_forms() -> None:
    lines = "ds_req: 0\nf_req: 0\noo_req: 5\nrd_req: 3\n"
    assert parse_blkback_statistics(lines) == {"ds_req": 0, "f_req": 0, "oo_req": 5, "rd_req": 3}
    paths = "devtype\n/sys/x/vbd-1-2/statistics/rd_sect: 24\n/sys/x/vif-1-0/statistics/*: \n"
    assert parse_blkback_statistics(paths) == {"rd_sect": 24}
    head = "==> /s/statistics/oo_req <==\n7\n\n==> /s/statistics/wr_req <==\n9\n"
    assert parse_blkback_statistics(head) == {"oo_req": 7, "wr_req": 9}
    with pytest.raises(ParseError):
        parse_blkback_statistics("rd_req: lots\n")


def test_ring_dump_reports_bad_files_and_keeps_the_rest() -> None:
    text = (
        "==> /sys/kernel/debug/xen-netback/vif2.0/io_ring_q0 <==\ngarbage\n\n"
        "==> /sys/bus/xen-backend/devices/vbd-2-51712/statistics/oo_req <==\n4\n\n"
        "==> /sys/bus/xen-backend/devices/vbd-2-51712/statistics/rd_req <==\nNaN\n\n"
        "==> /somewhere/else <==\nwhatever\n"
    )
    dump = parse_ring_dump(text)
    assert dump.netback == {} and dump.blkback == {(2, 51712): {"oo_req": 4}}
    assert len(dump.errors) == 2 and "vif2.0/io_ring_q0" in dump.errors[0]
    assert parse_ring_dump("") == parse_ring_dump("\n")
    assert parse_ring_dump("no headers at all").errors != ()
    j: Any = parse_ring_dump((DATA / "lab-ring-files.out").read_text()).to_json()
    assert j["netback"][0]["domid"] == 1 and j["blkback"][2]["statistics"]["rd_sect"] == 24


def _sim_ring_dump() -> str:
    import asyncio

    from collectors import commands as cmd
    from collectors.sim.fleet import make_fleet
    from collectors.sim.runner import SimRunner

    host = make_fleet(hosts=1, domains=12, seed=3, start=1.8e9)[0]
    return asyncio.run(SimRunner(host, clock=lambda: 1.8e9).run(cmd.RING_FILES)).stdout


def test_the_one_regex_reading_of_a_dump_equals_the_line_by_line_one() -> None:
    from collectors.parse.rings import _NB_FAST, _dump_chunks

    text = _sim_ring_dump()
    chunks = _dump_chunks(text)
    assert chunks is not None and _dump_chunks(text.replace("\n", "\r\n")) is None
    rings = [c for p, c in chunks if "/io_ring_q" in p]
    assert rings and all(_NB_FAST.match(c) for c in rings)  # the fast reading is the one used
    fast = parse_ring_dump(text)  # split at once, io_ring files by one regex
    general = parse_ring_dump(text.replace("\n", "\r\n"))  # CR: the line-by-line reader
    assert fast.netback and fast.blkback and fast.errors == ()
    assert fast == general
    # every queue as the single-file parser reads it
    files = split_file_dump(text)
    for (domid, devid), queues in fast.netback.items():
        for q in queues:
            path = next(p for p in files
                        if p.endswith(f"/vif{domid}.{devid}/io_ring_q{q.queue}"))
            assert q == parse_netback_io_ring(files[path])


def test_an_unusual_io_ring_file_is_read_line_by_line() -> None:
    nb = "/sys/kernel/debug/xen-netback"
    q0 = ("Queue 0\nTX: nr_ents 256\nreq prod 5 (0) cons 5 (0) event 6 (1)\n"
          "rsp prod 5 (base) pvt 5 (0) event 6 (1)\n  req prod 9 (0) cons 9 (0) event 9 (1)\n"
          "\nRX: nr_ents 256\nreq prod 300 (256) cons 44 (0) event 45 (1)\n"
          "rsp prod 44 (base) pvt 44 (0) event 45 (1)\n\nNAPI state: 10\n")
    dump = parse_ring_dump(f"==> {nb}/vif2.0/io_ring_q0 <==\n{q0}\n")
    (q,) = dump.netback[(2, 0)]
    assert q == parse_netback_io_ring(q0)
    assert q.tx is not None and q.tx.req_prod == 9  # the later, indented line, as before
    late = q0.replace("  req prod 9 (0) cons 9 (0) event 9 (1)\n", "") + "TX: nr_ents 512\n"
    (q,) = parse_ring_dump(f"==> {nb}/vif2.0/io_ring_q0 <==\n{late}").netback[(2, 0)]
    assert q == parse_netback_io_ring(late) and q.tx is not None and q.tx.nr_ents == 512
