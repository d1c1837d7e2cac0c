"""The live model: immutable snapshots of Xen hosts, domains, vCPUs, devices and rings.

Everything here is a frozen, slotted dataclass. Unknown values are ``None``, never ``0``:
a collector that could not read a number says so instead of inventing one.
Identities double as table row keys: ``(host, domid)``, ``(host, domid, vcpu)``,
``(host, domid, kind, devid)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

HostId = str
"""A host's name as the user configured it (``local``, an SSH alias, ``user@host:port``)."""


class HostStatus(StrEnum):
    OK = "ok"
    STALE = "stale"  # the last poll failed or is late; data shown is older than it should be
    UNREACHABLE = "unreachable"  # could not connect
    ERROR = "error"  # connected, but the host's answers could not be used


class DomainType(StrEnum):
    PV = "pv"
    HVM = "hvm"
    PVH = "pvh"


class XenbusState(IntEnum):
    """xenbus states as Linux's ``xenbus_strstate`` names them."""

    UNKNOWN = 0
    INITIALISING = 1
    INITWAIT = 2
    INITIALISED = 3
    CONNECTED = 4
    CLOSING = 5
    CLOSED = 6
    RECONFIGURING = 7
    RECONFIGURED = 8

    @property
    def label(self) -> str:
        return _XENBUS_LABELS[self]

    @classmethod
    def from_text(cls, text: str | None) -> XenbusState | None:
        """The state a xenbus node holds ("4"); None for anything but ASCII digits (a
        driver writes "%d": int() would also take "٤", " 4 ", "+4") or an unknown state."""
        if text is None or not (text.isascii() and text.isdecimal()):
            return None
        try:
            return cls(int(text))
        except ValueError:
            return None


_XENBUS_LABELS = {
    XenbusState.UNKNOWN: "Unknown",
    XenbusState.INITIALISING: "Initialising",
    XenbusState.INITWAIT: "InitWait",
    XenbusState.INITIALISED: "Initialised",
    XenbusState.CONNECTED: "Connected",
    XenbusState.CLOSING: "Closing",
    XenbusState.CLOSED: "Closed",
    XenbusState.RECONFIGURING: "Reconfiguring",
    XenbusState.RECONFIGURED: "Reconfigured",
}

SHUTDOWN_REASONS = {
    "-": "poweroff",
    "r": "reboot",
    "s": "suspend",
    "c": "crash",
    "w": "watchdog",
    "S": "soft_reset",
    "?": "unknown",
}


@dataclass(frozen=True, slots=True)
class DomainState:
    """The six state flags of ``xl list`` (``r b p s c d``) plus the shutdown reason.

    ``crashed`` is true when the domain shut down with reason ``crash`` (xl's 5th letter
    ``c``, xentop's ``c`` flag).
    """

    running: bool = False
    blocked: bool = False
    paused: bool = False
    shutdown: bool = False
    crashed: bool = False
    dying: bool = False
    shutdown_reason: str | None = None  # a SHUTDOWN_REASONS value when shut down

    @property
    def flags(self) -> str:
        """The state as ``xl list`` prints it, e.g. ``-b----`` or ``---sc-``."""
        reason = "-"
        if self.shutdown:
            rev = {v: k for k, v in SHUTDOWN_REASONS.items()}
            reason = rev.get(self.shutdown_reason or "", "c" if self.crashed else "-")
        return "".join(
            (
                "r" if self.running else "-",
                "b" if self.blocked else "-",
                "p" if self.paused else "-",
                "s" if self.shutdown else "-",
                reason,
                "d" if self.dying else "-",
            )
        )

    @property
    def stopped(self) -> bool:
        """Xen runs none of its vCPUs: paused, shut down (crashed too) or dying. Xen pauses
        every vCPU of such a domain without marking it blocked, so ``xl vcpu-list`` prints
        those vCPUs as ``---`` like runnable ones: they are not waiting for a pCPU."""
        return self.paused or self.shutdown or self.crashed or self.dying

    @property
    def label(self) -> str:
        """One word for the state, most significant first."""
        if self.dying:
            return "dying"
        if self.crashed:
            return "crashed"
        if self.shutdown:
            return "shutdown"
        if self.paused:
            return "paused"
        if self.running:
            return "running"
        if self.blocked:
            return "blocked"
        return "runnable"


@dataclass(frozen=True, slots=True)
class CpuSet:
    """A set of physical CPUs: ``all`` or explicit numbers (empty means ``none``)."""

    all: bool = False
    cpus: frozenset[int] = frozenset()

    @classmethod
    def of(cls, cpus: Iterable[int]) -> CpuSet:
        return cls(False, frozenset(cpus))

    def contains(self, cpu: int) -> bool:
        return self.all or cpu in self.cpus

    def to_json(self) -> str | list[int]:
        return "all" if self.all else sorted(self.cpus)

    def __str__(self) -> str:
        if self.all:
            return "all"
        return format_cpu_ranges(self.cpus)


def format_cpu_ranges(cpus: Iterable[int]) -> str:
    """``{0,1,2,3,6}`` → ``0-3,6``; empty → ``none`` (xl's bitmap syntax)."""
    nums = sorted(set(cpus))
    if not nums:
        return "none"
    parts: list[str] = []
    start = prev = nums[0]
    for n in nums[1:]:
        if n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What ``xl info`` says about a host (values we use typed; everything in ``raw``)."""

    hostname: str | None = None
    xen_version: str | None = None
    nr_cpus: int | None = None
    max_cpu_id: int | None = None
    nr_nodes: int | None = None
    cores_per_socket: int | None = None
    threads_per_core: int | None = None
    cpu_mhz: float | None = None
    total_memory_mib: int | None = None
    free_memory_mib: int | None = None
    scheduler: str | None = None
    toolstack: str | None = None  # "xl" or "xm"
    dom0_kernel: str | None = None
    virt_caps: tuple[str, ...] = ()
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Domain:
    """One domain on one host, merged from xentop, ``xl list`` and XenStore.

    Counters are cumulative as the host reports them; ``*_rate`` fields are per second
    over the last interval and are ``None`` on the first sample or after a reset.
    """

    host: HostId
    domid: int | None
    name: str
    uuid: str | None = None
    type: DomainType | None = None
    state: DomainState = DomainState()
    cpu_time_s: float | None = None
    cpu_pct: float | None = None  # percent of one pCPU over the last interval
    mem_kib: int | None = None  # current
    mem_target_kib: int | None = None  # balloon target
    mem_max_kib: int | None = None  # None with mem_max_unlimited or when unknown
    mem_max_unlimited: bool = False
    mem_pct: float | None = None  # of host memory
    vcpus_online: int | None = None
    vcpus_max: int | None = None
    nets: int | None = None
    net_tx_bytes: int | None = None  # Dom0-side TX, i.e. sent to the guest
    net_rx_bytes: int | None = None  # Dom0-side RX, i.e. received from the guest
    net_tx_rate: float | None = None  # bytes/s
    net_rx_rate: float | None = None
    vbds: int | None = None
    vbd_oo: int | None = None
    vbd_rd_reqs: int | None = None
    vbd_wr_reqs: int | None = None
    vbd_rd_sectors: int | None = None
    vbd_wr_sectors: int | None = None
    vbd_oo_rate: float | None = None  # requests/s
    vbd_rd_rate: float | None = None  # bytes/s (sectors × 512)
    vbd_wr_rate: float | None = None
    vbd_rd_iops: float | None = None
    vbd_wr_iops: float | None = None
    ssid: int | None = None
    uptime_s: float | None = None
    # where nets/net_* came from ("xentop", "dom0 /proc/net/dev"), or why they are unknown
    net_source: str | None = None

    @property
    def key(self) -> tuple[HostId, int | None, str]:
        return (self.host, self.domid, self.name)

    @property
    def is_dom0(self) -> bool:
        return self.domid == 0 or self.name == "Domain-0"


class VcpuState(StrEnum):
    RUNNING = "running"  # r--
    BLOCKED = "blocked"  # -b-
    RUNNABLE = "runnable"  # --- (waiting for a pCPU)
    OFFLINE = "offline"  # --p


@dataclass(frozen=True, slots=True)
class VCpu:
    host: HostId
    domid: int
    domain: str
    vcpu: int
    cpu: int | None  # the pCPU it is on now; None when offline
    state: VcpuState | None
    time_s: float | None
    hard: CpuSet
    soft: CpuSet | None  # None when the host only prints one affinity column
    cpu_pct: float | None = None  # % of one pCPU since the vcpu-list read before

    @property
    def key(self) -> tuple[HostId, int, int]:
        return (self.host, self.domid, self.vcpu)


class DeviceKind(StrEnum):
    VIF = "vif"
    VBD = "vbd"


@dataclass(frozen=True, slots=True)
class RingStats:
    """Occupancy of one shared ring, as read from the backend.

    For netback each queue has a TX and an RX ring (``direction``); blkback exposes no
    ring indices, so a vbd has no RingStats but OO counters on the Device.
    """

    queue: int
    direction: str | None  # "tx", "rx" or None
    entries: int | None  # nr_ents
    req_prod: int | None = None
    rsp_prod: int | None = None
    req_cons: int | None = None
    requests_outstanding: int | None = None  # req prod − rsp prod (mod 2³²)
    unconsumed: int | None = None  # req prod − req cons: not yet picked up by the backend
    responses_pending: int | None = None  # rsp pvt − rsp prod: produced, not yet pushed
    source: str = ""

    @property
    def fill(self) -> float | None:
        """Occupancy, ``(req prod − rsp prod) / nr_ents``: requests the backend has not
        answered. For RX these are the guest's posted *empty* buffers: 1.0 when idle."""
        if self.entries is None or self.requests_outstanding is None or self.entries <= 0:
            return None
        return min(1.0, max(0.0, self.requests_outstanding / self.entries))

    @property
    def pressure(self) -> float | None:
        """0 (idle) … 1 (stalled), one meaning both ways. TX (and blkif): ``fill``, requests
        waiting for the backend. RX: the share of the guest's buffers the backend has used
        up, ``1 − (req prod − req cons) / nr_ents``; near 1 the guest is not giving buffers
        back and packets for it queue in Dom0. None when the indices are unknown."""
        n = self.entries
        if n is None or n <= 0:
            return None
        if self.direction == "rx":
            if self.unconsumed is None:
                return None
            p = 1.0 - self.unconsumed / n
        else:
            if self.requests_outstanding is None:
                return None
            p = self.requests_outstanding / n
        return 0.0 if p < 0.0 else (1.0 if p > 1.0 else p)


@dataclass(frozen=True, slots=True)
class Device:
    """A split-driver device (vif or vbd) with both ends' view from XenStore."""

    host: HostId
    domid: int  # frontend domain
    kind: DeviceKind
    devid: int
    backend_domid: int | None = None
    frontend_state: XenbusState | None = None
    backend_state: XenbusState | None = None
    ring_refs: tuple[int, ...] = ()
    event_channels: tuple[int, ...] = ()
    queues: int | None = None
    ring_page_order: int | None = None
    ring_size: int | None = None  # entries per ring, from the ring-page-order
    name: str | None = None  # vdev for a vbd ("xvda"), dom0 interface for a vif ("vif1.0")
    mac: str | None = None
    bridge: str | None = None
    target: str | None = None  # vbd params (image or device path)
    cdrom: bool | None = None  # a vbd whose backend says device-type "cdrom" (None: unsaid)
    backend_path: str | None = None
    rings: tuple[RingStats, ...] = ()
    ring_source: str | None = None  # where ring occupancy came from, or why it is missing
    # vbd counters (blkback statistics/, summed over the vbd's queues)
    oo_req: int | None = None
    rd_req: int | None = None
    wr_req: int | None = None
    rd_sect: int | None = None
    wr_sect: int | None = None
    oo_rate: float | None = None
    stats_source: str | None = None
    # a vif's traffic is its Dom0 interface's counters: HostSnapshot.vif_counters

    @property
    def interface_name(self) -> str:
        """A vif's Dom0 interface: its ``vifname``, else ``vif<domid>.<devid>``."""
        return self.name or f"vif{self.domid}.{self.devid}"

    @property
    def key(self) -> tuple[HostId, int, str, int]:
        return (self.host, self.domid, self.kind.value, self.devid)


@dataclass(frozen=True, slots=True)
class NetIfCounters:
    """A Dom0 network interface's kernel counters (``/proc/net/dev`` or psutil)."""

    name: str
    rx_bytes: int
    tx_bytes: int
    rx_packets: int | None = None
    tx_packets: int | None = None
    rx_errs: int | None = None
    tx_errs: int | None = None
    rx_drop: int | None = None
    tx_drop: int | None = None
    rx_rate: float | None = None
    tx_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Dom0View:
    """Dom0's own view: its load and its per-interface counters."""

    load: tuple[float, float, float] | None = None
    interfaces: tuple[NetIfCounters, ...] = ()
    source: str | None = None
    _by_name: dict[str, NetIfCounters] | None = field(default=None, init=False, repr=False,
                                                      compare=False)

    def interface(self, name: str | None) -> NetIfCounters | None:
        """The interface called ``name`` (an index built at the first lookup)."""
        index = self._by_name
        if index is None:
            index = {i.name: i for i in self.interfaces}
            object.__setattr__(self, "_by_name", index)
        return index.get(name) if name is not None else None


@dataclass(frozen=True, slots=True)
class HostSnapshot:
    """Everything known about one host at one moment."""

    host: HostId
    time: float  # wall clock (epoch seconds) of the data
    status: HostStatus
    message: str | None = None  # why the status is not ok
    data_age_s: float | None = None  # now − time of the newest data shown
    latency_s: float | None = None  # round trip of the last command batch
    info: HostInfo | None = None
    domains: tuple[Domain, ...] = ()
    vcpus: tuple[VCpu, ...] = ()
    devices: tuple[Device, ...] = ()
    dom0: Dom0View | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # metric family → source / why missing
    seq: int = 0  # increases with every snapshot of this host
    vcpus_t: float | None = None  # wall clock of the last successful vCPU read

    def vif_counters(self, dev: Device) -> NetIfCounters | None:
        """A vif's traffic: its Dom0 interface's counters and rates (RX is what the guest
        sent), or None for a vbd, an unread Dom0 or an interface Dom0 does not list."""
        if dev.kind is not DeviceKind.VIF or self.dom0 is None:
            return None
        return self.dom0.interface(dev.interface_name)

    def domain(self, name_or_id: str | int) -> Domain | None:
        for d in self.domains:
            if d.domid == name_or_id or d.name == name_or_id:
                return d
        return None


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    time: float
    hosts: tuple[HostSnapshot, ...] = ()
