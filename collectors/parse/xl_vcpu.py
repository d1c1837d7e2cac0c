"""``xl vcpu-list`` and ``xm vcpu-list``.

xl (4.5+): ``"%-32s %5u %5u"`` name, domid, vcpu, then ``"%5u %3c%c- "`` (online) or
``"%5c %3c%cp "`` (offline) with **no separator** before the CPU field, ``"%9.1f  "``,
then ``hard / soft`` affinity (``all``, ``none``, ``0-3,6``). Old xl (≤4.4) and xm print
one affinity column (``any cpu``, ``no cpus`` or ranges) headed ``CPU Affinity``.
xm: ``"%-32s %5s %5d %5s %5s  %8.1f %s"``; an inactive managed domain (xend 3.1+) prints
blank ID, CPU and State (domid None, cpu -1). Xen 4.0's xl printed the affinity one 64-CPU
word per line: on a host of more than 64 CPUs, the words after the first follow the row on
lines of their own, numbered from 0 again within the word (``print_vcpuinfo``).

Because the VCPU field is always right-aligned in 5 columns one space after the domid,
a CPU number that fills its own field (glued to the VCPU) is split at that position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from collectors.model import CpuSet, VcpuState
from collectors.parse.common import (
    CPU_ID_LIMIT,
    FIXED,
    UINT,
    ParseError,
    decimal,
    domid_int,
    lines_of,
    parse_cpu_list,
    unusable_number,
)
from collectors.parse.guard import parse_errors
from collectors.parse.noise import SkippedNoise, is_tool_log_line

SOURCE = "xl vcpu-list"

_ALL = CpuSet(all=True)
_INF = float("inf")


@dataclass(frozen=True, slots=True)
class VcpuRow:
    name: str
    domid: int | None  # None: xm's inactive domain (blank ID)
    vcpu: int
    cpu: int | None  # None for "-" (offline) or blank
    state: str | None  # as printed: "r--", "-b-", "---", "--p"; None when blank (xm)
    cpu_time_s: float | None
    hard_affinity: CpuSet
    soft_affinity: CpuSet | None  # None when the output has one affinity column

    @property
    def vcpu_state(self) -> VcpuState | None:
        return vcpu_state(self.state) if self.state is not None else None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "domid": self.domid,
            "vcpu": self.vcpu,
            "cpu": self.cpu,
            "state": self.state,
            "cpu_time_s": self.cpu_time_s,
            "hard_affinity": self.hard_affinity.to_json(),
            "soft_affinity": None if self.soft_affinity is None else self.soft_affinity.to_json(),
        }


def vcpu_state(state: str) -> VcpuState | None:
    """``r--`` running, ``-b-`` blocked, ``---`` runnable, ``--p`` offline; else None."""
    s = state.strip()
    if len(s) != 3 or s[0] not in "r-" or s[1] not in "b-" or s[2] not in "p-":
        return None
    if s[2] == "p":
        return VcpuState.OFFLINE
    if s[0] == "r":
        return VcpuState.RUNNING
    if s[1] == "b":
        return VcpuState.BLOCKED
    return VcpuState.RUNNABLE


@lru_cache(maxsize=64)  # (each a set of up to 65,536 CPUs: kept few)
def _affinity(text: str) -> CpuSet:
    t = text.strip()
    if t in ("all", "any cpu"):
        return _ALL
    if t == "no cpus":
        return CpuSet.of(())
    return parse_cpu_list(t)  # (which bounds the CPU numbers and the work)


_AFF = rf"(?:all|any cpu|no cpus|none|\^?{UINT}(?:-{UINT})?(?:,\^?{UINT}(?:-{UINT})?)*)"
# found from the state on (a blank before it, by look-behind): a search starting on each
# blank of a long run would rescan the run from every one of them
_TAIL = re.compile(
    rf"(?<=\s)(?P<state>[r-][b-][p-])\s+(?P<time>{FIXED})"
    rf"\s+(?P<hard>{_AFF})(?:\s*/\s*(?P<soft>{_AFF}))?\s*$"
)
# the name may be empty (a name node holding "" prints as 32 blanks)
_SEPARATE = re.compile(
    rf"(?P<name>(?:.*?\S)?)\s+(?P<domid>{UINT})\s+(?P<vcpu>{UINT})\s+(?P<cpu>{UINT}|-)"
)
_GLUED = re.compile(rf"(?P<name>(?:.*?\S)?)\s+(?P<domid>{UINT})\s+(?P<glued>[0-9]{{2,}})")
# xm, inactive domain: name, (blank ID), VCPU, (blank CPU and State), time, affinity
_INACTIVE = re.compile(
    rf"(?P<name>(?:.*?\S)?)\s+(?P<vcpu>{UINT})\s+(?P<time>{FIXED})\s+(?P<hard>{_AFF})\s*"
)
# Xen 4.0 xl: a further 64-CPU word of the affinity on its own line
_WORD_LINE = re.compile(rf"{UINT}(?:-{UINT})?(?:,{UINT}(?:-{UINT})?)*")
_WORD_BITS = 64
_HEADER = re.compile(r"Name\s+ID\s+VCPU\s+CPU\s+State\s+Time\(s\)\s+(?P<aff>.*)")
_VCPU_FIELD = 6  # " %5u" after the domid


def _split_prefix(prefix: str) -> tuple[str, int, int, int | None] | None:
    """name, domid, vcpu, cpu from the part of a row before the state."""
    exact = "\t" not in prefix
    m = _SEPARATE.fullmatch(prefix)
    if m is not None and (not exact or m.end("vcpu") == m.end("domid") + _VCPU_FIELD):
        cpu = None if m["cpu"] == "-" else int(m["cpu"])
        return m["name"], domid_int(m["domid"]), int(m["vcpu"]), cpu
    g = _GLUED.fullmatch(prefix)
    if g is not None and exact:
        cut = g.end("domid") + _VCPU_FIELD
        if g.start("glued") < cut < g.end("glued"):
            vcpu, cpu_text = prefix[g.start("glued") : cut], prefix[cut : g.end("glued")]
            return g["name"], domid_int(g["domid"]), int(vcpu), int(cpu_text)
    if m is not None:  # irregular spacing: take the tokens as they are
        cpu = None if m["cpu"] == "-" else int(m["cpu"])
        return m["name"], domid_int(m["domid"]), int(m["vcpu"]), cpu
    return None


def _fast_row(line: str) -> VcpuRow | None:
    """The common case: a name without spaces and separated fields."""
    t = line.split()
    n = len(t)
    if n not in (7, 9) or (n == 9 and t[7] != "/") or line[0].isspace():
        return None  # (a name starting with a blank: the general path keeps it)
    name, domid, vcpu, cpu, state, time = t[0], t[1], t[2], t[3], t[4], t[5]
    # ASCII digits (isdecimal alone takes any script's; the whole line is ASCII unless the
    # name is not), the time "%9.1f": digits.digits (float() takes nan, inf, 1e3, +1, 1_0)
    whole, _, frac = time.partition(".")
    if not (
        (line.isascii() or (domid + vcpu + cpu + time).isascii())
        and domid.isdecimal() and vcpu.isdecimal() and (cpu.isdecimal() or cpu == "-")
        and whole.isdecimal() and frac.isdecimal()
    ):
        return None
    if len(state) != 3 or state[0] not in "r-" or state[1] not in "b-" or state[2] not in "p-":
        return None
    # the VCPU field must end where printf put it, or this is a glued/odd row
    d_end = line.index(domid, line.index(name) + len(name)) + len(domid)
    if "\t" not in line and line.find(vcpu, d_end) + len(vcpu) != d_end + _VCPU_FIELD:
        return None
    try:
        seconds = float(time)
        if seconds == _INF:  # hundreds of digits: the general path says which line
            return None
        return VcpuRow(
            name,
            int(domid) if len(domid) < 10 else domid_int(domid),  # (the hot path)
            int(vcpu),
            None if cpu == "-" else int(cpu),
            state,
            seconds,
            _affinity(t[6]),
            _affinity(t[8]) if n == 9 else None,
        )
    except ValueError:
        return None


@parse_errors(SOURCE)
def parse_xl_vcpu_list(text: str) -> list[VcpuRow]:
    """Rows of ``xl vcpu-list`` (one or two affinity columns) or ``xm vcpu-list``."""
    rows: list[VcpuRow] = []
    two_affinities: bool | None = None  # from the header when there is one
    words = 0  # Xen 4.0 affinity words seen after the last row's own line
    noise = SkippedNoise()
    for no, raw in lines_of(text):
        line = raw.rstrip()
        if not line or line.isspace():
            continue
        row = _fast_row(line)
        if row is None:
            h = _HEADER.fullmatch(line)
            if h is not None:
                two_affinities = "/" in h["aff"]
                words = -1
                continue
            try:
                row = _slow_row(line)
                if row is None and words >= 0 and rows and _WORD_LINE.fullmatch(line):
                    words += 1
                    rows[-1] = _add_word(rows[-1], line, words, no, raw)
                    continue
                if row is None:
                    row = _inactive_row(line)
            except ValueError as e:  # a number of thousands of digits, a time past a double
                raise ParseError(SOURCE, no, raw, unusable_number(e)) from None
            if row is None:
                if is_tool_log_line(line):
                    noise.skip(no, raw)
                    continue
                raise ParseError(SOURCE, no, raw, "not a vcpu row")
        words = 0
        if two_affinities is not None and (row.soft_affinity is not None) != two_affinities:
            want = "two affinity columns" if two_affinities else "one affinity column"
            raise ParseError(SOURCE, no, raw, f"the header announced {want}")
        rows.append(row)
    noise.refuse_if_alone(SOURCE, two_affinities is not None or bool(rows), "header or vcpu row")
    return rows


def _add_word(row: VcpuRow, line: str, word: int, no: int, raw: str) -> VcpuRow:
    """Xen 4.0: the affinity's 64-CPU word number ``word`` (1, 2, ...), printed on its own
    line with bit numbers restarting at 0, joined to the row's single affinity column."""
    if row.soft_affinity is not None or row.hard_affinity.all:
        raise ParseError(SOURCE, no, raw, "a CPU list only continues a one-column affinity")
    cpus = _affinity(line)
    if any(c >= _WORD_BITS for c in cpus.cpus) or word * _WORD_BITS > CPU_ID_LIMIT:
        raise ParseError(SOURCE, no, raw, "not a 64-CPU word of the affinity above")
    extra = {c + word * _WORD_BITS for c in cpus.cpus}
    return replace(row, hard_affinity=CpuSet.of(row.hard_affinity.cpus | extra))


def _inactive_row(line: str) -> VcpuRow | None:
    m = _INACTIVE.fullmatch(line)
    if m is None:
        return None
    try:
        hard = _affinity(m["hard"])
    except ValueError:
        return None
    return VcpuRow(m["name"].rstrip(), None, int(m["vcpu"]), None, None, decimal(m["time"]),
                   hard, None)


def _slow_row(line: str) -> VcpuRow | None:
    tail = _TAIL.search(line)
    if tail is None:
        return None
    head = _split_prefix(line[: tail.start()].rstrip())
    if head is None:
        return None
    name, domid, vcpu, cpu = head
    try:
        hard = _affinity(tail["hard"])
        soft = _affinity(tail["soft"]) if tail["soft"] is not None else None
    except ValueError:
        return None
    return VcpuRow(name.rstrip(), domid, vcpu, cpu, tail["state"], decimal(tail["time"]), hard,
                   soft)
