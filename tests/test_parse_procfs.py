"""/proc/loadavg and /proc/net/dev (commands.DOM0_PROC)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.procfs import (
    NetDevReader,
    parse_dom0_proc,
    parse_loadavg,
    parse_proc_net_dev,
    split_cat,
)

DATA = Path(__file__).parent / "data" / "parse"


def test_lab_dom0_proc() -> None:
    view = parse_dom0_proc((DATA / "lab-dom0-proc.out").read_text())
    assert view.load == (0.27, 0.42, 0.21)
    by = {i.name: i for i in view.interfaces}
    assert list(by) == ["lo", "eth0", "xenbr0", "vif1.0", "vif1.1", "vif3.0"]
    vif = by["vif1.0"]
    assert (vif.rx_bytes, vif.rx_packets, vif.tx_bytes, vif.tx_packets, vif.tx_drop) == (
        504,
        7,
        1598,
        19,
        1,
    )
    assert by["eth0"].rx_bytes == 64650 and by["xenbr0"].tx_bytes == 100262


def test_old_kernel_counter_glued_to_the_name() -> None:
    rows = parse_proc_net_dev((DATA / "proc-net-dev-old-kernel.out").read_text())
    eth0 = rows[1]
    assert (eth0.name, eth0.rx_bytes, eth0.rx_packets, eth0.rx_errs, eth0.rx_drop) == (
        "eth0",
        123456789,
        987654,
        1,
        2,
    )
    assert (eth0.tx_bytes, eth0.tx_errs, eth0.tx_drop) == (98765432, 3, 4)
    assert rows[2].name == "vif12.0" and rows[2].tx_drop == 7


def test_split_cat_and_loadavg() -> None:
    first, rest = split_cat("0.1 0.2 0.3 1/2 3\r\nInter-|\r\n")
    assert first == "0.1 0.2 0.3 1/2 3" and rest.startswith("Inter-|")
    assert parse_loadavg("12.50 3.00 0.00 4/567 8901\n") == (12.5, 3.0, 0.0)


@pytest.mark.parametrize(
    "text",
    [
        "eth0: 1 2 3\n",  # wrong column count
        "no colon here 1 2 3\n",
        "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n",
    ],
)
def test_net_dev_garbage(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_proc_net_dev(text)
    assert e.value.line_no == 1


def test_loadavg_garbage() -> None:
    with pytest.raises(ParseError):
        parse_loadavg("load is high")


def test_net_dev_columns_follow_the_header_not_the_usual_layout() -> None:
    # 16 columns as usual, but this header swaps bytes and packets: the unrolled path for
    # the usual header must not be taken
    line = "  vif3.0: 10 20 0 1 0 0 0 0 30 40 2 3 0 0 0 0\n"
    usual = ("Inter-|   Receive                                                |  Transmit\n"
             " face |bytes    packets errs drop fifo frame compressed multicast|"
             "bytes    packets errs drop fifo colls carrier compressed\n")
    swapped = usual.replace("|bytes    packets", "|packets    bytes")
    (a,) = parse_proc_net_dev(usual + line)
    (b,) = parse_proc_net_dev(swapped + line)
    assert (a.rx_bytes, a.rx_packets, a.tx_bytes, a.tx_packets, a.tx_errs, a.tx_drop) == (
        10, 20, 30, 40, 2, 3)
    assert (b.rx_bytes, b.rx_packets, b.tx_bytes, b.tx_packets) == (20, 10, 40, 30)
    # a line of the usual width with a name that is empty or a negative number: refused
    for bad in ("  : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                "eth0: -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"):
        with pytest.raises(ParseError):
            parse_proc_net_dev(usual + bad)


def test_reader_keeps_the_records_of_lines_printed_again() -> None:
    text = (DATA / "lab-dom0-proc.out").read_text().partition("\n")[2]
    busier = text.replace("vif1.0:     504", "vif1.0:     999")
    assert busier != text
    reader = NetDevReader()
    first = reader.read(text)
    second = reader.read(busier)
    assert second == parse_proc_net_dev(busier)  # the same numbers as a fresh parse
    by1, by2 = {i.name: i for i in first}, {i.name: i for i in second}
    assert by2["vif1.0"].rx_bytes == 999 and by2["vif1.0"] is not by1["vif1.0"]
    assert all(by2[n] is by1[n] for n in by1 if n != "vif1.0")  # idle: not parsed again
    # a header of another layout reads every line by that header, not from the memo
    swapped = busier.replace("|bytes    packets", "|packets    bytes")
    third = {i.name: i for i in reader.read(swapped)}
    assert third["vif1.0"].rx_packets == 999
    assert third["vif1.0"].rx_bytes == by2["vif1.0"].rx_packets
