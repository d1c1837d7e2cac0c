"""Fleet snapshots as Prometheus metrics (text exposition format 0.0.4), for
``xltop --serve-metrics``: one agentless exporter for every host the collectors reach.

Counters are exported as the hosts report them (Prometheus computes rates); a value the
collectors do not know is left out, never exported as 0. Label values are escaped as the
format requires (backslash, double quote, line feed), so a domain named ``a"} 1\\n...``
cannot forge a series. Network counters are named from the guest's point of view, like a
node exporter inside it: ``receive`` is what Dom0 sent to the guest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from collectors.model import (
    Device,
    DeviceKind,
    Domain,
    HostSnapshot,
    HostStatus,
    NetIfCounters,
    RingStats,
    VCpu,
)
from collectors.visible import visible

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SECTOR = 512

Value = int | float | None


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    type: str  # gauge or counter
    help: str
    # a counter whose sources differ in resolution (see CounterFloor): the largest step
    # back that is the coarser source's rounding, not a reset
    resolution: float = 0.0


@functools.lru_cache(maxsize=1 << 16)  # the same names every scrape
def escape_label(value: str) -> str:
    """A label value as the text format quotes it. Characters a terminal or a viewer
    would obey rather than show (control, bidi and other format characters, lone
    surrogates) become visible escapes first, as the dashboard shows them: ``\\x1b``."""
    if not value.isprintable():
        value = visible(value)
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in pairs) + "}"


def _number(v: int | float) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


class CounterFloor:
    """Keeps counters from stepping back by a source's rounding between scrapes.

    A domain's CPU time comes from ``xl list`` (0.1 s) until xentop's stream (whole
    seconds) takes over, and its network bytes from ``xentop -n`` (bytes) or the stream's
    KiB: 274.5 s then 274 s is the same counter read coarser, but Prometheus would take the
    step back for a reset and count the whole counter again as an increase. A step back
    within the family's resolution repeats the last value; a bigger one is a real reset.
    One instance per exporter, used by every scrape.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], float] = {}
        self._seen: dict[tuple[str, str], float] = {}

    def __call__(self, family: Family, labels: str, value: float) -> float:
        key = (family.name, labels)
        last = self._last.get(key)
        if last is not None and last - family.resolution <= value < last:
            value = last
        self._seen[key] = value
        return value

    def scraped(self) -> None:
        """The scrape is done: forget the series it did not show."""
        self._last, self._seen = self._seen, {}


class _Out:
    """Samples grouped by family, written family by family (the format wants every
    sample of a family after its HELP and TYPE lines, together)."""

    def __init__(self, floor: CounterFloor | None) -> None:
        self._samples: dict[Family, list[str]] = {}
        self._floor = floor

    def add(self, family: Family, labels: str, value: Value) -> None:
        if value is None:
            return
        if family.resolution and self._floor is not None:
            value = self._floor(family, labels, value)
        self._samples.setdefault(family, []).append(f"{family.name}{labels} {_number(value)}")

    def text(self, order: Sequence[Family]) -> str:
        lines: list[str] = []
        for fam in order:
            samples = self._samples.get(fam)
            if samples:
                lines.append(f"# HELP {fam.name} {fam.help}")
                lines.append(f"# TYPE {fam.name} {fam.type}")
                lines += samples
        return "\n".join(lines) + "\n" if lines else ""


FAMILIES: list[Family] = []
"""Every family, in the order a scrape lists them (the order they are declared below)."""


def _g(name: str, help_: str) -> Family:
    FAMILIES.append(fam := Family(name, "gauge", help_))
    return fam


def _c(name: str, help_: str, resolution: float = 0.0) -> Family:
    FAMILIES.append(fam := Family(name, "counter", help_, resolution))
    return fam


# --- hosts ---------------------------------------------------------------------------
HOST_UP = _g("xen_host_up", "1 when the host's last poll succeeded, else 0")
HOST_STATUS = _g("xen_host_status", "The host's status (ok, stale, unreachable, error): 1 for "
                 "the current one")
HOST_AGE = _g("xen_host_data_age_seconds", "Age of the newest data read from the host")
HOST_RTT = _g("xen_host_rtt_seconds",
              "How long the host last took to accept a command (the link's latency)")
HOST_INFO = _g("xen_host_info", "The host's Xen version, scheduler and toolstack (xl info)")
HOST_CPUS = _g("xen_host_cpus", "Physical CPUs (xl info nr_cpus)")
HOST_MHZ = _g("xen_host_cpu_mhz", "CPU frequency in MHz (xl info cpu_mhz)")
HOST_MEM = _g("xen_host_memory_bytes", "Host memory (xl info total_memory)")
HOST_FREE = _g("xen_host_memory_free_bytes", "Host memory free for new domains "
               "(xl info free_memory)")
DOM0_LOAD = [_g(f"xen_dom0_load{n}", f"Dom0's {n}-minute load average (/proc/loadavg)")
             for n in (1, 5, 15)]

# --- domains -------------------------------------------------------------------------
DOM_INFO = _g("xen_domain_info", "A domain's UUID and type")
DOM_STATE = _g("xen_domain_state", "A domain's state (running, blocked, runnable, paused, "
               "shutdown, crashed, dying): 1 for the current one")
DOM_CPU = _c("xen_domain_cpu_seconds_total", "CPU time the domain used, all vCPUs",
             resolution=1.0)
DOM_MEM = _g("xen_domain_memory_bytes", "Memory the domain has now")
DOM_TARGET = _g("xen_domain_memory_target_bytes", "The domain's balloon target (xl mem-set)")
DOM_MAX = _g("xen_domain_memory_max_bytes", "The domain's maximum memory (xl mem-max); absent "
             "when unlimited or unknown")
DOM_VCPUS = _g("xen_domain_vcpus_online", "vCPUs online")
DOM_VCPUS_MAX = _g("xen_domain_vcpus_max", "vCPUs the domain was booted with (the most "
                   "xl vcpu-set allows)")
DOM_NET_RX = _c("xen_domain_network_receive_bytes_total", "Bytes the guest received: what "
                "Dom0 sent on its vifs", resolution=1023.0)
DOM_NET_TX = _c("xen_domain_network_transmit_bytes_total", "Bytes the guest sent: what Dom0 "
                "received on its vifs", resolution=1023.0)
DOM_RD_REQ = _c("xen_domain_block_read_requests_total", "Read requests on the domain's vbds")
DOM_WR_REQ = _c("xen_domain_block_write_requests_total", "Write requests on the domain's vbds")
DOM_RD_B = _c("xen_domain_block_read_bytes_total", "Bytes read from the domain's vbds")
DOM_WR_B = _c("xen_domain_block_written_bytes_total", "Bytes written to the domain's vbds")
DOM_OO = _c("xen_domain_block_oo_requests_total", "Times a request of the domain's vbds "
            "waited for a full ring (VBD_OO)")
DOM_UPTIME = _g("xen_domain_uptime_seconds", "Time since the domain was created (xl uptime)")

# --- vCPUs, devices and rings --------------------------------------------------------
VCPU_TIME = _c("xen_vcpu_cpu_seconds_total", "CPU time of one vCPU (xl vcpu-list, read about "
               "once a minute)")
VBD_OO = _c("xen_vbd_oo_requests_total", "Times a request waited for a full ring "
            "(blkback statistics/oo_req)")
VBD_RD = _c("xen_vbd_read_requests_total", "Read requests (blkback statistics/rd_req)")
VBD_WR = _c("xen_vbd_write_requests_total", "Write requests (blkback statistics/wr_req)")
VIF_RX_B = _c("xen_vif_receive_bytes_total", "Bytes the guest received on this vif (its Dom0 "
              "interface's transmit bytes)")
VIF_TX_B = _c("xen_vif_transmit_bytes_total", "Bytes the guest sent on this vif (its Dom0 "
              "interface's receive bytes)")
VIF_RX_P = _c("xen_vif_receive_packets_total", "Packets the guest received on this vif")
VIF_TX_P = _c("xen_vif_transmit_packets_total", "Packets the guest sent on this vif")
VIF_RX_D = _c("xen_vif_receive_drop_total", "Packets for the guest that Dom0 dropped "
              "(its interface's transmit drops)")
VIF_TX_D = _c("xen_vif_transmit_drop_total", "Packets from the guest that Dom0 dropped "
              "(its interface's receive drops)")
# one family per ring: ~6 rings a domain, so the raw indices stay in the dashboard
RING_PRESSURE = _g("xen_ring_pressure", "0 idle to 1 stalled, per netback queue and direction "
                   "(debugfs io_ring_qN): TX the share of slots waiting for the backend, RX "
                   "the share of the guest's buffers used up")

def render(snaps: Sequence[HostSnapshot], floor: CounterFloor | None = None) -> str:
    """Every host's latest snapshot in the text exposition format (``floor``: see
    CounterFloor; an exporter passes the same one to every scrape)."""
    out = _Out(floor)
    for snap in snaps:
        _host(out, snap)
        names = {d.domid: d.name for d in snap.domains if d.domid is not None}
        for d in snap.domains:
            _domain(out, d)
        for v in snap.vcpus:
            _vcpu(out, v, names.get(v.domid, v.domain))
        for dev in snap.devices:
            _device(out, dev, names.get(dev.domid), snap.vif_counters(dev))
    if floor is not None:
        floor.scraped()
    return out.text(FAMILIES)


def _host(out: _Out, s: HostSnapshot) -> None:
    host = (("host", s.host),)
    lab = _labels(host)
    out.add(HOST_UP, lab, int(s.status is HostStatus.OK))
    for status in HostStatus:
        out.add(HOST_STATUS, _labels((*host, ("status", status.value))),
                int(s.status is status))
    out.add(HOST_AGE, lab, s.data_age_s)
    out.add(HOST_RTT, lab, s.latency_s)
    info = s.info
    if info is not None:
        out.add(HOST_INFO, _labels((*host, ("xen_version", info.xen_version or ""),
                                    ("scheduler", info.scheduler or ""),
                                    ("toolstack", info.toolstack or ""))), 1)
        out.add(HOST_CPUS, lab, info.nr_cpus)
        out.add(HOST_MHZ, lab, info.cpu_mhz)
        out.add(HOST_MEM, lab, _mib(info.total_memory_mib))
        out.add(HOST_FREE, lab, _mib(info.free_memory_mib))
    if s.dom0 is not None and s.dom0.load is not None:
        for fam, load in zip(DOM0_LOAD, s.dom0.load, strict=True):
            out.add(fam, lab, load)


def _domain_labels(d: Domain) -> tuple[tuple[str, str], ...]:
    return (("host", d.host), ("domain", d.name),
            ("domid", "" if d.domid is None else str(d.domid)))


_DOMAIN_VALUES: tuple[tuple[Family, Callable[[Domain], Value]], ...] = (
    (DOM_CPU, lambda d: d.cpu_time_s),
    (DOM_MEM, lambda d: _kib(d.mem_kib)),
    (DOM_TARGET, lambda d: _kib(d.mem_target_kib)),
    (DOM_MAX, lambda d: _kib(d.mem_max_kib)),
    (DOM_VCPUS, lambda d: d.vcpus_online),
    (DOM_VCPUS_MAX, lambda d: d.vcpus_max),
    (DOM_NET_RX, lambda d: d.net_tx_bytes),  # Dom0's TX is the guest's RX
    (DOM_NET_TX, lambda d: d.net_rx_bytes),
    (DOM_RD_REQ, lambda d: d.vbd_rd_reqs),
    (DOM_WR_REQ, lambda d: d.vbd_wr_reqs),
    (DOM_RD_B, lambda d: None if d.vbd_rd_sectors is None else d.vbd_rd_sectors * SECTOR),
    (DOM_WR_B, lambda d: None if d.vbd_wr_sectors is None else d.vbd_wr_sectors * SECTOR),
    (DOM_OO, lambda d: d.vbd_oo),
    (DOM_UPTIME, lambda d: d.uptime_s),
)


def _domain(out: _Out, d: Domain) -> None:
    base = _domain_labels(d)
    lab = _labels(base)
    out.add(DOM_INFO, _labels((*base, ("uuid", d.uuid or ""),
                               ("type", d.type.value if d.type else ""))), 1)
    out.add(DOM_STATE, _labels((*base, ("state", d.state.label))), 1)
    for fam, get in _DOMAIN_VALUES:
        out.add(fam, lab, get(d))


def _vcpu(out: _Out, v: VCpu, domain: str) -> None:
    out.add(VCPU_TIME, _labels((("host", v.host), ("domain", domain), ("domid", str(v.domid)),
                                ("vcpu", str(v.vcpu)))), v.time_s)


def _device(out: _Out, dev: Device, domain: str | None, vif: NetIfCounters | None) -> None:
    base = (("host", dev.host), ("domain", domain or ""), ("domid", str(dev.domid)),
            ("kind", dev.kind.value), ("devid", str(dev.devid)),
            ("device", dev.interface_name if dev.kind is DeviceKind.VIF else dev.name or ""))
    lab = _labels(base)
    if dev.kind is DeviceKind.VBD:
        out.add(VBD_OO, lab, dev.oo_req)
        out.add(VBD_RD, lab, dev.rd_req)
        out.add(VBD_WR, lab, dev.wr_req)
    if vif is not None:  # Dom0's side: its transmit is the guest's receive
        out.add(VIF_RX_B, lab, vif.tx_bytes)
        out.add(VIF_TX_B, lab, vif.rx_bytes)
        out.add(VIF_RX_P, lab, vif.tx_packets)
        out.add(VIF_TX_P, lab, vif.rx_packets)
        out.add(VIF_RX_D, lab, vif.tx_drop)
        out.add(VIF_TX_D, lab, vif.rx_drop)
    for r in dev.rings:
        _ring(out, base, r)


def _ring(out: _Out, base: tuple[tuple[str, str], ...], r: RingStats) -> None:
    lab = _labels((*base, ("queue", str(r.queue)), ("direction", r.direction or "")))
    out.add(RING_PRESSURE, lab, r.pressure)


def _kib(v: int | None) -> int | None:
    return None if v is None else v * 1024


def _mib(v: int | None) -> int | None:
    return None if v is None else v * 1024 * 1024
