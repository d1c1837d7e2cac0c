"""Simulated fleets: a realistic mix of hosts and domains, and a copy of the Xen lab."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence

from collectors.model import CpuSet, DomainType
from collectors.sim import lifecycle, rings
from collectors.sim.dmesg import boot_log
from collectors.sim.lifecycle import DiskSpec, DomainSpec, VifSpec
from collectors.sim.runner import Clock, SimRunner, Sleep
from collectors.sim.state import (
    DOM0_UUID,
    MAXMEM_SLACK_KIB,
    SHUTDOWN_POWEROFF,
    BlkQueue,
    Dom0If,
    NetQueue,
    RingSide,
    SimDisk,
    SimDomain,
    SimHost,
    SimNic,
    SimPool,
    SimVcpu,
)
from collectors.sim.xl_cfg import render_cfg

HOSTILE_NAMES = (
    "$(reboot)",
    "[red]x",
    "; rm -rf /",
    "evil\x1b[2Jname",
    "\u202eevil-rtl",
    "a-very-long-domain-name-that-pushes-columns-x",  # 45 characters
)
_ROLES = ("web", "db", "cache", "mq", "api", "ci-runner", "proxy", "ldap", "mail", "git",
          "monitor", "backup", "build", "search", "vault", "dns")
OVS_FROM_HOST = 3  # hosts 3, 5, 7, ... bridge their guests with Open vSwitch
OVS_SCRIPT = "/etc/xen/scripts/vif-openvswitch"
_HOST_SHAPES = (  # (pCPUs, cores/socket, threads/core, nodes, memory GiB, dom0 MiB, dom0 vCPUs)
    (16, 8, 2, 1, 128, 4096, 4),
    (8, 4, 2, 1, 32, 2048, 2),
    (4, 4, 1, 1, 24, 1024, 2),  # small and oversubscribed
    (32, 16, 2, 2, 256, 8192, 8),
    (12, 6, 2, 1, 64, 4096, 4),
)


def host_names(count: int) -> list[str]:
    return [f"xen-{'prod' if i % 2 == 0 else 'lab'}-{i + 1:02d}" for i in range(count)]


def _rngs(seed: int, index: int) -> tuple[random.Random, random.Random, random.Random]:
    base = f"xltop-sim:{seed}:{index}"
    return random.Random(base + ":build"), random.Random(base), random.Random(base + ":actions")


def _ring_rng(seed: int, index: int) -> random.Random:
    """Ring occupancy's own stream: drawing from it leaves every other value of a seed as is."""
    return random.Random(f"xltop-sim:{seed}:{index}:rings")


def _new_host(name: str, index: int, seed: int, start: float, shape: tuple[int, ...],
              xen_extra: str) -> SimHost:
    build, evolve_rng, action_rng = _rngs(seed, index)
    cpus, cores, threads, nodes, mem_gib, dom0_mib, dom0_vcpus = shape
    host = SimHost(
        name=name,
        hostname=name,
        index=index,
        seed=seed,
        nr_cpus=cpus,
        cores_per_socket=cores,
        threads_per_core=threads,
        nr_nodes=nodes,
        cpu_khz=build.choice((2095078, 2596136, 2893204, 3192610)),
        total_kib=mem_gib * 1024 * 1024 - 5120,
        reserved_kib=mem_gib * 1024 * 12 + 24000,
        xen_extra=xen_extra,
        xen_commandline=(f"dom0_mem={dom0_mib}M,max:{dom0_mib}M dom0_max_vcpus={dom0_vcpus} "
                         "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all"),
        build_id=f"{build.getrandbits(160):040x}",
        pools=[SimPool("Pool-0", list(range(cpus)))],
        t0=start,
        boot_time=start - build.randrange(3 * 86400, 120 * 86400),
        rng=evolve_rng,
        action_rng=action_rng,
        ring_rng=_ring_rng(seed, index),
        procs_total=180 + build.randrange(80),
        last_pid=20000 + build.randrange(50000),
    )
    if index >= OVS_FROM_HOST and (index - OVS_FROM_HOST) % 2 == 0:
        host.ovs, host.bridges = True, ["ovsbr0"]
        host.dom0_ifs = [Dom0If("lo", ifindex=1), Dom0If("eth0", ifindex=2),
                         Dom0If("ovs-system", ifindex=3), Dom0If("ovsbr0", ifindex=4)]
        host.next_ifindex = 5
    else:
        host.dom0_ifs = [Dom0If("lo", ifindex=1), Dom0If("eth0", ifindex=2),
                         Dom0If("xenbr0", ifindex=3, multicast=17)]
    host.domains[0] = _dom0(host, dom0_mib, dom0_vcpus)
    return host


def _dom0(host: SimHost, mem_mib: int, vcpus: int) -> SimDomain:
    kib = mem_mib * 1024
    up = host.t0 - host.boot_time
    dom0 = SimDomain(
        domid=0, name="Domain-0", uuid=DOM0_UUID, type=DomainType.PV,
        vcpus=[SimVcpu(id=i, cpu=i % host.nr_cpus, time_ns=int(up * 0.02e9), load=0.04)
               for i in range(vcpus)],
        mem_kib=kib, target_kib=kib, static_max_kib=kib, xen_max_kib=kib,
        start_time=host.boot_time, kernel=None, ramdisk=None, cmdline=None, activity=1.0,
    )
    last = dom0.vcpus[-1]
    last.running, last.blocked = True, False  # the toolstack itself runs on Dom0
    return dom0


def _add_files(host: SimHost, d: SimDomain, spec: DomainSpec) -> None:
    for k in d.disks:
        if k.target:
            host.files.setdefault(k.target, "")
    if _safe_filename(d.name):
        path = f"/etc/xen/{d.name}.cfg"
        host.files[path] = render_cfg(spec)
        d.config_path = path


def _safe_filename(name: str) -> bool:
    return bool(name) and all(c.isprintable() and c != "/" for c in name) and name[0] != "."


def _guest(host: SimHost, rng: random.Random, name: str, kind: DomainType, mem_mib: int,
           vcpus: int, *, disks: int = 1, vifs: int = 1, maxmem_mib: int | None = None,
           maxvcpus: int | None = None, pinned: CpuSet | None = None) -> SimDomain:
    hvm = kind is DomainType.HVM
    ndisks = min(disks, 2) if hvm else disks
    disk_specs = [DiskSpec(f"{'hd' if hvm else 'xvd'}{chr(ord('a') + i)}",
                           f"/dev/vg0/{_slug(name) or 'guest'}-disk{i}",
                           sectors=rng.choice((20, 40, 80, 200)) * 2 * 1024 * 1024)
                  for i in range(ndisks)]
    if hvm:  # two IDE cd drives: an installer ISO (sometimes) and an empty one
        iso = "/var/lib/xen/iso/debian-12.5.0-amd64-netinst.iso" if rng.random() < 0.6 else ""
        disk_specs += [DiskSpec("hdc", iso, format="raw" if iso else "empty", mode="r",
                                cdrom=True, backend_type="qdisk", sectors=1290240),
                       DiskSpec("hdd", "", format="empty", mode="r", cdrom=True,
                                backend_type="qdisk", sectors=0)]
    spec = DomainSpec(
        name=name, type=kind, memory_mib=mem_mib, maxmem_mib=maxmem_mib or mem_mib,
        vcpus=vcpus, maxvcpus=maxvcpus or vcpus,
        kernel=None if hvm else "/var/lib/xen/images/vmlinuz-6.1.0-28-amd64",
        ramdisk=None if hvm else "/var/lib/xen/images/initrd.img-6.1.0-28-amd64",
        cmdline=None if hvm else "root=/dev/xvda1 ro console=hvc0",
        disks=disk_specs,
        vifs=[_vif_spec(host, i, "e1000" if hvm else None) for i in range(vifs)],
        cpus=pinned,
        on_crash="preserve",
    )
    uptime = rng.choice((600, 3600, 86400, 7 * 86400, 40 * 86400, 200 * 86400))
    uptime = min(uptime, int(host.t0 - host.boot_time) - 120)
    d = lifecycle.build_domain(host, spec, rng, start_time=host.t0 - uptime)
    d.guest_hostname = _slug(name) or "guest"
    d.pv_drivers = not hvm or rng.random() < 0.5
    for v in d.vcpus:
        if v.online:
            v.time_ns = int(uptime * v.load * d.activity * 0.5e9)
            v.running = rng.random() < min(0.9, v.load * d.activity)
            v.blocked = not v.running
    for n in d.nics:
        n.rx_packets = int(uptime * n.traffic * 0.8)
        n.tx_packets = int(uptime * n.traffic)
        n.rx_bytes = n.rx_packets * 420
        n.tx_bytes = n.tx_packets * 610
        for q in n.queues:
            q.tx.req_prod = q.tx.req_cons = q.tx.rsp_prod = q.tx.rsp_pvt = n.rx_packets & 0xFFFFFFFF
            q.tx.req_event = q.tx.rsp_event = q.tx.rsp_prod + 1
            q.rx.rsp_prod = q.rx.req_cons = q.rx.rsp_pvt = n.tx_packets & 0xFFFFFFFF
            q.rx.req_prod = q.rx.rsp_prod + 256
            q.rx.rsp_event = q.rx.rsp_prod + 1
    for k in d.disks:
        reqs = int(uptime * k.iops)
        k.rd_req, k.wr_req = reqs // 2, reqs - reqs // 2 if k.mode == "w" else 0
        k.rd_sect, k.wr_sect = k.rd_req * 40, k.wr_req * 24
    lifecycle.add_domain(host, d)
    _add_files(host, d, spec)
    return d


def _vif_spec(host: SimHost, devid: int, model: str | None) -> VifSpec:
    if host.ovs:
        return VifSpec(bridge=host.bridges[0], script=OVS_SCRIPT, model=model, devid=devid)
    return VifSpec(model=model, devid=devid)


def _slug(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "" for c in name)


def make_fleet(hosts: int = 3, domains: int = 8, seed: int = 0, *,
               start: float | None = None) -> list[SimHost]:
    """Simulated hosts ``xen-prod-01``, ``xen-lab-02``, ... with ``domains`` guests each
    (plus Domain-0): running, blocked, paused, crashed, dying and shut down ones, PV/HVM/PVH,
    some pinned, some hosts oversubscribed, hostile names on one host."""
    t0 = time.time() if start is None else start
    fleet: list[SimHost] = []
    hostile_on = 1 if hosts > 1 else 0
    for i, name in enumerate(host_names(max(0, hosts))):
        shape = _HOST_SHAPES[i % len(_HOST_SHAPES)]
        host = _new_host(name, i, seed, t0, shape, (".3", ".5", ".7")[i % 3])
        build = random.Random(f"xltop-sim:{seed}:{i}:guests")
        _populate(host, build, max(0, domains), oversubscribed=(i % 3 == 2))
        if i == hostile_on:
            for j, hostile in enumerate(HOSTILE_NAMES):
                kind = (DomainType.PV, DomainType.HVM, DomainType.PVH)[j % 3]
                _guest(host, build, hostile, kind, 256, 1 + j % 2, disks=1, vifs=j % 2)
        _extras(host, build)
        lifecycle.one_runner_per_pcpu(host)
        host.dmesg = boot_log(host)
        fleet.append(host)
    for host in fleet:
        host.peers = {h.hostname: h for h in fleet if h is not host}
    return fleet


def _populate(host: SimHost, rng: random.Random, count: int, *, oversubscribed: bool) -> None:
    per_guest_mib = max(256, (host.free_kib() // 1024) // max(1, count + 2))
    states = ["run"] * count
    special = ["paused", "crashed", "shutdown", "dying"]
    for k, s in enumerate(special):
        if count > 3 + k:
            states[count - 1 - k] = s
    for k in range(count):
        role = _ROLES[(k + host.index * 3) % len(_ROLES)]
        name = f"{role}{k // len(_ROLES) + 1 if k >= len(_ROLES) else ''}-{host.index + 1:02d}"
        kind = (DomainType.PV, DomainType.PV, DomainType.HVM, DomainType.PVH)[k % 4]
        vcpus = rng.choice((1, 2, 2, 4, 4, 8, 16) if oversubscribed else (1, 2, 2, 4, 8))
        mem = min(per_guest_mib, rng.choice((512, 1024, 2048, 4096, 8192, 16384)))
        pinned = None
        if k % 5 == 1 and host.nr_cpus >= 4:
            first = rng.randrange(0, host.nr_cpus - 2)
            pinned = CpuSet.of(range(first, first + 2))
        d = _guest(host, rng, name, kind, mem, vcpus, disks=1 + k % 3, vifs=1 + (k % 4 == 0),
                   maxmem_mib=mem * 2 if k % 3 == 0 else mem, maxvcpus=vcpus + (k % 4 == 2) * 2,
                   pinned=pinned)
        if oversubscribed:
            d.activity = 3.0
            for v in d.vcpus:
                v.load = max(v.load, 0.5)
        if k % 7 == 3 and d.vcpus:
            d.vcpus[0].soft = CpuSet.of(range(0, max(1, host.nr_cpus // 2)))
        _set_state(host, d, states[k])


def _set_state(host: SimHost, d: SimDomain, state: str) -> None:
    if state == "paused":
        lifecycle.pause_long_ago(d)
    elif state == "crashed":
        lifecycle.crash(d)
        d.on_crash = "preserve"
        lifecycle.log_shutdown(host, d, "preserve")
    elif state == "shutdown":
        lifecycle.shut_down(d, SHUTDOWN_POWEROFF)
        d.on_poweroff = "preserve"
        lifecycle.log_shutdown(host, d, "preserve")
    elif state == "dying":
        lifecycle.shut_down(d, SHUTDOWN_POWEROFF)
        d.dying = True
        d.pause_count = 1


def _extras(host: SimHost, rng: random.Random) -> None:
    """Busy rings, a congested disk, spare images, a config and a checkpoint not in use."""
    guests = [d for d in host.sorted_domains() if d.domid != 0 and d.active]
    nics = [n for d in guests for n in d.nics if n.queues]
    if nics:
        hot = nics[rng.randrange(len(nics))]
        hot.backlog, hot.traffic = 0.95, max(hot.traffic, 200.0)
        _stalls(host, hot, nics)
    disks = [k for d in guests for k in d.disks if not k.cdrom]
    if disks:
        slow = disks[rng.randrange(len(disks))]
        slow.congested, slow.iops = True, max(slow.iops, 120.0)
    host.dirs.add("/var/lib/xen/iso")
    for path in ("/var/lib/xen/images/spare-20g.img", "/dev/vg0/scratch",
                 "/var/lib/xen/iso/debian-12.5.0-amd64-netinst.iso",
                 "/var/lib/xen/iso/virtio-win-0.1.240.iso"):
        host.files[path] = ""
    spare = DomainSpec(name=f"spare-{host.index + 1:02d}", memory_mib=512, vcpus=1,
                       kernel="/var/lib/xen/images/vmlinuz-6.1.0-28-amd64",
                       ramdisk="/var/lib/xen/images/initrd.img-6.1.0-28-amd64",
                       cmdline="root=/dev/xvda1 ro console=hvc0",
                       disks=[DiskSpec("xvda", "/var/lib/xen/images/spare-20g.img")],
                       vifs=[_vif_spec(host, 0, None)])
    host.files[f"/etc/xen/{spare.name}.cfg"] = render_cfg(spare)


def _stalls(host: SimHost, hot: SimNic, nics: list[SimNic]) -> None:
    """Rings that sit full for a while now and then (sim.rings): on hosts 0, 5, 10, ...
    the busy vif's TX ring (from the first second), on hosts 1, 6, 11, ... another
    domain's RX ring (a minute later). Picked with the ring stream: nothing else moves."""
    if host.index % 5 == 0:
        hot.stall, hot.stall_phase = "tx", 0
    elif host.index % 5 == 1:
        # netback uses up the guest's buffers only as packets arrive: the busiest vifs
        others = ([n for n in nics if n is not hot and n.traffic >= 50.0]
                  or [n for n in nics if n is not hot and n.traffic >= 20.0] or [hot])
        slow = others[host.ring_rng.randrange(len(others))]
        slow.stall, slow.stall_phase = "rx", rings.STALL_PERIOD_S - 60


# --- the lab ---------------------------------------------------------------------------


def make_lab_like_host(*, start: float = 1795637200.0, seed: int = 0) -> SimHost:
    """The Xen lab as captured in the lab-b fixtures: Domain-0 (1024 MiB, 2 vCPUs), db1,
    idle1 and web1 with the lab's devices, 2 pCPUs, one bridge xenbr0."""
    _, evolve_rng, action_rng = _rngs(seed, 0)
    host = SimHost(
        name="xenlab", hostname="xenlab", seed=seed, nr_cpus=2, cores_per_socket=2,
        total_kib=3145196, reserved_kib=35136, t0=start, boot_time=start - 815.6,
        pools=[SimPool("Pool-0", [0, 1])], rng=evolve_rng, action_rng=action_rng,
        ring_rng=_ring_rng(seed, 0),
        procs_total=111, last_pid=1598,
    )
    host.dom0_ifs = [Dom0If("lo", ifindex=1), Dom0If("eth0", ifindex=2),
                     Dom0If("xenbr0", ifindex=3, multicast=17)]
    host.domains[0] = _dom0(host, 1024, 2)
    host.next_loop = 3
    host.files.update({"/srv/xen/vmlinuz": "", "/srv/xen/guest-initrd.gz": "",
                       "/srv/xen/web1.img": "", "/srv/xen/db1-a.img": "",
                       "/srv/xen/db1-b.img": ""})
    db1 = _lab_guest(host, 1, "db1", "6df06ad8-b028-4445-a8c2-5324a0d3e46d", 160, 192, 2,
                     1795636359.12, (1265665, 1265666, "/dev/pts/0"))
    db1.on_crash = "preserve"
    _lab_disk(db1, "xvda", "/srv/xen/db1-a.img", 1, 65536, [(2064, 23), (2065, 24)])
    _lab_disk(db1, "xvdb", "/srv/xen/db1-b.img", 0, 65536, [(2066, 25), (2067, 26)])
    _lab_nic(host, db1, 0, "00:16:3e:10:00:02", [(1032, 1033, 15, 16), (1034, 1035, 17, 18)])
    _lab_nic(host, db1, 1, "00:16:3e:10:00:03", [(2060, 2061, 19, 20), (2062, 2063, 21, 22)])
    idle1 = _lab_guest(host, 2, "idle1", "b0884136-b551-417a-accf-54667b46051e", 128, 128, 1,
                       1795636377.67, (1191937, 1191938, "/dev/pts/1"))
    idle1.on_crash = "preserve"
    web1 = _lab_guest(host, 3, "web1", "9e670668-35fb-4d15-845e-fdba62e90a7b", 128, 256, 2,
                      1795636387.68, (502273, 502274, "/dev/pts/2"))
    web1.on_crash = "preserve"
    _lab_disk(web1, "xvda", "/srv/xen/web1.img", 2, 131072, [(1036, 19), (1037, 20)])
    _lab_nic(host, web1, 0, "00:16:3e:10:00:01", [(1032, 1033, 15, 16), (1034, 1035, 17, 18)])
    host.next_domid = 4
    for d in (db1, idle1, web1):
        spec = lifecycle.spec_of(d)
        spec.cmdline, spec.ramdisk = "console=hvc0 quiet", "/srv/xen/guest-initrd.gz"
        cfg = render_cfg(spec)
        host.files[f"/etc/xen/{d.name}.cfg"] = cfg
        host.files[f"/etc/xen/auto/{d.name}.cfg"] = cfg
        d.config_path = f"/etc/xen/{d.name}.cfg"
    host.dmesg = boot_log(host)
    return host


def _lab_guest(host: SimHost, domid: int, name: str, uuid: str, mem: int, maxmem: int,
               vcpus: int, started: float, refs: tuple[int, int, str]) -> SimDomain:
    kib = mem * 1024
    d = SimDomain(
        domid=domid, name=name, uuid=uuid, vcpus=[SimVcpu(id=i, cpu=i) for i in range(vcpus)],
        mem_kib=kib, target_kib=kib, static_max_kib=maxmem * 1024,
        xen_max_kib=kib + MAXMEM_SLACK_KIB, start_time=started, store_ring_ref=refs[0],
        console_ring_ref=refs[1], console_tty=refs[2], activity=0.05,
    )
    for v in d.vcpus:
        v.load = 0.02
    host.domains[domid] = d
    return d


def _lab_disk(d: SimDomain, vdev: str, target: str, loop: int, sectors: int,
              queues: list[tuple[int, int]]) -> None:
    disk = SimDisk(vdev=vdev, target=target, node=f"/dev/loop{loop}",
                   physical_device=f"7:{loop:x}", sectors=sectors,
                   queues=[BlkQueue(ring_ref=r, evtchn=e) for r, e in queues], iops=0.0)
    d.grefs |= {r for r, _ in queues}
    d.evtchns |= {e for _, e in queues}
    d.disks.append(disk)


def _lab_nic(host: SimHost, d: SimDomain, devid: int, mac: str,
             queues: list[tuple[int, int, int, int]]) -> None:
    nic = SimNic(devid=devid, mac=mac, ifindex=host.alloc_ifindex(), traffic=0.2)
    for tx_ref, rx_ref, ev_tx, ev_rx in queues:
        nic.queues.append(NetQueue(tx=RingSide(), rx=RingSide(req_prod=256),
                                   tx_ring_ref=tx_ref, rx_ring_ref=rx_ref,
                                   evtchn_tx=ev_tx, evtchn_rx=ev_rx))
        d.grefs |= {tx_ref, rx_ref}
        d.evtchns |= {ev_tx, ev_rx}
    d.nics.append(nic)


def sim_runners(
    fleet: Sequence[SimHost],
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    *,
    latency: Callable[[SimHost], float] | None = None,
) -> dict[str, SimRunner]:
    """One SimRunner per host, keyed by host name, sharing one clock."""
    return {
        h.name: SimRunner(h, clock=clock, sleep=sleep,
                          latency_s=latency(h) if latency is not None else 0.0)
        for h in fleet
    }


def set_pcpus(fleet: list[SimHost], pcpus: int) -> None:
    """Give every host ``pcpus`` physical CPUs, all in its default pool (a 256-pCPU box
    for the vCPU map)."""
    for h in fleet:
        h.nr_cpus = pcpus
        for pool in h.pools:
            pool.cpus = list(range(pcpus))
