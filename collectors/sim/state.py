"""Mutable internal state of a simulated Xen host: domains, vCPUs, devices, rings.

Units follow the hypervisor: memory in KiB, CPU time in nanoseconds, times as epoch seconds.
Renderers read this state; :mod:`collectors.sim.evolve` and the actions change it.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field

from collectors.control.syntax import BadValue, normal_path, vdev_number
from collectors.model import CpuSet, DomainType

MAXMEM_SLACK_KIB = 1024  # LIBXL_MAXMEM_CONSTANT: Xen's max_pages = target + this
HZ = 250
INITIAL_JIFFIES = (1 << 32) - 300 * HZ
MAX_PENDING_REQS = 256
NET_RING_ENTRIES = 256
U32 = 0xFFFFFFFF
ULONG_MAX = (1 << 64) - 1
VIF_BRIDGE_SCRIPT = "/etc/xen/scripts/vif-bridge"  # libxl's default vif hotplug script
DOM0_UUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_DIRS = ("/", "/etc/xen", "/etc/xen/auto", "/var/lib/xen", "/var/lib/xen/save", "/root",
                "/tmp", "/srv/xen", "/var/lib/xen/images")

# shutdown reason codes (libxl_shutdown_reason) and the letters xl list prints for them
SHUTDOWN_POWEROFF, SHUTDOWN_REBOOT, SHUTDOWN_SUSPEND, SHUTDOWN_CRASH = 0, 1, 2, 3
SHUTDOWN_WATCHDOG, SHUTDOWN_SOFT_RESET = 4, 5
REASON_LETTERS = {0: "-", 1: "r", 2: "s", 3: "c", 4: "w", 5: "S"}


@dataclass
class SimVcpu:
    id: int
    online: bool = True
    cpu: int = 0  # pCPU it last ran on
    running: bool = False  # r-- (on a pCPU now)
    blocked: bool = True  # -b- ; neither: --- (runnable, waiting for a pCPU)
    time_ns: int = 0
    hard: CpuSet = field(default_factory=lambda: CpuSet(all=True))
    soft: CpuSet = field(default_factory=lambda: CpuSet(all=True))
    load: float = 0.05  # mean share of one pCPU this vCPU wants


@dataclass
class RingSide:
    """One shared ring's indices (free-running uint32 counters)."""

    req_prod: int = 0
    req_cons: int = 0  # backend-private
    rsp_prod: int = 0
    rsp_pvt: int = 0  # backend-private rsp_prod_pvt
    req_event: int = 1
    rsp_event: int = 1

    def outstanding(self) -> int:
        return (self.req_prod - self.rsp_prod) & U32


@dataclass
class NetQueue:
    tx: RingSide = field(default_factory=RingSide)
    rx: RingSide = field(default_factory=RingSide)
    tx_ring_ref: int = 0
    rx_ring_ref: int = 0
    evtchn_tx: int = 0
    evtchn_rx: int = 0
    credit_used: int = 0  # bytes of the current credit window (shown as ``remaining``)
    # packet flow (evolve): TX requests the backlogged backend is behind on, and RX
    # buffers the guest has posted; they bound how much moves each second
    tx_lag: int = 0
    rx_buffers: int = NET_RING_ENTRIES


@dataclass
class SimNic:
    devid: int
    mac: str
    bridge: str = "xenbr0"
    queues: list[NetQueue] = field(default_factory=list)
    vifname: str | None = None
    model: str | None = None  # HVM emulated model (e1000, ...)
    nictype: str = "vif"  # vif | vif_ioemu
    script: str = VIF_BRIDGE_SCRIPT
    ip: str | None = None
    rate: str | None = None
    mtu: int = 1500
    ifindex: int = 0  # order in Dom0's /proc/net/dev
    frontend_state: int = 4
    backend_state: int = 4
    hotplug_status: str = "connected"
    # Dom0-side counters: rx = received from the guest, tx = sent to the guest
    rx_bytes: int = 0
    rx_packets: int = 0
    rx_errs: int = 0
    rx_drop: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    tx_errs: int = 0
    tx_drop: int = 0
    traffic: float = 0.0  # mean packets/s each way
    backlog: float = 0.0  # 0..1: how far behind the backend is on the TX ring
    stall: str | None = None  # "tx" | "rx": this ring stalls now and then (sim.rings)
    tx_level: float = 0.0  # ring occupancy (sim.rings): the level, 0..1, its rings drift around
    rx_level: float = 0.0
    stall_phase: int = 0  # steps into the stall cycle at step 0

    def ifname(self, domid: int) -> str:
        return self.vifname or f"vif{domid}.{self.devid}"


@dataclass
class BlkQueue:
    ring_ref: int = 0
    evtchn: int = 0


@dataclass
class SimDisk:
    vdev: str
    target: str
    format: str = "raw"
    mode: str = "w"  # w | r
    cdrom: bool = False
    backend_type: str = "phy"  # phy | qdisk
    queues: list[BlkQueue] = field(default_factory=list)
    ring_page_order: int = 0
    max_ring_page_order: int = 4
    sectors: int = 65536
    node: str = "/dev/loop0"
    physical_device: str = "7:0"
    frontend_state: int = 4
    backend_state: int = 4
    devid_override: int | None = None
    oo_req: int = 0
    rd_req: int = 0
    wr_req: int = 0
    f_req: int = 0
    ds_req: int = 0
    rd_sect: int = 0
    wr_sect: int = 0
    iops: float = 0.0  # mean requests/s
    congested: bool = False  # accumulates out-of-request stalls (OO)

    @property
    def devid(self) -> int:
        if self.devid_override is not None:
            return self.devid_override
        n = vdev_to_devid(self.vdev)
        return n if n is not None else 0

    @property
    def empty(self) -> bool:
        return self.cdrom and not self.target

    @property
    def backend_kind(self) -> str:
        """The XenStore backend directory: QEMU serves ``qdisk``, blkback ``vbd``."""
        return "qdisk" if self.backend_type == "qdisk" else "vbd"


@dataclass
class SimDomain:
    domid: int
    name: str
    uuid: str
    type: DomainType = DomainType.PV
    vcpus: list[SimVcpu] = field(default_factory=list)
    mem_kib: int = 131072  # current allocation
    target_kib: int = 131072  # balloon target (memory/target)
    static_max_kib: int = 131072  # memory/static-max (maxmem)
    xen_max_kib: int | None = 132096  # Xen's max_pages in KiB; None = no limit
    video_kib: int = 0
    pause_count: int = 0  # Xen counts controller pauses; each unpause undoes one
    shutdown_reason: int | None = None  # None: not shut down
    # vCPUs the toolstack had made available (cpu/N/availability) when the guest went
    # down: its vCPUs are offline now, a restart brings these back (None: not down)
    avail_vcpus: int | None = None
    dying: bool = False
    nics: list[SimNic] = field(default_factory=list)
    disks: list[SimDisk] = field(default_factory=list)
    start_time: float = 0.0
    config_path: str | None = None
    kernel: str | None = "/srv/xen/vmlinuz"
    ramdisk: str | None = "/srv/xen/guest-initrd.gz"
    cmdline: str | None = "console=hvc0 quiet"
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "destroy"
    on_watchdog: str = "destroy"
    on_soft_reset: str = "soft_reset"
    ssid: int = 0
    weight: int = 256
    cap: int = 0
    pool: str = "Pool-0"
    pv_drivers: bool = True  # answers control/shutdown (PV guests, HVM with PV drivers)
    store_ring_ref: int = 0
    console_ring_ref: int = 0
    console_tty: str = "/dev/pts/0"
    console_log: list[str] = field(default_factory=list)
    guest_hostname: str = "(none)"
    activity: float = 0.1  # how busy the guest is overall (scales its vCPU loads)
    pending: str | None = None  # "poweroff" | "reboot": a shutdown the guest is carrying out
    pending_at: int = 0  # host step at which the pending shutdown completes
    daemon: bool = True  # xl's daemon for it still runs (it exits after a save, even -c)
    daemon_pid: int = 0  # that daemon's pid (a restart keeps the same process)
    log_name: str | None = None  # the name its daemon logs under (NAME--incoming if migrated in)
    # a local migration's sender took /vm/UUID (shared) with it: xl uptime cannot tell
    no_vm_path: bool = False
    # Grant references and event channels are per domain. Freed grant refs are reused
    # last-freed first (Linux's free list); event channels lowest port first (Xen).
    grefs: set[int] = field(default_factory=set)
    evtchns: set[int] = field(default_factory=set)
    free_grefs: list[int] = field(default_factory=list)
    next_gref: int = 520

    def alloc_gref(self) -> int:
        if self.free_grefs:
            n = self.free_grefs.pop()
        else:
            n = self.next_gref
            while n in self.grefs:
                n += 1
            self.next_gref = n + 1
        self.grefs.add(n)
        return n

    def alloc_evtchn(self, base: int = 8) -> int:
        n = base
        while n in self.evtchns:
            n += 1
        self.evtchns.add(n)
        return n

    def release_nic(self, nic: SimNic) -> None:
        self.nics.remove(nic)
        for q in nic.queues:
            self._free_gref(q.tx_ring_ref)
            self._free_gref(q.rx_ring_ref)
            self.evtchns -= {q.evtchn_tx, q.evtchn_rx}

    def release_disk(self, disk: SimDisk) -> None:
        self.disks.remove(disk)
        for q in disk.queues:
            self._free_gref(q.ring_ref)
            self.evtchns.discard(q.evtchn)

    def _free_gref(self, ref: int) -> None:
        if ref in self.grefs:
            self.grefs.discard(ref)
            self.free_grefs.append(ref)

    @property
    def paused(self) -> bool:
        return self.pause_count > 0

    @property
    def max_vcpus(self) -> int:
        return len(self.vcpus)

    @property
    def online_vcpus(self) -> int:
        return sum(1 for v in self.vcpus if v.online)

    def available(self, v: SimVcpu) -> bool:
        """cpu/N/availability, the toolstack's word: a down guest's vCPUs keep theirs."""
        return v.online if self.avail_vcpus is None else v.id < self.avail_vcpus

    @property
    def cpu_time_ns(self) -> int:
        return sum(v.time_ns for v in self.vcpus)

    @property
    def is_shutdown(self) -> bool:
        return self.shutdown_reason is not None

    @property
    def crashed(self) -> bool:
        return self.shutdown_reason == SHUTDOWN_CRASH

    @property
    def running(self) -> bool:
        return any(v.online and v.running for v in self.vcpus) and not self.is_shutdown

    @property
    def blocked(self) -> bool:
        if self.is_shutdown or self.dying or self.running:
            return False
        online = [v for v in self.vcpus if v.online]
        return bool(online) and all(v.blocked for v in online)

    @property
    def active(self) -> bool:
        """Accumulates CPU time and I/O (not paused, shut down or dying)."""
        return not (self.paused or self.is_shutdown or self.dying)

    def xl_flags(self) -> str:
        """The six ``xl list`` state characters."""
        s = self.shutdown_reason
        return "".join(
            (
                "r" if self.running else "-",
                "b" if self.blocked else "-",
                "p" if self.paused else "-",
                "s" if s is not None else "-",
                REASON_LETTERS.get(s, "?") if s is not None else "-",
                "d" if self.dying else "-",
            )
        )

    def xentop_flags(self) -> str:
        """xentop's STATE: ``d s b c p r`` (``s`` is shutdown for a reason other than crash)."""
        return "".join(
            (
                "d" if self.dying else "-",
                "s" if self.is_shutdown and not self.crashed else "-",
                "b" if self.blocked else "-",
                "c" if self.crashed else "-",
                "p" if self.paused else "-",
                "r" if self.running else "-",
            )
        )

    def nic(self, devid: int) -> SimNic | None:
        return next((n for n in self.nics if n.devid == devid), None)

    def disk(self, devid: int) -> SimDisk | None:
        return next((d for d in self.disks if d.devid == devid), None)


@dataclass
class SimPool:
    name: str
    cpus: list[int]
    sched: str = "credit2"


@dataclass
class Dom0If:
    """A Dom0 network interface that is not a vif (lo, eth0, a bridge)."""

    name: str
    rx_bytes: int = 0
    rx_packets: int = 0
    tx_bytes: int = 0
    tx_packets: int = 0
    multicast: int = 0
    ifindex: int = 0


@dataclass
class SimHost:
    name: str
    hostname: str
    index: int = 0
    seed: int = 0
    nr_cpus: int = 2
    cores_per_socket: int = 2
    threads_per_core: int = 1
    nr_nodes: int = 1
    cpu_khz: int = 2596136
    hw_caps: str = (
        "178bf3fd:80002001:20100800:00000007:00000000:00000000:00000000:00000000"
    )
    virt_caps: str = "pv hvm shadow gnttab-v1 gnttab-v2"
    total_kib: int = 3071 * 1024
    reserved_kib: int = 0  # Xen heap and page tables: never free, never a domain's
    release: str = "6.1.0-50-amd64"
    kversion: str = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)"
    xen_extra: str = ".5"
    scheduler: str = "credit2"
    xen_commandline: str = (
        "dom0_mem=1024M,max:1024M dom0_max_vcpus=2 console=com1 com1=115200,8n1 "
        "loglvl=all guest_loglvl=all"
    )
    build_id: str = "39a640e6f1412319235087391df9f1c5e13ae920"
    pools: list[SimPool] = field(default_factory=list)
    bridges: list[str] = field(default_factory=lambda: ["xenbr0"])
    ovs: bool = False  # the bridges are Open vSwitch ones: xentop finds no vifs
    files: dict[str, str] = field(default_factory=dict)  # path -> content (see file_bytes)
    dirs: set[str] = field(default_factory=lambda: set(DEFAULT_DIRS))
    dmesg: list[str] = field(default_factory=list)
    # the fleet's other hosts by host name: where ``xl migrate`` can reach (ssh from Dom0)
    peers: dict[str, SimHost] = field(default_factory=dict, repr=False, compare=False)
    domains: dict[int, SimDomain] = field(default_factory=dict)
    next_domid: int = 1
    boot_time: float = 0.0
    t0: float = 0.0  # epoch of step 0
    steps: int = 0  # whole seconds simulated since t0
    rng: random.Random = field(default_factory=random.Random)  # evolution only
    action_rng: random.Random = field(default_factory=random.Random)  # MACs, refs of actions
    ring_rng: random.Random = field(default_factory=random.Random)  # ring occupancy only
    dom0_ifs: list[Dom0If] = field(default_factory=list)
    next_ifindex: int = 4
    next_loop: int = 0
    load: list[float] = field(default_factory=lambda: [0.1, 0.1, 0.1])
    procs_total: int = 111
    last_pid: int = 900
    claims_kib: int = 0
    debugfs_mounted: bool = True
    xs_version: int = 0  # bumped whenever something XenStore shows changes
    debugfs_mountable: bool = True  # MOUNT_DEBUGFS succeeds (root, not locked down)
    # domids whose console a xenconsole holds (its lock file, xenconsole.DOMID: one at once)
    console_locks: set[int] = field(default_factory=set, compare=False)

    @property
    def now(self) -> float:
        """Epoch time of the current state."""
        return self.t0 + self.steps

    @property
    def xen_version(self) -> str:
        return f"4.17{self.xen_extra}"

    @property
    def max_cpu_id(self) -> int:
        return self.nr_cpus - 1

    def free_kib(self) -> int:
        used = sum(d.mem_kib for d in self.domains.values())
        return max(0, self.total_kib - self.reserved_kib - used - self.claims_kib)

    def sorted_domains(self) -> list[SimDomain]:
        return [self.domains[k] for k in sorted(self.domains)]

    def file(self, path: str) -> str | None:
        """The content of a file, however its path is spelt (``/etc//xen/./a.cfg``)."""
        return self.files.get(normal_path(path))

    def is_dir(self, path: str) -> bool:
        """A directory: one of ``dirs``, or one that holds a file (``/dev/vg0``)."""
        if not path:
            return False
        p = normal_path(path)
        under = p.rstrip("/") + "/"
        return p in self.dirs or any(f.startswith(under) for f in self.files)

    def by_name(self, name: str) -> SimDomain | None:
        return next((d for d in self.sorted_domains() if d.name == name), None)

    def alloc_domid(self) -> int:
        domid = self.next_domid
        while domid in self.domains:
            domid += 1
        self.next_domid = domid + 1
        return domid

    def alloc_ifindex(self) -> int:
        self.next_ifindex += 1
        return self.next_ifindex - 1

    def alloc_loop(self) -> int:
        self.next_loop += 1
        return self.next_loop - 1


def vdev_to_devid(vdev: str) -> int | None:
    """libxl's virtual device number (``xvda`` 51712, ``d0p1`` 51713, ``0xca10``), None for
    a name libxl refuses: the simulated xl reads names as the validator does."""
    try:
        return vdev_number(vdev)
    except BadValue:
        return None


@functools.lru_cache(maxsize=65536)  # the same few device names, every frame
def kernfs_hash(name: str) -> int:
    """Linux kernfs name hash: sysfs directories list entries in this order."""
    mask = (1 << 64) - 1
    h = 0
    for c in name.encode():
        h = ((h + (c << 4) + (c >> 4)) * 11) & mask
    h = ((h * 0x61C8864680B583EB) & mask) >> 32
    h &= 0x7FFFFFFF
    if h < 2:
        h += 2
    if h >= 0x7FFFFFFF:
        h = 0x7FFFFFFF - 1
    return h


def mac_from(rng: random.Random) -> str:
    return "00:16:3e:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def uuid_from(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    h = h[:12] + "4" + h[13:16] + "89ab"[int(h[16], 16) & 3] + h[17:]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def file_bytes(content: str) -> bytes:
    """A simulated file's bytes: its text in UTF-8, where a binary file (a checkpoint) keeps
    its other bytes as the lone surrogates of Python's "surrogateescape"."""
    return content.encode("utf-8", "surrogateescape")


def file_content(data: bytes) -> str:
    """What :attr:`SimHost.files` holds for a file of these bytes."""
    return data.decode("utf-8", "surrogateescape")
