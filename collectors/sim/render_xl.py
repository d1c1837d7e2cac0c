"""Byte-exact renderers for xl's read-only commands (Xen 4.17 layouts)."""

from __future__ import annotations

import struct
import time

from collectors.model import CpuSet
from collectors.sim.state import DOM0_UUID, SimDomain, SimHost
from collectors.sim.xenstore_tree import Tree, frontend_path

LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
VCPU_HEADER = (
    "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)"
)
NET_HEADER = (
    "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path"
    + " " * 23
)
BLOCK_HEADER = "Vdev  BE  handle state evt-ch ring-ref BE-path" + " " * 23


def f32(x: float) -> float:
    """The value as a C ``float`` (xl computes times as ``(float)ns / 1e9``)."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


def secs_text(ns: int, width: int) -> str:
    return f"{f32(float(ns)) / 1e9:{width}.1f}"


def bitmap_text(cpus: CpuSet, nr_cpus: int) -> str:
    """xl's print_bitmap over ``nr_cpus`` bits: ``all``, ``none`` or ``0-3,6``."""
    bits = [cpus.contains(i) for i in range(nr_cpus)]
    runs: list[tuple[int, int]] = []
    i = 0
    while i < nr_cpus:
        if bits[i]:
            j = i
            while j + 1 < nr_cpus and bits[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    if not runs:
        return "none"
    if len(runs) == 1 and runs[0] == (0, nr_cpus - 1):
        return "all"
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


# --- xl list ---------------------------------------------------------------------------


def list_row(d: SimDomain) -> str:
    mem_mib = d.mem_kib // 1024
    return (
        f"{d.name:<40} {d.domid:5d} {mem_mib:5d} {d.online_vcpus:5d}     "
        f"{d.xl_flags()}  {secs_text(d.cpu_time_ns, 8)}"
    )


def node_affinity(host: SimHost, d: SimDomain) -> str:
    per_node = max(1, host.nr_cpus // max(1, host.nr_nodes))
    nodes: set[int] = set()
    for v in d.vcpus:
        for c in range(host.nr_cpus):
            if v.hard.contains(c):
                nodes.add(min(host.nr_nodes - 1, c // per_node))
    return bitmap_text(CpuSet.of(nodes), host.nr_nodes)


def render_list(
    host: SimHost,
    domains: list[SimDomain],
    *,
    verbose: bool = False,
    context: bool = False,
    cpupool: bool = False,
    numa: bool = False,
) -> str:
    header = LIST_HEADER
    if verbose:
        header += "   UUID                            Reason-Code\tSecurity Label"
    elif context:
        header += "   Security Label"
    if cpupool:
        header += "         Cpupool"
    if numa:
        header += " NODE Affinity"
    lines = [header]
    for d in domains:
        row = list_row(d)
        if verbose:
            uuid = DOM0_UUID if d.domid == 0 else d.uuid
            reason = f"{d.shutdown_reason:8x}" if d.shutdown_reason is not None else f"{'-':>8}"
            row += f" {uuid} {reason} {'-':>16}"
        elif context:
            row += f" {'-':>16}"
        if cpupool:
            row += f"{d.pool:>16}"
        if numa:
            row += " " + node_affinity(host, d)
        lines.append(row)
    return "\n".join(lines) + "\n"


# --- xl vcpu-list ----------------------------------------------------------------------


def vcpu_rows(host: SimHost, d: SimDomain) -> list[str]:
    rows = []
    for v in d.vcpus:
        head = f"{d.name:<32} {d.domid:5d} {v.id:5d}"
        if v.online:
            state = f"{'r' if v.running else '-':>3}{'b' if v.blocked else '-'}-"
            mid = f"{v.cpu:5d} {state} "
        else:
            mid = f"{'-':>5} {'-':>3}-p "
        aff = f"{bitmap_text(v.hard, host.nr_cpus)} / {bitmap_text(v.soft, host.nr_cpus)}"
        rows.append(f"{head}{mid}{secs_text(v.time_ns, 9)}  {aff}")
    return rows


# --- xl info ---------------------------------------------------------------------------


def info_pairs(host: SimHost) -> list[tuple[str, str]]:
    mhz = f"{host.cpu_khz // 1000}.{host.cpu_khz % 1000:03d}"
    return [
        ("host", host.hostname),
        ("release", host.release),
        ("version", host.kversion),
        ("machine", "x86_64"),
        ("nr_cpus", str(host.nr_cpus)),
        ("max_cpu_id", str(host.max_cpu_id)),
        ("nr_nodes", str(host.nr_nodes)),
        ("cores_per_socket", str(host.cores_per_socket)),
        ("threads_per_core", str(host.threads_per_core)),
        ("cpu_mhz", mhz),
        ("hw_caps", host.hw_caps),
        ("virt_caps", " " + host.virt_caps),
        ("total_memory", str(host.total_kib // 1024)),
        ("free_memory", str(host.free_kib() // 1024)),
        ("sharing_freed_memory", "0"),
        ("sharing_used_memory", "0"),
        ("outstanding_claims", str(host.claims_kib // 1024)),
        ("free_cpus", str(max(0, host.nr_cpus - sum(len(p.cpus) for p in host.pools)))),
        ("xen_major", "4"),
        ("xen_minor", "17"),
        ("xen_extra", host.xen_extra),
        ("xen_version", host.xen_version),
        ("xen_caps", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 "),
        ("xen_scheduler", host.scheduler),
        ("xen_pagesize", "4096"),
        ("platform_params", "virt_start=0xffff800000000000"),
        ("xen_changeset", ""),
        ("xen_commandline", host.xen_commandline),
        ("cc_compiler", "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0"),
        ("cc_compile_by", "pkg-xen-devel"),
        ("cc_compile_domain", "lists.alioth.debian.org"),
        ("cc_compile_date", "Sat Nov 29 13:52:25 UTC 2025"),
        ("build_id", host.build_id),
        ("xend_config_format", "4"),
    ]


def _info_line(key: str, value: str) -> str:
    if key == "virt_caps":  # printed as the key then " word" per capability
        return f"{key:<23}:{value}"
    return f"{key:<23}: {value}"


def _numa_block(host: SimHost) -> list[str]:
    lines = [f"{'cpu_topology':<23}:", "cpu:    core    socket     node"]
    per_node = max(1, host.nr_cpus // max(1, host.nr_nodes))
    per_socket = host.cores_per_socket * host.threads_per_core
    for c in range(host.nr_cpus):
        core = (c % per_socket) // host.threads_per_core
        socket = c // per_socket
        node = min(host.nr_nodes - 1, c // per_node)
        lines.append(f"{c:3d}:    {core:4d}     {socket:4d}     {node:4d}")
    lines += [f"{'device topology':<23}:", "device           node",
              "No device topology data available", f"{'numa_info':<23}:",
              "node:    memsize    memfree    distances"]
    total = host.total_kib // 1024
    free = host.free_kib() // 1024
    n = max(1, host.nr_nodes)
    for node in range(n):
        size = -(-(total + 2049) // n // 1024) * 1024  # whole GiB, holes included
        dist = ",".join("10" if j == node else "20" for j in range(n))
        lines.append(f"{node:4d}:    {size:6d}     {free // n:6d}      {dist}")
    return lines


def render_info(host: SimHost, *, numa: bool = False, prefix: str | None = None) -> str:
    pairs = info_pairs(host)
    if prefix is not None and not numa:
        vals = [v.lstrip() if k == "virt_caps" else v for k, v in pairs if k.startswith(prefix)]
        return "".join(v + "\n" for v in vals)
    lines: list[str] = []
    for key, value in pairs:
        if key == "xen_major" and numa:
            lines += _numa_block(host)
        lines.append(_info_line(key, value))
    return "\n".join(lines) + "\n"


# --- xl uptime -------------------------------------------------------------------------


def uptime_text(seconds: float, *, short: bool = False) -> str:
    s = max(0, int(seconds))
    days, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    clock = f"{h:2d}:{m:02d}" if short else f"{h:2d}:{m:02d}:{s:02d}"
    if days == 0:
        return clock
    return f"{days} day{'s' if days > 1 else ''}, {clock}"


def domain_uptime(host: SimHost, d: SimDomain, now: float) -> float:
    return now - (host.boot_time if d.domid == 0 else d.start_time)


def render_uptime(host: SimHost, domains: list[SimDomain], now: float, *, short: bool) -> str:
    if short:
        clock = time.strftime("%H:%M:%S", time.gmtime(now))
        return "".join(
            f" {clock} up {uptime_text(domain_uptime(host, d, now), short=True)}, "
            f"{d.name} ({d.domid})\n"
            for d in domains
        )
    lines = [f"{'Name':<33} {'ID':>4} Uptime"]
    for d in domains:
        lines.append(f"{d.name:<33} {d.domid:4d} {uptime_text(domain_uptime(host, d, now))}")
    return "\n".join(lines) + "\n"


# --- devices ---------------------------------------------------------------------------


def _int_node(tree: Tree, path: str) -> int:
    v = tree.get(path)
    if v is None:
        return -1
    try:
        return int(v)
    except ValueError:
        return -1


def network_rows(tree: Tree, d: SimDomain) -> list[str]:
    rows = []
    for nic in sorted(d.nics, key=lambda n: str(n.devid).encode()):
        fe = frontend_path("vif", d.domid, nic.devid)
        be = f"/local/domain/0/backend/vif/{d.domid}/{nic.devid}"
        state = _int_node(tree, f"{fe}/state")
        evtch = _int_node(tree, f"{fe}/event-channel")
        tx = _int_node(tree, f"{fe}/tx-ring-ref")
        rx = _int_node(tree, f"{fe}/rx-ring-ref")
        rows.append(
            f"{nic.devid:<3d} {0:<2d} {nic.mac}{nic.devid:6d} {state:5d} {evtch:6d} "
            f"{tx:5d}/{rx:<11d} {be:<30}"
        )
    return rows


def block_rows(tree: Tree, d: SimDomain) -> list[str]:
    rows = []
    for disk in sorted(d.disks, key=lambda k: str(k.devid).encode()):
        fe = frontend_path("vbd", d.domid, disk.devid)
        be = f"/local/domain/0/backend/{disk.backend_kind}/{d.domid}/{disk.devid}"
        state = _int_node(tree, f"{fe}/state")
        evtch = _int_node(tree, f"{fe}/event-channel")
        ref = _int_node(tree, f"{fe}/ring-ref")
        rows.append(
            f"{disk.devid:<5d} {0:<3d} {d.domid:<6d} {state:<5d} {evtch:<6d} {ref:<8d} {be:<30}"
        )
    return rows


# --- pools, scheduler, dmesg ------------------------------------------------------------


def render_cpupool_list(host: SimHost, *, cpus: bool, only: str | None = None) -> str:
    pools = [p for p in host.pools if only is None or p.name == only]
    if cpus:
        lines = [f"{'Name':<19}CPU list"]
        lines += [f"{p.name:<19}{','.join(str(c) for c in p.cpus)}" for p in pools]
    else:
        lines = [f"{'Name':<19}CPUs   Sched     Active   Domain count"]
        for p in pools:
            n = sum(1 for d in host.domains.values() if d.pool == p.name)
            lines.append(f"{p.name:<19}{len(p.cpus):3d} {p.sched:>9}       y       {n:4d}")
    return "\n".join(lines) + "\n"


def render_sched_credit2(host: SimHost, domains: list[SimDomain]) -> str:
    lines: list[str] = []
    for p in host.pools:
        members = [d for d in domains if d.pool == p.name]
        lines.append(f"Cpupool {p.name}: ratelimit=1000us")
        lines.append(f"{'Name':<32} {'ID':>5} {'Weight':>6} {'Cap':>4}")
        lines += [f"{d.name:<32} {d.domid:5d} {d.weight:6d} {d.cap:4d}" for d in members]
    return "\n".join(lines) + "\n"


def render_dmesg(host: SimHost) -> str:
    return "".join(line + "\n" for line in host.dmesg)
