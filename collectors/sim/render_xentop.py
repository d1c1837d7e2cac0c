"""``xentop -b`` frames (Xen 4.17), including the columns that widen with their values."""

from __future__ import annotations

from dataclasses import dataclass, field

from collectors.sim.state import SimDisk, SimDomain, SimHost, kernfs_hash

_HEADERS = (
    ("NAME", 10), ("STATE", 6), ("CPU(sec)", 10), ("CPU(%)", 6), ("MEM(k)", 10),
    ("MEM(%)", 6), ("MAXMEM(k)", 10), ("MAXMEM(%)", 9), ("VCPUS", 5), ("NETS", 4),
    ("NETTX(k)", 8), ("NETRX(k)", 8), ("VBDS", 4), ("VBD_OO", 8), ("VBD_RD", 8),
    ("VBD_WR", 8), ("VBD_RSECT", 10), ("VBD_WSECT", 10), ("SSID", 4),
)


@dataclass(frozen=True)
class XentopOptions:
    delay: int = 3
    iterations: int | None = None
    vcpus: bool = False
    networks: bool = False
    vbds: bool = False
    repeat_header: bool = False
    full_name: bool = False


@dataclass
class XentopSampler:
    """Keeps the previous sample so CPU(%) can be computed like xentop does."""

    prev_cpu: dict[int, int] = field(default_factory=dict)
    prev_time: float | None = None

    def frame(self, host: SimHost, opts: XentopOptions) -> str:
        now = host.now
        domains = _visible(host)
        pct: dict[int, float] = {}
        for d in domains:
            old = self.prev_cpu.get(d.domid)
            if self.prev_time is None or old is None or now <= self.prev_time:
                pct[d.domid] = 0.0
            else:
                us = (now - self.prev_time) * 1e6
                pct[d.domid] = ((d.cpu_time_ns - old) / 10.0) / us
        self.prev_cpu = {d.domid: d.cpu_time_ns for d in domains}
        self.prev_time = now
        return render_frame(host, domains, pct, opts)


def _visible(host: SimHost) -> list[SimDomain]:
    """Domains with a name node, sorted by name case-insensitively (xentop's default)."""
    return sorted(host.domains.values(), key=lambda d: (_casefold(d.name), d.domid))


def _casefold(name: str) -> bytes:
    # strcasecmp folds ASCII letters only and compares bytes
    return bytes(b + 32 if 65 <= b <= 90 else b for b in name.encode("utf-8", "surrogateescape"))


VifRow = tuple[str, int, int, int, int, int, int, int, int]


def vifs_of(d: SimDomain) -> list[VifRow]:
    """(name, rx bytes, rx pkts, rx errs, rx drop, tx bytes, tx pkts, tx errs, tx drop)."""
    nics = sorted(d.nics, key=lambda n: n.ifindex)
    return [
        (n.ifname(d.domid), n.rx_bytes, n.rx_packets, n.rx_errs, n.rx_drop,
         n.tx_bytes, n.tx_packets, n.tx_errs, n.tx_drop)
        for n in nics
    ]


def vbds_of(d: SimDomain) -> list[SimDisk]:
    """Block backends in sysfs order (kernfs name hash), the order xentop reads them."""
    disks = [k for k in d.disks if not k.empty and k.backend_type == "phy"]
    return sorted(disks, key=lambda k: kernfs_hash(f"vbd-{d.domid}-{k.devid}"))


def _digits(n: int) -> int:
    return len(str(n))


def render_frame(
    host: SimHost, domains: list[SimDomain], pct: dict[int, float], opts: XentopOptions
) -> str:
    widths = dict(_HEADERS)
    rows = []
    ovs = host.ovs  # libxenstat looks for vifs only next to a Linux bridge: none here
    for d in domains:
        nets = [] if ovs else vifs_of(d)
        vbds = vbds_of(d)
        tx_k = sum(n[5] for n in nets) // 1024
        rx_k = sum(n[1] for n in nets) // 1024
        sums = {
            "VBD_OO": sum(k.oo_req for k in vbds),
            "VBD_RD": sum(k.rd_req for k in vbds),
            "VBD_WR": sum(k.wr_req for k in vbds),
            "VBD_RSECT": sum(k.rd_sect for k in vbds),
            "VBD_WSECT": sum(k.wr_sect for k in vbds),
        }
        if opts.full_name:
            widths["NAME"] = max(widths["NAME"], len(d.name.encode("utf-8", "surrogateescape")))
        for col, val in (("NETTX(k)", tx_k), ("NETRX(k)", rx_k), ("VBD_RD", sums["VBD_RD"]),
                         ("VBD_WR", sums["VBD_WR"]), ("VBD_RSECT", sums["VBD_RSECT"]),
                         ("VBD_WSECT", sums["VBD_WSECT"])):
            widths[col] = max(widths[col], _digits(val + 1))
        rows.append((d, nets, vbds, tx_k, rx_k, sums))
    header = " ".join(f"{name:>{widths[name]}}" for name, _ in _HEADERS)
    total = host.total_kib
    out: list[str] = [] if opts.repeat_header else [header]
    for d, nets, vbds, tx_k, rx_k, sums in rows:
        if opts.repeat_header:
            out.append(header)
        name = _name_field(d.name, widths["NAME"], opts.full_name)
        if d.xen_max_kib is None:
            maxmem, maxpct = f"{'no limit':>10}", f"{'n/a':>9}"
        else:
            maxmem = f"{d.xen_max_kib:10d}"
            maxpct = f"{d.xen_max_kib / total * 100:9.1f}"
        fields = [
            name,
            d.xentop_flags(),
            f"{d.cpu_time_ns // 1_000_000_000:10d}",
            f"{pct.get(d.domid, 0.0):6.1f}",
            f"{d.mem_kib:10d}",
            f"{d.mem_kib / total * 100:6.1f}",
            maxmem,
            maxpct,
            f"{d.max_vcpus:5d}",
            f"{len(nets):4d}",
            f"{tx_k:{widths['NETTX(k)']}d}",
            f"{rx_k:{widths['NETRX(k)']}d}",
            f"{len(vbds):4d}",
            f"{sums['VBD_OO']:8d}",
            f"{sums['VBD_RD']:{widths['VBD_RD']}d}",
            f"{sums['VBD_WR']:{widths['VBD_WR']}d}",
            f"{sums['VBD_RSECT']:{widths['VBD_RSECT']}d}",
            f"{sums['VBD_WSECT']:{widths['VBD_WSECT']}d}",
            f"{d.ssid:4d}",
        ]
        out.append(" ".join(fields))
        if opts.vcpus:
            out.append(_vcpu_line(d))
        if opts.networks:
            for i, n in enumerate(nets):
                out.append(
                    f"Net{i} RX: {n[1]:8d}bytes {n[2]:8d}pkts {n[3]:8d}err {n[4]:8d}drop  "
                    f"TX: {n[5]:8d}bytes {n[6]:8d}pkts {n[7]:8d}err {n[8]:8d}drop"
                )
        if opts.vbds:
            for k in vbds:
                dev = k.devid
                out.append(
                    f"VBD BlkBack {dev:4d} [{dev >> 8:2x}:{dev & 0xFF:2x}]  "
                    f"OO: {k.oo_req:8d}   RD: {k.rd_req:8d}   WR: {k.wr_req:8d}   "
                    f"RSECT: {k.rd_sect:10d}   WSECT: {k.wr_sect:10d}"
                )
    return "".join(line + "\n" for line in out)


def _name_field(name: str, width: int, full: bool) -> str:
    raw = name.encode("utf-8", "surrogateescape")
    if not full:
        raw = raw[:10]
    text = raw.decode("utf-8", "replace")
    pad = max(0, (width if full else 10) - len(raw))
    return " " * pad + text


def _vcpu_line(d: SimDomain) -> str:
    parts = ["VCPUs(sec): "]
    for v in d.vcpus:
        if not v.online:
            continue
        if v.id != 0 and v.id % 5 == 0:
            parts.append("\n        ")
        parts.append(f" {v.id:2d}: {v.time_ns // 1_000_000_000:10d}s")
    return "".join(parts)
