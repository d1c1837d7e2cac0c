"""``xentop -b`` batch output, whole texts or a live stream, any 3.x/4.x column set.

Per iteration: a header of right-aligned titles joined by single spaces, then one row per
domain sorted by name (``strcasecmp``), each optionally followed by ``-v``
(``VCPUs(sec):  0:  62s ...``, wrapped after every 5th vCPU onto a line indented by 8
spaces), ``-n`` (``Net0 RX: ...bytes ... TX: ...``) and ``-x``
(``VBD BlkBack 51712 [ca: 0]  OO: ... RSECT: ...``) lines. With ``-r`` the header is printed
before every domain. NAME is ``%10.10s`` (cut to 10) or, with ``-f``, right-aligned to
the longest name: the header's NAME title ends where every name ends, which is how names
with spaces are sliced. Columns come from the header: 19 in 4.x, 17 without
VBD_RSECT/VBD_WSECT, 13 in early 3.0 (no VBD columns). Tmem lines (4.1-4.12), the 4.21
``-p`` Physical CPU box, interactive summary lines and tool log lines (``2>&1``) are
skipped.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from collectors.model import DomainState
from collectors.parse.common import UINT, ParseError, decimal, is_decimal, uint, unusable_number
from collectors.parse.guard import parse_errors
from collectors.parse.noise import SkippedNoise, is_tool_log_line
from collectors.parse.records import constructor, updater
from collectors.parse.xl_list import state_from_xentop

SOURCE = "xentop"

_INT_COLS = {
    "CPU(sec)": "cpu_s",
    "MEM(k)": "mem_k",
    "MAXMEM(k)": "maxmem_k",
    "VCPUS": "vcpus",
    "NETS": "nets",
    "NETTX(k)": "nettx_k",
    "NETRX(k)": "netrx_k",
    "VBDS": "vbds",
    "VBD_OO": "vbd_oo",
    "VBD_RD": "vbd_rd",
    "VBD_WR": "vbd_wr",
    "VBD_RSECT": "vbd_rsect",
    "VBD_WSECT": "vbd_wsect",
    "SSID": "ssid",
}
_FLOAT_COLS = {"CPU(%)": "cpu_pct", "MEM(%)": "mem_pct", "MAXMEM(%)": "maxmem_pct"}
_DEFAULT_TITLES = [
    "NAME",
    "STATE",
    "CPU(sec)",
    "CPU(%)",
    "MEM(k)",
    "MEM(%)",
    "MAXMEM(k)",
    "MAXMEM(%)",
    "VCPUS",
    "NETS",
    "NETTX(k)",
    "NETRX(k)",
    "VBDS",
    "VBD_OO",
    "VBD_RD",
    "VBD_WR",
    "VBD_RSECT",
    "VBD_WSECT",
    "SSID",
]
_NAME_WIDTH = 10  # %10.10s without -f


@dataclass(frozen=True, slots=True)
class XentopNet:
    index: int
    rx_bytes: int | None
    rx_pkts: int | None
    rx_err: int | None
    rx_drop: int | None
    tx_bytes: int | None
    tx_pkts: int | None
    tx_err: int | None
    tx_drop: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "rx_bytes": self.rx_bytes,
            "rx_pkts": self.rx_pkts,
            "rx_err": self.rx_err,
            "rx_drop": self.rx_drop,
            "tx_bytes": self.tx_bytes,
            "tx_pkts": self.tx_pkts,
            "tx_err": self.tx_err,
            "tx_drop": self.tx_drop,
        }


@dataclass(frozen=True, slots=True)
class XentopVbd:
    kind: str  # "BlkBack", "BlkTap", "Unidentified" (or a newer type name)
    devid: int
    oo: int | None
    rd: int | None
    wr: int | None
    rsect: int | None
    wsect: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "devid": self.devid,
            "oo": self.oo,
            "rd": self.rd,
            "wr": self.wr,
            "rsect": self.rsect,
            "wsect": self.wsect,
        }


@dataclass(frozen=True, slots=True)
class XentopDomain:
    name: str
    state: str
    cpu_s: int | None
    cpu_pct: float | None
    mem_k: int | None
    mem_pct: float | None
    maxmem_k: int | None  # None with maxmem_unlimited ("no limit")
    maxmem_pct: float | None  # None for "n/a"
    vcpus: int | None
    nets: int | None
    nettx_k: int | None
    netrx_k: int | None
    vbds: int | None
    vbd_oo: int | None
    vbd_rd: int | None
    vbd_wr: int | None
    vbd_rsect: int | None
    vbd_wsect: int | None
    ssid: int | None
    maxmem_unlimited: bool
    name_truncated: bool
    vcpu_secs: tuple[tuple[int, int], ...] = ()
    networks: tuple[XentopNet, ...] = ()
    vbd_devices: tuple[XentopVbd, ...] = ()
    # which of "vcpus", "networks", "vbds" detail lines the output had (-v / -n / -x)
    details: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def domain_state(self) -> DomainState:
        return state_from_xentop(self.state)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "state": self.state,
            "cpu_s": self.cpu_s,
            "cpu_pct": self.cpu_pct,
            "mem_k": self.mem_k,
            "mem_pct": self.mem_pct,
            "maxmem_k": self.maxmem_k,
            "maxmem_pct": self.maxmem_pct,
            "vcpus": self.vcpus,
            "nets": self.nets,
            "nettx_k": self.nettx_k,
            "netrx_k": self.netrx_k,
            "vbds": self.vbds,
            "vbd_oo": self.vbd_oo,
            "vbd_rd": self.vbd_rd,
            "vbd_wr": self.vbd_wr,
            "vbd_rsect": self.vbd_rsect,
            "vbd_wsect": self.vbd_wsect,
            "ssid": self.ssid,
        }
        if "vcpus" in self.details:
            out["vcpu_secs"] = [[v, s] for v, s in self.vcpu_secs]
        if "networks" in self.details:
            out["networks"] = [n.to_json() for n in self.networks]
        if "vbds" in self.details:
            out["vbd_devices"] = [v.to_json() for v in self.vbd_devices]
        return out


# --- line shapes ------------------------------------------------------------------------

_TITLE = re.compile(r"[A-Z][A-Z_]*(?:\([a-z%]+\))?")
# (no leading \s*: the name is stripped, and \s*.*? would split a run of blanks every way)
_ROW_START = re.compile(r"(?P<name>.*?)\s(?P<state>[d-][s-][b-][c-][p-][r-])\s+(?=[0-9])")
_STATE_TOKEN = re.compile(r"\s[d-][s-][b-][c-][p-][r-]\s")
MAX_ERRORS_KEPT = 100
# a stream's frame and a domain's detail lists are held until they end: bounded, so a host
# sending rows or detail lines for ever cannot fill the memory (Xen has < 32,752 domids)
MAX_FRAME_ROWS = 32_768
MAX_DETAIL_ITEMS = 8_192  # vCPU times, nets and VBDs of one domain, together
_MAX_STATE_WORDS = 16  # state-like words tried inside one row's name
_STATE_AT = re.compile(r"(?=\s[d-][s-][b-][c-][p-][r-]\s+[0-9])")  # every one, overlapping
_VCPUS = re.compile(rf"VCPUs\(sec\):(?P<pairs>(?:\s+{UINT}:\s+{UINT}s)*)\s*")
_VCPU_MORE = re.compile(rf"\s+{UINT}:\s+{UINT}s(?:\s+{UINT}:\s+{UINT}s)*\s*")
_PAIR = re.compile(rf"({UINT}):\s+({UINT})s")
# the usual -n / -x lines (all numbers) ...
_NET_FAST = re.compile(
    r"Net([0-9]+) RX: *([0-9]+)bytes +([0-9]+)pkts +([0-9]+)err +([0-9]+)drop +"
    r"TX: *([0-9]+)bytes +([0-9]+)pkts +([0-9]+)err +([0-9]+)drop\s*"
)
_VBD_FAST = re.compile(
    r"VBD (\w+) +([0-9]+) +\[[ 0-9a-f]*:[ 0-9a-f]*\] +OO: *([0-9]+) +RD: *([0-9]+)"
    r" +WR: *([0-9]+) +RSECT: *([0-9]+) +WSECT: *([0-9]+)\s*"
)
# ... and every variant: "-" for unreadable counters, no [maj:min], 3.x without sectors
_D = rf"({UINT}|-)"
_NET = re.compile(
    rf"\s*Net({UINT})\s+RX:\s*{_D}bytes\s+{_D}pkts\s+{_D}err\s+{_D}drop"
    rf"\s+TX:\s*{_D}bytes\s+{_D}pkts\s+{_D}err\s+{_D}drop\s*"
)
_VBD = re.compile(
    rf"\s*VBD\s+(?:([A-Za-z]\w*)\s+)?({UINT})\s+(?:\[\s*[0-9a-fA-F]+:\s*[0-9a-fA-F]+\]\s+)?"
    rf"OO:\s*{_D}\s+RD:\s*{_D}\s+WR:\s*{_D}(?:\s+RSECT:\s*{_D}\s+WSECT:\s*{_D})?\s*"
)
# lines that carry nothing we model: tmem, the -p Physical CPU box, interactive summary
# and the interactive screen's key-help bottom line (a screen copied from a terminal)
_IGNORED = re.compile(
    r"Tmem:|Physical CPU Usage:|No PCPU data available|[+|]|xentop - [0-9]"
    r"|[0-9]+ domains: [0-9]+ running|Mem: [0-9]+k total"
    r"|Delay +Networks +vBds +(?:Tmem +)?VCPUs +Repeat header +Sort order +Quit\s*$"
)
# every valid STATE value (6 positions, each its letter or "-"): a set lookup is fastest
_STATES = frozenset(
    "".join(c if bit else "-" for c, bit in zip("dsbcpr", bits, strict=True))
    for bits in itertools.product((0, 1), repeat=6)
)

# XentopDomain's positional fields up to name_truncated
_ROW_FIELDS = tuple(f.name for f in fields(XentopDomain))[:21]
_POS = {f: i for i, f in enumerate(_ROW_FIELDS)}
_UNLIMITED, _TRUNCATED = _POS["maxmem_unlimited"], _POS["name_truncated"]
# a pending domain's detail lines (see _build)
_VCPU_I, _NETS_I, _VBDS_I, _MASK_I = range(4)
_VCPUS_BIT, _NETS_BIT, _VBDS_BIT = 1, 2, 4  # nets/vbds: set at build when the lists are not empty
_net_fast, _vbd_fast = _NET_FAST.fullmatch, _VBD_FAST.fullmatch
_vcpus_line, _pairs = _VCPUS.fullmatch, _PAIR.findall
_plain_row = constructor(XentopDomain, _ROW_FIELDS)
_full_row = constructor(XentopDomain, [f.name for f in fields(XentopDomain)])
_with_details = updater(XentopDomain, ("vcpu_secs", "networks", "vbd_devices", "details"))
_new_net = constructor(XentopNet, [f.name for f in fields(XentopNet)])
_new_vbd = constructor(XentopVbd, [f.name for f in fields(XentopVbd)])
_DETAIL_SETS = [
    frozenset(k for k, bit in (("vcpus", 1), ("networks", 2), ("vbds", 4)) if mask & bit)
    for mask in range(8)
]


# "%6.1f" of a percentage whose divisor was 0 (no host memory total, no time elapsed)
_NO_FLOAT = frozenset(("n/a", "nan", "-nan", "inf", "-inf"))


def _dash_int(s: str) -> int | None:
    return None if s == "-" else uint(s)


@dataclass(frozen=True, slots=True)
class _Layout:
    titles: tuple[str, ...]  # after NAME
    name_end: int | None  # column where names end (None: unknown, find the state)
    # (token index, field position, is_float) of every column we model
    plan: tuple[tuple[int, int, bool], ...]
    ints: tuple[tuple[int, int], ...]  # (token index, field position)
    floats: tuple[tuple[int, int], ...]
    standard: bool  # the 4.x columns: tokens are in XentopDomain field order


def _layout(titles: tuple[str, ...], name_end: int | None) -> _Layout:
    plan: list[tuple[int, int, bool]] = []
    for i, title in enumerate(titles[1:], start=1):
        if title in _INT_COLS:
            plan.append((i, _POS[_INT_COLS[title]], False))
        elif title in _FLOAT_COLS:
            plan.append((i, _POS[_FLOAT_COLS[title]], True))
    ints = tuple((i, p) for i, p, f in plan if not f)
    floats = tuple((i, p) for i, p, f in plan if f)
    standard = titles == tuple(_DEFAULT_TITLES[1:])
    return _Layout(titles, name_end, tuple(plan), ints, floats, standard)


@functools.lru_cache(maxsize=64)  # a stream repeats the same header every frame
def _header_layout(line: str) -> _Layout | None:
    tokens = line.split()
    if len(tokens) < 2 or tokens[0] != "NAME" or tokens[1] != "STATE":
        return None
    if not all(_TITLE.fullmatch(t) for t in tokens[2:]):
        return None
    return _layout(tuple(tokens[1:]), line.index("NAME") + 4)


_HEADERLESS = {  # by token count: 4.x, 3.x-4.0 without sectors, early 3.0 without VBDs
    len(_DEFAULT_TITLES) - 1: _layout(tuple(_DEFAULT_TITLES[1:]), None),
    len(_DEFAULT_TITLES) - 3: _layout(tuple(_DEFAULT_TITLES[1:16] + ["SSID"]), None),
    len(_DEFAULT_TITLES) - 7: _layout(tuple(_DEFAULT_TITLES[1:12] + ["SSID"]), None),
}


def _sort_key(name: str) -> bytes:
    """strcasecmp order: bytes compared with ASCII letters lowered."""
    return name.encode("utf-8", "surrogateescape").lower()


def _split_row(line: str, layout: _Layout | None) -> tuple[str, list[str], _Layout] | None:
    """(name, value tokens, layout) of a row: NAME sliced at the header's column, else
    (tabs, no header, a header of another width, a UTF-8 name padded by bytes) everything
    before the first STATE token after which the columns add up."""
    w = layout.name_end if layout is not None else None
    if w is not None and len(line) > w + 7 and line[w] == " " and line[w + 1] != " ":
        found = _checked_tokens(line[:w].strip(), line[w:], layout)
        if found is not None:
            return found
    if _STATE_TOKEN.search(line) is None:  # a header or garbage: skip the slow regex
        return None
    m = _ROW_START.match(line)
    if m is None:
        return None
    found = _checked_tokens(m["name"].strip(), line[m.start("state") :], layout)
    if found is not None:
        return found
    # the name holds a state word; a few at most (a line of thousands is garbage: each try
    # re-splits the line)
    for s in itertools.islice(_STATE_AT.finditer(line, m.end("state")), _MAX_STATE_WORDS):
        found = _checked_tokens(line[: s.start()].strip(), line[s.start() + 1 :], layout)
        if found is not None:
            return found
    return None


def _checked_tokens(
    name: str, rest: str, layout: _Layout | None
) -> tuple[str, list[str], _Layout] | None:
    toks = rest.split()
    if "no" in toks:  # MAXMEM(k) "no limit" is one value in two words
        i = toks.index("no")
        if i + 1 < len(toks) and toks[i + 1] == "limit":
            toks[i : i + 2] = ["no limit"]
    lay = layout if layout is not None else _HEADERLESS.get(len(toks))
    if lay is None or len(toks) != len(lay.titles) or toks[0] not in _STATES:
        return None
    return name, toks, lay


class _Converted(dict[str, Any]):
    """token → number, converted once: columns whose values repeat from frame to frame
    (percentages, memory sizes, vCPU/vif/vbd counts) cost a lookup instead of a
    conversion. Bounded, so a host printing ever-new values cannot grow it without end."""

    __slots__ = ("_convert",)
    LIMIT = 50_000

    def __init__(self, convert: Any) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, token: str) -> Any:
        value = self._convert(token)  # ValueError for a non-number, as int()/float()
        if len(self) < self.LIMIT:
            self[token] = value
        return value


# (each converts like uint/decimal: ASCII digits, no sign, no exponent, no nan)
_FLOAT_OF, _SMALL_INT_OF = _Converted(decimal), _Converted(uint)


def _fast_row(line: str, w: int) -> XentopDomain | None:
    """The common row, unrolled: 4.x columns of plain numbers after a NAME ending at ``w``,
    built at once as the record it is (detail lines that follow are added by _build).
    None sends the line down the general path (:func:`_parse_row`)."""
    if len(line) > w + 7 and line[w] == " " and line[w + 1] != " ":
        rest = line[w:]
        t = rest.split()
        # what int() takes beyond printf's digits: other scripts' digits, "+", "_", a "-"
        # after the state (the cached columns convert strictly: uint, decimal)
        if (len(t) == 18 and t[0] in _STATES and rest.isascii() and rest.find("-", 7) < 0
                and "+" not in rest and "_" not in rest):
            name = line[:w].strip()  # "" for a name node holding "" (all blanks)
            try:
                f, i = _FLOAT_OF, _SMALL_INT_OF
                return _plain_row(name, t[0], int(t[1]), f[t[2]], i[t[3]], f[t[4]], i[t[5]],
                                  f[t[6]], i[t[7]], i[t[8]], int(t[9]), int(t[10]),
                                  i[t[11]], i[t[12]], int(t[13]), int(t[14]), int(t[15]),
                                  int(t[16]), i[t[17]], False,
                                  w == _NAME_WIDTH and line[0] != " ")
            except ValueError:
                pass  # "no limit", "-" and friends
    return None


def _parse_row(line: str, layout: _Layout | None) -> list[Any] | None:
    """A domain row's values in XentopDomain field order, or None if it is not a row."""
    split = _split_row(line, layout)
    if split is None:
        return None
    name, toks, layout = split
    width = layout.name_end if layout.name_end is not None else _NAME_WIDTH
    # "%10.10s" cuts at 10 bytes: a full field (no padding) may be a cut name, even when it
    # shows fewer characters (UTF-8, or a blank at the cut that strip() took)
    truncated = width == _NAME_WIDTH and not line[:1].isspace() and len(name) <= _NAME_WIDTH
    t = toks
    nums = "".join(t[1:]) if layout.standard else ""
    if nums.isascii() and nums.replace(".", "").isdecimal():  # (False for "")
        f = _FLOAT_OF  # digits[.digits] only; int() of ASCII digits takes nothing else
        try:  # the common case, unrolled: 19 columns of plain numbers
            return [
                name, t[0], int(t[1]), f[t[2]], int(t[3]), f[t[4]], int(t[5]),
                f[t[6]], int(t[7]), int(t[8]), int(t[9]), int(t[10]), int(t[11]),
                int(t[12]), int(t[13]), int(t[14]), int(t[15]), int(t[16]), int(t[17]),
                False, truncated,
            ]  # fmt: skip
        except ValueError:
            pass
    values: list[Any] = [None] * len(_ROW_FIELDS)
    values[0], values[1], values[_UNLIMITED], values[_TRUNCATED] = name, t[0], False, truncated
    try:
        for i, pos in layout.ints:
            values[pos] = uint(t[i])
        for i, pos in layout.floats:
            values[pos] = decimal(t[i])
    except ValueError:
        return _row_values_slow(values, t, layout)
    return values


def _row_values_slow(values: list[Any], toks: list[str], layout: _Layout) -> list[Any] | None:
    """The same with ``-`` (unreadable), ``n/a`` and ``no limit`` allowed (and a percentage
    of a zero or negative divisor: unknown). Any other value that is not uint/decimal: not a row."""
    try:
        for i, pos, is_float in layout.plan:
            tok = toks[i]
            values[pos] = None
            if tok == "-" or (is_float and tok in _NO_FLOAT):
                continue
            if is_float:
                if tok[:1] == "-" and is_decimal(tok[1:]):
                    continue  # a percentage over a wall clock that stepped back: unknown
                values[pos] = decimal(tok)
            elif tok == "no limit":
                if pos != _POS["maxmem_k"]:
                    return None
                values[_UNLIMITED] = True
            else:
                values[pos] = uint(tok)
    except ValueError:
        return None
    return values


def _build(cur: list[Any] | XentopDomain, det: list[Any] | None) -> XentopDomain:
    """A pending domain (a fast row's record, or the general path's values) with its
    detail lines (vcpu, net, vbd lists + detail mask; None without any) as a record."""
    if det is None:
        if type(cur) is XentopDomain:  # a fast row without detail lines (the stream's rows)
            return cur
        assert isinstance(cur, list)
        return _plain_row(*cur)
    vcpus, nets, vbds, mask = det
    mask |= (_NETS_BIT if nets else 0) | (_VBDS_BIT if vbds else 0)
    extra = (tuple(vcpus), tuple(nets), tuple(vbds), _DETAIL_SETS[mask])
    if type(cur) is XentopDomain:
        return _with_details(cur, *extra)
    assert isinstance(cur, list)
    return _full_row(*cur, *extra)


def _slow_net(line: str) -> XentopNet | None:
    m = _NET.fullmatch(line)
    if m is None:
        return None
    g = m.groups()
    return XentopNet(int(g[0]), *(_dash_int(v) for v in g[1:]))


def _slow_vbd(line: str) -> XentopVbd | None:
    m = _VBD.fullmatch(line)
    if m is None:
        return None
    g = m.groups()
    return XentopVbd(
        g[0] or "Unidentified",
        int(g[1]),
        _dash_int(g[2]),
        _dash_int(g[3]),
        _dash_int(g[4]),
        None if g[5] is None else _dash_int(g[5]),
        None if g[6] is None else _dash_int(g[6]),
    )


class XentopFrameAssembler:
    """Turns ``xentop -b`` lines into frames (one list of domains per iteration).

    A frame is complete when the next header arrives (without ``-r``) or when a domain
    row cannot belong to it (names go back in sort order, or an untruncated name repeats:
    the ``-r`` case); :meth:`flush` hands over the pending frame when the stream is quiet.
    Garbage lines are recorded in :attr:`errors` and skipped.
    """

    __slots__ = (
        "errors",
        "dom0_first_guessed",
        "dom0_first_refuted",
        "headers",
        "_line_no",
        "_layout",
        "_frame",
        "_cur",
        "_det",
        "_names",
        "_prev_name",
        "_prev_key",
        "_rows_since_header",
        "_at_header",
        "_non_repeat",
        "_dom0_first",
        "_dom0_sorted",
        "_in_vcpus",
        "_fast_w",
        "_seen_rows",
        "_new_rows",
    )

    def __init__(self, *, guess_dom0_first: bool = True) -> None:
        # the latest lines that were not xentop's (a stream may bring garbage for hours)
        self.errors: collections.deque[ParseError] = collections.deque(maxlen=MAX_ERRORS_KEPT)
        # frames were cut as -z's (see _starts_new_frame); a later frame refuted that
        self.dom0_first_guessed = False
        self.dom0_first_refuted = False
        self.headers = 0  # header lines read
        self._line_no = 0
        self._layout: _Layout | None = None
        self._frame: list[XentopDomain] = []
        # the domain whose detail lines may follow: its record, or its values (see _build)
        self._cur: list[Any] | XentopDomain | None = None
        self._det: list[Any] | None = None  # its detail lines so far (see _details)
        self._names: set[str] = set()
        self._prev_name: str | None = None
        self._prev_key = b""
        self._rows_since_header = 0
        self._at_header = 0  # rows of the pending frame before the last header
        self._non_repeat = False  # seen a header followed by 2+ rows: no -r
        self._dom0_first = False  # xentop -z: Domain-0 leads every frame
        # seen Domain-0 after another row of its frame (or told not to guess): no -z
        self._dom0_sorted = not guess_dom0_first
        self._in_vcpus = False  # the last line was VCPUs(sec) (it may continue)
        self._fast_w: int | None = None  # where names end, when the columns are 4.x's
        # fast rows of the last frame and of this one by their line: a row printed again
        # (an idle domain) is the same record, not parsed again
        self._seen_rows: dict[str, XentopDomain] = {}
        self._new_rows: dict[str, XentopDomain] = {}

    # -- public API --

    def feed(self, line: str) -> list[list[XentopDomain]]:
        """Frames completed by this line (usually none, sometimes one)."""
        return self.feed_lines((line,))

    def feed_lines(self, lines: Iterable[str]) -> list[list[XentopDomain]]:
        """Frames completed by these lines (a stream's chunk at once is the cheap way)."""
        done: list[list[XentopDomain]] = []
        feed = self._feed
        for line in lines:
            self._line_no += 1
            try:
                feed(line, done)
            except ParseError as e:
                self.errors.append(e)
            except (ValueError, OverflowError) as e:  # e.g. a 5000-digit counter
                self.errors.append(self._error(line, unusable_number(e)))
        return done

    @property
    def pending(self) -> bool:
        """Whether lines of an unfinished frame are held (:meth:`flush` would give one)."""
        return self._cur is not None or bool(self._frame)

    def flush(self) -> list[XentopDomain] | None:
        """The pending frame (None if there is none); the next row starts a new frame."""
        self._close_domain()
        if not self._frame:
            return None
        return self._take_frame()

    # -- internals --

    def _details(self) -> list[Any]:
        """The pending domain's detail lists, made at its first detail line."""
        det = self._det
        if det is None:
            det = self._det = [[], [], [], 0]
        elif len(det[_VCPU_I]) + len(det[_NETS_I]) + len(det[_VBDS_I]) >= MAX_DETAIL_ITEMS:
            raise ParseError(SOURCE, self._line_no, None,
                             f"more than {MAX_DETAIL_ITEMS} detail items for one domain")
        return det

    def _error(self, line: str, reason: str) -> ParseError:
        return ParseError(SOURCE, self._line_no, line, reason)

    def _close_domain(self) -> None:
        if self._cur is not None:
            self._frame.append(_build(self._cur, self._det))
            self._cur = self._det = None
        self._in_vcpus = False

    def _take_frame(self, upto: int | None = None) -> list[XentopDomain]:
        """The pending frame's rows (its first ``upto`` only, the others staying pending)."""
        frame = self._frame
        if upto is not None:
            frame, self._frame = frame[:upto], frame[upto:]
        else:
            self._frame = []
        kinds = frozenset[str]().union(*(d.details for d in frame))
        if kinds:  # -n/-x print nothing for a domain with no devices: fill in the empties
            frame = [d if d.details >= kinds else replace(d, details=kinds) for d in frame]
        self._seen_rows, self._new_rows = self._new_rows, {}
        self._names = set()
        self._prev_name = None
        self._at_header = 0
        return frame

    def _starts_new_frame(self, name: str, key: bytes, truncated: bool) -> bool:
        if not self._frame or self._non_repeat:
            return False
        if not truncated and name in self._names:
            return True
        prev = self._prev_name
        if prev is None:
            return False
        if self._dom0_first and name == "Domain-0":
            return True
        if prev == "Domain-0" and len(self._frame) == 1 and not self._dom0_sorted:
            if key < self._prev_key:
                self._dom0_first = self.dom0_first_guessed = True  # -z (4.19+), or a lone
                # Domain-0 before this row (it was alone in its frame): see parse_xentop
            return False
        if key >= self._prev_key:
            return False
        if self._dom0_first:  # under -z every frame starts with Domain-0: this was not -z
            self._dom0_first, self._dom0_sorted = False, True
            self.dom0_first_refuted = True
        return True

    def _feed(self, line: str, done: list[list[XentopDomain]]) -> None:
        cur = self._cur
        first = line[:1]
        # the common detail lines first, without any copying
        if cur is not None and (first == "N" or first == "V"):
            if first == "N":
                m = _net_fast(line)
                if m is not None:
                    det = self._details()
                    det[_NETS_I].append(_new_net(*map(int, m.groups())))
                    self._in_vcpus = False
                    return
            elif line[1:2] == "C":
                m = _vcpus_line(line)
                if m is not None:
                    det = self._details()
                    det[_VCPU_I].extend([(int(a), int(b)) for a, b in _pairs(m[1])])
                    det[_MASK_I] |= _VCPUS_BIT
                    self._in_vcpus = True
                    return
            else:
                m = _vbd_fast(line)
                if m is not None:
                    g = m.groups()
                    det = self._details()
                    det[_VBDS_I].append(_new_vbd(g[0], *map(int, g[1:])))
                    self._in_vcpus = False
                    return
        elif self._layout is not None and not self._in_vcpus:
            # rows are the next most common
            w = self._fast_w
            rec = self._seen_rows.get(line)
            if rec is None and w is not None:
                rec = _fast_row(line, w)
            if rec is not None:
                self._new_rows[line] = rec
                self._row(rec, rec.name, rec.name_truncated, done)
                return
            values = _parse_row(line, self._layout)
            if values is not None:
                self._row(values, values[0], values[_TRUNCATED], done)
                return
        line = line.rstrip()
        stripped = line.lstrip()
        if not stripped:
            return
        if stripped.startswith("NAME") and stripped[4:5].isspace():
            layout = _header_layout(line)
            if layout is not None:
                self._header(layout, done)
                return
        if cur is not None:
            if self._in_vcpus and first in " \t" and _VCPU_MORE.fullmatch(line):
                det = self._details()
                det[_VCPU_I].extend([(int(a), int(b)) for a, b in _PAIR.findall(line)])
                return
            if stripped.startswith("VCPUs(sec):") and (m := _VCPUS.fullmatch(stripped)):
                det = self._details()
                det[_VCPU_I].extend([(int(a), int(b)) for a, b in _PAIR.findall(m[1])])
                det[_MASK_I] |= _VCPUS_BIT
                self._in_vcpus = True
                return
            net = _slow_net(stripped) if stripped.startswith("Net") else None
            if net is not None:
                det = self._details()
                det[_NETS_I].append(net)
                self._in_vcpus = False
                return
            vbd = _slow_vbd(stripped) if stripped.startswith("VBD") else None
            if vbd is not None:
                det = self._details()
                det[_VBDS_I].append(vbd)
                self._in_vcpus = False
                return
        values = _parse_row(line, self._layout)
        if values is None:
            if _IGNORED.match(stripped) or is_tool_log_line(stripped):
                return
            if cur is None and stripped.startswith(("VCPUs(sec):", "Net", "VBD ")):
                raise self._error(line, "detail line before any domain row")
            raise self._error(line, "not a xentop line")
        self._row(values, values[0], values[_TRUNCATED], done)

    def _header(self, layout: _Layout, done: list[list[XentopDomain]]) -> None:
        self.headers += 1
        self._close_domain()
        if self._frame and self._non_repeat:
            done.append(self._take_frame())
        self._at_header = len(self._frame)
        if layout != self._layout:
            self._seen_rows, self._new_rows = {}, {}
        self._layout = layout
        self._fast_w = layout.name_end if layout.standard else None
        self._rows_since_header = 0

    def _row(self, cur: list[Any] | XentopDomain, name: str, truncated: bool,
             done: list[list[XentopDomain]]) -> None:
        self._close_domain()
        if len(self._frame) >= MAX_FRAME_ROWS:
            self._take_frame()
            raise ParseError(SOURCE, self._line_no, None,
                             f"more than {MAX_FRAME_ROWS} domains in one frame: dropped")
        if self._rows_since_header and not self._non_repeat and self._layout is not None:
            # a second row after one header: not -r, so headers delimit the frames, and
            # the rows before that header (taken as one frame with these) were one
            self._non_repeat = True
            if self._at_header:
                done.append(self._take_frame(self._at_header))
        if not self._non_repeat:  # once headers delimit frames, the row order never has to
            key = _sort_key(name)
            if self._frame and self._starts_new_frame(name, key, truncated):
                done.append(self._take_frame())
            elif self._frame and name == "Domain-0" and not self._dom0_first:
                self._dom0_sorted = True  # (so a lone Domain-0 frame is not taken for -z)
            self._prev_key = key
        self._cur = cur
        if not truncated and not self._non_repeat:  # (only _starts_new_frame needs them)
            self._names.add(name)
        self._prev_name = name
        self._rows_since_header += 1


@parse_errors(SOURCE)
def parse_xentop(text: str) -> list[list[XentopDomain]]:
    """All iterations of a ``xentop -b`` output; garbage raises ParseError."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    asm = XentopFrameAssembler()
    frames = _assemble(asm, lines)
    if not frames and asm._layout is None:  # every line skipped: tool messages, or blank
        noise = SkippedNoise()
        for no, line in enumerate(lines, 1):
            if line.strip():
                noise.skip(no, line)
        noise.refuse_if_alone(SOURCE, False, "header or domain row")
    if not frames:  # headers alone: iterations in which no domain had a name node yet
        return [[] for _ in range(asm.headers)]
    if asm.dom0_first_guessed:
        # -r after a frame of Domain-0 alone reads as -z (4.19+) too: the reading that
        # keeps domains together in fewer frames wins, and xentop's default on a tie
        plain = _assemble(XentopFrameAssembler(guess_dom0_first=False), lines)
        if asm.dom0_first_refuted or len(plain) <= len(frames):
            return plain
    return frames


def _assemble(asm: XentopFrameAssembler, lines: list[str]) -> list[list[XentopDomain]]:
    frames: list[list[XentopDomain]] = []
    feed = asm._feed
    i = 0
    try:
        for i, line in enumerate(lines):  # noqa: B007 (i names the failing line)
            feed(line, frames)
    except ParseError as e:  # _feed does not count lines here: put the number in
        raise ParseError(SOURCE, i + 1, lines[i], e.reason) from None
    except (ValueError, OverflowError) as e:
        raise ParseError(SOURCE, i + 1, lines[i], unusable_number(e)) from None
    last = asm.flush()
    if last is not None:
        frames.append(last)
    return frames
