"""``xl info`` / ``xm info``, ``xl uptime`` and ``xl cpupool-list``.

``xl info`` prints ``"%-23s: %s"``; ``-n`` inserts free-form blocks (``cpu_topology``,
``device topology``, ``numa_info``) whose lines are not ``key : value`` lines; they are kept
as the raw block text under their key. ``xm info`` continues multi-line values
(``node_to_cpu``) on lines indented by 25 spaces; those are joined with newlines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from collectors.model import HostInfo
from collectors.parse.common import (
    UINT,
    ParseError,
    decimal,
    lines_of,
    parse_cpu_list,
    uint,
    unusable_number,
)
from collectors.parse.guard import parse_errors
from collectors.parse.noise import SkippedNoise, is_tool_log_line

SOURCE = "xl info"
_KEY_WIDTH = 23
# words joined by single blanks ("device topology"), then the padding: no two ways to read a
# run of blanks, so a line of 100,000 of them fails in linear time
_KEY = re.compile(r"([A-Za-z_][\w()/.-]*(?: [\w()/.-]+)*)(\s*):")


def _key_of(line: str) -> tuple[str, str] | None:
    """(key, value) for a ``key<padding>: value`` line, else None.

    A real key line has its colon at the padded width (or padding before it), which tells
    it apart from block lines such as ``cpu:    core    socket     node``.
    """
    m = _KEY.match(line)
    if m is None:
        return None
    colon = m.end() - 1
    if colon < _KEY_WIDTH and not m.group(2):
        return None
    return m.group(1).strip(), line[m.end() :].strip()


# keys whose value is one line even when empty (xen_changeset on distro builds, virt_caps
# without HVM): the line after them is never theirs. Other value-less keys (cpu_topology,
# device topology, numa_info and any later block) own the unkeyed lines that follow.
_SCALAR_KEYS = frozenset(
    [
        "host", "release", "version", "machine", "nr_cpus", "max_cpu_id", "nr_nodes",
        "cores_per_socket", "threads_per_core", "sockets_per_node", "cpu_mhz", "hw_caps",
        "virt_caps", "arm_sve_vector_length", "total_memory", "free_memory",
        "sharing_freed_memory", "sharing_used_memory", "outstanding_claims", "free_cpus",
        "max_free_memory", "max_para_memory", "max_hvm_memory", "node_to_cpu",
        "node_to_memory", "node_to_dma32_mem", "max_node_id", "xen_major", "xen_minor",
        "xen_extra", "xen_version", "xen_caps", "xen_scheduler", "xen_pagesize",
        "platform_params", "xen_changeset", "xen_commandline", "cc_compiler", "cc_compile_by",
        "cc_compile_domain", "cc_compile_date", "build_id", "xenstore_features",
        "xend_config_format",
    ]
)  # fmt: skip


@parse_errors(SOURCE)
def parse_xl_info(text: str) -> dict[str, str]:
    """key → stripped value, in output order."""
    parts: dict[str, list[str]] = {}  # a value's pieces and separators, joined at the end
    key: str | None = None
    block = False  # the current key had no value: following lines are its raw block
    wrapped = False  # the line before was a key line a mail client wrapped (see _rewrapped)
    noise = SkippedNoise()

    def add(sep: str, piece: str) -> None:
        assert key is not None
        value = parts[key]
        if value == [""]:
            value[0] = piece
        else:
            value += (sep, piece)

    for no, raw in lines_of(text):
        line = raw.rstrip()
        if not line.strip():
            continue
        kv = _key_of(line) if not line[0].isspace() else None
        if kv is not None:
            key, value = kv
            parts[key] = [value]
            block = value == "" and key not in _SCALAR_KEYS
            wrapped = raw.endswith(" ")
            continue
        if (key is not None and wrapped and _rewrapped(parts[key] != [""], line)
                and not is_tool_log_line(line)):  # ((XEN) … after xen_caps' blank: noise)
            add(" ", line)
            wrapped = False
            continue
        wrapped = False
        if block and is_tool_log_line(line):
            continue
        if key is not None and (block or line[0].isspace()):
            add("\n", line if block else line.strip())
            continue
        if is_tool_log_line(line):
            noise.skip(no, raw)
            continue
        raise ParseError(SOURCE, no, raw, "not a 'key : value' line")
    noise.refuse_if_alone(SOURCE, bool(parts), "'key : value' line")
    return {k: "".join(v) for k, v in parts.items()}


def _rewrapped(has_value: bool, line: str) -> bool:
    """Whether ``line`` is the rest of a key line that ended in a blank, as captures pasted
    into mail come (format=flowed: a line ending in a blank goes on): unindented, after a
    value cut at a blank, or the one word of a value that went to the next line whole."""
    return not line[0].isspace() and (has_value or " " not in line)


def _to_int(v: str | None) -> int | None:
    """An unsigned integer as xl prints it; None for anything else (unreadable)."""
    try:
        return uint(v) if v is not None else None
    except ValueError:
        return None


def _to_float(v: str | None) -> float | None:
    """``cpu_mhz``'s ``%d.%03d``; None for anything else (unreadable)."""
    try:
        return decimal(v) if v is not None else None
    except ValueError:
        return None


def host_info_from(info: Mapping[str, str], toolstack: str | None = "xl") -> HostInfo:
    """Typed HostInfo from parsed ``xl info``/``xm info``; unreadable values are None."""
    raw = info
    info = {k: v for k, v in info.items() if v != "(none)"}  # xm 3.x: no value
    version = info.get("xen_version")
    if not version and info.get("xen_major") and info.get("xen_minor"):
        version = f"{info['xen_major']}.{info['xen_minor']}{info.get('xen_extra', '')}"
    return HostInfo(
        hostname=info.get("host") or None,
        xen_version=version or None,
        nr_cpus=_to_int(info.get("nr_cpus")),
        max_cpu_id=_to_int(info.get("max_cpu_id")),
        nr_nodes=_to_int(info.get("nr_nodes")),
        cores_per_socket=_to_int(info.get("cores_per_socket")),
        threads_per_core=_to_int(info.get("threads_per_core")),
        cpu_mhz=_to_float(info.get("cpu_mhz")),
        total_memory_mib=_to_int(info.get("total_memory")),
        free_memory_mib=_to_int(info.get("free_memory")),
        scheduler=info.get("xen_scheduler") or None,
        toolstack=toolstack,
        dom0_kernel=info.get("release") or None,
        virt_caps=tuple(info.get("virt_caps", "").split()),
        raw=dict(raw),
    )


# --- xl uptime ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UptimeRow:
    name: str
    domid: int | None
    uptime_s: float | None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "domid": self.domid, "uptime_s": self.uptime_s}


_DAYS = rf"(?:(?P<days>{UINT}) days?,\s*)?"
_LONG = re.compile(
    rf"(?P<name>.*?\S)\s+(?P<domid>{UINT})\s+{_DAYS}"
    rf"(?P<h>{UINT}):(?P<m>[0-9][0-9]):(?P<s>[0-9][0-9])\s*"
)
_SHORT = re.compile(
    rf"\s*{UINT}:[0-9][0-9]:[0-9][0-9] up\s+{_DAYS}(?P<h>{UINT}):(?P<m>[0-9][0-9]),"
    rf"\s(?P<name>.*)\s\((?P<domid>{UINT})\)\s*"
)
_UPTIME_HEADER = re.compile(r"Name\s+ID\s+Uptime\s*")


def _seconds(m: re.Match[str]) -> float:
    days = int(m["days"]) if m["days"] else 0
    secs = int(m["s"]) if "s" in m.groupdict() and m["s"] else 0
    return float(days * 86400 + int(m["h"]) * 3600 + int(m["m"]) * 60 + secs)


@parse_errors("xl uptime")
def parse_xl_uptime(text: str) -> list[UptimeRow]:
    """``xl uptime`` (``Name ID Uptime`` table) or ``xl uptime -s`` (``up ..., name (id)``)."""
    rows: list[UptimeRow] = []
    for no, raw in lines_of(text):
        line = raw.rstrip()
        if not line.strip() or _UPTIME_HEADER.fullmatch(line):
            continue
        m = _SHORT.fullmatch(line) or _LONG.fullmatch(line)
        if m is None:
            if is_tool_log_line(line):
                continue
            raise ParseError("xl uptime", no, raw, "not an uptime row")
        try:
            rows.append(UptimeRow(m["name"].strip(), int(m["domid"]), _seconds(m)))
        except (ValueError, OverflowError) as e:  # thousands of digits
            raise ParseError("xl uptime", no, raw, unusable_number(e)) from None
    return rows


# --- xl cpupool-list ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpupoolRow:
    name: str
    cpus: int | None
    sched: str | None
    active: bool | None
    domains: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "cpus": self.cpus,
            "sched": self.sched,
            "active": self.active,
            "domains": self.domains,
        }


_POOL = re.compile(
    rf"(?P<name>.*?\S)\s+(?P<cpus>{UINT})\s+(?P<sched>\S+)\s+(?P<active>[yn])\s+(?P<doms>{UINT})\s*"
)
# the list's digits are any script's here on purpose: parse_cpu_list (ASCII only) refuses
# "٠-٣", where [0-9] would leave it to the name of a pool without CPUs
_POOL_CPUS = re.compile(r"(?P<name>.*?\S)(?:\s+(?P<list>\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*))?\s*")
_POOL_HEADER = re.compile(r"Name\s+CPUs\s+Sched\s+Active\s+Domain count\s*")
_POOL_HEADER_C = re.compile(r"Name\s+CPU list\s*")


def _cpu_count(cpu_list: str) -> int | None:
    if not cpu_list:
        return 0
    try:  # (parse_cpu_list bounds the CPU numbers and the work)
        return len(parse_cpu_list(cpu_list).cpus)
    except ValueError:
        return None


@parse_errors("xl cpupool-list")
def parse_cpupool_list(text: str) -> list[CpupoolRow]:
    """``xl cpupool-list`` and ``xl cpupool-list -c`` (CPU list: cpus is its length)."""
    rows: list[CpupoolRow] = []
    cpu_list_form = False
    for no, raw in lines_of(text):
        line = raw.rstrip()
        if not line.strip() or _POOL_HEADER.fullmatch(line):
            continue
        if _POOL_HEADER_C.fullmatch(line):
            cpu_list_form = True
            continue
        if not cpu_list_form:
            m = _POOL.fullmatch(line)
            if m is not None:
                try:
                    cpus, doms = uint(m["cpus"]), uint(m["doms"])
                except ValueError as e:  # thousands of digits
                    raise ParseError("xl cpupool-list", no, raw, unusable_number(e)) from None
                rows.append(CpupoolRow(m["name"], cpus, m["sched"], m["active"] == "y", doms))
                continue
        else:
            c = _POOL_CPUS.fullmatch(line)
            count = _cpu_count(c["list"] or "") if c is not None else None
            if c is not None and count is not None:
                rows.append(CpupoolRow(c["name"], count, None, None, None))
                continue
        if is_tool_log_line(line):
            continue
        raise ParseError("xl cpupool-list", no, raw, "not a cpupool row")
    return rows
