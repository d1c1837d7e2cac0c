"""xl's domain-control subcommands: pause, unpause, destroy, shutdown, reboot, mem-set,
mem-max, vcpu-set, vcpu-pin. Messages and exit codes are Xen 4.17's (see the lab fixtures);
an error leaves the state as it was."""

from __future__ import annotations

from collectors.model import CpuSet, DomainType
from collectors.parse.common import is_uint
from collectors.sim import lifecycle
from collectors.sim.render_xl import bitmap_text
from collectors.sim.state import (
    MAXMEM_SLACK_KIB,
    SHUTDOWN_POWEROFF,
    SHUTDOWN_REBOOT,
    SimDomain,
    SimHost,
)
from collectors.sim.xl_args import (
    CpuListError,
    Io,
    XlExit,
    die,
    domain_label,
    find_domain,
    getopt,
    parse_cpu_list,
    parse_mem_size_kb,
    strtoul,
)

U64 = (1 << 64) - 1


def cmd_pause(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "pause", argv, "", required=1)
    domid = find_domain(io, host, p.args[0])
    d = host.domains.get(domid)
    if d is None or domid == 0:
        why = "No such process" if d is None else "Invalid argument"
        io.eprint(f"libxl: error: libxl_domain.c:587:libxl_domain_pause: "
                  f"{domain_label(domid)}Pausing domain: {why}\n")
        return 0
    lifecycle.pause(d)
    io.duration = 0.2
    return 0


def cmd_unpause(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "unpause", argv, "", required=1)
    domid = find_domain(io, host, p.args[0])
    d = host.domains.get(domid)
    if d is None:
        io.eprint("libxl: error: libxl_dom.c:37:libxl__domain_type: "
                  f"unable to get domain type for domid={domid}\n")
        return 0
    if not d.paused:
        io.eprint("libxl: error: libxl_domain.c:688:domain_unpause_done: "
                  f"{domain_label(domid)}Unpausing domain: Invalid argument\n")
        return 0
    d.pause_count -= 1
    io.duration = 0.2
    return 0


def cmd_destroy(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "destroy", argv, "f", required=1)
    domid = find_domain(io, host, p.args[0])
    if domid == 0 and not p.has("f"):
        die(io, "Not destroying domain 0; use -f to force.\n"
                "This can only be done when using a disaggregated hardware domain and "
                "toolstack.\n\n")
    d = host.domains.get(domid)
    if d is None or domid == 0:
        label = domain_label(domid)
        io.eprint(
            f"libxl: error: libxl_domain.c:1183:libxl__destroy_domid: {label}Non-existant domain\n"
            f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: {label}Unable to destroy "
            "guest\n"
            f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: {label}Destruction of domain "
            "failed\n"
        )
        die(io, f"destroy failed (rc={-21 if d is None else -3})\n")
    lifecycle.destroyed(host, d)
    io.duration = 0.3
    return 0


def cmd_shutdown(host: SimHost, io: Io, argv: list[str]) -> int:
    return _shutdown_or_reboot(host, io, argv, reboot=False)


def cmd_reboot(host: SimHost, io: Io, argv: list[str]) -> int:
    return _shutdown_or_reboot(host, io, argv, reboot=True)


def _shutdown_or_reboot(host: SimHost, io: Io, argv: list[str], *, reboot: bool) -> int:
    what = "reboot" if reboot else "shutdown"
    p = getopt(io, what, argv, "awF", {"all": ("a", False), "wait": ("w", False)})
    if not p.args and not p.has("a"):
        die(io, "You must specify -a or a domain id.\n\n")
    if p.has("a"):
        targets = [d.domid for d in host.sorted_domains() if d.domid != 0]
    else:
        targets = [find_domain(io, host, p.args[0])]
    waited: list[tuple[int, int]] = []
    for domid in targets:
        io.eprint(f"{'Rebooting' if reboot else 'Shutting down'} domain {domid}\n")
        d = host.domains.get(domid)
        if d is None:
            io.eprint("libxl: error: libxl_dom.c:37:libxl__domain_type: "
                      f"unable to get domain type for domid={domid}\n")
            die(io, f"{what} failed (rc=-3)\n")
        if not d.pv_drivers and d.type is DomainType.HVM:
            event = "reset" if reboot else "power"
            if not p.has("F"):
                io.eprint(f"PV control interface not available: external graceful {what} not "
                          f"possible.\nUse \"-F\" to fallback to ACPI {event} event.\n")
                die(io, f"{what} failed (rc=-10)\n")
            io.eprint(f"PV control interface not available: sending ACPI {event} button event.\n")
        if domid != 0 and not d.is_shutdown and not d.dying:
            request_shutdown(host, d, reboot=reboot)
            waited.append((domid, 1 if reboot else 0))
    if p.has("w"):
        io.eprint(f"Waiting for {len(targets)} domains\n")
        for domid, code in waited:
            io.eprint(f"Domain {domid} has been shut down, reason code {code}\n")
        stuck = any(i in host.domains and host.domains[i].paused for i, _ in waited)
        io.duration = 3600.0 if stuck else 1.0
    return 0


def request_shutdown(host: SimHost, d: SimDomain, *, reboot: bool) -> None:
    """A running guest acts on control/shutdown at once; a paused one when unpaused."""
    reason = SHUTDOWN_REBOOT if reboot else SHUTDOWN_POWEROFF
    if d.active:
        lifecycle.shut_down(d, reason)
        d.pending_at = host.steps + 1  # xl's daemon destroys or restarts it next
    else:
        d.pending = "reboot" if reboot else "poweroff"
    host.xs_version += 1


# --- memory ----------------------------------------------------------------------------


def cmd_mem_set(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "mem-set", argv, "", required=2)
    domid = find_domain(io, host, p.args[0])
    text = p.args[1]
    kb = parse_mem_size_kb(text)
    if kb == -1:
        die(io, f"invalid memory size: {text}\n")
    d = host.domains.get(domid)
    label = domain_label(domid)
    if d is None:
        io.eprint(f"libxl: error: libxl_mem.c:247:libxl_set_memory_target: {label}"
                  f"Cannot get memory info from /local/domain/{domid}/memory/static-max: "
                  "No such file or directory\n")
        die(io, f"cannot set domid {domid} dynamic max memory to : {text}\n")
    target = kb & U64
    if target > d.static_max_kib:
        io.eprint(f"libxl: error: libxl_mem.c:278:libxl_set_memory_target: {label}"
                  "memory_dynamic_max must be less than or equal to memory_static_max\n\n")
        die(io, f"cannot set domid {domid} dynamic max memory to : {text}\n")
    d.target_kib = target
    d.xen_max_kib = target + d.video_kib + MAXMEM_SLACK_KIB
    host.xs_version += 1
    io.duration = 0.2
    return 0


def cmd_mem_max(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "mem-max", argv, "", required=2)
    domid = find_domain(io, host, p.args[0])
    text = p.args[1]
    kb = parse_mem_size_kb(text)
    if kb == -1:
        die(io, f"invalid memory size: {text}\n")
    d = host.domains.get(domid)
    label = domain_label(domid)
    new_max = kb & U64
    if d is None or new_max < d.target_kib:
        reason = (
            "memory_static_max must be greater than or or equal to memory_dynamic_max: Success"
            if d is not None
            else f"cannot get memory info from /local/domain/{domid}/memory/target: "
                 "No such file or directory"
        )
        io.eprint(f"libxl: error: libxl_mem.c:59:libxl_domain_setmaxmem: {label}{reason}\n")
        die(io, f"cannot set domid {domid} static max memory to : {text}\n")
    d.static_max_kib = new_max
    d.xen_max_kib = (new_max + MAXMEM_SLACK_KIB) & U64
    host.xs_version += 1
    io.duration = 0.2
    return 0


# --- vCPUs -----------------------------------------------------------------------------


def cmd_vcpu_set(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "vcpu-set", argv, "i", {"ignore-host": ("i", False)}, required=2)
    domid = find_domain(io, host, p.args[0])
    text = p.args[1]
    digits = text.lstrip()
    if not is_uint(digits[:1]) or strtoul(text) > 0x7FFFFFFF:
        die(io, "Error: Invalid argument.\n")
    want = strtoul(text)
    d = host.domains.get(domid)
    if not p.has("i"):
        if d is None:
            raise XlExit(1)
        if want > d.online_vcpus and want > host.nr_cpus:
            die(io, f"You are overcommmitting! You have {host.nr_cpus} physical CPUs and want "
                    f"{want} vCPUs! Aborting, use --ignore-host to continue\n")
    if d is None:
        die(io, f"Domain {domid} does not exist.\n")
    if want > d.max_vcpus:
        io.eprint(f"libxl: error: libxl_domain.c:1869:libxl_set_vcpuonline: "
                  f"{domain_label(domid)}Requested {want} VCPUs, however maxcpus is "
                  f"{d.max_vcpus}!: Function not implemented\n")
        die(io, f"libxl_set_vcpuonline failed domid={domid} max_vcpus={want}, rc: -3\n")
    for v in d.vcpus:
        online = v.id < max(1, want)
        if v.online and not online:
            v.online, v.running, v.blocked = False, False, False
        elif online and not v.online:
            v.online, v.blocked = True, True
    host.xs_version += 1
    io.duration = 0.2
    return 0


def cmd_vcpu_pin(host: SimHost, io: Io, argv: list[str], *, dryrun: bool = False) -> int:
    p = getopt(io, "vcpu-pin", argv, "f",
               {"force": ("f", False), "ignore-global-affinity-masks": ("\x01", False)},
               required=3)
    domid = find_domain(io, host, p.args[0])
    vcpu_text, hard_text = p.args[1], p.args[2]
    soft_text = p.args[3] if len(p.args) > 3 else None
    vcpuid: int | None = None
    if vcpu_text != "all":
        if not is_uint(vcpu_text.lstrip()[:1]):
            die(io, f"Error: Invalid argument {vcpu_text} as VCPU.\n")
        vcpuid = strtoul(vcpu_text) & 0xFFFFFFFF
    if vcpuid is None and p.has("f"):
        die(io, "Error: --force and 'all' as VCPU not allowed.\n")
    try:
        hard = None if hard_text == "-" else parse_cpu_list(hard_text, host.nr_cpus, host.nr_nodes)
        soft = None
        if soft_text is not None and soft_text != "-":
            soft = parse_cpu_list(soft_text, host.nr_cpus, host.nr_nodes)
    except CpuListError as exc:
        die(io, f"{exc}\n")
    if dryrun:
        text = "-" if hard is None else bitmap_text(hard, host.nr_cpus)
        if soft is not None:
            text += " " + bitmap_text(soft, host.nr_cpus)
        io.print(f"cpumap: {text}\n")
        return 0
    d = host.domains.get(domid)
    targets = list(range(d.max_vcpus)) if d is not None and vcpuid is None else [vcpuid or 0]
    ok = d is not None and all(_pin_valid(host, d, t, hard, soft) for t in targets)
    if d is None or not ok:
        why = "No such process" if d is None else "Invalid argument"
        io.eprint(f"libxl: error: libxl_sched.c:62:libxl__set_vcpuaffinity: "
                  f"{domain_label(domid)}Setting vcpu affinity: {why}\n")
        if vcpuid is None:
            io.eprint("Could not set affinity.\n")
            return 0
        die(io, f"Could not set affinity for vcpu `{vcpuid}'.\n")
    for t in targets:
        _pin(host, d, t, hard, soft)
    lifecycle.one_runner_per_pcpu(host)  # a vCPU moved onto a busy pCPU
    io.duration = 0.2
    return 0


def _effective(host: SimHost, d: SimDomain, cpus: CpuSet) -> set[int]:
    pool = next((p.cpus for p in host.pools if p.name == d.pool), list(range(host.nr_cpus)))
    return {c for c in pool if cpus.contains(c)}


def _pin_valid(
    host: SimHost, d: SimDomain, vcpu: int, hard: CpuSet | None, soft: CpuSet | None
) -> bool:
    if vcpu >= d.max_vcpus:
        return False
    return hard is None or bool(_effective(host, d, hard))


def _pin(host: SimHost, d: SimDomain, vcpu: int, hard: CpuSet | None, soft: CpuSet | None) -> None:
    v = d.vcpus[vcpu]
    if hard is not None:
        v.hard = _clip(host, hard)
        allowed = sorted(_effective(host, d, v.hard))
        if v.cpu not in allowed:
            v.cpu = allowed[0]
    if soft is not None:
        v.soft = _clip(host, soft)


def _clip(host: SimHost, cpus: CpuSet) -> CpuSet:
    if cpus.all:
        return cpus
    return CpuSet.of(c for c in cpus.cpus if c < host.nr_cpus)
