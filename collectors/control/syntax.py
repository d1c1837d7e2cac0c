"""Pure checks of values in xl's own syntax: sizes, MACs, rates, CPU lists, device names.

Each checker returns the value in the form xl will get (or a parsed number) and raises
:class:`BadValue` with a message meant for the user. Nothing here talks to a host.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from collectors.model import CpuSet
from collectors.parse.common import CPU_ID_LIMIT


class BadValue(ValueError):
    """A value the user typed is not in the syntax xl expects."""


_SIZE_RE = re.compile(r"\+?([0-9]+)([bkmgt]?)", re.IGNORECASE)  # strtoll takes a "+"
_SIZE_SHIFT_KIB = {"t": 30, "g": 20, "m": 10, "": 10, "k": 0}
MAX_SIZE_KIB = 1 << 40  # 1 PiB: far beyond any host; keeps xl's int64 maths from overflowing


def parse_size_kib(text: str) -> int:
    """xl's memory size (``512``, ``+512``, ``512m``, ``2G``, ``1048576k``, ``536870912b``) in KiB.

    No suffix means MiB, as in ``xl mem-set``. Bytes are truncated to whole KiB like xl.
    """
    t = text.strip()
    m = _SIZE_RE.fullmatch(t)
    if m is None:
        raise BadValue(f'invalid size "{text}": use a number with an optional k/m/g/t suffix')
    if len(m.group(1).lstrip("0")) > 20:  # (int() refuses 4,300 digits and more)
        raise BadValue(f'size "{text}" is too large')
    number, suffix = int(m.group(1)), m.group(2).lower()
    kib = number >> 10 if suffix == "b" else number << _SIZE_SHIFT_KIB[suffix]
    if kib > MAX_SIZE_KIB:
        raise BadValue(f'size "{text}" is too large')
    return kib


def format_kib(kib: int) -> str:
    """A size for messages: ``131072`` → ``128 MiB``, exact: ``196609`` → ``196609 KiB
    (192.0 MiB)``, not a rounded "192.0 MiB" that reads as equal to a 192 MiB limit."""
    for unit, shift in (("TiB", 30), ("GiB", 20), ("MiB", 10)):
        if kib >= 1 << shift and kib % (1 << shift) == 0:
            return f"{kib >> shift} {unit}"
    if kib >= 1024:
        mib = f"{kib / 1024:.1f} MiB"
        return mib if kib * 10 % 1024 == 0 else f"{kib} KiB ({mib})"
    return f"{kib} KiB"


_MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", re.IGNORECASE)


def check_mac(text: str) -> str:
    """A unicast MAC ``00:16:3e:aa:bb:cc`` (first octet even), lower-cased."""
    t = text.strip()
    if not _MAC_RE.fullmatch(t):
        raise BadValue(f'invalid MAC address "{text}": use six hex pairs like 00:16:3e:12:34:56')
    if int(t[:2], 16) & 1:
        raise BadValue(f'MAC address "{text}" is multicast: the first octet must be even')
    if t.replace(":", "").strip("0") == "":
        raise BadValue("MAC address 00:00:00:00:00:00 is not usable")
    return t.lower()


# libxlu_vif.c: "^[0-9]+[GMK]?[Bb]/s$", then an optional "@" interval "^[0-9]+[mu]?s?$";
# both numbers must be 1..2^32-1 (xl parses them with strtoull base 0, so no leading 0).
_RATE_RE = re.compile(r"([1-9][0-9]*)([GMK]?)([Bb])/s(?:@([1-9][0-9]*)(s|ms|us|m|u)?)?")
_UINT32_MAX = (1 << 32) - 1


def check_rate(text: str) -> str:
    """A vif rate limit: ``10Mb/s``, ``1GB/s@20ms``, ``250KB/s@5000us``."""
    t = text.strip()
    m = _RATE_RE.fullmatch(t)
    hint = "use RATE/s or RATE/s@INTERVAL, e.g. 10Mb/s or 1GB/s@20ms (units K/M/G, B bytes, b bits)"
    if m is None:
        raise BadValue(f'invalid rate "{text}": {hint}')
    if int(m.group(1)) > _UINT32_MAX:
        raise BadValue(f'rate "{text}" is too large')
    if m.group(4) is not None:
        unit = m.group(5) or "s"  # libxl: no unit is seconds, "m" ms, "u" us
        usecs = int(m.group(4)) * {"s": 1_000_000, "m": 1000, "u": 1}[unit[0]]
        if usecs > _UINT32_MAX:
            raise BadValue(f'rate interval in "{text}" is too long (at most about 71 minutes)')
    return t


def check_ips(items: tuple[str, ...]) -> tuple[str, ...]:
    """IPv4/IPv6 addresses (optionally with a /prefix) for a vif's ``ip=``."""
    out = []
    for item in items:
        try:
            out.append(str(ipaddress.ip_interface(item.strip())))
        except ValueError:
            raise BadValue(f'invalid IP address "{item}"') from None
    return tuple(out)


NET_MODELS = frozenset(
    {
        "rtl8139", "e1000", "e1000e", "virtio-net", "virtio-net-pci", "netfront", "ne2k_pci",
        "ne2k_isa", "pcnet", "i82551", "i82557b", "i82559er", "vmxnet3",
    }
)
VIF_TYPES = frozenset({"vif", "ioemu"})
DISK_FORMATS = frozenset({"raw", "qcow", "qcow2", "vhd", "qed"})  # of an image
DISK_FORMAT_EMPTY = "empty"  # a CD drive with no media
DISK_ACCESS = frozenset({"r", "ro", "w", "rw"})
DISK_READ_ONLY = frozenset({"r", "ro"})
DISK_DEVTYPES = frozenset({"disk", "cdrom"})
DISK_BACKENDTYPES = frozenset({"phy", "qdisk", "tap", "standalone"})

_IFNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}")  # Linux IFNAMSIZ: 15 chars
_SCRIPT_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
_PATH_CHARS_RE = re.compile(r"/[^\x00-\x1f\x7f]*")


def check_choice(value: str, choices: frozenset[str], what: str) -> str:
    v = value.strip()
    if v not in choices:
        raise BadValue(f'invalid {what} "{value}": use one of {", ".join(sorted(choices))}')
    return v


def check_ifname(value: str, what: str) -> str:
    if not _IFNAME_RE.fullmatch(value):
        raise BadValue(
            f'invalid {what} "{value}": up to 15 letters, digits, "_", "." or "-"'
        )
    return value


# a model QEMU names: e1000, virtio-net-pci, e1000-82545em, rtl8139
_NET_MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# vif-openvswitch: BRIDGE[.VLAN][:TRUNK[:TRUNK...]]
_OVS_BRIDGE_RE = re.compile(r"([^.:]+)(?:\.[0-9]+)?(?::[0-9]+)*")
NAME_OR_DOMID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def check_net_model(value: str) -> str:
    v = value.strip()
    if not _NET_MODEL_RE.fullmatch(v):
        raise BadValue(f'invalid model "{value}": use a device model name like e1000 or '
                       "virtio-net-pci")
    return v


def bridge_base(value: str) -> str:
    """The bridge a ``bridge=`` names: itself, or for Open vSwitch ``br0.100`` (VLAN 100)
    and ``br0:10:20`` (trunk) the ``br0`` before the tag (a Linux bridge may be called
    ``br0.100`` too: the caller looks for both)."""
    v = value.strip()
    m = _OVS_BRIDGE_RE.fullmatch(v)
    base = v if m is None else m[1]
    return check_ifname(base, "bridge")


def check_script(value: str) -> str:
    """A hotplug script: a name in /etc/xen/scripts or an absolute path."""
    if value.startswith("/"):
        return check_abs_path(value, "script")
    if not _SCRIPT_NAME_RE.fullmatch(value):
        raise BadValue(f'invalid script "{value}": use a script name or an absolute path')
    return value


_MIGRATE_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,31}@)?"  # user@
    r"[A-Za-z0-9:][A-Za-z0-9.:-]{0,252}")  # a host name, IPv4 or IPv6 address (as ssh takes it)


def check_migrate_host(value: str) -> str:
    """``[user@]host`` for ``xl migrate``: xl hands ``ssh HOST ...`` to ``sh -c`` on the
    source Dom0, so only host-name characters pass (no blank, quote, ``$``, ``;``, and no
    leading ``-`` that ssh would take for an option)."""
    text = value.strip()
    if not text:
        raise BadValue("the destination host is empty")
    if not _MIGRATE_HOST_RE.fullmatch(text):
        raise BadValue("the destination must be [user@]host (letters, digits, '.', '-', ':'): "
                       f"{text!r}")
    host = text.rpartition("@")[2]
    if host.count(":") == 1:  # (an IPv6 address has two or more)
        raise BadValue(f"{text!r}: ssh takes no :port in a host name; set the port for "
                       "that host in the source Dom0's ~/.ssh/config")
    if ":" not in host and ".." in host:
        raise BadValue(f"{text!r} is not a host name (an empty label between dots)")
    return text


def destination_host(destination: str) -> str:
    """The host a migration destination ``[user@]host`` names, as DNS compares names
    (case-insensitive, a trailing dot ignored): ``XEN-PROD-01.`` is ``xen-prod-01``."""
    return host_name_key(destination.strip().rsplit("@", 1)[-1])


def host_name_key(name: str) -> str:
    """A host name as DNS compares them."""
    return name.strip().lower().rstrip(".")


def check_abs_path(value: str, what: str) -> str:
    """An absolute path without control characters or ``..`` components."""
    if not _PATH_CHARS_RE.fullmatch(value):
        if not value.startswith("/"):
            raise BadValue(f'{what} must be an absolute path (starting with /): "{value}"')
        raise BadValue(f"{what} must not contain control characters (newline, tab, NUL)")
    if ".." in value.split("/"):
        raise BadValue(f'{what} must not contain ".." components: "{value}"')
    if value.endswith("/"):
        raise BadValue(f'{what} names a directory, not a file: "{value}"')
    return value


def normal_path(path: str) -> str:
    """``path`` as Linux resolves it without symlinks: no ``//``, ``.`` or ``dir/..``
    (POSIX keeps a leading ``//``, Linux does not)."""
    if not path:
        return path
    p = posixpath.normpath(path)
    return "/" + p.lstrip("/") if p.startswith("//") else p


def check_spec_value(value: str, what: str) -> str:
    """A value inside a vif/disk spec: a comma or ``=`` would change the spec itself."""
    check_one_arg(value, what)
    for ch in (",", "="):
        if ch in value:
            raise BadValue(f'{what} must not contain "{ch}" (it would change the spec): "{value}"')
    return value


def check_one_arg(value: str, what: str) -> str:
    """A value that becomes one argv element: no newline, NUL or other control character."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise BadValue(f"{what} must not contain control characters (newline, tab, NUL)")
    if not value:
        raise BadValue(f"{what} is empty")
    return value


# Virtual disk names as libxl__device_disk_dev_number (libxl_device.c) reads them: each form
# with its own limits; anything else is "Invalid or unsupported virtual disk identifier".
_VDEV_DP_RE = re.compile(r"d(0|[1-9][0-9]*)p(0|[1-9][0-9]*)")  # (%i: no octal here)
_VDEV_NAME_RE = re.compile(r"(xvd|hd|sd)([a-z]+)([0-9]*)")
_VDEV_NUMBER_RE = re.compile(r"[1-9][0-9]*|0[xX][0-9a-fA-F]+|0[0-7]*")
_VDEV_LIMITS = {  # prefix: (highest disk index, highest partition, what the user may write)
    "xvd": ((1 << 20) - 1, 255, "xvd names go from xvda to xvdbgqcv, with an optional "
                                "partition 1-255 (no leading zero), as in xvdb or xvda1"),
    "hd": (3, 63, "hd names go from hda to hdd, with an optional partition 1-63 (no leading "
                  "zero); use xvd names for more disks"),
    "sd": (15, 15, "sd names go from sda to sdp, with an optional partition 1-15 (no leading "
                   "zero); use xvd names for more disks"),
}
_INT_MAX = (1 << 31) - 1
_VDEV_HINT = "use a name like xvdb, xvda1, hdc or sda, d0p1, or a device number like 51728"


def vdev_number(value: str) -> int:
    """The device number libxl gives a virtual disk name (``xvda`` → 51712, ``hdc`` → 5632,
    ``d0p1`` → 51713, ``0xca10`` → 51728), with libxl's limits; raises BadValue."""
    v = value.strip()
    bad = f'invalid virtual device "{value}"'
    m = _VDEV_DP_RE.fullmatch(v)
    if m is not None:
        disk, part = int(m.group(1)), int(m.group(2))
        if disk >= 1 << 20 or part >= 256:
            raise BadValue(f"{bad}: dDISKpPART takes a disk below 1048576 and a partition "
                           "below 256")
        return _xvd_number(disk, part)
    if _VDEV_NUMBER_RE.fullmatch(v):
        number = int(v, 16 if v[:2] in ("0x", "0X") else 8 if v[0] == "0" else 10)  # strtoul(,0)
        if number > _INT_MAX:
            raise BadValue(f"{bad}: a device number is at most {_INT_MAX}")
        return number
    m = _VDEV_NAME_RE.fullmatch(v)
    if m is None:
        raise BadValue(f"{bad}: {_VDEV_HINT}")
    kind, letters, part_text = m.groups()
    max_disk, max_part, rule = _VDEV_LIMITS[kind]
    disk = -1
    for c in letters:  # bijective base 26: a=0 … z=25, aa=26 …
        disk = (disk + 1) * 26 + ord(c) - ord("a")
        if disk > max_disk:
            raise BadValue(f"{bad}: {rule}")
    part = int(part_text) if part_text else 0
    if part_text.startswith("0") or part > max_part:
        raise BadValue(f"{bad}: {rule}")
    if kind == "xvd":
        return _xvd_number(disk, part)
    if kind == "hd":
        return ((3 if disk < 2 else 22) << 8) | ((disk & 1) << 6) | part
    return (8 << 8) | (disk << 4) | part


def _xvd_number(disk: int, part: int) -> int:
    if disk <= 15 and part <= 15:
        return (202 << 8) | (disk << 4) | part
    return (1 << 28) | (disk << 8) | part


def check_vdev(value: str) -> str:
    """A virtual disk as libxl names it (see :func:`vdev_number`), stripped."""
    vdev_number(value)
    return value.strip()


def is_vdev_number(value: str) -> bool:
    """``value`` names a disk by its device number (``51728``, ``0xca10``), not by a name."""
    return _VDEV_NUMBER_RE.fullmatch(value.strip()) is not None


# strtoul skips blanks before a number, but not before "^" or "node:"
_CPU_ITEM_RE = re.compile(r"(\^?)((?:nodes?:)?)(all| *([0-9]+)(?:- *([0-9]+))?)")


def check_cpu_list(
    text: str, *, max_cpu: int | None, nr_nodes: int | None, what: str, allow_keep: bool
) -> CpuSet | None:
    """An xl CPU list within the host's CPUs, read as xl's parse_cpurange reads it: items
    split on commas (empty ones skipped), each ``[^][node:|nodes:](all|N|A-B)``, applied in
    order (``^`` removes what the items before it added).

    Returns the CPUs it selects (None for ``-``, which leaves the affinity unchanged, or
    for a list with ``node:`` items whose CPUs only the host knows).
    """
    t = text.strip()
    check_one_arg(t, what)
    if t == "-":
        if not allow_keep:
            raise BadValue(f'{what} "-" (unchanged) is not allowed here')
        return None
    items = [i for i in t.split(",") if i]
    cpus: set[int] = set()
    whole = False  # "all" and nothing removed since
    known = True
    for item in items:
        m = _CPU_ITEM_RE.fullmatch(item)
        if m is None:
            raise BadValue(f'invalid {what} "{text}": use all, CPU numbers and ranges like '
                           "0-3,^2, node:N, or -")
        neg, node, lo_s, hi_s = m[1] == "^", bool(m[2]), m[4], m[5]
        if m[3] == "all":
            if neg:
                raise BadValue(f'invalid {what} "{text}": can\'t combine "^" and "all"')
            whole = True
            cpus = set(range(max_cpu + 1)) if max_cpu is not None else set()
            continue
        lo = int(lo_s)
        hi = int(hi_s) if hi_s is not None else lo
        if lo > hi:
            raise BadValue(f'invalid {what} "{text}": range {lo}-{hi} is reversed')
        if node:
            if nr_nodes is not None and hi >= nr_nodes:
                raise BadValue(f'invalid {what} "{text}": the host has {nr_nodes} NUMA '
                               f"node(s) (0-{nr_nodes - 1})")
            if nr_nodes != 1 or max_cpu is None:
                known = False  # which CPUs a node has: only the host knows
                continue
            lo, hi = 0, max_cpu  # the one node holds every CPU
        elif max_cpu is not None and hi > max_cpu:
            first = lo if lo > max_cpu else max_cpu + 1
            raise BadValue(f'invalid {what} "{text}": CPU {first} does not exist '
                           f"(the host has CPUs 0-{max_cpu})")
        elif hi >= CPU_ID_LIMIT:
            raise BadValue(f'invalid {what} "{text}": CPU {hi} is beyond any host')
        if neg:
            if whole and max_cpu is None:
                known = False  # all but some: the host knows which are left
            whole = False
            cpus.difference_update(range(lo, hi + 1))
        else:
            cpus.update(range(lo, hi + 1))
    if not known:
        return None
    if whole:
        return CpuSet(all=True)
    if not cpus:
        hint = (" (^ removes only CPUs listed before it: write all,^N)"
                if items and items[0].lstrip().startswith("^") else "")
        raise BadValue(f'invalid {what} "{text}": selects no CPU{hint}')
    return CpuSet.of(cpus)
