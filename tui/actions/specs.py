"""Every dashboard action as data: its key, its form fields and how form values become a
typed control request. No widgets here (the form renders these specs); the control layer
(:mod:`collectors.control`) validates the requests and builds xl's argv.

Field names are the request fields that :class:`collectors.control.errors.Problem` names,
so the validator's messages land next to the right field.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from collectors.commands import SAVE_DIR, SAVE_DIRS
from collectors.control import requests as rq
from collectors.control.errors import ValidationFailed
from collectors.control.facts import HostFacts
from collectors.control.syntax import DISK_FORMATS, destination_host, format_kib
from collectors.model import Device, DeviceKind, DomainType, VcpuState
from collectors.parse.common import is_uint
from tui.actions.target import Target

Option = tuple[str, str]  # (label, value)
Value = str | bool
Values = dict[str, Value]
FieldKind = Literal["text", "check", "radio", "select", "path"]
FactSource = Literal["bridges", "config_files", "save_files"]

DEFAULT_CD_VDEV = "hdc"


@dataclass(frozen=True, slots=True)
class Field:
    """One form field. ``path`` is an input with a picker of files found on the host."""

    name: str  # the request field its problems name
    label: str
    kind: FieldKind = "text"
    placeholder: str = ""
    options: tuple[Option, ...] = ()  # radio / select choices known up front
    facts: FactSource | None = None  # select / path: choices asked from the host
    also: tuple[str, ...] = ()  # other problem fields shown next to this one


def _no_fields(t: Target) -> tuple[Field, ...]:
    return ()


def _no_values(t: Target) -> Values:
    return {}


Builder = Callable[[Target, Values], rq.Request]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: str  # binding id "domain.<id>", action "act('<id>')"
    key: str
    title: str  # the form's and the menu's name, xl's verb in it
    footer: str  # short, for the footer
    build: Builder
    scope: Literal["domain", "host"] = "domain"
    fields: Callable[[Target], tuple[Field, ...]] = _no_fields
    defaults: Callable[[Target], Values] = _no_values
    info: Callable[[Target], str] | None = None  # a line of context at the top of the form
    # more context the host is asked for when the form opens (what the domain has now)
    live_info: Callable[[Target, HostFacts], Awaitable[str | None]] | None = None
    # better defaults the host is asked for when the form opens (fields not typed into)
    live_defaults: Callable[[Target, HostFacts], Awaitable[Values]] | None = None
    verbs: tuple[str, ...] = ()  # xl verbs it may run
    unfit: Callable[[Target], str | None] | None = None  # why not this domain, before a form

    @property
    def has_form(self) -> bool:
        return self.fields is not _no_fields

    def why_unfit(self, t: Target) -> str | None:
        """Why this action does not fit ``t``'s domain (a CD for a PV guest), or None."""
        return self.unfit(t) if self.unfit is not None else None


# --- value helpers ----------------------------------------------------------------------


def text(values: Values, name: str) -> str:
    v = values.get(name, "")
    return v.strip() if isinstance(v, str) else ""


def flag(values: Values, name: str) -> bool:
    return values.get(name) is True


def optional(values: Values, name: str) -> str | None:
    return text(values, name) or None


def required(values: Values, name: str, what: str) -> str:
    v = text(values, name)
    if not v:
        raise ValidationFailed.one(f"{what} is required", name)
    return v


def whole(v: Values, name: str, what: str) -> int | None:
    """The whole number typed in field ``name``; None when it is blank."""
    value = text(v, name)
    if not value:
        return None
    if not is_uint(value):
        raise ValidationFailed.one(f"invalid {what} {value!r}: use a whole number", name)
    return int(value)


def size_text(kib: int | None) -> str:
    if kib is None:
        return ""
    return f"{kib // 1024}m" if kib % 1024 == 0 else f"{kib}k"


def _kib(kib: int | None) -> str:
    return "?" if kib is None else format_kib(kib)


def safe_filename(name: str, fallback: str) -> str:
    """A file name from a domain name: letters, digits, ``._-`` only."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return slug or fallback


# --- pause / shutdown / reboot / destroy --------------------------------------------------


def _pause(t: Target, v: Values) -> rq.Request:
    d = t.domain
    assert d is not None
    return rq.Unpause(t.host, t.ref) if d.state.paused else rq.Pause(t.host, t.ref)


# --- save / restore / create --------------------------------------------------------------

SAVE_MODES: tuple[Option, ...] = (
    ("keep it running (-c)", "keep"),
    ("leave it paused (-p)", "paused"),
    ("stop it: destroyed once saved", "stop"),
)


def _save_fields(t: Target) -> tuple[Field, ...]:
    return (
        Field("path", "Checkpoint file on the host", placeholder=f"{SAVE_DIR}/NAME.chk"),
        Field("mode", "Afterwards", "radio", options=SAVE_MODES),
        Field("overwrite", "overwrite the file if it exists", "check"),
    )


def _save_file(t: Target) -> str:
    d = t.domain
    return f"{safe_filename(t.name, f'domain-{d.domid}' if d is not None else 'domain')}.chk"


def _save_defaults(t: Target) -> Values:
    return {"path": f"{SAVE_DIR}/{_save_file(t)}", "mode": "keep", "overwrite": False}


async def _save_dir_on_the_host(t: Target, facts: HostFacts) -> Values:
    """The first of the usual checkpoint directories the host has (xl cannot create one:
    a Dom0 without /var/lib/xen/save would open the form on an error)."""
    d = await facts.first_existing(SAVE_DIRS)
    return {"path": f"{d}/{_save_file(t)}"} if d is not None else {}


def _save(t: Target, v: Values) -> rq.Request:
    mode = text(v, "mode") or "keep"
    return rq.Save(t.host, t.ref, required(v, "path", "the checkpoint file"),
                   keep_running=mode == "keep", leave_paused=mode == "paused",
                   overwrite=flag(v, "overwrite"))


def _migrate_fields(t: Target) -> tuple[Field, ...]:
    return (
        Field("destination", "Destination host, as this host's ssh reaches it", "path",
              placeholder="[user@]host", options=tuple((p, p) for p in t.peers)),
        Field("leave_paused", "leave it paused at the destination (-p)", "check"),
    )


def _migrate_defaults(t: Target) -> Values:
    """A paused domain stays paused there unless the user unticks -p (without it xl
    resumes the domain at the destination)."""
    return {"leave_paused": _paused(t)}


def _paused(t: Target) -> bool:
    return t.domain is not None and t.domain.state.paused


def _migrate_info(t: Target) -> str:
    then = ("It is paused here: with -p it stays paused there, without it it runs there"
            if _paused(t) else "The domain keeps running until the copy is done, then runs "
            "there")
    return (f"xl on {t.host} runs ssh DESTINATION xl migrate-receive as root: that Dom0 must "
            f"reach the destination's by key. {then} (a new domid) and is gone from here.")


def _migrate(t: Target, v: Values) -> rq.Request:
    dest = required(v, "destination", "the destination host")
    to = destination_host(dest)
    return rq.Migrate(t.host, t.ref, dest, leave_paused=flag(v, "leave_paused"),
                      to_production=to in t.production_peers,
                      destination_free_kib=t.peer_free_kib.get(to))


def _restore_fields(t: Target) -> tuple[Field, ...]:
    return (
        Field("path", "Checkpoint file on the host", "path", facts="save_files",
              placeholder=f"{SAVE_DIR}/NAME.chk"),
        Field("paused", "leave the restored domain paused (-p)", "check"),
    )


def _restore(t: Target, v: Values) -> rq.Request:
    return rq.Restore(t.host, required(v, "path", "the checkpoint file"),
                      paused=flag(v, "paused"))


def _create_fields(t: Target) -> tuple[Field, ...]:
    return (
        Field("config_path", "Domain config file on the host", "path", facts="config_files",
              placeholder="/etc/xen/NAME.cfg"),
        Field("paused", "create it paused (-p)", "check"),
    )


def _create(t: Target, v: Values) -> rq.Request:
    return rq.Create(t.host, required(v, "config_path", "the config file"),
                     paused=flag(v, "paused"))


# --- memory ------------------------------------------------------------------------------


def _mem_info(t: Target) -> str:
    d = t.domain
    if d is None:
        return ""
    top = "unlimited" if d.mem_max_unlimited else _kib(d.mem_max_kib)
    return (f"current {_kib(d.mem_kib)} · target {_kib(d.mem_target_kib)} · max {top}"
            "   sizes: 512m, 2g, 1048576k (MiB without a suffix)")


def _size_fields(t: Target) -> tuple[Field, ...]:
    return (Field("size", "New size", placeholder="e.g. 512m or 2g"),)


def _mem_set_defaults(t: Target) -> Values:
    d = t.domain
    return {"size": size_text(d.mem_target_kib if d else None)}


def _mem_max_defaults(t: Target) -> Values:
    d = t.domain
    return {"size": size_text(d.mem_max_kib if d else None)}


def _mem_set(t: Target, v: Values) -> rq.Request:
    return rq.MemSet(t.host, t.ref, required(v, "size", "a size"))


def _mem_max(t: Target, v: Values) -> rq.Request:
    return rq.MemMax(t.host, t.ref, required(v, "size", "a size"))


# --- vCPUs -------------------------------------------------------------------------------


def _vcpu_info(t: Target) -> str:
    d = t.domain
    if d is None:
        return ""
    online = "?" if d.vcpus_online is None else d.vcpus_online
    top = "?" if d.vcpus_max is None else d.vcpus_max
    return f"{online} vCPU(s) online, boot-time maximum {top}"


def _vcpu_set_fields(t: Target) -> tuple[Field, ...]:
    return (
        Field("count", "vCPUs online", placeholder="a whole number"),
        Field("ignore_host", "allow more vCPUs than the host has pCPUs (-i)", "check"),
    )


def _vcpu_set_defaults(t: Target) -> Values:
    d = t.domain
    n = d.vcpus_online if d is not None and d.vcpus_online is not None else 1
    return {"count": str(n), "ignore_host": False}


def _vcpu_set(t: Target, v: Values) -> rq.Request:
    required(v, "count", "a vCPU count")
    count = whole(v, "count", "vCPU count")
    assert count is not None  # (required above)
    return rq.VcpuSet(t.host, t.ref, count, ignore_host=flag(v, "ignore_host"))


PIN_SIDES: tuple[Option, ...] = (("hard affinity (where it may run)", "hard"),
                                 ("soft affinity (where it prefers to run)", "soft"))


def _pin_fields(t: Target) -> tuple[Field, ...]:
    known = t.vcpus()
    opts: list[Option] = [("all vCPUs", "all")]
    if known:
        opts += [(f"vCPU {v.vcpu}   hard {v.hard}   soft {v.soft or '-'}"
                  f"{'   (offline)' if v.state is VcpuState.OFFLINE else ''}", str(v.vcpu))
                 for v in known]
    elif t.domain is not None and t.domain.vcpus_max:
        opts += [(f"vCPU {i}", str(i)) for i in range(t.domain.vcpus_max)]
    return (
        Field("vcpu", "vCPU", "select", options=tuple(opts)),
        Field("cpus", "Physical CPUs", placeholder="all, 0-3, 0-3,^2, node:0",
              also=("hard", "soft")),
        Field("side", "Set its", "radio", options=PIN_SIDES),
    )


def _pin_defaults(t: Target) -> Values:
    vcpu = "all" if t.vcpu is None else str(t.vcpu)
    cpus = "all"
    if t.pcpu is not None:
        cpus = str(t.pcpu)
    else:
        current = next((v for v in t.vcpus() if v.vcpu == t.vcpu), None)
        if current is not None:
            cpus = str(current.hard)
    return {"vcpu": vcpu, "cpus": cpus, "side": "hard"}


def _pin(t: Target, v: Values) -> rq.Request:
    which = text(v, "vcpu") or "all"
    vcpu: int | Literal["all"] = "all"
    if which != "all":
        if not is_uint(which):
            raise ValidationFailed.one(f"invalid vCPU {which!r}", "vcpu")
        vcpu = int(which)
    cpus = required(v, "cpus", "a CPU list")
    if text(v, "side") == "soft":
        return rq.VcpuPin(t.host, t.ref, vcpu, "-", cpus)
    return rq.VcpuPin(t.host, t.ref, vcpu, cpus)


# --- network -----------------------------------------------------------------------------


def _net_attach_fields(t: Target) -> tuple[Field, ...]:
    # the emulated NIC model only matters to an HVM guest: not asked of PV/PVH ones
    pv = t.domain is not None and t.domain.type in (DomainType.PV, DomainType.PVH)
    model = () if pv else (
        Field("model", "Model (HVM)", placeholder="blank: default (e1000, rtl8139, ...)"),)
    return (
        Field("bridge", "Bridge", "select", facts="bridges"),
        Field("mac", "MAC address", placeholder="blank: a random 00:16:3e address"),
        *model,
        Field("rate", "Rate limit", placeholder="blank: none (e.g. 10Mb/s, 1MB/s@20ms)"),
        Field("ip", "IP addresses", placeholder="blank, or addresses separated by spaces"),
    )


def _net_attach_defaults(t: Target) -> Values:
    return {"bridge": "xenbr0"}  # libxl's default bridge, picked when the host has it


def _net_attach(t: Target, v: Values) -> rq.Request:
    return rq.NetworkAttach(
        t.host, t.ref, bridge=optional(v, "bridge"), mac=optional(v, "mac"),
        model=optional(v, "model"), rate=optional(v, "rate"),
        ip=tuple(text(v, "ip").split()),
    )


def _net_detach_fields(t: Target) -> tuple[Field, ...]:
    vifs = t.devices(DeviceKind.VIF)
    if not vifs:
        return (Field("device", "vif", placeholder="its devid (0, 1, ...) or MAC address"),)
    opts = tuple((f"vif {x.devid}   {x.mac or '?'}   bridge {x.bridge or '?'}", str(x.devid))
                 for x in vifs)
    return (Field("device", "vif", "select", options=opts),)


def _detach_preset(t: Target, kind: DeviceKind) -> Device | None:
    """The device a detach form starts on: the one under the cursor (detail view), else
    the last, most recently attached one (highest devid) — never the guest's first NIC or
    boot disk, which Enter twice would otherwise take away. Both detach forms agree."""
    devices = t.devices(kind)
    dev = t.device
    if dev is not None and dev.kind == kind and dev in devices:
        return dev
    return devices[-1] if devices else None


def _net_detach_defaults(t: Target) -> Values:
    dev = _detach_preset(t, DeviceKind.VIF)
    return {"device": str(dev.devid) if dev is not None else ""}


def _net_detach(t: Target, v: Values) -> rq.Request:
    dev = required(v, "device", "a vif")
    return rq.NetworkDetach(t.host, t.ref, int(dev) if is_uint(dev) else dev)


# --- disks -------------------------------------------------------------------------------

ACCESS: tuple[Option, ...] = (("read-write", "rw"), ("read-only", "ro"))


def _block_attach_fields(t: Target) -> tuple[Field, ...]:
    formats = tuple((f, f) for f in sorted(DISK_FORMATS, key=lambda f: (f != "raw", f)))
    return (
        Field("target", "Image or device on the host", placeholder="/dev/vg/lv or /srv/a.img"),
        Field("vdev", "Virtual device in the guest", placeholder="xvdb"),
        Field("format", "Format", "select", options=formats),
        Field("access", "Access", "radio", options=ACCESS),
    )


def _vbd_names(t: Target) -> list[str]:
    return [x.name for x in t.devices(DeviceKind.VBD) if x.name]


def _block_attach_defaults(t: Target) -> Values:
    used = set(_vbd_names(t))
    vdev = next((f"xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"xvd{c}" not in used), "")
    return {"target": "", "vdev": vdev, "format": "raw", "access": "rw"}


def _block_attach(t: Target, v: Values) -> rq.Request:
    return rq.BlockAttach(t.host, t.ref, target=required(v, "target", "an image or device"),
                          vdev=required(v, "vdev", "a virtual device"),
                          format=text(v, "format") or "raw", access=text(v, "access") or "rw")


def _block_detach_fields(t: Target) -> tuple[Field, ...]:
    vbds = t.devices(DeviceKind.VBD)
    force = Field("force", "force: do not wait for the guest (-f)", "check")
    if not vbds:
        return (Field("vdev", "Disk", placeholder="xvdb, or its number"), force)
    opts = tuple((f"{x.name or x.devid}   {x.target or ''}".rstrip(), _vbd_choice(x))
                 for x in vbds)
    return (Field("vdev", "Disk", "select", options=opts), force)


def _vbd_choice(x: Device) -> str:
    return x.name or str(x.devid)


def _block_detach_defaults(t: Target) -> Values:
    dev = _detach_preset(t, DeviceKind.VBD)
    return {"vdev": _vbd_choice(dev) if dev is not None else "", "force": False}


def _block_detach(t: Target, v: Values) -> rq.Request:
    return rq.BlockDetach(t.host, t.ref, required(v, "vdev", "a disk"), force=flag(v, "force"))


def _no_vifs(t: Target) -> str | None:
    """Nothing to detach: xentop counts no vif and XenStore lists none (either unknown:
    the form opens, with a field to type one)."""
    d = t.domain
    if d is None or d.nets != 0 or t.devices(DeviceKind.VIF):
        return None
    return f"{t.name} has no network interface to detach"


def _no_vbds(t: Target) -> str | None:
    """The same for disks (xentop's VBDS column)."""
    d = t.domain
    if d is None or d.vbds != 0 or t.devices(DeviceKind.VBD):
        return None
    return f"{t.name} has no disk to detach"


def _hvm_only(t: Target) -> str | None:
    """CD verbs need an HVM guest: say so before the form (unknown type: the form opens and
    the validator asks to wait for the next poll)."""
    kind = t.domain.type if t.domain is not None else None
    if kind is None or kind is DomainType.HVM:
        return None
    return f"a CD drive needs an HVM guest; {t.name} is a {kind} guest"


def _cd_insert_fields(t: Target) -> tuple[Field, ...]:
    return (Field("vdev", "CD drive", placeholder="hdc"),
            Field("target", "ISO image on the host", placeholder="/var/lib/xen/iso/x.iso"))


def _cd_eject_fields(t: Target) -> tuple[Field, ...]:
    return (Field("vdev", "CD drive", placeholder="hdc"),)


def _cd_drive(t: Target, *, loaded: bool) -> str:
    """The domain's first CD drive holding a disc (``loaded``) or empty, else its first
    drive, else hdc (XenStore did not say which disks are drives)."""
    drives = [d for d in t.devices(DeviceKind.VBD) if d.cdrom and d.name]
    fit = [d for d in drives if bool(d.target) == loaded] or drives
    name = fit[0].name if fit else None
    return name or DEFAULT_CD_VDEV


def _cd_insert_defaults(t: Target) -> Values:
    return {"vdev": _cd_drive(t, loaded=False), "target": ""}


def _cd_eject_defaults(t: Target) -> Values:
    return {"vdev": _cd_drive(t, loaded=True)}


def _cd_insert(t: Target, v: Values) -> rq.Request:
    return rq.CdInsert(t.host, t.ref, required(v, "vdev", "a CD drive"),
                       required(v, "target", "an ISO image"))


def _cd_eject(t: Target, v: Values) -> rq.Request:
    return rq.CdEject(t.host, t.ref, required(v, "vdev", "a CD drive"))


# --- CPU weight and cap (credit / credit2) -------------------------------------------------


def _scheduler(t: Target) -> str | None:
    info = t.snapshot.info if t.snapshot is not None else None
    return info.scheduler if info is not None else None


def _credit_only(t: Target) -> str | None:
    sched = _scheduler(t)
    if sched is None or sched in rq.SCHED_REQUESTS:
        return None
    return (f"{t.host} runs the {sched} scheduler: weight and cap are credit and credit2 "
            "parameters")


def _sched_info(t: Target) -> str:
    d = t.domain
    vcpus = (d.vcpus_max or d.vcpus_online) if d is not None else None
    top = f"at most {100 * vcpus} for {vcpus} vCPU(s)" if vcpus else "100 per vCPU"
    return (f"{_scheduler(t) or 'credit2 (assumed)'} scheduler: weight is a relative share "
            f"(default 256, 1-65535); cap is a ceiling in % of one pCPU (0: none; {top}). "
            "A blank field stays as it is.")


async def _sched_now(t: Target, facts: HostFacts) -> str | None:
    cls = rq.SCHED_REQUESTS.get(_scheduler(t) or "credit2", rq.SchedCredit2)
    now = await facts.sched_params(cls.verb, str(t.ref))
    if now is None:
        return None
    cap = "none" if now.cap is None else "0 (no cap)" if now.cap == 0 else f"{now.cap}%"
    return f"Now: weight {now.weight}, cap {cap}."


def _sched_fields(t: Target) -> tuple[Field, ...]:
    return (Field("weight", "Weight", placeholder="unchanged (default 256)"),
            Field("cap", "Cap, % of one pCPU", placeholder="unchanged (0 = no cap)"))


def _sched(t: Target, v: Values) -> rq.Request:
    cls = rq.SCHED_REQUESTS.get(_scheduler(t) or "credit2", rq.SchedCredit2)
    return cls(t.host, t.ref, weight=whole(v, "weight", "weight"),
               cap=whole(v, "cap", "cap"))


def _console(t: Target, v: Values) -> rq.Request:
    return rq.Console(t.host, t.ref)


def _simple(cls: type[rq.Shutdown] | type[rq.Reboot] | type[rq.Destroy]) -> Builder:
    def build(t: Target, v: Values) -> rq.Request:
        return cls(t.host, t.ref)

    return build


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("pause", "p", "Pause / unpause (xl pause, xl unpause)", "Pause/unpause", _pause,
               verbs=("pause", "unpause")),
    ActionSpec("save", "s", "Save a checkpoint (xl save)", "Save", _save,
               fields=_save_fields, defaults=_save_defaults, live_defaults=_save_dir_on_the_host,
               verbs=("save",)),
    ActionSpec("restore", "o", "Restore a checkpoint (xl restore)", "Restore", _restore,
               scope="host", fields=_restore_fields, verbs=("restore",)),
    ActionSpec("mem_set", "m", "Set memory (xl mem-set)", "Memory", _mem_set,
               fields=_size_fields, defaults=_mem_set_defaults, info=_mem_info,
               verbs=("mem-set",)),
    ActionSpec("mem_max", "x", "Set maximum memory (xl mem-max)", "Max memory", _mem_max,
               fields=_size_fields, defaults=_mem_max_defaults, info=_mem_info,
               verbs=("mem-max",)),
    ActionSpec("vcpu_set", "v", "Set online vCPUs (xl vcpu-set)", "vCPUs", _vcpu_set,
               fields=_vcpu_set_fields, defaults=_vcpu_set_defaults, info=_vcpu_info,
               verbs=("vcpu-set",)),
    ActionSpec("vcpu_pin", "i", "Pin vCPUs (xl vcpu-pin)", "Pin", _pin, fields=_pin_fields,
               defaults=_pin_defaults, info=_vcpu_info, verbs=("vcpu-pin",)),
    ActionSpec("network_attach", "n", "Attach a network interface (xl network-attach)",
               "Add vif", _net_attach, fields=_net_attach_fields,
               defaults=_net_attach_defaults, verbs=("network-attach",)),
    ActionSpec("network_detach", "w", "Detach a network interface (xl network-detach)",
               "Remove vif", _net_detach, fields=_net_detach_fields,
               defaults=_net_detach_defaults, verbs=("network-detach",), unfit=_no_vifs),
    ActionSpec("block_attach", "b", "Attach a disk (xl block-attach)", "Add disk",
               _block_attach, fields=_block_attach_fields, defaults=_block_attach_defaults,
               verbs=("block-attach",)),
    ActionSpec("block_detach", "g", "Detach a disk (xl block-detach)", "Remove disk",
               _block_detach, fields=_block_detach_fields, defaults=_block_detach_defaults,
               verbs=("block-detach",), unfit=_no_vbds),
    ActionSpec("shutdown", "d", "Shut down (xl shutdown)", "Shut down",
               _simple(rq.Shutdown), verbs=("shutdown",)),
    ActionSpec("reboot", "R", "Reboot (xl reboot)", "Reboot", _simple(rq.Reboot),
               verbs=("reboot",)),
    ActionSpec("destroy", "D", "Destroy at once (xl destroy)", "Destroy",
               _simple(rq.Destroy), verbs=("destroy",)),
    ActionSpec("migrate", "G", "Migrate to another host (xl migrate)", "Migrate", _migrate,
               fields=_migrate_fields, defaults=_migrate_defaults, info=_migrate_info,
               verbs=("migrate",)),
    ActionSpec("create", "plus", "Create a domain from a config file (xl create)", "Create",
               _create, scope="host", fields=_create_fields, verbs=("create",)),
    ActionSpec("cd_insert", "t", "Insert a CD (xl cd-insert, HVM)", "CD insert", _cd_insert,
               fields=_cd_insert_fields, defaults=_cd_insert_defaults, verbs=("cd-insert",),
               unfit=_hvm_only),
    ActionSpec("cd_eject", "e", "Eject a CD (xl cd-eject, HVM)", "CD eject", _cd_eject,
               fields=_cd_eject_fields, defaults=_cd_eject_defaults, verbs=("cd-eject",),
               unfit=_hvm_only),
    ActionSpec("sched", "W", "CPU weight and cap (xl sched-credit2, sched-credit)", "Weight/cap",
               _sched, fields=_sched_fields, info=_sched_info, live_info=_sched_now,
               unfit=_credit_only,
               verbs=("sched-credit", "sched-credit2")),
    ActionSpec("console", "c", "Attach the console (xl console; Ctrl-] detaches)", "Console",
               _console, verbs=("console",)),
)

SPECS_BY_ID = {s.id: s for s in SPECS}
