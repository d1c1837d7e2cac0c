"""Enough of xl's configuration language for the simulator: domain config files, disk
specs (xl-disk-configuration) and vif specs (xl-network-configuration)."""

from __future__ import annotations

import re

from collectors.model import CpuSet, DomainType
from collectors.parse.common import is_uint
from collectors.sim.lifecycle import DiskSpec, DomainSpec, VifSpec
from collectors.sim.state import VIF_BRIDGE_SCRIPT

CfgValue = str | int | list[str]

_TOKEN = re.compile(
    r"""[ \t\r]*(?:
        (?P<comment>\#[^\n]*) |
        (?P<nl>\n|;) |
        (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*') |
        (?P<num>0x[0-9a-fA-F]+|\d+) |
        (?P<id>[A-Za-z_][A-Za-z0-9_.]*) |
        (?P<punct>[=\[\],+]) |
        (?P<bad>\S)
    )""",
    re.VERBOSE,
)


class CfgError(ValueError):
    """A config file xl would refuse: ``message`` is what xl prints."""


def parse_cfg(text: str, source: str) -> dict[str, CfgValue]:
    """``key = value`` lines: strings, integers and lists of strings."""
    tokens: list[tuple[str, str, int]] = []
    line = 1
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "bad"
        if kind == "comment":
            continue
        tokens.append((kind, m.group(kind), line))
        if kind == "nl" and m.group(kind) == "\n":
            line += 1
    out: dict[str, CfgValue] = {}
    i = 0

    def err(at: int) -> CfgError:
        kind, val, ln = tokens[at] if at < len(tokens) else ("nl", "", line)
        near = "" if kind == "nl" else val
        return CfgError(f"{source}:{ln}: config parsing error near `{near}': syntax error")

    while i < len(tokens):
        kind, val, _ = tokens[i]
        if kind == "nl":
            i += 1
            continue
        if kind != "id" or i + 1 >= len(tokens) or tokens[i + 1][1] != "=":
            raise err(i)
        key = val
        i += 2
        if i >= len(tokens):
            raise err(i)
        kind, val, _ = tokens[i]
        if kind == "str":
            out[key] = _unquote(val)
            i += 1
        elif kind == "num":
            out[key] = int(val, 0)
            i += 1
        elif val == "[":
            items: list[str] = []
            i += 1
            while i < len(tokens) and tokens[i][1] != "]":
                k2, v2, _ = tokens[i]
                if k2 == "nl" or v2 == ",":
                    i += 1
                    continue
                if k2 == "str":
                    items.append(_unquote(v2))
                elif k2 == "num":
                    items.append(v2)
                else:
                    raise err(i)
                i += 1
            if i >= len(tokens):
                raise err(i)
            out[key] = items
            i += 1
        else:
            raise err(i)
        if i < len(tokens) and tokens[i][0] != "nl":
            raise err(i)
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_kv_overrides(args: list[str]) -> dict[str, CfgValue]:
    """``xl create cfg key=value ...``: each value parsed like a config line."""
    out: dict[str, CfgValue] = {}
    for a in args:
        out.update(parse_cfg(a, "command line"))
    return out


# --- disks -----------------------------------------------------------------------------

FORMATS = ("raw", "qcow", "qcow2", "vhd", "qed", "empty")
# libxlu_disk_l.l's deprecated target prefixes, which may be chained (tap:aio:/img)
_FORMAT_PREFIXES = ("raw", "qcow", "qcow2", "vhd")
_SCRIPT_PREFIXES = ("iscsi", "nbd", "enbd", "drbd")  # script=block-NAME
_IGNORED_PREFIXES = ("tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy")
_PREFIX_RE = re.compile(r"([a-z][a-z0-9]*):")
_FLAGS = ("discard", "no-discard", "direct-io-safe", "colo", "no-colo", "trusted", "untrusted")
_BACKEND_TYPES = ("phy", "tap", "qdisk", "standalone")


def parse_disk_spec(spec: str, source: str = "command line") -> DiskSpec:
    """One xl disk spec: positional ``target,format,vdev,access`` or ``key=value`` items."""

    def fail(message: str, near: str | None = None) -> CfgError:
        where = f": near `{near}'" if near is not None else ""
        return CfgError(
            f"{source}: config parsing error in disk specification: {message}{where} in `{spec}'"
        )

    fmt, vdev, access, cdrom, target = "raw", None, "w", False, None
    backend, script = "phy", None
    # every other item is positional (target, format, vdev, access), an empty one too:
    # ``,,hdc:cdrom,r`` is an empty CD drive (no media, format left to xl); only the
    # empty item after a trailing comma does not count
    positional: list[str] = []
    parts = spec.split(",")
    if len(parts) > 1 and not parts[-1].strip():
        parts.pop()
    i = 0
    while i < len(parts):
        part = parts[i].strip()
        if part.startswith("target="):
            target = ",".join(parts[i:]).strip()[len("target="):]
            break
        if "=" in part:
            key, _, val = part.partition("=")
            if key == "format":
                if val not in FORMATS:
                    raise fail("unknown value for format", val)
                fmt = val
            elif key == "vdev":
                vdev = val
            elif key == "access":
                access = val
            elif key == "devtype":  # (4.17 takes disk too; the lexer's token is quoted whole)
                if val not in ("cdrom", "disk"):
                    raise fail("unknown value for type",
                               parts[i] + ("," if i + 1 < len(parts) else ""))
                cdrom = val == "cdrom"
            elif key == "backendtype":
                if val not in _BACKEND_TYPES:
                    raise fail("unknown value for backendtype", val)
                backend = val
            elif key == "script":
                script = val or None
            elif key == "backend":
                pass  # a driver domain: the simulator serves every disk from Domain-0
            else:
                raise fail("unknown parameter", part)
        elif part in ("cdrom",):
            cdrom = True
        elif part in _FLAGS:
            pass
        else:
            positional.append(part)
        i += 1
    if positional:
        first = positional.pop(0)
        prefixed = False
        while (m := _PREFIX_RE.match(first)) is not None:
            name, rest = m.group(1), first[m.end():]
            if name in _FORMAT_PREFIXES:
                fmt = name
            elif name in _SCRIPT_PREFIXES:
                script = f"block-{name}"
            elif name not in _IGNORED_PREFIXES:
                if rest[:1] and rest[0] in "abcdefghijklmnopqrstuvwxyz0123456789":
                    break
                raise fail("unknown deprecated disk prefix", first)
            prefixed, first = True, rest
        if not prefixed and positional and (positional[0] in FORMATS or not positional[0]):
            fmt = positional.pop(0) or fmt
        elif not prefixed and len(positional) >= 3:
            raise fail("unknown value for format", positional[0])
        target = first if target is None else target
        if positional:
            vdev = positional.pop(0)
        if positional:
            access = positional.pop(0)
        if positional:
            raise fail("too many positional parameters", positional[0])
    if vdev and vdev.endswith(":cdrom"):
        vdev, cdrom = vdev[: -len(":cdrom")], True
    elif vdev and vdev.endswith(":disk"):
        vdev = vdev[: -len(":disk")]
    access = access or "w"  # an empty access is the default
    if access not in ("r", "ro", "w", "rw"):
        raise fail("unknown value for access", access)
    if not vdev:
        raise fail("no vdev specified")
    return DiskSpec(vdev=vdev, target=target or "", format="empty" if not target else fmt,
                    mode="r" if access in ("r", "ro") or cdrom else "w", cdrom=cdrom,
                    backend_type=backend, script=script)


# --- vifs ------------------------------------------------------------------------------

_VIF_KEYS = ("type", "mac", "bridge", "ip", "script", "backend", "vifname", "rate", "model",
             "mtu", "devid", "gatewaydev", "accel")


def parse_vif_spec(spec: str) -> VifSpec:
    v = VifSpec()
    for token in (t.strip() for t in spec.split(",")):
        if not token:
            continue
        key, eq, val = token.partition("=")
        if not eq or key not in _VIF_KEYS:
            raise CfgError(f"unrecognized argument `{token}'")
        if key == "mac":
            try:
                v.mac = parse_mac(val)
            except CfgError:  # (parse_nic_config names the key; checked on the lab)
                raise CfgError("Invalid parameter `mac'.") from None
        elif key == "bridge":
            v.bridge = val
        elif key == "model":
            v.model = val
        elif key == "vifname":
            v.vifname = val
        elif key == "ip":
            v.ip = val
        elif key == "rate":
            v.rate = val
        elif key == "script":
            v.script = val
        elif key == "devid":
            if not is_uint(val) or len(val) > 10:
                raise CfgError(f"Invalid devid: {val}")
            v.devid = int(val)
        elif key == "type":
            v.nictype = "vif_ioemu" if val == "ioemu" else "vif"
    return v


def parse_mac(text: str) -> str:
    parts = text.split(":")
    if len(parts) != 6 or not all(re.fullmatch(r"[0-9a-fA-F]{1,2}", p) for p in parts):
        raise CfgError(f"Invalid mac address: {text}")
    return ":".join(f"{int(p, 16):02x}" for p in parts)


# --- whole domain ----------------------------------------------------------------------


def domain_spec(cfg: dict[str, CfgValue], source: str) -> DomainSpec:
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise CfgError("Domain name must be specified.")
    kind = str(cfg.get("type", cfg.get("builder", "pv")))
    try:
        dtype = DomainType("hvm" if kind == "hvm" else kind)
    except ValueError as exc:
        raise CfgError(f"Invalid domain type {kind}.") from exc
    memory = _int(cfg, "memory", 128)
    maxmem = _int(cfg, "maxmem", memory)
    vcpus = _int(cfg, "vcpus", 1)
    maxvcpus = _int(cfg, "maxvcpus", vcpus)
    if vcpus < 1 or maxvcpus < vcpus:
        raise CfgError(f"Invalid vcpus: {vcpus}")
    disks = [parse_disk_spec(s, source) for s in _list(cfg, "disk")]
    vifs = [parse_vif_spec(s) for s in _list(cfg, "vif")]
    for i, v in enumerate(vifs):
        if v.devid is None:
            v.devid = i
    cpus: CpuSet | None = None
    if "cpus" in cfg:
        from collectors.sim.xl_args import CpuListError, parse_cpu_list

        try:
            cpus = parse_cpu_list(str(cfg["cpus"]), nr_cpus=1 << 12)
        except CpuListError as exc:
            raise CfgError(str(exc)) from exc
    return DomainSpec(
        name=name,
        type=dtype,
        memory_mib=memory,
        maxmem_mib=maxmem,
        vcpus=vcpus,
        maxvcpus=maxvcpus,
        kernel=_str(cfg, "kernel"),
        ramdisk=_str(cfg, "ramdisk"),
        cmdline=_str(cfg, "extra") or _str(cfg, "cmdline"),
        disks=disks,
        vifs=vifs,
        cpus=cpus,
        on_poweroff=_str(cfg, "on_poweroff") or "destroy",
        on_reboot=_str(cfg, "on_reboot") or "restart",
        on_crash=_str(cfg, "on_crash") or "destroy",
        uuid=_str(cfg, "uuid"),
        config_path=source,
    )


def _int(cfg: dict[str, CfgValue], key: str, default: int) -> int:
    v = cfg.get(key, default)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and is_uint(v) and len(v) <= 18:
        return int(v)
    raise CfgError(f"Invalid parameter `{key}'.")


def _str(cfg: dict[str, CfgValue], key: str) -> str | None:
    v = cfg.get(key)
    return v if isinstance(v, str) else None


def _list(cfg: dict[str, CfgValue], key: str) -> list[str]:
    v = cfg.get(key, [])
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return v
    raise CfgError(f"Invalid parameter `{key}'.")


def render_cfg(spec: DomainSpec) -> str:
    """A config file for a domain spec, in the style of the lab's /etc/xen/*.cfg."""
    lines = [f'name = "{spec.name}"', f'type = "{spec.type.value}"']
    if spec.type is not DomainType.HVM:
        if spec.kernel:
            lines.append(f'kernel = "{spec.kernel}"')
        if spec.ramdisk:
            lines.append(f'ramdisk = "{spec.ramdisk}"')
        if spec.cmdline:
            lines.append(f'extra = "{spec.cmdline}"')
    lines += [f"memory = {spec.memory_mib}", f"maxmem = {spec.static_max_kib // 1024}",
              f"vcpus = {spec.vcpus}", f"maxvcpus = {spec.max_vcpus}"]
    if spec.cpus is not None and not spec.cpus.all:
        lines.append(f'cpus = "{_cpus_text(spec.cpus)}"')
    if spec.disks:
        items = ", ".join(f"'{_disk_text(k)}'" for k in spec.disks)
        lines.append(f"disk = [ {items} ]")
    if spec.vifs:
        items = ", ".join(f"'{_vif_text(v)}'" for v in spec.vifs)
        lines.append(f"vif = [ {items} ]")
    if spec.on_crash != "destroy":
        lines.append(f'on_crash = "{spec.on_crash}"')
    return "\n".join(lines) + "\n"


def _cpus_text(cpus: CpuSet) -> str:
    """``0-3,6``: the hard affinity a pinned guest's config gives (``cpus =``)."""
    runs: list[list[int]] = []
    for c in sorted(cpus.cpus):
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _disk_text(k: DiskSpec) -> str:
    if k.cdrom:  # an empty drive: empty target and format (xl-disk-configuration)
        fmt = k.format if k.target else ""
        return f"{k.target},{fmt},{k.vdev}:cdrom,r"
    return f"{k.target},{k.format},{k.vdev},{'rw' if k.mode == 'w' else 'r'}"


def _vif_text(v: VifSpec) -> str:
    parts = [f"bridge={v.bridge}"]
    if v.mac:
        parts.append(f"mac={v.mac}")
    if v.model:
        parts.append(f"model={v.model}")
    if v.script != VIF_BRIDGE_SCRIPT:
        parts.append(f"script={v.script}")
    return ",".join(parts)
