"""Dom0's ``/proc/loadavg`` and ``/proc/net/dev`` (``commands.DOM0_PROC`` cats both).

``/proc/net/dev`` has two header lines naming the receive and transmit fields, then
``%6s: %7llu ...`` per interface; old kernels print ``eth0:1234`` with the first number
glued to the colon. Interface names cannot contain ``:``, so the first one ends the name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from collectors.model import Dom0View, NetIfCounters
from collectors.parse.common import DECIMAL, ParseError, decimal, lines_of, unusable_number
from collectors.parse.guard import parse_errors
from collectors.parse.records import constructor

_DEFAULT_RX = ("bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast")
_DEFAULT_TX = ("bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed")
_LOADAVG = re.compile(rf"\s*({DECIMAL})\s+({DECIMAL})\s+({DECIMAL})(?:\s.*)?")


@parse_errors("/proc/net/dev")
def parse_proc_net_dev(text: str, reuse: Mapping[str, NetIfCounters] | None = None,
                       keep: dict[str, NetIfCounters] | None = None) -> list[NetIfCounters]:
    """Every interface's counters. ``reuse`` maps lines of the usual layout to their
    records (from ``keep`` of an earlier call): such a line is not parsed again."""
    source = "/proc/net/dev"
    width, picks = _net_dev_columns(_DEFAULT_RX, _DEFAULT_TX)
    make = _make_counters
    out: list[NetIfCounters] = []
    fast = True  # the usual header until one says otherwise
    for no, raw in lines_of(text):
        if fast and reuse is not None and (rec := reuse.get(raw)) is not None:
            out.append(rec)
            if keep is not None:
                keep[raw] = rec
            continue
        name, colon, rest = raw.partition(":")
        if colon and fast:  # the usual 16 columns, unrolled; anything else goes below
            nums = rest.split()
            digits = "".join(nums)  # ASCII digits only: isdecimal alone takes any script's
            if (len(nums) == 16 and digits.isdecimal() and digits.isascii()
                    and (name := name.strip())):
                try:
                    rec = make(name, int(nums[0]), int(nums[8]), int(nums[1]), int(nums[9]),
                               int(nums[2]), int(nums[10]), int(nums[3]), int(nums[11]))
                except ValueError as e:  # thousands of digits
                    raise ParseError(source, no, raw, unusable_number(e)) from None
                out.append(rec)
                if keep is not None:
                    keep[raw] = rec
                continue
        line = raw.strip()
        if not line or line.startswith("Inter-"):
            continue
        if line.startswith("face") and line.count("|") == 2:
            _, rx_titles, tx_titles = line.split("|")
            width, picks = _net_dev_columns(tuple(rx_titles.split()), tuple(tx_titles.split()))
            fast = picks == _DEFAULT_PICKS and width == 16
            continue
        name, colon, rest = line.partition(":")
        nums = rest.split()
        name = name.strip()
        digits = "".join(nums)
        if not colon or not name or not digits.isdecimal() or not digits.isascii():
            raise ParseError(source, no, raw, "not an interface line")
        if len(nums) != width:
            raise ParseError(source, no, raw, "column count does not match the header")
        if picks is None:
            raise ParseError(source, no, raw, "no bytes columns")
        # rx/tx bytes, packets, errs, drop; the two bytes columns are always there
        rxb, txb, rxp, txp, rxe, txe, rxd, txd = picks
        try:
            out.append(make(
                name, int(nums[rxb]), int(nums[txb]),  # type: ignore[index]
                None if rxp is None else int(nums[rxp]), None if txp is None else int(nums[txp]),
                None if rxe is None else int(nums[rxe]), None if txe is None else int(nums[txe]),
                None if rxd is None else int(nums[rxd]), None if txd is None else int(nums[txd]),
            ))
        except ValueError as e:  # thousands of digits
            raise ParseError(source, no, raw, unusable_number(e)) from None
    return out


_make_counters = constructor(NetIfCounters, (
    "name", "rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errs", "tx_errs",
    "rx_drop", "tx_drop"))
_NetDevColumns = tuple[int, tuple[int | None, ...] | None]


@functools.lru_cache(maxsize=8)
def _net_dev_columns(rx: tuple[str, ...], tx: tuple[str, ...]) -> _NetDevColumns:
    """(number of columns, positions of rx/tx bytes, packets, errs, drop) for a header;
    positions None when the header has no bytes columns."""
    def at(names: tuple[str, ...], title: str, offset: int) -> int | None:
        return names.index(title) + offset if title in names else None

    picks = tuple(at(names, title, off) for title in ("bytes", "packets", "errs", "drop")
                  for names, off in ((rx, 0), (tx, len(rx))))
    width = len(rx) + len(tx)
    return width, picks if picks[0] is not None and picks[1] is not None else None


_DEFAULT_PICKS = _net_dev_columns(_DEFAULT_RX, _DEFAULT_TX)[1]  # rx/tx bytes, packets, errs, drop


@parse_errors("/proc/loadavg")
def parse_loadavg(text: str) -> tuple[float, float, float]:
    m = _LOADAVG.fullmatch(text.strip("\r\n"))
    if m is None:
        first = text.split("\n", 1)[0]
        raise ParseError("/proc/loadavg", 1, first, "expected three load averages")
    try:
        return decimal(m[1]), decimal(m[2]), decimal(m[3])
    except ValueError as e:  # hundreds of digits: past a double
        raise ParseError("/proc/loadavg", 1, text.split("\n", 1)[0], str(e)) from None


class NetDevReader:
    """:func:`parse_proc_net_dev` for one host's successive samples: an interface whose
    line is printed again (no traffic since) keeps its record instead of being parsed."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, NetIfCounters] = {}

    def read(self, text: str) -> list[NetIfCounters]:
        kept: dict[str, NetIfCounters] = {}
        out = parse_proc_net_dev(text, self._last, kept)
        self._last = kept  # (this sample's lines only: the memo never outgrows a sample)
        return out


def split_cat(text: str) -> tuple[str, str]:
    """``cat /proc/loadavg /proc/net/dev`` → (loadavg line, net/dev text)."""
    text = text.replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    return first, rest


def parse_dom0_proc(text: str) -> Dom0View:
    """The output of ``commands.DOM0_PROC`` as a Dom0View."""
    load_text, dev_text = split_cat(text)
    return Dom0View(
        load=parse_loadavg(load_text),
        interfaces=tuple(parse_proc_net_dev(dev_text)),
        source="/proc/loadavg,/proc/net/dev",
    )
