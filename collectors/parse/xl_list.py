"""``xl list`` (plain, ``-v``, ``-Z``, ``-c``, ``-n``), ``xm list`` and ``xl list -l`` (JSON).

Row layout (xl, every 4.x): ``"%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"``, then per
option ``" " UUID " %8x|%8s" " %16s"`` (-v), ``" %16s"`` (-Z), ``" %5lu"`` (xl claims),
``"%16s"`` (-c, *no* leading space: a long pool name glues to Time(s)), ``" " nodemap``
(-n), and last ``" privileged hardware xenstore"`` or ``" %17s"`` of ``-`` (-v's
Capabilities, proposed in 2025, titled after Security Label). The header says which options were
given, except in Xen 4.0/4.1, whose ``-v`` appended ``" " UUID`` to the rows of the plain
header; Xen 4.0's xl printed three state letters, ``r p d``
(``"%-40s %5d %5lu %5d        %c%c%c %8.1f"``). xm: ``"%-40s %3s %5d %5d %10s %8.1f"``
(``--label``: then ``" %10s"`` of the label, all blanks for a domain without one);
inactive (managed, not running) domains print an empty ID and State, or, when xm talks
Xen-API, ID ``-1`` (the VM record's domid of a halted VM). Names are never truncated and
may hold spaces or TABs, or be empty (40 blanks), so rows are matched from the right with
the header's columns.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any

from collectors.model import SHUTDOWN_REASONS, DomainState, DomainType
from collectors.parse import xl_sxp, xm_sxp
from collectors.parse.common import (
    FIXED,
    MINUS_ONE,
    UINT,
    ParseError,
    decimal,
    domid_int,
    lines_of,
    unusable_number,
)
from collectors.parse.guard import parse_errors
from collectors.parse.noise import SkippedNoise, is_tool_log_line

SOURCE = "xl list"

# Column titles as the headers print them (multi-word ones merged).
_BASE = ("ID", "Mem", "VCPUs", "State", "Time(s)")
_EXTRA_TITLES = {
    "UUID": "uuid",
    "Reason-Code": "reason_code",
    "Security Label": "security_label",
    "Label": "security_label",  # xm list --label
    "Cpupool": "cpupool",
    "NODE Affinity": "node_affinity",
    "Claimed": "claimed_mib",  # xl claims
    "Capabilities": "capabilities",  # -v, proposed upstream in 2025
}
_MERGE = {("Security", "Label"), ("NODE", "Affinity")}
_ALIASES = {"Mem(MiB)": "Mem"}  # xm 3.0: "Name  ID Mem(MiB) VCPUs State  Time(s)"
# xm 3.0 appends the ACM ssidref to a row (no column title): " s:%04x/p:%04x"
_SSID = r"(?:\s+(?P<ssid>s:[0-9a-f]{4}/p:[0-9a-f]{4}))?"

_FLAGS = r"[r-][b-][p-][s-][-rscwS?][d-]"
_FLAGS_4_0 = r"[r-][p-][d-]"  # Xen 4.0's xl: running, paused, dying
_STATE = rf"(?:{_FLAGS}|{_FLAGS_4_0})"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EXTRA_RE = {
    "uuid": rf"\s+(?P<uuid>{_UUID}|-)",
    "reason_code": r"\s+(?P<reason_code>[0-9a-fA-F]+|-)",
    "security_label": r"\s+(?P<security_label>\S+)",
    # glued to Time(s) when 16+ chars; bounded, as a lazy run up to the end of a long line
    # for every split of the token before it would be quadratic
    "cpupool": r"\s*(?P<cpupool>\S(?:.{0,126}?\S)?)",
    "node_affinity": r"\s+(?P<node_affinity>any cpu|\S+)",  # print_bitmap: "any cpu" before 4.5
    "claimed_mib": rf"\s+(?P<claimed_mib>{UINT})",
    "capabilities": r"\s+(?P<capabilities>\S+(?: \S+){0,7})",  # "hardware xenstore", "-"
}
_LAST_LABEL = rf"(?:{_EXTRA_RE['security_label']})?"


@dataclass(frozen=True, slots=True)
class XlListRow:
    name: str
    domid: int | None
    mem_mib: int | None
    vcpus: int | None
    state: str | None  # the six flags as printed ("-b----"); None when xm left it empty
    cpu_time_s: float | None
    uuid: str | None = None
    reason_code: str | None = None
    security_label: str | None = None
    cpupool: str | None = None
    node_affinity: str | None = None
    claimed_mib: int | None = None  # xl claims: outstanding claim, MiB
    capabilities: str | None = None  # newer -v: "privileged hardware xenstore" (as printed)
    # JSON keys of the optional columns the output had (so to_json can show them as null)
    extra_columns: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def domain_state(self) -> DomainState | None:
        return state_from_xl(self.state) if self.state else None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "domid": self.domid,
            "mem_mib": self.mem_mib,
            "vcpus": self.vcpus,
            "state": self.state,
            "cpu_time_s": self.cpu_time_s,
        }
        for key in self.extra_columns:
            out[key] = getattr(self, key)
        return out


def state_from_xl(flags: str) -> DomainState:
    """``xl list``/``xm list`` flags (``r b p s <reason> d``) → DomainState.

    The 5th letter is xl's shutdown reason (``-`` poweroff, ``r``, ``s``, ``c``, ``w``,
    ``S``, ``?``); xm prints ``c`` there for a crash without the ``s``. Xen 4.0's three
    letters ``r p d`` are the same flags with the others unset.
    """
    f = flags.strip()
    if re.fullmatch(_FLAGS_4_0, f):
        f = f"{f[0]}-{f[1]}--{f[2]}"
    if not re.fullmatch(_FLAGS, f):
        raise ParseError(SOURCE, None, flags, "not a six-letter domain state")
    reason_letter = f[4]
    crashed = reason_letter == "c"
    shutdown = f[3] == "s" or crashed
    reason = SHUTDOWN_REASONS.get(reason_letter, "unknown") if shutdown else None
    return DomainState(
        running=f[0] == "r",
        blocked=f[1] == "b",
        paused=f[2] == "p",
        shutdown=shutdown,
        crashed=crashed,
        dying=f[5] == "d",
        shutdown_reason=reason,
    )


def state_from_xentop(flags: str) -> DomainState:
    """xentop's STATE column, letters in the order ``d s b c p r``.

    ``s`` is "shut down, not crashed" (reason unknown), ``c`` "shut down by a crash".
    """
    f = flags.strip()
    if not re.fullmatch(r"[d-][s-][b-][c-][p-][r-]", f):
        raise ParseError("xentop", None, flags, "not a six-letter xentop state")
    crashed = f[3] == "c"
    shutdown = f[1] == "s" or crashed
    return DomainState(
        running=f[5] == "r",
        blocked=f[2] == "b",
        paused=f[4] == "p",
        shutdown=shutdown,
        crashed=crashed,
        dying=f[0] == "d",
        shutdown_reason="crash" if crashed else None,
    )


# --- the table ---------------------------------------------------------------------------


def _header_columns(line: str) -> tuple[str, ...] | None:
    """The extra-column keys if ``line`` is an xl/xm list header, else None."""
    tokens = line.split()
    if len(tokens) < 6 or tokens[0] != "Name":
        return None
    titles: list[str] = []
    i = 1
    while i < len(tokens):
        if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) in _MERGE:
            titles.append(tokens[i] + " " + tokens[i + 1])
            i += 2
        else:
            titles.append(_ALIASES.get(tokens[i], tokens[i]))
            i += 1
    if tuple(titles[:5]) != _BASE:
        return None
    extras: list[str] = []
    for t in titles[5:]:
        key = _EXTRA_TITLES.get(t)
        if key is None or key in extras:
            return None
        extras.append(key)
    if "capabilities" in extras:  # titled after Security Label, printed after everything
        extras.remove("capabilities")
        extras.append("capabilities")
    return tuple(extras)


@lru_cache(maxsize=64)
def _row_regex(extras: tuple[str, ...]) -> re.Pattern[str]:
    base = (
        r"(?P<name>(?:.*\S)?)"  # empty: a name node holding "" prints as 40 blanks
        # (ID -1: xm over Xen-API, a halted VM)
        rf"(?:\s+(?P<domid>{MINUS_ONE})\s+(?P<mem>{UINT})\s+(?P<vcpus>{UINT})\s+(?P<state>{_STATE})"
        rf"|\s+(?P<mem_i>{UINT})\s+(?P<vcpus_i>{UINT}))"  # xm: inactive, no ID and no State
        rf"\s+(?P<time>{FIXED})"
    )
    if extras[:1] == ("cpupool",):  # "%8.1f" then "%16s": one decimal, the rest is the pool
        base = base.replace(rf"(?P<time>{FIXED})", r"(?P<time>[0-9]+\.[0-9])")
    tail = "".join(_EXTRA_RE[k] for k in extras) if extras else _SSID
    if extras[-1:] == ("security_label",):  # xm --label: "%10s" of "" when there is none
        tail = tail.removesuffix(_EXTRA_RE["security_label"]) + _LAST_LABEL
    return re.compile(base + tail + r"\s*")


# Xen 4.0/4.1 ``xl list -v`` appended " <uuid>" to each row and nothing to the header
_UNTITLED_UUID = ("uuid",)
_HEADERLESS_GUESSES: tuple[tuple[str, ...], ...] = (
    (),
    ("uuid", "reason_code", "security_label"),
    _UNTITLED_UUID,
)
_PLAIN_HEADER_GUESSES: tuple[tuple[str, ...], ...] = ((), _UNTITLED_UUID)


def _dash_none(s: str | None) -> str | None:
    return None if s is None or s == "-" else s


def _row_from_match(m: re.Match[str], extras: tuple[str, ...]) -> XlListRow:
    g = m.group
    if g("mem") is not None:
        shown = domid_int(g("domid"))
        domid: int | None = shown if shown >= 0 else None  # xm/Xen-API: -1 = halted VM
        mem, vcpus, state = int(g("mem")), int(g("vcpus")), g("state")
    else:
        domid, mem, vcpus, state = None, int(g("mem_i")), int(g("vcpus_i")), None
    gd = m.groupdict()
    if gd.get("ssid") is not None:  # xm 3.0's untitled ACM column
        gd["security_label"], extras = gd["ssid"], ("security_label",)
    if gd.get("cpupool") is not None and gd.get("security_label") is not None:
        _split_glued_pool(m, gd, "reason_code" if "reason_code" in extras else "time")
    return XlListRow(
        name=g("name"),  # rows start at column 0: a leading blank is the name's
        domid=domid,
        mem_mib=mem,
        vcpus=vcpus,
        state=state,
        cpu_time_s=decimal(g("time")),
        uuid=_dash_none(gd.get("uuid")),
        reason_code=_dash_none(gd.get("reason_code")),
        security_label=_dash_none(gd.get("security_label")),
        cpupool=_dash_none(gd.get("cpupool")),
        node_affinity=_dash_none(gd.get("node_affinity")),
        claimed_mib=int(gd["claimed_mib"]) if gd.get("claimed_mib") is not None else None,
        capabilities=_dash_none(gd.get("capabilities")),
        extra_columns=extras,
    )


_LABEL_FIELD = 17  # " %16s"


def _split_glued_pool(m: re.Match[str], gd: dict[str, Any], before: str) -> None:
    """-Z/-v with -c: the pool's ``"%16s"`` has no leading space, so a pool name of 16+
    characters glues to the label (usually ``-``). The label field ends 17 columns after
    the column before it; cut the glued token there (a label longer than 16 that glues to
    a long pool cannot be told apart and is cut the same way). Columns as shown: a capture
    whose blanks became TABs (8-column stops) keeps them."""
    if m.end("security_label") != m.start("cpupool"):
        return  # blanks between them: two fields as matched
    line = m.string
    start = m.start("security_label")
    gap = len(line[:start].expandtabs()) - len(line[: m.end(before)].expandtabs())
    cut = start + _LABEL_FIELD - gap
    if start < cut < m.end("cpupool"):
        gd["security_label"] = line[start:cut]
        gd["cpupool"] = line[cut : m.end("cpupool")]


@parse_errors(SOURCE)
def parse_xl_list(text: str) -> list[XlListRow]:
    """Rows of ``xl list [-v] [-Z] [-c] [-n]`` or ``xm list [--label]`` output; also of
    ``xm list --long`` (the records the table is made from: :func:`_xm_long_rows`)."""
    if xm_sxp.looks_like_xm_sxp(text):
        return _xm_long_rows(text)
    rows: list[XlListRow] = []
    extras: tuple[str, ...] | None = None  # None until a header is seen
    noise = SkippedNoise()
    for no, raw in lines_of(text):
        line = raw.rstrip()
        if not line.strip():
            continue
        cols = _header_columns(line)
        if cols is not None:
            extras = cols
            continue
        if extras is None:
            guesses = _HEADERLESS_GUESSES
        else:
            guesses = _PLAIN_HEADER_GUESSES if not extras else (extras,)
        row = None
        for ex in guesses:
            m = _row_regex(ex).fullmatch(line)
            if m is not None:
                try:
                    row = _row_from_match(m, ex)
                except ValueError as e:  # thousands of digits, a time past a double
                    raise ParseError(SOURCE, no, raw, unusable_number(e)) from None
                break
        if row is not None:
            rows.append(row)
        elif is_tool_log_line(line):
            noise.skip(no, raw)
        else:
            raise ParseError(SOURCE, no, raw, "not a domain row")
    noise.refuse_if_alone(SOURCE, extras is not None or bool(rows), "header or domain row")
    label = ("security_label",)
    kinds = {r.extra_columns for r in rows}
    if kinds == {(), label}:  # xm 3.0 printed the ssid on some rows only
        rows = [r if r.extra_columns else replace(r, extra_columns=label) for r in rows]
    return rows


_SXP_UINT = re.compile(UINT)
_SXP_TIME = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")  # Python's str() of a float


def _xm_long_rows(text: str) -> list[XlListRow]:
    """``xm list --long``: per ``(domain ...)`` record the values xm's table prints
    (``parse_doms_info``): ``name``, ``domid`` (absent for an inactive managed domain),
    ``memory`` (MiB), ``online_vcpus`` (else ``vcpus``), ``state`` and ``cpu_time``
    (seconds, as xend's float). A value that is missing or not a number is None."""
    rows: list[XlListRow] = []
    for no, line, rec in xm_sxp.parse_sexprs(text):
        if not isinstance(rec, list) or not rec or rec[0] != "domain":
            raise ParseError(SOURCE, no, line, "expected a (domain ...) record")
        value = partial(xm_sxp.child_value, rec)

        def count(key: str, value: Any = value) -> int | None:
            v = value(key)
            return int(v) if v is not None and _SXP_UINT.fullmatch(v) and len(v) < 20 else None

        state = value("state")
        seconds = value("cpu_time")
        cpu = float(seconds) if seconds and _SXP_TIME.fullmatch(seconds) else None
        online = count("online_vcpus")
        rows.append(XlListRow(
            name=value("name") or "??",  # (xm's default for a record without one)
            domid=count("domid"),
            mem_mib=count("memory"),
            vcpus=online if online is not None else count("vcpus"),
            state=state if state is not None and re.fullmatch(_FLAGS, state) else None,
            cpu_time_s=cpu if cpu is not None and cpu < _INF else None,
        ))
    return rows


# --- xl list -l ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XlDomainConfig:
    """One domain's stored configuration from ``xl list -l`` (libxl_domain_config JSON).

    ``domid`` is -1 for the bare config object ``xl -N create`` prints (no domain yet).
    """

    domid: int
    name: str | None
    uuid: str | None
    type: DomainType | None
    max_memkb: int | None
    target_memkb: int | None
    max_vcpus: int | None
    avail_vcpus: tuple[int, ...]
    sched: str | None
    nics: tuple[Mapping[str, object], ...]
    disks: tuple[Mapping[str, object], ...]
    raw: Mapping[str, object]

    def to_json(self) -> dict[str, object]:
        return {
            "domid": self.domid,
            "name": self.name,
            "uuid": self.uuid,
            "type": self.type.value if self.type else None,
            "max_memkb": self.max_memkb,
            "target_memkb": self.target_memkb,
            "max_vcpus": self.max_vcpus,
            "avail_vcpus": list(self.avail_vcpus),
            "sched": self.sched,
            "nics": [dict(n) for n in self.nics],
            "disks": [dict(d) for d in self.disks],
            "config": dict(self.raw),
        }


_SOURCE_L = "xl list -l"
_WS = re.compile(r"\s*")
# a JSON string or number, to find the number the decoder refused (see _refused_number_at)
_JSON_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)'
)
_INF = float("inf")


def _refuse_constant(name: str) -> Any:
    """json's NaN/Infinity/-Infinity: not JSON, and nothing yajl or json-c prints."""
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON float that fits a double (``1e400`` would be inf)."""
    value = float(text)
    if not -_INF < value < _INF:
        raise ValueError(f"{text[:40]} does not fit a double")
    return value


def _refused_number_at(text: str, pos: int) -> int:
    """Where the first number from ``pos`` on that the decoder refused starts (``pos``
    when none is found)."""
    for m in _JSON_TOKEN.finditer(text, pos):
        tok = m.group(1)
        if tok is not None and not _usable_json_number(tok):
            return m.start(1)
    return pos


def _usable_json_number(tok: str) -> bool:
    if tok in ("NaN", "Infinity", "-Infinity"):
        return False
    try:
        int(tok) if tok.lstrip("-").isdecimal() else _finite(tok)
    except ValueError:
        return False
    return True


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m is not None else pos


_INVALID_DOMID = 0x7FF0  # domids at or above this are libxl's "none"/"invalid" markers


def _int(v: Any) -> int | None:
    """A JSON integer that is not negative (domids, sizes, counts, CPU numbers: libxl's
    uint32/uint64/int fields print none below 0); None for anything else."""
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _config(domid: int, cfg: dict[str, Any]) -> XlDomainConfig:
    c_info, b_info = _dict(cfg.get("c_info")), _dict(cfg.get("b_info"))
    type_text = _str(c_info.get("type"))
    try:
        dtype = DomainType(type_text) if type_text else None
    except ValueError:
        dtype = None
    avail = b_info.get("avail_vcpus")
    avail_t = tuple(v for v in avail if _int(v) is not None) if isinstance(avail, list) else ()
    nics, disks = cfg.get("nics"), cfg.get("disks")
    return XlDomainConfig(
        domid=domid,
        name=_str(c_info.get("name")),
        uuid=_str(c_info.get("uuid")),
        type=dtype,
        max_memkb=_int(b_info.get("max_memkb")),
        target_memkb=_int(b_info.get("target_memkb")),
        max_vcpus=_int(b_info.get("max_vcpus")),
        avail_vcpus=avail_t,
        sched=_str(_dict(b_info.get("sched_params")).get("sched")),
        nics=tuple(n for n in nics if isinstance(n, dict)) if isinstance(nics, list) else (),
        disks=tuple(d for d in disks if isinstance(d, dict)) if isinstance(disks, list) else (),
        raw=cfg,
    )


def _sxp_config(domid: int, fields: dict[str, Any], nics: list[dict[str, Any]],
                disks: list[dict[str, Any]]) -> XlDomainConfig:
    return XlDomainConfig(
        domid=domid if 0 <= domid < _INVALID_DOMID else -1,
        name=xl_sxp.sxp_str(fields.get("name")),
        uuid=xl_sxp.sxp_str(fields.get("uuid")),
        type=xl_sxp.sxp_type(fields),
        max_memkb=xl_sxp.sxp_count(fields.get("max_memkb")),
        target_memkb=xl_sxp.sxp_count(fields.get("target_memkb")),
        max_vcpus=xl_sxp.sxp_count(fields.get("max_vcpus")),
        avail_vcpus=(),  # SXP has no vCPU bitmap
        sched=None,
        nics=tuple(nics),
        disks=tuple(disks),
        raw=fields,
    )


def _entries(value: object, line_no: int, line: str) -> list[XlDomainConfig]:
    items = value if isinstance(value, list) else [value]
    out: list[XlDomainConfig] = []
    for item in items:
        if not isinstance(item, dict):
            raise ParseError(_SOURCE_L, line_no, line, "expected a JSON object per domain")
        domid = item.get("domid")
        # printf_info writes "domid": null for no domain (xl -N create / create -d of the
        # JSON versions that wrap the config, 4.2 on)
        if "config" in item and (_int(domid) is not None or (domid is None and "domid" in item)):
            cfg = item["config"]
            if not isinstance(cfg, dict):
                raise ParseError(_SOURCE_L, line_no, line, '"config" is not an object')
            out.append(_config(domid if domid is not None else -1, cfg))
        elif "c_info" in item or "b_info" in item:  # xl -N create: the config alone
            domid = _int(_dict(item.get("c_info")).get("domid"))
            ok = domid is not None and 0 <= domid < _INVALID_DOMID
            out.append(_config(domid if ok and domid is not None else -1, item))
        else:
            raise ParseError(_SOURCE_L, line_no, line, "object is not a domain config")
    return out


@parse_errors(_SOURCE_L)
def parse_xl_list_long(text: str) -> list[XlDomainConfig]:
    """``xl list -l`` JSON (an array; yajl or json-c layout) or one ``xl -N create`` object,
    or the legacy SXP layout (:mod:`collectors.parse.xl_sxp`).

    Chatter before the JSON (``Parsing config from ...``, libxl warnings) is skipped;
    anything else that is not JSON is a ParseError.
    """
    if xl_sxp.looks_like_sxp(text):
        return [_sxp_config(*block) for block in xl_sxp.parse_sxp_blocks(text)]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    starts = list(itertools.accumulate((len(ln) + 1 for ln in lines[:-1]), initial=0))

    def where(pos: int) -> tuple[int, str]:
        """(1-based line number, line) of a character position."""
        i = bisect.bisect_right(starts, pos) - 1
        return i + 1, lines[i]

    decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
    out: list[XlDomainConfig] = []
    pos = _skip_ws(text, 0)
    while pos < len(text):
        line_no, line = where(pos)
        if text[pos] not in "[{":
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            if not is_tool_log_line(text[pos:end]):
                raise ParseError(_SOURCE_L, line_no, line, "not JSON")
            pos = end
        else:
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as e:
                eno, eline = where(e.pos)
                raise ParseError(_SOURCE_L, eno, eline, f"bad JSON: {e.msg}") from None
            except ValueError as e:  # NaN/Infinity, 1e400, an integer of thousands of digits
                eno, eline = where(_refused_number_at(text, pos))
                raise ParseError(_SOURCE_L, eno, eline, unusable_number(e)) from None
            except RecursionError:
                raise ParseError(_SOURCE_L, line_no, line, "JSON nested too deeply") from None
            out.extend(_entries(value, line_no, line))
        pos = _skip_ws(text, pos)
    return out
