"""Dom0 kernel files: netback ``io_ring_qN``, blkback ``statistics/*``, ``/proc/net/dev``,
``/proc/loadavg``, and the ``head`` output the ring collector reads them with."""

from __future__ import annotations

from collectors.commands import BLKBACK_SYSFS, NETBACK_DEBUGFS
from collectors.sim.state import (
    HZ,
    INITIAL_JIFFIES,
    MAX_PENDING_REQS,
    NET_RING_ENTRIES,
    U32,
    ULONG_MAX,
    NetQueue,
    SimDisk,
    SimHost,
)

BLK_STAT_FILES = ("ds_req", "f_req", "oo_req", "rd_req", "rd_sect", "wr_req", "wr_sect")


def s32(x: int) -> int:
    x &= U32
    return x - (1 << 32) if x & 0x80000000 else x


def jiffies(host: SimHost) -> int:
    return INITIAL_JIFFIES + int((host.now - host.boot_time) * HZ + 1e-3)  # float slack


def io_ring_text(host: SimHost, qid: int, q: NetQueue) -> str:
    tx, rx = q.tx, q.rx
    nr_pending = (tx.req_cons - tx.rsp_pvt) & U32
    pending_cons = tx.req_cons & U32
    pending_prod = (MAX_PENDING_REQS + tx.rsp_pvt) & U32
    return (
        f"Queue {qid}\n"
        f"TX: nr_ents {NET_RING_ENTRIES}\n"
        f"req prod {tx.req_prod & U32} ({s32(tx.req_prod - tx.rsp_prod)}) "
        f"cons {tx.req_cons & U32} ({s32(tx.req_cons - tx.rsp_prod)}) "
        f"event {tx.req_event & U32} ({s32(tx.req_event - tx.rsp_prod)})\n"
        f"rsp prod {tx.rsp_prod & U32} (base) pvt {tx.rsp_pvt & U32} "
        f"({s32(tx.rsp_pvt - tx.rsp_prod)}) "
        f"event {tx.rsp_event & U32} ({s32(tx.rsp_event - tx.rsp_prod)})\n"
        f"pending prod {pending_prod} pending cons {pending_cons} nr_pending_reqs {nr_pending}\n"
        "dealloc prod 0 dealloc cons 0 dealloc_queue 0\n"
        "\n"
        f"RX: nr_ents {NET_RING_ENTRIES}\n"
        f"req prod {rx.req_prod & U32} ({s32(rx.req_prod - rx.rsp_prod)}) "
        f"cons {rx.req_cons & U32} ({s32(rx.req_cons - rx.rsp_prod)}) "
        f"event {rx.req_event & U32} ({s32(rx.req_event - rx.rsp_prod)})\n"
        f"rsp prod {rx.rsp_prod & U32} (base) pvt {rx.rsp_pvt & U32} "
        f"({s32(rx.rsp_pvt - rx.rsp_prod)}) "
        f"event {rx.rsp_event & U32} ({s32(rx.rsp_event - rx.rsp_prod)})\n"
        "\n"
        "NAPI state: 10 NAPI weight: 64 TX queue len 0\n"
        "Credit timer_pending: 0, credit: 18446744073709551615, usec: 0\n"
        f"remaining: {ULONG_MAX - q.credit_used}, expires: 0, now: {jiffies(host)}\n"
        "\n"
        "Rx internal queue: len 0 max 524288 pkts 0 running\n"
    )


def netback_files(host: SimHost) -> dict[str, str]:
    """Every ``io_ring_qN`` file under the netback debugfs directory."""
    files: dict[str, str] = {}
    if not host.debugfs_mounted:
        return files
    for d in host.sorted_domains():
        if d.domid == 0 or d.dying:
            continue
        for nic in d.nics:
            if nic.backend_state != 4:
                continue
            for i, q in enumerate(nic.queues):
                path = f"{NETBACK_DEBUGFS}/{nic.ifname(d.domid)}/io_ring_q{i}"
                files[path] = io_ring_text(host, i, q)
    return files


def blk_stat_values(disk: SimDisk) -> dict[str, int]:
    return {
        "ds_req": disk.ds_req,
        "f_req": disk.f_req,
        "oo_req": disk.oo_req,
        "rd_req": disk.rd_req,
        "rd_sect": disk.rd_sect,
        "wr_req": disk.wr_req,
        "wr_sect": disk.wr_sect,
    }


def blkback_files(host: SimHost) -> dict[str, str]:
    """Every blkback ``statistics/*`` file (only vbds with a connected physical backend)."""
    files: dict[str, str] = {}
    for d in host.sorted_domains():
        if d.domid == 0:
            continue
        for disk in d.disks:
            if disk.backend_type != "phy" or disk.empty or disk.backend_state != 4:
                continue
            base = f"{BLKBACK_SYSFS}/vbd-{d.domid}-{disk.devid}/statistics"
            for name, value in blk_stat_values(disk).items():
                files[f"{base}/{name}"] = f"{value}\n"
    return files


def head_output(
    patterns: list[tuple[str, dict[str, str]]], lines: int = 64
) -> tuple[str, str, int]:
    """GNU ``head -n N -- PATTERN...`` after the shell expanded each glob.

    Each pattern comes with the files it may match; an unmatched glob stays literal and
    head reports it. Returns (stdout, stderr, exit status).
    """
    out: list[str] = []
    err: list[str] = []
    first = True
    for pattern, files in patterns:
        if not files:
            err.append(f"head: cannot open '{pattern}' for reading: No such file or directory\n")
            continue
        for path in sorted(files, key=lambda p: p.encode()):
            out.append(("" if first else "\n") + f"==> {path} <==\n")
            first = False
            body = files[path].splitlines(keepends=True)[:lines]
            out.append("".join(body))
    return "".join(out), "".join(err), 1 if err else 0


def proc_net_dev(host: SimHost) -> str:
    lines = [
        "Inter-|   Receive                                                |  Transmit",
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
        "errs drop fifo colls carrier compressed",
    ]
    rows: list[tuple[int, str, tuple[int, ...]]] = []
    for i in host.dom0_ifs:
        rows.append((i.ifindex, i.name, (i.rx_bytes, i.rx_packets, 0, 0, 0, 0, 0, i.multicast,
                                          i.tx_bytes, i.tx_packets, 0, 0, 0, 0, 0, 0)))
    for d in host.sorted_domains():
        for n in d.nics:
            if n.backend_state < 2:
                continue
            rows.append((n.ifindex, n.ifname(d.domid),
                         (n.rx_bytes, n.rx_packets, n.rx_errs, n.rx_drop, 0, 0, 0, 0,
                          n.tx_bytes, n.tx_packets, n.tx_errs, n.tx_drop, 0, 0, 0, 0)))
    widths = (7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10)
    for _, name, vals in sorted(rows):
        cols = " ".join(f"{v:{w}d}" for v, w in zip(vals, widths, strict=True))
        lines.append(f"{name:>6}: {cols}")
    return "\n".join(lines) + "\n"


def proc_loadavg(host: SimHost) -> str:
    a, b, c = host.load
    running = 1 + sum(1 for d in host.domains.values() if d.running) % 3
    return f"{a:.2f} {b:.2f} {c:.2f} {running}/{host.procs_total} {host.last_pid}\n"
