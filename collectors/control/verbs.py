"""``VERB ARGS...`` as xl spells them → a typed request (for ``xltop do``).

    pause | unpause | destroy | console
    shutdown [-w] [-F]          reboot [-F]
    save PATH [-c | --stop] [-p] [--overwrite]
    migrate [-p] [user@]HOST    (xl on HOST's source Dom0 runs ssh HOST: it must reach it)
    restore PATH [-p]           create CFG [-p]          (DOMAIN is ignored, use -)
    mem-set SIZE                mem-max SIZE
    vcpu-set N [-i]             vcpu-pin [-f] VCPU|all HARD [SOFT]
    network-attach [key=value ...]   (bridge mac model rate ip vifname script type mtu
                                      backend gatewaydev)
    network-detach DEVID|MAC
    block-attach SPEC           (target,format,vdev,access or format=..,vdev=..,target=..)
    block-detach [-f] VDEV
    cd-insert VDEV TARGET       cd-eject VDEV
    sched-credit [-w WEIGHT] [-c CAP]      sched-credit2 [-w WEIGHT] [-c CAP]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import NoReturn

from collectors.control import requests as rq
from collectors.control.syntax import DISK_FORMATS
from collectors.parse.common import is_uint

VIF_KEYS = ("bridge", "mac", "model", "rate", "ip", "vifname", "script", "type", "mtu",
            "backend", "gatewaydev")
DISK_KEYS = ("target", "format", "vdev", "access", "devtype")


class UsageError(ValueError):
    """The verb or its arguments are not understood; the message says how to write them."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parser(verb: str) -> _Parser:
    return _Parser(prog=f"xltop do HOST DOMAIN {verb}", add_help=False, allow_abbrev=False)


def _domain(text: str) -> rq.DomainRef:
    return text


Builder = Callable[[str, str, list[str]], rq.Request]


def parse_verb(host: str, domain: str, verb: str, args: Sequence[str]) -> rq.Request:
    """The request for ``xltop do HOST DOMAIN VERB ARGS...``; raises UsageError."""
    builder = _VERBS.get(verb)
    if builder is None:
        raise UsageError(f"unknown verb {verb!r}; verbs: {', '.join(sorted(_VERBS))}")
    return builder(host, domain, list(args))


def _no_args(
    cls: type[rq.Pause] | type[rq.Unpause] | type[rq.Destroy] | type[rq.Console],
) -> Builder:
    def build(host: str, domain: str, args: list[str]) -> rq.Request:
        _parser(cls.verb).parse_args(args)  # refuses stray arguments
        return cls(host, _domain(domain))

    return build


def _migrate(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("migrate")
    p.add_argument("destination")
    p.add_argument("-p", dest="paused", action="store_true",
                   help="leave it paused at the destination")
    a = p.parse_args(args)
    return rq.Migrate(host, domain, a.destination, leave_paused=a.paused)


def _save(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("save")
    p.add_argument("path")
    p.add_argument("-c", dest="keep", action="store_true", help="keep running (the default)")
    p.add_argument("--stop", action="store_true", help="destroy the domain once saved")
    p.add_argument("-p", dest="paused", action="store_true", help="leave it paused")
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(args)
    if a.keep and a.stop:
        raise UsageError("xltop do HOST DOMAIN save: -c and --stop contradict each other")
    return rq.Save(host, domain, a.path, keep_running=not a.stop and not (a.paused and not a.keep),
                   leave_paused=a.paused, overwrite=a.overwrite)


def _restore(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("restore")
    p.add_argument("path")
    p.add_argument("-p", dest="paused", action="store_true")
    a = p.parse_args(args)
    return rq.Restore(host, a.path, paused=a.paused, domain=None if domain == "-" else domain)


def _create(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("create")
    p.add_argument("config")
    p.add_argument("-p", dest="paused", action="store_true")
    a = p.parse_args(args)
    return rq.Create(host, a.config, paused=a.paused, domain=None if domain == "-" else domain)


def _size(cls: type[rq.MemSet] | type[rq.MemMax]) -> Builder:
    def build(host: str, domain: str, args: list[str]) -> rq.Request:
        p = _parser(cls.verb)
        p.add_argument("size")
        return cls(host, domain, p.parse_args(args).size)

    return build


def _vcpu_set(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("vcpu-set")
    p.add_argument("count")
    p.add_argument("-i", "--ignore-host", dest="ignore", action="store_true")
    a = p.parse_args(args)
    if not is_uint(a.count):
        raise UsageError(f"vcpu-set: invalid vCPU count {a.count!r}: use a whole number")
    return rq.VcpuSet(host, domain, int(a.count), ignore_host=a.ignore)


def _vcpu_pin(host: str, domain: str, args: list[str]) -> rq.Request:
    force = any(x in ("-f", "--force") for x in args)
    rest = [x for x in args if x not in ("-f", "--force")]  # "-" is an affinity, not a flag
    if not 2 <= len(rest) <= 3:
        raise UsageError("xltop do HOST DOMAIN vcpu-pin [-f] VCPU|all HARD [SOFT]")
    vcpu: int | str = rest[0]
    if rest[0] != "all":
        if not is_uint(rest[0]):
            raise UsageError(f"vcpu-pin: invalid vCPU {rest[0]!r}: use a number or all")
        vcpu = int(rest[0])
    soft = rest[2] if len(rest) == 3 else None
    return rq.VcpuPin(host, domain, vcpu, rest[1], soft, force=force)  # type: ignore[arg-type]


def _pairs(items: Sequence[str], keys: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"{what}: expected key=value, got {item!r}")
        if key not in keys:
            raise UsageError(f"{what}: unknown key {key!r}; keys: {', '.join(keys)}")
        out.append((key, value))
    return out


def _network_attach(host: str, domain: str, args: list[str]) -> rq.Request:
    fields: dict[str, str] = {}
    ips: list[str] = []
    for key, value in _pairs(args, VIF_KEYS, "network-attach"):
        if key == "ip":
            ips.extend(value.split())
        elif key in fields:
            raise UsageError(f"network-attach: {key}= given twice")
        else:
            fields[key] = value
    mtu = fields.pop("mtu", None)
    if mtu is not None and not is_uint(mtu):
        raise UsageError(f"network-attach: invalid mtu {mtu!r}")
    return rq.NetworkAttach(host, domain, ip=tuple(ips),
                            mtu=None if mtu is None else int(mtu), **fields)


def _network_detach(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("network-detach")
    p.add_argument("device")
    dev: str = p.parse_args(args).device
    return rq.NetworkDetach(host, domain, int(dev) if is_uint(dev) else dev)


def parse_disk_spec(spec: str) -> dict[str, str]:
    """xl-disk-configuration: positional ``target,format,vdev,access`` (format may be left
    out, as in ``/dev/vg/lv,xvdb,w``) and/or ``key=value`` items."""
    keyed: dict[str, str] = {}
    positional: list[str] = []
    for item in spec.split(","):
        item = item.strip()
        if "=" in item:
            for key, value in _pairs([item], DISK_KEYS, "block-attach"):
                keyed[key] = value
        else:
            positional.append(item)
    out: dict[str, str] = {}
    if positional:
        target = positional.pop(0)
        for prefix in ("phy:", "file:"):  # legacy prefixes: the format is raw either way
            if target.startswith(prefix):
                target = target[len(prefix):]
        out["target"] = target
        if len(positional) == 3 and positional[0] not in DISK_FORMATS and positional[0]:
            raise UsageError(f"block-attach: unknown format {positional[0]!r} in {spec!r} "
                             f"(xl knows {', '.join(DISK_FORMATS)})")
        if positional and (positional[0] in DISK_FORMATS or positional[0] == ""):
            out["format"] = positional.pop(0)
        for key in ("vdev", "access"):
            if positional:
                out[key] = positional.pop(0)
        if positional:
            raise UsageError(f"block-attach: too many items in {spec!r}")
    out.update(keyed)
    return {k: v for k, v in out.items() if v != ""}


def _block_attach(host: str, domain: str, args: list[str]) -> rq.Request:
    if len(args) != 1:
        raise UsageError("xltop do HOST DOMAIN block-attach target,format,vdev,access")
    d = parse_disk_spec(args[0])
    if "target" not in d or "vdev" not in d:
        raise UsageError("block-attach: the spec needs a target and a vdev")
    return rq.BlockAttach(host, domain, target=d["target"], vdev=d["vdev"],
                          format=d.get("format", "raw"), access=d.get("access", "rw"),
                          devtype=d.get("devtype"))


def _block_detach(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("block-detach")
    p.add_argument("vdev")
    p.add_argument("-f", "--force", action="store_true")
    a = p.parse_args(args)
    return rq.BlockDetach(host, domain, a.vdev, force=a.force)


def _shutdown(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("shutdown")
    p.add_argument("-w", "--wait", action="store_true")
    p.add_argument("-F", dest="acpi", action="store_true")
    a = p.parse_args(args)
    return rq.Shutdown(host, domain, wait=a.wait, force_acpi=a.acpi)


def _reboot(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("reboot")
    p.add_argument("-F", dest="acpi", action="store_true")
    return rq.Reboot(host, domain, force_acpi=p.parse_args(args).acpi)


def _cd_insert(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("cd-insert")
    p.add_argument("vdev")
    p.add_argument("target")
    a = p.parse_args(args)
    return rq.CdInsert(host, domain, a.vdev, a.target)


def _cd_eject(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("cd-eject")
    p.add_argument("vdev")
    return rq.CdEject(host, domain, p.parse_args(args).vdev)


def _sched(cls: type[rq.SchedCredit]) -> Builder:
    def build(host: str, domain: str, args: list[str]) -> rq.Request:
        p = _parser(cls.verb)
        p.add_argument("-w", "--weight", type=_whole("weight"))
        p.add_argument("-c", "--cap", type=_whole("cap"))
        a = p.parse_args(args)
        if a.weight is None and a.cap is None:
            raise UsageError(f"xltop do HOST DOMAIN {cls.verb} [-w WEIGHT] [-c CAP]: "
                             "give a weight, a cap or both")
        return cls(host, domain, weight=a.weight, cap=a.cap)

    return build


def _whole(what: str) -> Callable[[str], int]:
    def convert(text: str) -> int:
        if not is_uint(text):  # int() would also take " 3", "+3", "1_0" and "٣"
            msg = f"invalid {what} {text!r}: use a whole number"
            raise argparse.ArgumentTypeError(msg)
        return int(text)

    return convert


_VERBS: dict[str, Builder] = {
    "pause": _no_args(rq.Pause),
    "unpause": _no_args(rq.Unpause),
    "destroy": _no_args(rq.Destroy),
    "console": _no_args(rq.Console),
    "shutdown": _shutdown,
    "reboot": _reboot,
    "save": _save,
    "migrate": _migrate,
    "restore": _restore,
    "create": _create,
    "mem-set": _size(rq.MemSet),
    "mem-max": _size(rq.MemMax),
    "vcpu-set": _vcpu_set,
    "vcpu-pin": _vcpu_pin,
    "network-attach": _network_attach,
    "network-detach": _network_detach,
    "block-attach": _block_attach,
    "block-detach": _block_detach,
    "cd-insert": _cd_insert,
    "cd-eject": _cd_eject,
    "sched-credit": _sched(rq.SchedCredit),
    "sched-credit2": _sched(rq.SchedCredit2),
}
VERBS = tuple(sorted(_VERBS))
