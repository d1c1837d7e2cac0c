"""Byte-exactness: with the lab's state set, the simulator prints what the real host printed."""

from __future__ import annotations

import re

import pytest

from collectors import commands
from collectors.sim import lifecycle, render_proc
from collectors.sim.render_xentop import XentopOptions, XentopSampler
from collectors.sim.state import HZ, INITIAL_JIFFIES, SimHost
from tests.sim_support import LAB_A, LAB_B, fixture, lab_b, set_vcpus, xl


def test_xl_list() -> None:
    want = fixture(LAB_B, "xl-list")
    got = xl(lab_b(), "xl", "list")
    assert (got.stdout, got.stderr, got.exit_code) == (want.out, want.err, want.rc)


def test_xl_vcpu_list() -> None:
    host = lab_b()
    dom0, db1, idle1, web1 = (host.domains[i] for i in range(4))
    set_vcpus(dom0, (1, "b", 62.5), (0, "r", 61.4))
    set_vcpus(db1, (1, "b", 4.3), (0, "b", 2.0))
    set_vcpus(web1, (1, "b", 5.0), (1, "b", 1.7))
    got = xl(host, "xl", "vcpu-list")
    assert got.stdout == fixture(LAB_B, "xl-vcpu-list").out


def test_xl_info() -> None:
    assert xl(lab_b(), "xl", "info").stdout == fixture(LAB_B, "xl-info").out


def test_xl_info_numa() -> None:
    host = lab_a()
    host.cpu_khz = 2596137
    host.reserved_kib += (host.free_kib() // 1024 - 1821) * 1024
    assert xl(host, "xl", "info", "-n").stdout == fixture(LAB_A, "xl-info-n").out


def test_xl_info_prefix_prints_values_only() -> None:
    assert xl(lab_b(), "xl", "info", "free_mem").stdout == "1597\n"


def test_xl_list_long_json() -> None:
    want = fixture(LAB_B, "xl-list-l")
    assert xl(lab_b(), "xl", "list", "-l").stdout == want.out
    assert xl(lab_b(), "xl", "list", "-l", "0").stdout == fixture(LAB_B, "xl-list-l-domain0").out


def test_network_and_block_lists() -> None:
    host = lab_b()
    for name in ("db1", "web1"):
        assert xl(host, "xl", "network-list", name).stdout == \
            fixture(LAB_A, f"xl-network-list-{name}").out
        assert xl(host, "xl", "block-list", name).stdout == \
            fixture(LAB_A, f"xl-block-list-{name}").out


def test_xenstore_ls_full_tree() -> None:
    got = xl(lab_b(), "xenstore-ls", "-f")
    assert got.exit_code == 0
    assert got.stdout == fixture(LAB_B, "xenstore-ls-f").out


def test_xenstore_ls_backend_subtree() -> None:
    host = lab_a()
    got = xl(host, "xenstore-ls", "-f", "/local/domain/0/backend")
    assert got.stdout == fixture(LAB_A, "xenstore-ls-backend").out


def _xentop_state(host: SimHost) -> None:
    dom0, db1, idle1, web1 = (host.domains[i] for i in range(4))
    set_vcpus(dom0, (0, "b", 64.3), (1, "r", 63.2))
    set_vcpus(db1, (1, "b", 4.6), (0, "b", 1.6))
    set_vcpus(idle1, (0, "b", 4.5))
    set_vcpus(web1, (1, "b", 5.0), (1, "b", 1.7))
    db1.nics[0].rx_bytes, db1.nics[0].rx_packets = 504, 7
    db1.nics[0].tx_bytes, db1.nics[0].tx_packets = 1548, 18
    db1.nics[1].tx_bytes, db1.nics[1].tx_packets = 2150, 25
    web1.nics[0].rx_bytes, web1.nics[0].rx_packets = 504, 7
    web1.nics[0].tx_bytes, web1.nics[0].tx_packets = 766, 9
    for disk in db1.disks + web1.disks:
        disk.rd_req, disk.rd_sect = 3, 24


def test_xentop_two_frames() -> None:
    """The first frame's CPU(%) is 0.0; the second is Δcpu over Δtime like xentop's."""
    host = lab_b()
    _xentop_state(host)
    opts = XentopOptions(delay=1, iterations=2, vcpus=True, networks=True, vbds=True,
                         full_name=True)
    sampler = XentopSampler()
    first = sampler.frame(host, opts)
    for domid, ns in ((0, 210_000_000), (1, 7_000_000), (2, 12_000_000), (3, 24_000_000)):
        host.domains[domid].vcpus[0].time_ns += ns
    host.steps += 1
    second = sampler.frame(host, opts)
    assert first + second == fixture(LAB_B, "xentop-b-full").out


def test_xentop_widens_columns_for_big_counters() -> None:
    host = lab_b()
    _xentop_state(host)
    host.domains[1].disks[0].rd_sect = 12_345_678_901
    frame = XentopSampler().frame(host, XentopOptions())
    header, db1_row = frame.splitlines()[:2]
    assert "  VBD_RSECT" in header and header.index("VBD_RSECT") > 130
    assert "12345678925" in db1_row
    assert len(header) == len(db1_row)


def test_xentop_truncates_names_without_f() -> None:
    host = lab_b()
    host.domains[3].name = "web1-with-a-long-name"
    frame = XentopSampler().frame(host, XentopOptions())
    assert "web1-with-" in frame and "web1-with-a" not in frame
    wide = XentopSampler().frame(host, XentopOptions(full_name=True))
    assert wide.splitlines()[0].startswith(" " * (len("web1-with-a-long-name") - 4) + "NAME")


def _split_sections(text: str) -> dict[str, str]:
    parts = re.split(r"^== (\S+)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _set_ring(q: object, tx: tuple[int, int, int, int, int, int],
              rx: tuple[int, int, int, int, int, int], credit_used: int) -> None:
    from collectors.sim.state import NetQueue

    assert isinstance(q, NetQueue)
    for side, vals in ((q.tx, tx), (q.rx, rx)):
        (side.req_prod, side.req_cons, side.req_event, side.rsp_prod, side.rsp_pvt,
         side.rsp_event) = vals
    q.credit_used = credit_used


def test_netback_io_ring_files() -> None:
    """Each io_ring_qN file of the capture, rebuilt from ring indices set to its values."""
    host = lab_b()
    want = _split_sections(fixture(LAB_B, "netback-debugfs").out)
    rx_of = re.compile(r"RX: nr_ents 256\nreq prod (\d+) \(-?\d+\) cons (\d+) \(-?\d+\) "
                       r"event (\d+) \(-?\d+\)\nrsp prod (\d+) \(base\) pvt (\d+) \(-?\d+\) "
                       r"event (\d+)")
    tx_of = re.compile(r"TX: nr_ents 256\nreq prod (\d+) \(-?\d+\) cons (\d+) \(-?\d+\) "
                       r"event (\d+) \(-?\d+\)\nrsp prod (\d+) \(base\) pvt (\d+) \(-?\d+\) "
                       r"event (\d+)")
    assert len(want) == 6
    for path, text in want.items():
        m = re.match(r".*/vif(\d+)\.(\d+)/io_ring_q(\d+)$", path)
        assert m is not None
        domid, devid, qid = (int(g) for g in m.groups())
        nic = host.domains[domid].nic(devid)
        assert nic is not None
        tx, rx = tx_of.search(text), rx_of.search(text)
        assert tx is not None and rx is not None
        remaining = int(re.search(r"remaining: (\d+)", text).group(1))  # type: ignore[union-attr]
        now = int(re.search(r"now: (\d+)", text).group(1))  # type: ignore[union-attr]
        _set_ring(nic.queues[qid], tuple(int(g) for g in tx.groups()),  # type: ignore[arg-type]
                  tuple(int(g) for g in rx.groups()),  # type: ignore[arg-type]
                  (1 << 64) - 1 - remaining)
        host.boot_time = host.now - (now - INITIAL_JIFFIES) / HZ
        assert render_proc.io_ring_text(host, qid, nic.queues[qid]) == text


def test_blkback_statistics_values() -> None:
    host = lab_b()
    spec = lifecycle.DiskSpec("xvdc", "/srv/xen/db1-b.img")
    idle1 = host.domains[2]
    host.domains[5] = idle1
    idle1.domid = 5
    del host.domains[2]
    lifecycle.attach_disk(host, idle1, spec, host.action_rng)
    for d in host.domains.values():
        for disk in d.disks:
            disk.rd_req, disk.rd_sect = 3, 24
    files = render_proc.blkback_files(host)
    want = fixture(LAB_B, "blkback-stats").out
    for block in want.split("== ")[1:]:
        path, *lines = block.strip().split("\n")
        for line in lines:
            name, value = line.split(": ")
            assert files[f"{path}/statistics/{name}"] == value + "\n"
    assert len(files) == 4 * 7


def test_ring_files_head_framing() -> None:
    """`head -n 64 -- GLOBS` as GNU head frames files: a blank line between them."""
    host = lab_b()
    got = xl(host, *commands.RING_FILES)
    assert got.exit_code == 0 and got.stderr == ""
    out = got.stdout
    assert out.startswith("==> /sys/kernel/debug/xen-netback/vif1.0/io_ring_q0 <==\nQueue 0\n")
    assert "running\n\n==> /sys/kernel/debug/xen-netback/vif1.0/io_ring_q1 <==\n" in out
    assert out.endswith("\n\n==> /sys/bus/xen-backend/devices/vbd-3-51712/statistics/wr_sect "
                        "<==\n0\n")
    assert out.count("==> ") == 6 + 3 * 7


def test_ring_files_without_debugfs_still_reads_blkback() -> None:
    host = lab_b()
    host.debugfs_mounted = False
    got = xl(host, *commands.RING_FILES)
    assert got.exit_code == 1
    assert got.stderr == ("head: cannot open '/sys/kernel/debug/xen-netback/*/io_ring_q*' for "
                          "reading: No such file or directory\n")
    assert got.stdout.startswith("==> /sys/bus/xen-backend/devices/vbd-1-51712/statistics/ds_req")
    assert xl(host, *commands.MOUNT_DEBUGFS).exit_code == 0
    assert xl(host, *commands.RING_FILES).exit_code == 0


def test_proc_net_dev_and_loadavg_layout() -> None:
    host = lab_b()
    vif = host.domains[1].nics[0]
    vif.rx_bytes, vif.rx_packets, vif.tx_bytes, vif.tx_packets, vif.tx_drop = 504, 7, 1598, 19, 1
    host.load = [0.17, 0.38, 0.21]
    host.procs_total, host.last_pid = 125, 917
    out = xl(host, *commands.DOM0_PROC).stdout
    lines = out.splitlines()
    assert lines[0] == "0.17 0.38 0.21 2/125 917" or lines[0].startswith("0.17 0.38 0.21 ")
    assert lines[1] == ("Inter-|   Receive                                                |  "
                        "Transmit")
    assert "vif1.0:     504       7    0    0    0     0          0         0     1598      19    "\
           "0    1    0     0       0          0" in lines


# --- lab-a: a crashed guest ------------------------------------------------------------


def lab_a() -> SimHost:
    """The lab as in the lab-a captures: idle1 absent, db1 crashed."""
    host = lab_b()
    del host.domains[2]
    db1, web1 = host.domains[1], host.domains[3]
    db1.uuid, web1.uuid = "4d58f3d6-b896-4cf4-a54e-786034f4d24d", \
        "7c6be5f4-2ee2-48e4-b917-d313d1a94396"
    for d in (db1, web1):
        d.mem_kib = d.target_kib = 96 * 1024
    lifecycle.crash(db1)
    set_vcpus(db1, (None, "-", 3.8), (1, "-", 1.8))
    set_vcpus(web1, (0, "b", 4.4), (1, "b", 2.4))
    host.reserved_kib -= 131072 + 2 * 32768
    return host


@pytest.mark.parametrize(("args", "name"), [
    (("xl", "list"), "xl-list"), (("xl", "list", "-v"), "xl-list-v"),
    (("xl", "list", "-n"), "xl-list-n"),
])
def test_lab_a_lists(args: tuple[str, ...], name: str) -> None:
    host = lab_a()
    want = fixture(LAB_A, name).out
    dom0_time = re.search(r"^Domain-0 +0 +\d+ +\d+ +\S+ +([\d.]+)", want, re.M)
    assert dom0_time is not None
    secs = float(dom0_time.group(1))
    set_vcpus(host.domains[0], (0, "b", secs / 2), (1, "r", secs - secs / 2))
    assert xl(host, *args).stdout == want


def test_lab_a_vcpu_list_of_a_crashed_guest() -> None:
    host = lab_a()
    set_vcpus(host.domains[0], (1, "b", 58.3), (0, "r", 57.2))
    set_vcpus(host.domains[3], (0, "b", 4.4), (1, "b", 2.3))
    set_vcpus(host.domains[1], (None, "-", 3.8), (1, "-", 1.7))
    assert xl(host, "xl", "vcpu-list").stdout == fixture(LAB_A, "xl-vcpu-list").out


def test_lab_a_uptime_cpupool_sched() -> None:
    host = lab_a()
    host.boot_time = host.now - 132
    host.domains[1].start_time = host.now - 99.5
    host.domains[3].start_time = host.now - 74.2
    assert xl(host, "xl", "uptime").stdout == fixture(LAB_A, "xl-uptime").out
    assert xl(host, "xl", "cpupool-list").stdout == fixture(LAB_A, "xl-cpupool-list").out
    assert xl(host, "xl", "sched-credit2").stdout == fixture(LAB_A, "xl-sched-credit2").out


def _lab_a_stores() -> SimHost:
    """lab-a as its xenstore-ls and xl list -l captures saw it (its guests' own maxmem,
    ring pages, console tty and start times)."""
    host = lab_a()
    db1, web1 = host.domains[1], host.domains[3]
    db1.static_max_kib, web1.static_max_kib = 131072, 196608
    db1.store_ring_ref, db1.console_ring_ref = 1257473, 1257474
    web1.store_ring_ref, web1.console_ring_ref = 1208321, 1208322
    web1.console_tty = "/dev/pts/1"
    db1.start_time, web1.start_time = 1795635897.01, 1795635922.67
    return host


@pytest.mark.parametrize(("args", "name"), [
    (("xenstore-ls",), "xenstore-ls"), (("xenstore-ls", "-f"), "xenstore-ls-f"),
    (("xl", "list", "-l"), "xl-list-l"),
])
def test_lab_a_crashed_guest_keeps_its_vcpus_available(args: tuple[str, ...],
                                                       name: str) -> None:
    """db1 crashed with vCPU 0 down; the toolstack's cpu/N/availability nodes (and the
    avail_vcpus libxl reads back from them) still say both vCPUs are online."""
    got = xl(_lab_a_stores(), *args)
    want = fixture(LAB_A, name)
    assert (got.stdout, got.stderr, got.exit_code) == (want.out, want.err, want.rc)
