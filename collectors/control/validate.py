"""Validation of a request before anything is sent: against the host's latest snapshot
and facts fetched from the host (bridges, files). Every problem gets a clear message.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePosixPath

from collectors import commands
from collectors.control import syntax as sx
from collectors.control.errors import HostUnavailable, Problem, ValidationFailed
from collectors.control.facts import HEAD_BYTES, XL_CONF, HostFacts
from collectors.control.requests import (
    BlockAttach,
    BlockDetach,
    CdEject,
    CdInsert,
    Console,
    Create,
    Destroy,
    DomainRef,
    MemMax,
    MemSet,
    Migrate,
    NetworkAttach,
    NetworkDetach,
    Pause,
    Reboot,
    Request,
    Restore,
    Save,
    SchedCredit,
    SchedCredit2,
    Shutdown,
    Unpause,
    VcpuPin,
    VcpuSet,
)
from collectors.model import (
    CpuSet,
    Device,
    DeviceKind,
    Domain,
    DomainType,
    HostSnapshot,
    HostStatus,
)
from collectors.parse.common import ParseError, is_uint
from collectors.parse.xl_savefile import config_file_name, parse_xl_savefile
from collectors.visible import visible

DEFAULT_BRIDGE = "xenbr0"  # xl's bridge when a vif names none and xl.conf sets none
DEFAULT_VIF_SCRIPT = "vif-bridge"
DOM0_MIN_KIB = 128 * 1024  # libxl's LIBXL_MIN_DOM0_MEM: mem-set refuses Dom0 below it
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# hotplug scripts that route or NAT the guest's traffic: no bridge
_NO_BRIDGE_SCRIPTS = frozenset({"vif-route", "vif-nat"})
STALE_WARN_S = 30.0


@dataclass(frozen=True, slots=True)
class Checked:
    """A request that passed validation, with what the argv builder and policy need."""

    request: Request
    domain: Domain | None  # the target as the snapshot shows it (None for create/restore)
    target: str | None  # how argv names the domain: its domid, else its name
    warnings: tuple[str, ...] = ()
    size_kib: int | None = None  # mem-set / mem-max, parsed
    restores: str | None = None  # restore: the domain the checkpoint holds (its header says)


@dataclass(slots=True)
class _Ctx:
    req: Request
    snap: HostSnapshot
    facts: HostFacts
    domain: Domain | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    size_kib: int | None = None
    restores: str | None = None

    def bad(self, fld: str | None, message: str) -> None:
        self.problems.append(Problem(fld, message))

    def check(self, fld: str, fn: Callable[[], object]) -> object | None:
        """Run a syntax check; record its BadValue as a problem of ``fld``."""
        try:
            return fn()
        except sx.BadValue as e:
            self.bad(fld, str(e))
            return None

    @property
    def dom(self) -> Domain:
        assert self.domain is not None
        return self.domain

    @property
    def name(self) -> str:
        return self.dom.name


async def validate(req: Request, snapshot: HostSnapshot, facts: HostFacts) -> Checked:
    """Check ``req`` for ``snapshot``'s host; raise ValidationFailed listing every problem."""
    ctx = _Ctx(req, snapshot, facts)
    if req.host != snapshot.host:
        raise ValidationFailed.one(
            f"the request is for host {req.host} but the snapshot is of {snapshot.host}"
        )
    if snapshot.status == HostStatus.UNREACHABLE:
        raise HostUnavailable.one(
            f"{snapshot.host} is unreachable ({snapshot.message or 'no answer'}): "
            "cannot check the domain"
        )
    if snapshot.status != HostStatus.OK or (snapshot.data_age_s or 0.0) > STALE_WARN_S:
        age = f"{snapshot.data_age_s:.0f} s old" if snapshot.data_age_s is not None else "stale"
        ctx.warnings.append(f"{snapshot.host}: the data shown is {age}")
    if not isinstance(req, Create | Restore):
        try:
            ctx.domain = resolve_domain(snapshot, req.domain, verb=req.verb,
                                        dom0_ok=req.dom0_ok)
        except ValidationFailed as e:
            if snapshot.status == HostStatus.OK or not snapshot.message:
                raise
            # the domain list itself may be what the failed read lost: say that first
            raise HostUnavailable.one(
                f"{snapshot.host}'s last read failed ({snapshot.message}); "
                f"{e.message}", "domain") from None
    # syntax first, host facts only once the values themselves are well-formed
    await _CHECKS[type(req)](ctx)
    if ctx.problems:
        raise ValidationFailed(ctx.problems)
    d = ctx.domain
    target = None if d is None else (str(d.domid) if d.domid is not None else d.name)
    return Checked(req, d, target, tuple(ctx.warnings), ctx.size_kib, ctx.restores)


def resolve_domain(snap: HostSnapshot, ref: DomainRef, *, verb: str, dom0_ok: bool) -> Domain:
    """The domain ``ref`` names in the snapshot (see :func:`find_domain`), if ``verb`` may
    act on it (not Domain-0 unless ``dom0_ok``, not a dying one but to destroy it)."""
    d = find_domain(snap, ref)
    if d.is_dom0 and not dom0_ok:
        raise ValidationFailed.one(f"{verb} is not possible on Domain-0 (xl refuses it)",
                                   "domain")
    if d.state.dying and verb != "destroy":
        raise ValidationFailed.one(f"{d.name} is being destroyed (dying)", "domain")
    return d


def find_domain(snap: HostSnapshot, ref: DomainRef) -> Domain:
    """The domain ``ref`` names in the snapshot, whatever its state: by name, by domid (int
    or digits) or, as libxl_domain_qualifier_to_domid takes it, by UUID."""
    if isinstance(ref, str):
        by_name = [d for d in snap.domains if d.name == ref]
        if _UUID_RE.fullmatch(ref):
            by_id = [d for d in snap.domains if (d.uuid or "").lower() == ref.lower()]
        else:
            domid = _as_domid(ref)
            by_id = [d for d in snap.domains if d.domid == domid] if domid is not None else []
    else:
        by_name, by_id = [], [d for d in snap.domains if d.domid == ref]
    found = by_name or by_id
    if by_name and by_id and by_name[0] is not by_id[0]:
        raise ValidationFailed.one(
            f'"{visible(ref)}" is both the name of domain {by_name[0].domid} and the domid of '
            f"{visible(by_id[0].name)}: name it by its UUID (or pick its row)",
            "domain",
        )
    if not found:
        shown = 12
        # (names are the host's: a newline in one must not make a line of its own)
        known = ", ".join(visible(d.name) for d in snap.domains[:shown]) or "none"
        if len(snap.domains) > shown:
            known += f" and {len(snap.domains) - shown} more"
        raise ValidationFailed.one(
            f'no domain "{visible(ref)}" on {snap.host} (destroyed or renamed? domains: '
            f"{known})",
            "domain",
        )
    return found[0]


# --- per verb ---------------------------------------------------------------------------


async def _pause(ctx: _Ctx) -> None:
    if ctx.dom.state.paused:
        ctx.bad("domain", f"{ctx.name} is already paused")


async def _unpause(ctx: _Ctx) -> None:
    if not ctx.dom.state.paused:
        ctx.bad("domain", f"{ctx.name} is not paused")


async def _nothing(ctx: _Ctx) -> None:
    return None


async def _shutdown(ctx: _Ctx) -> None:
    st = ctx.dom.state
    if st.shutdown or st.crashed:
        ctx.bad("domain", f"{ctx.name} is already {st.label}; destroy it instead")
    elif st.paused:  # the request waits in XenStore for a guest that does not run
        wait = " (-w waits until then)" if isinstance(ctx.req, Shutdown) and ctx.req.wait else ""
        ctx.warnings.append(f"{ctx.name} is paused: the guest acts on the request only once "
                            f"unpaused{wait}")


async def _save(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, Save)
    if ctx.check("path", lambda: sx.check_abs_path(req.path, "save path")) is None:
        return
    disks = _disk_users(ctx, req.path)
    if disks:
        ctx.bad("path", f"{req.path} is a disk of {', '.join(disks)}: a checkpoint written "
                        "there would destroy it")
    elif await ctx.facts.exists(req.path):
        if not await ctx.facts.is_file(req.path):
            ctx.bad("path", f"{req.path} on {ctx.snap.host} is not a regular file (a "
                            "directory?): give the checkpoint file's own path")
        elif not req.overwrite:
            ctx.bad("path", f"{req.path} already exists on {ctx.snap.host} (to replace it: "
                            "'overwrite the file' in the form, --overwrite in xltop do)")
        else:
            ctx.warnings.append(f"{req.path} will be overwritten")
    elif (parent := posixpath.dirname(req.path)) != "/" and not await ctx.facts.exists(parent):
        why = f"no directory {parent} on {ctx.snap.host} (xl cannot create it)"
        other = await ctx.facts.first_existing(commands.SAVE_DIRS)  # (restore looks there)
        if other is not None:  # (not parent: it was just found missing)
            why += f": e.g. {other}/{posixpath.basename(req.path)}"
        ctx.bad("path", why)


def _disk_users(ctx: _Ctx, path: str) -> list[str]:
    """The vbds (as "domain (vdev)") whose image or device is ``path``, however spelt
    (``/var/lib//x.img`` and ``/var/lib/./x.img`` are ``/var/lib/x.img``)."""
    names = {d.domid: d.name for d in ctx.snap.domains}
    want = sx.normal_path(path)
    return sorted(f"{names.get(dev.domid, f'domid {dev.domid}')} ({dev.name or dev.devid})"
                  for dev in ctx.snap.devices
                  if dev.kind == DeviceKind.VBD and dev.target is not None
                  and sx.normal_path(dev.target) == want)


_LOOPBACK = ("localhost", "127.", "::1")


async def _migrate(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, Migrate)
    dest = ctx.check("destination", lambda: sx.check_migrate_host(req.destination))
    st = ctx.dom.state
    if st.shutdown or st.crashed:
        ctx.bad("domain", f"{ctx.name} is {st.label}: only a live domain can be migrated")
    if not isinstance(dest, str):
        return
    host = sx.destination_host(dest)
    free, used = req.destination_free_kib, ctx.dom.mem_kib
    if free is not None and used is not None and used > free:
        ctx.warnings.append(f"{host} has {sx.format_kib(free)} free and {ctx.name} uses "
                            f"{sx.format_kib(used)}: xl migrate fails there unless its Dom0 "
                            "can balloon down that much")
    own = ctx.snap.info.hostname if ctx.snap.info else None
    if host.startswith(_LOOPBACK) or (own is not None and host == own):
        ctx.warnings.append(f"{host} is {ctx.snap.host} itself: a local migration (a new "
                            "domid here, the memory copied once more)")


async def _restore(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, Restore)
    if ctx.check("path", lambda: sx.check_abs_path(req.path, "checkpoint file")) is None:
        return
    await _regular_file(ctx, "path", req.path, "checkpoint file")
    if ctx.problems:
        return
    path, host = req.path, ctx.snap.host
    head = await ctx.facts.head(path)
    if head is None:
        _restore_guess(ctx, path, f"cannot read the header of {path} on {host}")
        return
    try:
        saved = parse_xl_savefile(head, whole_file=len(head) < HEAD_BYTES)
    except ParseError as e:
        ctx.bad("path", f"{path} on {host}: {e.reason}")
        return
    if saved.big_endian:
        ctx.bad("path", f"{path} was saved by a big-endian xl: xl on {host} refuses it "
                        "(File has wrong byte order)")
    if saved.unknown_flags:
        ctx.warnings.append(f"{path} has mandatory flags 0x{saved.unknown_flags:x} that "
                            "Xen 4.17's xl does not know: such an xl refuses it (need newer xl)")
    if saved.config_len is None and saved.config_read:
        ctx.bad("path", f"{path} holds no domain config: xl restore needs one (Config file "
                        "not specified and none in save file)")
    elif saved.name is None:
        why = ("names no domain" if saved.config_read else
               f"is longer than the {len(head)} bytes read")
        _restore_guess(ctx, path, f"the domain config in {path} {why}")
    else:
        ctx.restores = saved.name
        _names_the_file(ctx, req.domain, path, saved.name)
        same = ctx.snap.domain(saved.name)
        if same is not None:
            ctx.bad("path", f"the checkpoint is of {saved.name}, which exists on {host} "
                            f"(domid {same.domid}): xl refuses a second one (Domain with "
                            f'name "{saved.name}" already exists)')


def _restore_guess(ctx: _Ctx, path: str, why: str) -> None:
    """Which domain the checkpoint holds is unknown: its file name is a guess (the save
    form's NAME.chk)."""
    stem = PurePosixPath(path).stem
    same = ctx.snap.domain(stem)
    if same is not None:
        ctx.warnings.append(
            f"{why}; if it is {stem}'s checkpoint (as its file name says), xl refuses it: "
            f'{stem} exists (domid {same.domid}) (Domain with name "{stem}" already exists)')
    else:
        ctx.warnings.append(f"{why}: which domain it holds shows when xl reads it")


async def _create(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, Create)
    if ctx.check("config_path", lambda: sx.check_abs_path(req.config_path, "config file")) is None:
        return
    await _regular_file(ctx, "config_path", req.config_path, "config file")
    if ctx.problems:
        return
    head = await ctx.facts.head(req.config_path)
    name = config_file_name(head) if head is not None else None
    if name:
        _names_the_file(ctx, req.domain, req.config_path, name)
    same = ctx.snap.domain(name) if name else None
    if same is not None:  # (a file that cannot be read or names nothing: xl says)
        ctx.bad("config_path", f"{req.config_path} creates {name}, which exists on "
                               f"{ctx.snap.host} (domid {same.domid}): xl refuses a second one "
                               f'(Domain with name "{name}" already exists)')


def _names_the_file(ctx: _Ctx, given: DomainRef | None, path: str, name: str) -> None:
    """A domain given with create/restore (``xltop do HOST NAME create CFG``) must be the
    one the file makes: the file names it, xl takes no other."""
    if given is not None and str(given) != name:
        ctx.bad("domain", f"{path} makes {name}, not {given} (the file names the domain: "
                          f"give {name} or -)")


async def _regular_file(ctx: _Ctx, fld: str, path: str, what: str) -> None:
    """``path`` must be a file xl can read, not missing and not a directory."""
    if await ctx.facts.is_file(path):
        return
    if await ctx.facts.exists(path):
        ctx.bad(fld, f"{path} on {ctx.snap.host} is not a {what} (a directory?)")
    else:
        ctx.bad(fld, f"no {what} {path} on {ctx.snap.host}")


def _memory(ctx: _Ctx, size: str) -> int | None:
    kib = ctx.check("size", lambda: sx.parse_size_kib(size))
    if not isinstance(kib, int):
        return None
    if kib == 0:
        ctx.bad("size", f"size {size.strip()} is less than 1 KiB (xl counts whole KiB): it "
                        "must be more than 0")
        return None
    ctx.size_kib = kib
    if size.strip().startswith("+"):  # strtoll's sign: not "512 more"
        ctx.warnings.append(f"{size.strip()} sets {sx.format_kib(kib)}: xl has no relative "
                            "sizes")
    return kib


async def _mem_set(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, MemSet)
    kib = _memory(ctx, req.size)
    if kib is None:
        return
    d = ctx.dom
    if d.is_dom0 and kib < DOM0_MIN_KIB:
        ctx.bad("size", f"{sx.format_kib(kib)} is below the {sx.format_kib(DOM0_MIN_KIB)} "
                        "libxl keeps for Domain-0")
    elif d.mem_max_kib is not None and kib > d.mem_max_kib:
        ctx.bad(
            "size",
            f"{sx.format_kib(kib)} is more than {d.name}'s maximum memory "
            f"{sx.format_kib(d.mem_max_kib)} (raise it with mem-max first)",
        )
    elif d.mem_max_kib is None:
        ctx.warnings.append(f"{d.name}'s maximum memory is unknown; xl will check it")


async def _mem_max(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, MemMax)
    kib = _memory(ctx, req.size)
    if kib is None:
        return
    d = ctx.dom
    current = d.mem_target_kib if d.mem_target_kib is not None else d.mem_kib
    if current is not None and kib < current:
        ctx.bad(
            "size",
            f"{sx.format_kib(kib)} is below {d.name}'s current target "
            f"{sx.format_kib(current)} (lower it with mem-set first)",
        )
    info = ctx.snap.info
    total = info.total_memory_mib if info is not None else None
    if total is not None and kib > total * 1024:
        ctx.warnings.append(
            f"{sx.format_kib(kib)} is more than the host's {total} MiB of memory"
        )


async def _vcpu_set(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, VcpuSet)
    d = ctx.dom
    n = req.count
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        ctx.bad("count", f"invalid vCPU count {n!r}: use a whole number of at least 1")
        return
    if d.vcpus_max is not None and n > d.vcpus_max:
        ctx.bad(
            "count",
            f"{d.name} was booted with at most {d.vcpus_max} vCPU(s); {n} is more than that",
        )
    elif d.vcpus_max is None:
        ctx.warnings.append(f"{d.name}'s boot-time vCPU maximum is unknown; xl will check it")
    # xl refuses only a raise past the host's CPUs (libxl_get_max_cpus: max_cpu_id + 1,
    # offline CPUs included); lowering an overcommitted guest is always allowed
    info = ctx.snap.info
    host_cpus = None
    if info is not None:
        host_cpus = info.max_cpu_id + 1 if info.max_cpu_id is not None else info.nr_cpus
    raising = d.vcpus_online is None or n > d.vcpus_online
    if host_cpus is not None and n > host_cpus and raising and not req.ignore_host:
        ctx.bad(
            "count",
            f"{n} vCPUs on a host with {host_cpus} physical CPUs: xl refuses to overcommit "
            "(-i / --ignore-host allows it)",
        )


async def _vcpu_pin(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, VcpuPin)
    d = ctx.dom
    if req.vcpu == "all":
        if req.force:
            ctx.bad("vcpu", "xl does not allow --force with 'all' as vCPU")
    elif isinstance(req.vcpu, bool) or not isinstance(req.vcpu, int) or req.vcpu < 0:
        ctx.bad("vcpu", f'invalid vCPU "{req.vcpu}": use a vCPU number or all')
    else:
        known = sorted(v.vcpu for v in ctx.snap.vcpus if v.domid == d.domid)
        limit = d.vcpus_max if d.vcpus_max is not None else (len(known) or None)
        if limit is not None and req.vcpu >= limit:
            ctx.bad("vcpu", f"{d.name} has vCPUs 0-{limit - 1}; there is no vCPU {req.vcpu}")
    info = ctx.snap.info
    max_cpu = None
    if info is not None:
        max_cpu = info.max_cpu_id
        if max_cpu is None and info.nr_cpus is not None:
            max_cpu = info.nr_cpus - 1
    if max_cpu is None:
        ctx.warnings.append(f"{ctx.snap.host}'s CPU count is unknown; xl will check the lists")
    nodes = info.nr_nodes if info is not None else None
    hard = ctx.check("hard", lambda: sx.check_cpu_list(
        req.hard, max_cpu=max_cpu, nr_nodes=nodes, what="hard affinity", allow_keep=True))
    soft = None
    if req.soft is not None:
        soft = ctx.check("soft", lambda: sx.check_cpu_list(
            req.soft or "", max_cpu=max_cpu, nr_nodes=nodes, what="soft affinity",
            allow_keep=True))
    if req.hard.strip() == "-" and (req.soft is None or req.soft.strip() == "-"):
        ctx.bad("hard", "nothing to change: both affinities are - (unchanged)")
    elif isinstance(soft, CpuSet) and not soft.all:
        _warn_soft_outside_hard(ctx, req, hard if isinstance(hard, CpuSet) else None, soft)


def _warn_soft_outside_hard(ctx: _Ctx, req: VcpuPin, hard: CpuSet | None,
                            soft: CpuSet) -> None:
    """Xen schedules by soft affinity only within the hard one: none in common, no effect.
    With hard "-" the vCPUs' current hard affinity counts."""
    if hard is None and req.hard.strip() == "-":
        current = [v.hard for v in ctx.snap.vcpus if v.domid == ctx.dom.domid
                   and (req.vcpu == "all" or v.vcpu == req.vcpu) and v.hard is not None]
        hard = current[0] if len(set(current)) == 1 else None
    if hard is None or hard.all:
        return
    if not soft.cpus & hard.cpus:
        ctx.warnings.append(f"soft affinity {req.soft} has no CPU in the hard affinity "
                            f"({_cpus(hard)}): Xen ignores it")


def _cpus(s: CpuSet) -> str:
    return ",".join(map(str, sorted(s.cpus))) or "none"


async def _network_attach(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, NetworkAttach)
    for fld in ("bridge", "mac", "model", "rate", "vifname", "script", "type", "backend",
                "gatewaydev"):
        value = getattr(req, fld)
        if value is not None:
            ctx.check(fld, partial(sx.check_spec_value, value, fld))
    for i, ip in enumerate(req.ip):
        ctx.check("ip", partial(sx.check_spec_value, ip, f"ip #{i + 1}"))
    if ctx.problems:
        return
    if req.mac is not None:
        mac = ctx.check("mac", lambda: sx.check_mac(req.mac or ""))
        if mac is not None:
            used = [dv for dv in ctx.snap.devices if dv.mac and dv.mac.lower() == mac]
            if used:
                ctx.warnings.append(f"MAC {mac} is already used by another vif on this host")
    if req.model is not None:
        model = ctx.check("model", lambda: sx.check_net_model(req.model or ""))
        if model is not None and model not in sx.NET_MODELS:
            ctx.warnings.append(f"model {model} is not one xltop knows; the device model "
                                "(QEMU) decides whether it has it")
        if ctx.dom.type not in (DomainType.HVM, None):
            ctx.warnings.append(f"model= only matters for HVM guests; {ctx.name} is "
                                f"{ctx.dom.type}")
    if req.type is not None:
        ctx.check("type", lambda: sx.check_choice(req.type or "", sx.VIF_TYPES, "vif type"))
    if req.rate is not None:
        rate = ctx.check("rate", lambda: sx.check_rate(req.rate or ""))
        if isinstance(rate, str) and "@" in rate and rate[-1].isdigit():
            ctx.warnings.append(f"rate {rate}: xl reads an interval without a unit as seconds "
                                "(write ms or us for less)")
    if req.ip:
        ctx.check("ip", lambda: sx.check_ips(req.ip))
    if req.vifname is not None:
        vifname = ctx.check("vifname", lambda: sx.check_ifname(req.vifname or "", "vifname"))
        if isinstance(vifname, str):
            await _vifname_free(ctx, req, vifname)
    if req.script is not None:
        ctx.check("script", lambda: sx.check_script(req.script or ""))
    if req.gatewaydev is not None:
        ctx.check("gatewaydev", lambda: sx.check_ifname(req.gatewaydev or "", "gatewaydev"))
    if req.backend is not None:
        _backend_domain(ctx, req.backend, "vif")
    if req.mtu is not None and (
        isinstance(req.mtu, bool) or not isinstance(req.mtu, int) or not 68 <= req.mtu <= 65535
    ):
        ctx.bad("mtu", f"invalid mtu {req.mtu!r}: use 68-65535")
    if req.bridge is not None:
        base = ctx.check("bridge", lambda: sx.bridge_base(req.bridge or ""))
        if base is None or ctx.problems:
            return
        bridges = await ctx.facts.bridges()
        named = req.bridge.strip()
        if named in bridges:
            return
        if base not in bridges:
            ctx.bad("bridge", f'no bridge "{base}" on {ctx.snap.host} '
                              f"(bridges: {', '.join(bridges) or 'none'})")
        else:
            ctx.warnings.append(f"bridge {named}: a VLAN tag or trunk on {base}, which only "
                                "Open vSwitch bridges (script vif-openvswitch) take")
        return
    if ctx.problems or req.backend is not None:
        return  # a driver domain's bridges are not Dom0's
    # no bridge named: xl takes xl.conf's default_bridge, unless the script needs none
    conf = await ctx.facts.xl_conf()
    script = req.script or conf.get("default_vifscript") or DEFAULT_VIF_SCRIPT
    if posixpath.basename(script) in _NO_BRIDGE_SCRIPTS:
        return
    bridge = conf.get("default_bridge") or DEFAULT_BRIDGE
    bridges = await ctx.facts.bridges()
    if bridge not in bridges:
        ctx.bad("bridge", f'no bridge "{bridge}" (xl\'s default, from {XL_CONF} or built in; '
                          f"name one with bridge=) on {ctx.snap.host} "
                          f"(bridges: {', '.join(bridges) or 'none'})")


async def _vifname_free(ctx: _Ctx, req: NetworkAttach, vifname: str) -> None:
    """A vifname no interface on the host has, short enough for its -emu twin."""
    taken = [dv for dv in ctx.snap.devices
             if dv.kind == DeviceKind.VIF and dv.interface_name == vifname]
    if taken:
        ctx.bad("vifname", f"vifname {vifname} is already the interface of vif "
                           f"{taken[0].domid}.{taken[0].devid} on {ctx.snap.host}")
    elif vifname in await ctx.facts.bridges():
        ctx.bad("vifname", f"vifname {vifname} is a bridge on {ctx.snap.host}")
    elif ctx.dom.type is DomainType.HVM and len(vifname) > 11 and req.type != "vif":
        # (type=vif: no emulated NIC, so no "-emu" twin)
        ctx.bad("vifname", f"vifname {vifname}: an HVM guest's emulated NIC adds "
                           '"-emu", so at most 11 characters')


def _backend_domain(ctx: _Ctx, ref: str, device: str) -> int | None:
    """The domid of the driver domain ``backend=`` names (libxl takes a name or a domid);
    None, with a warning, when the snapshot does not know it (it may be new)."""
    if not sx.NAME_OR_DOMID_RE.fullmatch(ref):
        ctx.bad("backend", f'invalid backend "{ref}": use the driver domain\'s name or id')
        return None
    domid = _as_domid(ref)
    dom = ctx.snap.domain(domid if domid is not None else ref)
    if dom is None:
        ctx.warnings.append(f"no domain {ref} on {ctx.snap.host} now: the driver domain must "
                            f"be running for xl to attach the {device}")
    return None if dom is None else dom.domid


async def _network_detach(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, NetworkDetach)
    dev = req.device
    vifs = [d for d in ctx.snap.devices if d.kind == DeviceKind.VIF and d.domid == ctx.dom.domid]
    if isinstance(dev, int) and not isinstance(dev, bool):
        if dev < 0:
            ctx.bad("device", f"invalid vif devid {dev}")
            return
        found = any(v.devid == dev for v in vifs)
    elif isinstance(dev, str) and (devid := _devid(dev)) is not None:
        found = any(v.devid == devid for v in vifs)
    elif isinstance(dev, str) and ":" in dev:
        mac = ctx.check("device", lambda: sx.check_mac(dev))
        if mac is None:
            return
        found = any((v.mac or "").lower() == mac for v in vifs)
    else:
        ctx.bad("device", f'invalid vif "{dev}": use its devid (0, 1, ...) or its MAC address')
        return
    if vifs and not found:
        have = ", ".join(f"{v.devid} ({v.mac})" for v in vifs)
        ctx.bad("device", f"{ctx.name} has no vif {dev} (vifs: {have})")
    elif not vifs:
        ctx.warnings.append(f"no vif of {ctx.name} is known yet; xl will check {dev}")


def _vbds(ctx: _Ctx) -> list[Device]:
    """The domain's named vbds."""
    return [d for d in ctx.snap.devices
            if d.kind == DeviceKind.VBD and d.domid == ctx.dom.domid and d.name]


async def _block_attach(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, BlockAttach)
    for fld in ("vdev", "format", "access", "devtype", "backendtype", "backend", "script"):
        value = getattr(req, fld)
        if value is not None:
            ctx.check(fld, partial(sx.check_spec_value, value, fld))
    empty = req.format == sx.DISK_FORMAT_EMPTY
    if req.script is not None and req.target:  # not a path: its own syntax, taken to the end
        ctx.check("target", lambda: sx.check_one_arg(req.target, "disk target"))
    elif req.target or not empty:
        ctx.check("target", lambda: sx.check_spec_value(req.target, "disk target"))
    if ctx.problems:
        return
    ctx.check("format", lambda: sx.check_choice(
        req.format, sx.DISK_FORMATS | {sx.DISK_FORMAT_EMPTY}, "disk format"))
    ctx.check("access", lambda: sx.check_choice(req.access, sx.DISK_ACCESS, "access"))
    for fld, choices in (("devtype", sx.DISK_DEVTYPES), ("backendtype", sx.DISK_BACKENDTYPES)):
        value = getattr(req, fld)
        if value is not None:
            ctx.check(fld, partial(sx.check_choice, value, choices, fld))
    if req.script is not None:
        ctx.check("script", lambda: sx.check_script(req.script or ""))
    cdrom = req.devtype == "cdrom"
    if empty and not cdrom:
        ctx.bad("format", 'format "empty" is a CD drive with no media: add devtype=cdrom')
    elif empty and req.target:
        ctx.bad("target", f'format "empty" is a CD drive with no media, but the target is '
                          f'"{req.target}": leave the target out or give its format')
    elif cdrom and req.access not in sx.DISK_READ_ONLY:
        ctx.warnings.append(f"a CD drive is read-only: xl attaches {req.vdev.strip()} "
                            f"read-only whatever access={req.access} says")
    number = ctx.check("vdev", lambda: sx.vdev_number(req.vdev))
    same = [d for d in _vbds(ctx) if d.devid == number or d.name == req.vdev.strip()]
    if number is not None and same:
        also = "" if same[0].name == req.vdev.strip() else f" ({same[0].name}, devid {number})"
        ctx.bad("vdev", f"{ctx.name} already has a disk {req.vdev.strip()}{also}")
    backend = 0 if req.backend is None else _backend_domain(ctx, req.backend, "disk")
    if empty:
        return
    if req.script is not None:  # xl-disk-configuration: "not a normal host path"
        ctx.warnings.append(f"the block script {req.script} resolves {req.target} on "
                            f"{ctx.snap.host}: xltop cannot check that it exists")
    elif ctx.check("target", lambda: sx.check_abs_path(req.target, "disk target")) is None:
        return
    elif backend != 0:
        ctx.warnings.append(f"{req.target} is a path in the driver domain {req.backend}: "
                            "xltop cannot check that it exists")
    # asked whatever else is wrong: a vdev in use must not hide a missing image
    elif not await ctx.facts.exists(req.target):
        ctx.bad("target", f"no file or device {req.target} on {ctx.snap.host}")
    _warn_disk_in_use(ctx, req)


def _warn_disk_in_use(ctx: _Ctx, req: BlockAttach) -> None:
    """A disk image another vbd already uses: two writers corrupt its filesystem (not a
    worry when this attach is read-only, as a CD drive always is)."""
    users = _disk_users(ctx, req.target)
    if users:
        writes = req.access not in sx.DISK_READ_ONLY and req.devtype != "cdrom"
        risk = " (two writers corrupt a filesystem)" if writes else ""
        ctx.warnings.append(f"{req.target} is already attached to {', '.join(users)}{risk}")


async def _block_detach(ctx: _Ctx) -> None:
    """xl finds the disk by the device number its name gives (libxl_vdev_to_device_disk):
    ``xvdb``, ``d0p0``, ``51728`` and ``0xca10`` all name a devid."""
    req = ctx.req
    assert isinstance(req, BlockDetach)
    disks = _vbds(ctx)
    devid = ctx.check("vdev", lambda: sx.vdev_number(req.vdev))
    if not isinstance(devid, int):
        return
    vdev = req.vdev.strip()
    hit = [d for d in disks if d.devid == devid or d.name == vdev]
    if disks and not hit:
        if sx.is_vdev_number(vdev):
            have = ", ".join(f"{d.devid} ({d.name})" for d in disks)
            ctx.bad("vdev", f"{ctx.name} has no disk with devid {devid} (disks: {have})")
        else:
            names = ", ".join(d.name for d in disks if d.name)
            ctx.bad("vdev", f"{ctx.name} has no disk {vdev} (disks: {names})")
    elif hit and hit[0] is min(disks, key=lambda d: d.devid):
        ctx.warnings.append(
            f"{hit[0].name} is {ctx.name}'s first disk, usually its root filesystem")


def _as_domid(ref: str) -> int | None:
    """``ref`` as a domid when it is written as one (ASCII digits; domids are below 32752)."""
    return int(ref) if is_uint(ref) and len(ref) <= 5 else None


def _devid(text: str) -> int | None:
    """A device id as xl takes it: ASCII digits that fit its 32 bits; None otherwise."""
    t = text.strip()
    return int(t) if is_uint(t) and len(t) <= 10 and int(t) < 1 << 32 else None


def _needs_hvm(ctx: _Ctx) -> bool:
    t = ctx.dom.type
    if t != DomainType.HVM:
        kind = "of unknown type (wait for the next poll)" if t is None else f"a {t} guest"
        ctx.bad("domain", f"{ctx.req.verb} needs an HVM guest; {ctx.name} is {kind}")
        return False
    return True


def _cd_drive(ctx: _Ctx, vdev: str) -> None:
    """``vdev`` must be one of the domain's CD drives, as libxl looks for it ("Virtual
    device not found" otherwise) — when XenStore said what each of its disks is."""
    name = ctx.check("vdev", lambda: sx.check_vdev(vdev))
    if name is None:
        return
    disks = _vbds(ctx)
    if not disks or any(d.cdrom is None for d in disks):
        return
    drives = [d.name for d in disks if d.cdrom and d.name]
    if name not in drives:
        where = (f"its CD drives: {', '.join(drives)}" if drives else
                 "it has none: a drive comes from its config, e.g. 'hdc:cdrom,r'")
        ctx.bad("vdev", f"{ctx.name} has no CD drive {name} ({where})")


async def _cd_insert(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, CdInsert)
    if not _needs_hvm(ctx):
        return
    _cd_drive(ctx, req.vdev)
    path = ctx.check("target", lambda: sx.check_abs_path(req.target, "CD image"))
    if path is not None:
        path = ctx.check("target", lambda: sx.check_spec_value(req.target, "CD image"))
    # the host is asked once the image's own path is well-formed, whatever the drive's
    # problem: every field's problem shows at once (a wrong drive hid a missing image)
    if path is not None and not await ctx.facts.exists(req.target):
        ctx.bad("target", f"no file {req.target} on {ctx.snap.host}")


async def _cd_eject(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, CdEject)
    if _needs_hvm(ctx):
        _cd_drive(ctx, req.vdev)


SCHED_WEIGHT_MAX = 65535  # libxl: "valid values are within range from 1 to 65535"


async def _sched(ctx: _Ctx) -> None:
    req = ctx.req
    assert isinstance(req, SchedCredit)
    running = ctx.snap.info.scheduler if ctx.snap.info is not None else None
    if running is not None and running != req.scheduler:
        ctx.bad("domain", f"{ctx.snap.host} runs the {running} scheduler, not "
                          f"{req.scheduler}: xl {req.verb} does not apply there")
    if req.weight is None and req.cap is None:
        ctx.bad("weight", "give a weight, a cap or both")
    if req.weight is not None and not 1 <= req.weight <= SCHED_WEIGHT_MAX:
        ctx.bad("weight", f"weight {req.weight} is out of range: 1 to {SCHED_WEIGHT_MAX} "
                          "(the default is 256; twice the weight, twice the share)")
    if req.cap and ctx.dom.is_dom0:
        ctx.warnings.append("a cap on Domain-0 also slows every guest's disk and network "
                            "backends on this host")
    vcpus = ctx.dom.vcpus_max or ctx.dom.vcpus_online
    if req.cap is not None and req.cap < 0:
        ctx.bad("cap", f"cap {req.cap} is negative: 0 means no cap")
    elif req.cap is not None and vcpus is not None and req.cap > 100 * vcpus:
        ctx.bad("cap", f"cap {req.cap} is out of range: 0 (no cap) to {100 * vcpus} "
                       f"(% of one pCPU, 100 per vCPU; {ctx.name} has {vcpus})")


_CHECKS: dict[type, Callable[[_Ctx], Awaitable[None]]] = {
    Pause: _pause,
    Unpause: _unpause,
    Save: _save,
    Migrate: _migrate,
    Restore: _restore,
    MemSet: _mem_set,
    MemMax: _mem_max,
    VcpuSet: _vcpu_set,
    VcpuPin: _vcpu_pin,
    NetworkAttach: _network_attach,
    NetworkDetach: _network_detach,
    BlockAttach: _block_attach,
    BlockDetach: _block_detach,
    Shutdown: _shutdown,
    Reboot: _shutdown,
    Destroy: _nothing,
    Create: _create,
    CdInsert: _cd_insert,
    CdEject: _cd_eject,
    SchedCredit: _sched,
    SchedCredit2: _sched,
    Console: _nothing,
}
