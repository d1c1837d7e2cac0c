"""``VERB ARGS...`` as xl spells them → a typed request (for ``xltop do``).

    pause | unpause | destroy     console [-t pv|serial|vuart] [-n NUM]
    shutdown [-w|-ww] [-F]      reboot [-F]
    save PATH [-c | --stop] [-p] [--overwrite]
    migrate [-p] [user@]HOST    (xl on HOST's source Dom0 runs ssh HOST: it must reach it)
    restore PATH [-p]           create CFG [-p]          (DOMAIN is ignored, use -)
    mem-set SIZE                mem-max SIZE
    vcpu-set N [-i]             vcpu-pin [-f] [--ignore-global-affinity-masks] VCPU|all
                                         HARD [SOFT]
    network-attach [key=value ...]   (bridge mac model rate ip vifname script type mtu
                                      backend gatewaydev)
    network-detach DEVID|MAC
    block-attach SPEC...        xl-disk-configuration(5), one or several arguments:
                                positional target,format,vdev,access (empty items allowed),
                                key=value (format vdev access devtype script backend
                                backendtype; target= last, it takes the rest), flags (cdrom
                                discard no-discard direct-io-safe), deprecated target
                                prefixes (raw: qcow2: ... phy: tap:aio: iscsi: ...) and
                                vdev:cdrom; each parameter once. See parse_disk_spec (xltop
                                also takes target,vdev,access with the format left out).
    block-detach [-f] VDEV
    cd-insert VDEV TARGET       cd-eject VDEV
    sched-credit [-w WEIGHT] [-c CAP]      sched-credit2 [-w WEIGHT] [-c CAP]
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import NoReturn

from collectors.control import requests as rq
from collectors.control.syntax import DISK_DEVTYPES, DISK_FORMAT_EMPTY, DISK_FORMATS
from collectors.parse.common import is_uint

VIF_KEYS = ("bridge", "mac", "model", "rate", "ip", "vifname", "script", "type", "mtu",
            "backend", "gatewaydev")
DISK_KEYS = ("target", "format", "vdev", "access", "devtype", "script", "backend",
             "backendtype")


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
    cls: type[rq.Pause] | type[rq.Unpause] | type[rq.Destroy],
) -> Builder:
    def build(host: str, domain: str, args: list[str]) -> rq.Request:
        _parser(cls.verb).parse_args(args)  # refuses stray arguments
        return cls(host, _domain(domain))

    return build


CONSOLE_TYPES = ("pv", "serial", "vuart")


def _console(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("console")
    p.add_argument("-t", "--type", choices=CONSOLE_TYPES)
    p.add_argument("-n", "--num", type=_whole("console number"))
    a = p.parse_args(args)
    return rq.Console(host, domain, type=a.type, num=a.num)


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
        if len(args) == 1 and args[0][:1] == "-" and args[0][1:2].isdigit():
            raise UsageError(f"{cls.verb}: invalid size {args[0]!r}: a size is not negative")
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
    flags = ("-f", "--force", _IGNORE_MASKS)
    force = any(x in ("-f", "--force") for x in args)
    rest = [x for x in args if x not in flags]  # "-" is an affinity, not a flag
    if not 2 <= len(rest) <= 3:
        raise UsageError("xltop do HOST DOMAIN vcpu-pin [-f] [--ignore-global-affinity-masks] "
                         "VCPU|all HARD [SOFT]")
    vcpu: int | str = rest[0]
    if rest[0] != "all":
        if not is_uint(rest[0]):
            raise UsageError(f"vcpu-pin: invalid vCPU {rest[0]!r}: use a number or all")
        vcpu = int(rest[0])
    soft = rest[2] if len(rest) == 3 else None
    return rq.VcpuPin(host, domain, vcpu, rest[1], soft, force=force,  # type: ignore[arg-type]
                      ignore_masks=_IGNORE_MASKS in args)


_IGNORE_MASKS = "--ignore-global-affinity-masks"


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


_FORMAT_PREFIXES = ("raw", "qcow", "qcow2", "vhd")  # libxlu_disk_l.l: (raw|qcow2?|vhd):
_SCRIPT_PREFIXES = ("iscsi", "nbd", "enbd", "drbd")  # script=block-NAME
_IGNORED_PREFIXES = ("tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy")
_PREFIX_RE = re.compile(r"([a-z][a-z0-9]*):")
_ALL_FORMATS = DISK_FORMATS | {DISK_FORMAT_EMPTY}


def parse_disk_spec(spec: str | Sequence[str]) -> dict[str, str]:
    """An xl disk spec (xl-disk-configuration(5)) as xl's lexer reads it → its parameters.

    Comma-separated items, each one of: ``key=value`` (format, vdev, access, devtype,
    script, backend, backendtype; ``target=`` takes the whole rest of its argument, commas
    and all, so it comes last); a flag (``cdrom`` = devtype=cdrom, ``discard``,
    ``no-discard``, ``direct-io-safe``); or a positional item, which fills the next
    parameter not yet given of ``target, format, vdev, access``. Empty items count as
    given-with-the-default (``/img,,xvdc``); whitespace before an item is ignored.

    The target may carry deprecated prefixes, stripped and chained as in ``tap:aio:/img``:
    ``raw: qcow: qcow2: vhd:`` set the format; ``iscsi: nbd: enbd: drbd:`` set
    script=block-NAME (the rest is for that script, not a path); ``tapdisk: tap: tap2:
    aio: ioemu: file: phy:`` are ignored. A positional vdev may end in ``:cdrom`` or
    ``:disk`` (the devtype); ``,hdc:cdrom,r`` is an empty CD drive.

    Each parameter may be given once: a second one (``/dev/vg/lv,raw,xvdb,w,target=/x``,
    ``raw:/img,qcow2,...``, ``access=r`` and a positional access) is refused as xl refuses
    it ("target respecified"), never silently replaced. Several arguments (``xl
    block-attach DOM format=raw vdev=xvdc target=/x``) are one spec, as in xl's
    parse_disk_config_multistring: each ``target=`` ends at the end of its own argument.

    xltop's leniency: in xl the second positional item is always the format (after a
    prefix there is no positional format: ``phy:/dev/vg/lv,xvdb,w``). xltop also takes
    ``/dev/vg/lv,xvdb,w`` as target, vdev, access when that item is not a format and
    fewer than three items are left, and a known format name where xl would expect the
    vdev (``phy:/img,raw,xvdb``). Values are returned as given, empty ones left out; flags
    as ``devtype: cdrom``, ``discard: discard|no-discard``, ``direct-io-safe``."""
    specs = [spec] if isinstance(spec, str) else list(spec)
    parse = _DiskParse(" ".join(specs))
    tokens: list[tuple[str, str]] = []  # ("item" | "target=", text)
    for text in specs:
        items = text.split(",")
        if len(items) > 1 and items[-1] == "":
            items.pop()  # a trailing comma ends the last item, it adds none
        elif items == [""]:
            continue
        for i, item in enumerate(items):
            item = item.lstrip()
            if item.startswith("target="):  # the rest of this argument, commas and all
                tokens.append(("target=", ",".join([item, *items[i + 1:]])[len("target="):]))
                break
            tokens.append(("item", item.rstrip()))
    positional_left = sum(1 for kind, item in tokens if kind == "item" and _positional(item))
    for kind, item in tokens:
        if kind == "target=":
            parse.slots.add("target")
            parse.set("target", item)
        elif not _positional(item):
            parse.keyed(item)
        else:
            parse.positional(item, positional_left)
            positional_left -= 1
    return parse.values


def _positional(item: str) -> bool:
    return "=" not in item and item not in _DISK_FLAGS


_DISK_FLAGS = {"cdrom": "devtype", "discard": "discard", "no-discard": "discard",
               "direct-io-safe": "direct-io-safe"}


class _DiskParse:
    """What the items seen so far have given (xl's DiskParseContext, shared by the
    arguments of one block-attach)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.values: dict[str, str] = {}
        self.slots: set[str] = set()  # positional parameters already filled (maybe empty)
        self.prefixed = False  # a deprecated prefix: no positional format follows

    def set(self, key: str, value: str, *, repeat_ok: bool = False) -> None:
        if value == "":
            return  # an empty value is the default (and may be given again)
        old = self.values.get(key)
        if old is not None and not (repeat_ok and old == value):
            raise UsageError(f"block-attach: {key} respecified in {self.spec!r}: {old!r}, then "
                             f"{value!r} (each parameter may be given only once)")
        self.values[key] = value

    def keyed(self, item: str) -> None:
        if item in _DISK_FLAGS:
            key = _DISK_FLAGS[item]
            self.set(key, "cdrom" if item == "cdrom" else item, repeat_ok=True)
            return
        for key, value in _pairs([item], DISK_KEYS, "block-attach"):
            self.set(key, value, repeat_ok=key == "devtype")
            if key == "devtype" and value not in DISK_DEVTYPES:  # xl: "unknown value for type"
                raise UsageError(f"block-attach: unknown value for devtype {value!r} in "
                                 f"{self.spec!r}: xl takes devtype=cdrom or devtype=disk")

    def positional(self, item: str, left: int) -> None:
        """``item`` fills the next positional parameter not yet given; ``left`` counts
        the positional items from this one on."""
        if "target" not in self.slots:
            self.slots.add("target")
            self.set("target", self.strip_prefixes(item))
            return
        if "format" not in self.slots and "format" not in self.values and not self.prefixed:
            self.slots.add("format")
            if item in _ALL_FORMATS or item == "":
                self.set("format", item)
                return
            if not (self.values.get("target") is None and ":" in item) and left >= 3:
                raise UsageError(f"block-attach: unknown format {item!r} in {self.spec!r} "
                                 f"(xl knows {', '.join(sorted(_ALL_FORMATS))})")
            # ",hdc:cdrom,r" (xl: an empty target then vdev:devtype), or xltop's leniency:
            # the format left out, this item is the vdev
        elif item in _ALL_FORMATS and "vdev" not in self.slots:
            self.slots.add("format")  # a format where xl wants the vdev (leniency)
            self.set("format", item)
            return
        if "vdev" not in self.slots and "vdev" not in self.values:
            self.slots.add("vdev")
            if ":" in item:  # deprecated vdev:devtype
                item, _, devtype = item.rpartition(":")
                if devtype not in DISK_DEVTYPES:
                    raise UsageError(f"block-attach: unknown type {devtype!r} after the vdev in "
                                     f"{self.spec!r} (use :cdrom or :disk)")
                self.set("devtype", devtype, repeat_ok=True)
            self.set("vdev", item)
            return
        if "access" not in self.slots:
            self.slots.add("access")
            self.set("access", item)
            return
        raise UsageError(f"block-attach: too many items in {self.spec!r} (the positional ones "
                         "are target,format,vdev,access)")

    def strip_prefixes(self, target: str) -> str:
        """``target`` without its deprecated prefixes, each applied (``tap:qcow2:/img``)."""
        while (m := _PREFIX_RE.match(target)) is not None:
            name, rest = m.group(1), target[m.end():]
            if name in _FORMAT_PREFIXES:
                self.set("format", name)
            elif name in _SCRIPT_PREFIXES:
                self.set("script", f"block-{name}")
            elif name not in _IGNORED_PREFIXES:
                if rest[:1] and rest[0] in "abcdefghijklmnopqrstuvwxyz0123456789":
                    break  # not a prefix (xl's lexer wants one followed by / or the end)
                raise UsageError(
                    f"block-attach: unknown deprecated disk prefix {name + ':'!r} in "
                    f"{self.spec!r}; xl knows {': '.join(_FORMAT_PREFIXES)}: (a format), "
                    f"{': '.join(_SCRIPT_PREFIXES)}: (a script), and ignores "
                    f"{': '.join(_IGNORED_PREFIXES)}: (write format=, script= instead)")
            self.prefixed = True
            target = rest
        return target


def _block_attach(host: str, domain: str, args: list[str]) -> rq.Request:
    if not args:
        raise UsageError("xltop do HOST DOMAIN block-attach target,format,vdev,access "
                         "(or key=value items, as one or several arguments)")
    d = parse_disk_spec(args)
    cdrom = d.get("devtype") == "cdrom"
    target = d.get("target", "")
    if "vdev" not in d or not (target or cdrom):
        raise UsageError("block-attach: the spec needs a target and a vdev (only a CD drive "
                         "may have no target: it is then empty)")
    return rq.BlockAttach(
        host, domain, target=target, vdev=d["vdev"],
        # as xl does: a CD drive is read-only, and one without a target has no media
        format=DISK_FORMAT_EMPTY if cdrom and not target else d.get("format", "raw"),
        access=d.get("access", "r" if cdrom else "rw"), devtype=d.get("devtype"),
        script=d.get("script"), backend=d.get("backend"), backendtype=d.get("backendtype"),
        discard={"discard": True, "no-discard": False}.get(d.get("discard", "")),
        direct_io_safe="direct-io-safe" in d)


def _block_detach(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("block-detach")
    p.add_argument("vdev")
    p.add_argument("-f", "--force", action="store_true")
    a = p.parse_args(args)
    return rq.BlockDetach(host, domain, a.vdev, force=a.force)


def _shutdown(host: str, domain: str, args: list[str]) -> rq.Request:
    p = _parser("shutdown")
    p.add_argument("-w", "--wait", action="count", default=0)  # (xl: -ww waits for death)
    p.add_argument("-F", dest="acpi", action="store_true")
    a = p.parse_args(args)
    return rq.Shutdown(host, domain, wait=a.wait > 0, force_acpi=a.acpi,
                       wait_death=a.wait > 1)


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
    "console": _console,
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
