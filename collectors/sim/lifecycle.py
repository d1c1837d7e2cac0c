"""Creating, restarting and destroying simulated domains and their devices."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field

from collectors.commands import XEN_LOG_DIR
from collectors.model import CpuSet, DomainType
from collectors.sim.state import (
    MAXMEM_SLACK_KIB,
    NET_RING_ENTRIES,
    SHUTDOWN_CRASH,
    SHUTDOWN_SUSPEND,
    VIF_BRIDGE_SCRIPT,
    BlkQueue,
    NetQueue,
    RingSide,
    SimDisk,
    SimDomain,
    SimHost,
    SimNic,
    SimVcpu,
    mac_from,
    uuid_from,
)


@dataclass
class DiskSpec:
    vdev: str
    target: str
    format: str = "raw"
    mode: str = "w"
    cdrom: bool = False
    backend_type: str = "phy"
    sectors: int = 65536
    script: str | None = None  # a block script resolves the target (not a host path)


@dataclass
class VifSpec:
    mac: str | None = None
    bridge: str = "xenbr0"
    model: str | None = None
    vifname: str | None = None
    ip: str | None = None
    rate: str | None = None
    script: str = VIF_BRIDGE_SCRIPT
    devid: int | None = None
    nictype: str | None = None


@dataclass
class DomainSpec:
    """What a domain is built from: an xl config file or a save file's stored config."""

    name: str
    type: DomainType = DomainType.PV
    memory_mib: int = 128
    maxmem_mib: int | None = None
    vcpus: int = 1
    maxvcpus: int | None = None
    kernel: str | None = "/srv/xen/vmlinuz"
    ramdisk: str | None = None
    cmdline: str | None = None
    disks: list[DiskSpec] = field(default_factory=list)
    vifs: list[VifSpec] = field(default_factory=list)
    cpus: CpuSet | None = None
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "destroy"
    uuid: str | None = None
    config_path: str | None = None

    @property
    def static_max_kib(self) -> int:
        return max(self.memory_mib, self.maxmem_mib or 0) * 1024

    @property
    def max_vcpus(self) -> int:
        return max(self.vcpus, self.maxvcpus or 0, 1)


def dom0_queues(host: SimHost) -> int:
    dom0 = host.domains.get(0)
    return max(1, dom0.online_vcpus if dom0 else 1)


def attach_nic(host: SimHost, d: SimDomain, spec: VifSpec, rng: random.Random) -> SimNic:
    used = {n.devid for n in d.nics}
    devid = spec.devid if spec.devid is not None else (max(used) + 1 if used else 0)
    hvm = d.type is DomainType.HVM
    nic = SimNic(
        devid=devid,
        mac=spec.mac or mac_from(rng),
        bridge=spec.bridge,
        vifname=spec.vifname,
        model=spec.model if hvm else None,
        nictype=spec.nictype or ("vif_ioemu" if hvm else "vif"),
        script=spec.script,
        ip=spec.ip,
        rate=spec.rate,
        ifindex=host.alloc_ifindex(),
        traffic=rng.choice((0.0, 1.0, 5.0, 20.0, 80.0)),
    )
    nqueues = min(max(1, d.online_vcpus), dom0_queues(host))
    for _ in range(nqueues):
        q = NetQueue(
            tx=RingSide(),
            rx=RingSide(req_prod=NET_RING_ENTRIES, rsp_event=1),
            tx_ring_ref=d.alloc_gref(),
            rx_ring_ref=d.alloc_gref(),
            evtchn_tx=d.alloc_evtchn(),
            evtchn_rx=d.alloc_evtchn(),
        )
        nic.queues.append(q)
    d.nics.append(nic)
    return nic


def attach_disk(host: SimHost, d: SimDomain, spec: DiskSpec, rng: random.Random) -> SimDisk:
    loop = host.alloc_loop()
    disk = SimDisk(
        vdev=spec.vdev,
        target=spec.target,
        format=spec.format,
        mode=spec.mode,
        cdrom=spec.cdrom,
        backend_type=spec.backend_type,
        sectors=spec.sectors,
        node=f"/dev/loop{loop}",
        physical_device=f"7:{loop:x}",
        iops=rng.choice((0.0, 0.5, 3.0, 15.0, 60.0)),
    )
    nqueues = min(max(1, d.online_vcpus), dom0_queues(host))
    for _ in range(nqueues):
        disk.queues.append(BlkQueue(ring_ref=d.alloc_gref(), evtchn=d.alloc_evtchn()))
    d.disks.append(disk)
    return disk


def build_domain(
    host: SimHost, spec: DomainSpec, rng: random.Random, *, domid: int | None = None,
    start_time: float | None = None, paused: bool = False,
) -> SimDomain:
    """A freshly started domain (not yet added to the host)."""
    domid = host.alloc_domid() if domid is None else domid
    n = spec.max_vcpus
    pool_cpus = host.pools[0].cpus if host.pools else list(range(host.nr_cpus))
    vcpus = []
    for i in range(n):
        hard = spec.cpus if spec.cpus is not None else CpuSet(all=True)
        allowed = [c for c in pool_cpus if hard.contains(c)] or pool_cpus
        vcpus.append(SimVcpu(id=i, online=i < spec.vcpus, cpu=allowed[i % len(allowed)],
                             hard=hard, load=rng.choice((0.01, 0.03, 0.1, 0.3, 0.6))))
    target = spec.memory_mib * 1024
    d = SimDomain(
        domid=domid,
        name=spec.name,
        uuid=spec.uuid or uuid_from(rng),
        type=spec.type,
        vcpus=vcpus,
        mem_kib=target,
        target_kib=target,
        static_max_kib=spec.static_max_kib,
        xen_max_kib=target + MAXMEM_SLACK_KIB,
        pause_count=1 if paused else 0,
        start_time=host.now if start_time is None else start_time,
        config_path=spec.config_path,
        kernel=None if spec.type is DomainType.HVM else spec.kernel,
        ramdisk=None if spec.type is DomainType.HVM else spec.ramdisk,
        cmdline=None if spec.type is DomainType.HVM else spec.cmdline,
        on_poweroff=spec.on_poweroff,
        on_reboot=spec.on_reboot,
        on_crash=spec.on_crash,
        pool=host.pools[0].name if host.pools else "Pool-0",
        store_ring_ref=rng.randrange(0x40000, 0x140000),
        console_ring_ref=rng.randrange(0x40000, 0x140000),
        console_tty=f"/dev/pts/{rng.randrange(0, 16)}",
        activity=rng.choice((0.2, 0.5, 1.0, 1.5)),
    )
    d.console_log = [
        "Linux version " + host.release + " (debian-kernel@lists.debian.org)",
        "guest up",
    ]
    for k in spec.disks:
        attach_disk(host, d, k, rng)
    for v in spec.vifs:
        attach_nic(host, d, v, rng)
    return d


def spec_of(d: SimDomain) -> DomainSpec:
    """The configuration a running domain would be recreated (or saved) with."""
    pinned = {v.hard for v in d.vcpus}
    return DomainSpec(
        name=d.name,
        type=d.type,
        memory_mib=d.target_kib // 1024,
        maxmem_mib=d.static_max_kib // 1024,
        vcpus=d.online_vcpus if d.avail_vcpus is None else d.avail_vcpus,
        maxvcpus=d.max_vcpus,
        kernel=d.kernel,
        ramdisk=d.ramdisk,
        cmdline=d.cmdline,
        disks=[DiskSpec(k.vdev, k.target, k.format, k.mode, k.cdrom, k.backend_type, k.sectors)
               for k in d.disks],
        vifs=[VifSpec(n.mac, n.bridge, n.model, n.vifname, n.ip, n.rate, n.script, n.devid,
                      n.nictype) for n in d.nics],
        cpus=next(iter(pinned)) if len(pinned) == 1 else None,
        on_poweroff=d.on_poweroff,
        on_reboot=d.on_reboot,
        on_crash=d.on_crash,
        uuid=d.uuid,
        config_path=d.config_path,
    )


def add_domain(host: SimHost, d: SimDomain, *, new_daemon: bool = True) -> None:
    """``new_daemon``: a new xl process watches it (create, restore), which starts a new
    xl-NAME.log; a restart stays with the same process and log."""
    host.domains[d.domid] = d
    host.xs_version += 1
    if d.domid != 0:
        logged_as = d.log_name or d.name
        if new_daemon:
            _rotate_xl_log(host, logged_as)
            host.last_pid += 1
            d.daemon_pid = host.last_pid
        xl_log(host, d, f"Waiting for domain {logged_as} (domid {d.domid}) to die "
                        f"[pid {d.daemon_pid}]")


def destroy(host: SimHost, d: SimDomain) -> None:
    host.domains.pop(d.domid, None)
    host.xs_version += 1


def destroyed(host: SimHost, d: SimDomain) -> None:
    """``xl destroy``: the domain goes; its xl daemon, if still there, says so and exits."""
    destroy(host, d)
    if d.daemon:
        xl_log(host, d, f"Domain {d.domid} has been destroyed.")
        d.daemon = False


def restart(host: SimHost, d: SimDomain, rng: random.Random) -> SimDomain:
    """on_reboot=restart: the old domain goes, the same config comes back with a new domid."""
    spec = spec_of(d)
    destroy(host, d)
    new = build_domain(host, spec, rng)
    fresh(new, running=True)
    new.activity = d.activity
    new.daemon_pid, new.log_name = d.daemon_pid, d.log_name
    add_domain(host, new, new_daemon=False)
    return new


# --- xl's per-domain log (/var/log/xen/xl-NAME.log), as its daemon writes it ----------------

XL_LOGS_KEPT = 10  # libxl_create_logfile keeps NAME.log.1 ... NAME.log.10


def xl_log_path(name: str) -> str:
    return f"{XEN_LOG_DIR}/xl-{name}.log"


def xl_log(host: SimHost, d: SimDomain, line: str) -> None:
    if d.daemon:
        path = xl_log_path(d.log_name or d.name)
        host.files[path] = host.files.get(path, "") + line + "\n"


def _rotate_xl_log(host: SimHost, name: str) -> None:
    path = xl_log_path(name)
    for i in range(XL_LOGS_KEPT - 1, 0, -1):
        if f"{path}.{i}" in host.files:
            host.files[f"{path}.{i + 1}"] = host.files.pop(f"{path}.{i}")
    if path in host.files:
        host.files[f"{path}.1"] = host.files.pop(path)


def log_suspend(host: SimHost, d: SimDomain) -> None:
    """``xl save`` (even ``-c``) and ``xl migrate``: the daemon sees a suspend and exits."""
    log_shutdown(host, d, "", reason=SHUTDOWN_SUSPEND)


def log_shutdown(host: SimHost, d: SimDomain, action: str, *, reason: int | None = None) -> None:
    """What the daemon logs when the domain has shut down (``reason``: its own, unless
    given) and it applies ``on_*``."""
    reason = (d.shutdown_reason or 0) if reason is None else reason
    xl_log(host, d, f"Domain {d.domid} has shut down, reason code {reason} {reason:#x}")
    if reason == SHUTDOWN_SUSPEND:
        xl_log(host, d, "Domain has suspended.")
    else:
        xl_log(host, d, f"Action for shutdown reason code {reason} is {action}")
        if action != "preserve":
            xl_log(host, d, f"Domain {d.domid} needs to be cleaned up: destroying the domain")
    restarts = action.startswith("restart") and reason != SHUTDOWN_SUSPEND
    xl_log(host, d, "Done. Rebooting now" if restarts else "Done. Exiting now")
    if not restarts:
        d.daemon = False


def fresh(d: SimDomain, *, running: bool) -> None:
    """A just-built domain: paused ones have not run at all (``--p---``, 0.0 s)."""
    for v in d.vcpus:
        v.time_ns = 50_000_000 if running and v.online else 0
        v.running = False
        v.blocked = running and v.online


def pause(d: SimDomain) -> None:
    """``xl pause``: the domain's vCPUs are taken off their pCPUs (none shows ``r--``).
    Xen pauses a vCPU without marking it blocked: one that ran shows ``---`` (as a
    runnable one does), a blocked one stays ``-b-``."""
    d.pause_count += 1
    for v in d.vcpus:
        if v.running:
            v.running, v.blocked = False, False


def pause_long_ago(d: SimDomain) -> None:
    """A guest paused well before now: as paused, and netback has long since used up the RX
    buffers it had posted, so its vifs are carrier-off and its counters stay flat."""
    pause(d)
    for nic in d.nics:
        for q in nic.queues:
            q.rx_buffers = 0
            q.rx.req_prod = q.rx.req_cons = q.rx.rsp_pvt = q.rx.rsp_prod


def allowed_pcpus(host: SimHost, d: SimDomain, hard: CpuSet) -> tuple[int, ...]:
    """The pCPUs of the domain's pool a vCPU may run on (all of the pool when its hard
    affinity misses it)."""
    pool = next((p.cpus for p in host.pools if p.name == d.pool), range(host.nr_cpus))
    return allowed_in(tuple(pool), hard)


@functools.lru_cache(maxsize=4096)
def allowed_in(pool: tuple[int, ...], hard: CpuSet) -> tuple[int, ...]:
    """The pool's pCPUs a vCPU may run on (all of the pool when its affinity misses it)."""
    return tuple(c for c in pool if hard.contains(c)) or pool


def one_runner_per_pcpu(host: SimHost) -> None:
    """At any instant at most one vCPU runs on a pCPU. A vCPU found running where another
    one (an earlier domain's: Dom0 first) already runs moves to an idle pCPU it may use, or
    else waits for one (runnable, ``---``); a vCPU of a stopped domain does not run (Xen
    has paused it, which does not mark it blocked: ``---`` too)."""
    taken: set[int] = set()
    clashes: list[tuple[SimDomain, SimVcpu]] = []
    for d in host.sorted_domains():
        for v in d.vcpus:
            if not v.running:
                continue
            if not (v.online and d.active):
                v.running, v.blocked = False, False
            elif v.cpu in taken:
                clashes.append((d, v))
            else:
                taken.add(v.cpu)
    n = max(1, host.nr_cpus)
    for d, v in clashes:
        at = v.cpu
        free = [c for c in allowed_pcpus(host, d, v.hard) if c not in taken]
        if free:  # the next idle one after the pCPU it was on
            v.cpu = min(free, key=lambda c: (c - at) % n)
            taken.add(v.cpu)
        else:
            v.running, v.blocked = False, False


def _keep_avail(d: SimDomain) -> None:
    if d.avail_vcpus is None:
        d.avail_vcpus = d.online_vcpus


def shut_down(d: SimDomain, reason: int) -> None:
    """The guest has stopped: its vCPUs are down, it stays until the toolstack acts."""
    _keep_avail(d)
    d.shutdown_reason = reason
    d.pending = None
    for v in d.vcpus:
        v.online = False
        v.running = False
        v.blocked = False


def crash(d: SimDomain) -> None:
    """Like a real crash: vCPU 0 went down, the others are stopped mid-flight."""
    _keep_avail(d)
    d.shutdown_reason = SHUTDOWN_CRASH
    for v in d.vcpus:
        v.running = False
        v.blocked = False
        if v.id == 0:
            v.online = False
