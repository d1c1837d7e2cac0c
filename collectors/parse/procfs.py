"""Dom0's ``/proc/loadavg`` and ``/proc/net/dev`` (``commands.DOM0_PROC`` cats both).

``/proc/net/dev`` has two header lines naming the receive and transmit fields, then
``%6s: %7llu ...`` per interface; old kernels print ``eth0:1234`` with the first number
glued to the colon. Interface names cannot contain ``:``, so the first one ends the name.
"""

from __future__ import annotations

import re

from collectors.model import Dom0View, NetIfCounters
from collectors.parse.common import ParseError, lines_of
from collectors.parse.guard import parse_errors

_DEFAULT_RX = ("bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast")
_DEFAULT_TX = ("bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed")
_LOADAVG = re.compile(r"\s*(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)(?:\s.*)?")


@parse_errors("/proc/net/dev")
def parse_proc_net_dev(text: str) -> list[NetIfCounters]:
    source = "/proc/net/dev"
    rx_names: tuple[str, ...] = _DEFAULT_RX
    tx_names: tuple[str, ...] = _DEFAULT_TX
    out: list[NetIfCounters] = []
    for no, raw in lines_of(text):
        line = raw.strip()
        if not line or line.startswith("Inter-"):
            continue
        if line.startswith("face") and line.count("|") == 2:
            _, rx_titles, tx_titles = line.split("|")
            rx_names, tx_names = tuple(rx_titles.split()), tuple(tx_titles.split())
            continue
        name, colon, rest = line.partition(":")
        nums = rest.split()
        if not colon or not name.strip() or not all(n.isdecimal() for n in nums):
            raise ParseError(source, no, raw, "not an interface line")
        if len(nums) != len(rx_names) + len(tx_names) or "bytes" not in rx_names + tx_names:
            raise ParseError(source, no, raw, "column count does not match the header")
        rx = dict(zip(rx_names, map(int, nums[: len(rx_names)]), strict=True))
        tx = dict(zip(tx_names, map(int, nums[len(rx_names) :]), strict=True))
        if "bytes" not in rx or "bytes" not in tx:
            raise ParseError(source, no, raw, "no bytes columns")
        out.append(
            NetIfCounters(
                name=name.strip(),
                rx_bytes=rx["bytes"],
                tx_bytes=tx["bytes"],
                rx_packets=rx.get("packets"),
                tx_packets=tx.get("packets"),
                rx_errs=rx.get("errs"),
                tx_errs=tx.get("errs"),
                rx_drop=rx.get("drop"),
                tx_drop=tx.get("drop"),
            )
        )
    return out


@parse_errors("/proc/loadavg")
def parse_loadavg(text: str) -> tuple[float, float, float]:
    m = _LOADAVG.fullmatch(text.strip("\r\n"))
    if m is None:
        first = text.split("\n", 1)[0]
        raise ParseError("/proc/loadavg", 1, first, "expected three load averages")
    return float(m[1]), float(m[2]), float(m[3])


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
