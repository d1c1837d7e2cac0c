"""Numbers no Xen tool prints are not numbers.

A host's text is untrusted. Its numbers are what a printf could print: ASCII digits, and
``digits[.digits]`` for a ``%.1f``; a ``-`` only where the tool prints one (xl's ``-1`` for
"not in XenStore", netback's relative ring indices). Python's int()/float() take far more:
other scripts' digits (``١٢٨`` is 128), ``_``, ``+``, blanks, ``nan``, ``inf``, ``1e400``
(inf). Every parser refuses a row holding such a "number" with a ParseError naming its
line, or, where it reads an unreadable value as unknown by design (XenStore values, ``xl
info`` values, the xentop stream, the ring dump), does exactly that. Each case also runs
with the ASCII number in the same place, which must parse: so every case can fail.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from collectors.parse import cli
from collectors.parse.common import ParseError, decimal, is_decimal, is_uint, uint
from collectors.parse.procfs import parse_loadavg, parse_proc_net_dev
from collectors.parse.rings import (
    parse_blkback_statistics,
    parse_netback_io_ring,
    parse_ring_dump,
)
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import XentopFrameAssembler, parse_xentop
from collectors.parse.xl_devices import parse_block_list, parse_network_list, vdev_to_devid
from collectors.parse.xl_info import (
    host_info_from,
    parse_cpupool_list,
    parse_xl_info,
    parse_xl_uptime,
)
from collectors.parse.xl_list import parse_xl_list, parse_xl_list_long
from collectors.parse.xl_vcpu import parse_xl_vcpu_list
from collectors.topology import topology_from_xenstore

ROOT = Path(__file__).resolve().parents[1]

# in place of an unsigned integer ("128")
BAD_INTS = {
    "arabic-indic digits": "١٢٨",
    "fullwidth digits": "１２８",
    "devanagari digits": "१२८",
    "one foreign digit": "12٨",
    "superscript digits": "¹²⁸",
    "underscore": "1_28",
    "plus": "+128",
    "minus": "-128",
    "nan": "nan",
    "inf": "inf",
    "exponent": "1e2",
    "fraction": "128.0",
    "thousands of digits": "9" * 5000,
}
# in place of a "%.1f" ("5.0")
BAD_FLOATS = {
    "arabic-indic digits": "٥.٠",
    "one foreign digit": "5.٠",
    "underscore": "5_0.0",
    "plus": "+5.0",
    "minus": "-5.0",
    "nan": "nan",
    "NaN": "NaN",
    "inf": "inf",
    "-inf": "-inf",
    "Infinity": "Infinity",
    "1e400": "1e400",
    "exponent": "5.0e1",
    "bare fraction": ".5",
    "bare dot": "5.",
    "past a double": "9" * 400 + ".0",
}
# glibc's "%6.1f" of x/0.0: xentop prints these, and they are read as "unknown" (None);
# so is a negative percentage (xentop divides by gettimeofday()'s elapsed time, which is
# negative after the wall clock stepped back)
XENTOP_ZERO_DIVISOR = ("nan", "-nan", "inf", "-inf", "-5.0")


@dataclass(frozen=True)
class Case:
    parse: Callable[[str], Any]
    text: str  # "{v}" marks the number
    line_no: int  # the line holding it
    value: Callable[[Any], object]  # the number from the parsed result
    good: str = "128"  # the ASCII number that parses
    expect: object = 128


def _vcpu_row(name: str, domid: str = "3", vcpu: str = "0", cpu: str = "1", secs: str = "4.6",
              hard: str = "0-3") -> str:
    # "%-32s %5u %5u" name, domid, vcpu, "%5u %3c%c- " cpu and state, "%9.1f  " time
    return f"{name:<32} {domid:>5} {vcpu:>5}{cpu:>5}   -b- {secs:>9}  {hard} / all"


VCPU_HEADER = ("Name                                ID  VCPU   CPU State   Time(s) "
               "Affinity (Hard / Soft)")
XL_LIST_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
XL_LIST_DOM0 = f"{'Domain-0':<40} {0:>5} {2048:>5} {4:>5}     r-----  {1234.6:>8}"


def _xl_list_row(domid: str = "3", mem: str = "1025", vcpus: str = "2", secs: str = "98.8",
                 name: str = "web1") -> str:
    # "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"
    return f"{name:<40} {domid:>5} {mem:>5} {vcpus:>5}     -b----  {secs:>8}"


XENTOP_TITLES = ["NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "MEM(%)", "MAXMEM(k)",
                 "MAXMEM(%)", "VCPUS", "NETS", "NETTX(k)", "NETRX(k)", "VBDS", "VBD_OO",
                 "VBD_RD", "VBD_WR", "VBD_RSECT", "VBD_WSECT", "SSID"]
XENTOP_WIDTHS = [10, 6, 10, 6, 10, 6, 10, 9, 5, 4, 8, 8, 4, 8, 8, 8, 10, 10, 4]
XENTOP_HEADER = " ".join(f"{t:>{w}}" for t, w in zip(XENTOP_TITLES, XENTOP_WIDTHS, strict=True))
XENTOP_VALUES = ["web1", "--b---", "98", "0.3", "1049600", "6.3", "1049600", "6.3", "2", "1",
                 "5", "7", "1", "0", "14823", "9120", "1210344", "583216", "0"]


def _xentop_row(**changed: str) -> str:
    """A xentop row with the columns named (by title) changed."""
    values = [changed.get(t, v) for t, v in zip(XENTOP_TITLES, XENTOP_VALUES, strict=True)]
    return " ".join(f"{v:>{w}}" for v, w in zip(values, XENTOP_WIDTHS, strict=True))


XENTOP_DOM0 = " ".join(
    f"{v:>{w}}" for v, w in zip(
        ["Domain-0", "-----r", "1234", "0.0", "2097152", "12.5", "no limit", "n/a", "4", "0",
         "0", "0", "0", "0", "0", "0", "0", "0", "0"], XENTOP_WIDTHS, strict=True)
)


def _one(frames: list[list[Any]], name: str = "web1") -> Any:
    (frame,) = frames
    (dom,) = [d for d in frame if d.name == name]
    return dom


def _xentop(col: str, attr: str) -> Case:
    return Case(parse_xentop, f"{XENTOP_HEADER}\n{XENTOP_DOM0}\n{_xentop_row(**{col: '{v}'})}\n",
                3, lambda f: getattr(_one(f), attr))


NET_LINE = ("Net0 RX: {rx:>8}bytes {p:>8}pkts {z:>8}err {z:>8}drop  "
            "TX: {z:>8}bytes {z:>8}pkts {z:>8}err {z:>8}drop")
VBD_LINE = ("VBD BlkBack 51712 [ca: 0]  OO: {z:>8}   RD: {rd:>8}   WR: {z:>8}   "
            "RSECT: {z:>10}   WSECT: {z:>10}")
NETBACK = """Queue 0
TX: nr_ents {tx}
req prod {req} (0) cons 104377 (0) event 104378 (1)
rsp prod 104377 (base) pvt 104377 (0) event 104378 (1)

RX: nr_ents 256
req prod 93761 (256) cons 93505 (0) event 93506 (1)
rsp prod 93505 (base) pvt 93505 (0) event 93506 (1)
"""
NET_DEV = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:    1234      10    0    0    0     0          0         0     1234      10    0 "
    "   0    0     0       0          0\n"
    "vif3.0: {rx} 20 0 0 0 0 0 0 {tx} 30 0 0 0 0 0 0\n"
)

POOLS = "Name               CPUs   Sched     Active   Domain count\n"
VBDS = "Vdev  BE  handle state evt-ch ring-ref BE-path\n"

INT_CASES: dict[str, Case] = {
    "xl list ID": Case(parse_xl_list, f"{XL_LIST_HEADER}\n{XL_LIST_DOM0}\n"
                       f"{_xl_list_row(domid='{v}')}\n", 3, lambda r: r[1].domid),
    "xl list Mem": Case(parse_xl_list, f"{XL_LIST_HEADER}\n{XL_LIST_DOM0}\n"
                        f"{_xl_list_row(mem='{v}')}\n", 3, lambda r: r[1].mem_mib),
    "xl list VCPUs, no header": Case(parse_xl_list, f"{XL_LIST_DOM0}\n"
                                     f"{_xl_list_row(vcpus='{v}')}\n", 2, lambda r: r[1].vcpus),
    "vcpu-list ID": Case(parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('web1', domid='{v}')}\n",
                         2, lambda r: r[0].domid),
    "vcpu-list VCPU": Case(parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('web1', vcpu='{v}')}\n",
                           2, lambda r: r[0].vcpu),
    "vcpu-list CPU": Case(parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('web1', cpu='{v}')}\n",
                          2, lambda r: r[0].cpu),
    "vcpu-list CPU, a name with blanks": Case(
        parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('my web 1', cpu='{v}')}\n", 2,
        lambda r: r[0].cpu),
    "vcpu-list affinity": Case(
        parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('web1', hard='0-{v}')}\n", 2,
        lambda r: max(r[0].hard_affinity.cpus)),
    "xl uptime ID": Case(parse_xl_uptime, "Name                              ID Uptime\n"
                         f"{'web1':<33} {'{v}':>4}  1:02:05\n", 2, lambda r: r[0].domid),
    "xl uptime days": Case(parse_xl_uptime, "Name                              ID Uptime\n"
                           f"{'web1':<33} {3:>4} {{v}} days,  1:00:00\n", 2,
                           lambda r: r[0].uptime_s, expect=128 * 86400 + 3600.0),
    "xl uptime -s ID": Case(parse_xl_uptime, " 19:45:40 up 3 days,  3:01, web1 ({v})\n", 1,
                            lambda r: r[0].domid),
    "cpupool-list CPUs": Case(parse_cpupool_list, f"{POOLS}Pool-0 {'{v}':>15}   credit2       y"
                              "          3\n", 2, lambda r: r[0].cpus),
    "cpupool-list domains": Case(parse_cpupool_list, f"{POOLS}Pool-0               2   credit2"
                                 "       y        {v}\n", 2, lambda r: r[0].domains),
    "network-list idx": Case(parse_network_list,
                             "{v}   0  00:16:3e:5a:01:02     0     4     19     9/8           "
                             "/local/domain/0/backend/vif/3/0\n", 1, lambda r: r[0].idx),
    "network-list evt-ch": Case(parse_network_list,
                                "0   0  00:16:3e:5a:01:02     0     4     {v}     9/8           "
                                "/local/domain/0/backend/vif/3/0\n", 1, lambda r: r[0].evtch),
    "network-list rx-ring-ref": Case(parse_network_list,
                                     "0   0  00:16:3e:5a:01:02     0     4     19     9/{v}       "
                                     "/local/domain/0/backend/vif/3/0\n", 1,
                                     lambda r: r[0].rx_ring_ref),
    "block-list Vdev": Case(parse_block_list, f"{VBDS}{{v}} 0   3      4     18     8        "
                            "/local/domain/0/backend/vbd/3/1\n", 2, lambda r: r[0].vdev),
    "block-list ring-ref": Case(parse_block_list, f"{VBDS}51712 0   3      4     18     {{v}}     "
                                "   /local/domain/0/backend/vbd/3/51712\n", 2,
                                lambda r: r[0].ring_ref),
    "xentop CPU(sec)": _xentop("CPU(sec)", "cpu_s"),
    "xentop MEM(k)": _xentop("MEM(k)", "mem_k"),
    "xentop MAXMEM(k)": _xentop("MAXMEM(k)", "maxmem_k"),
    "xentop VCPUS": _xentop("VCPUS", "vcpus"),
    "xentop NETTX(k)": _xentop("NETTX(k)", "nettx_k"),
    "xentop VBD_OO": _xentop("VBD_OO", "vbd_oo"),
    "xentop VBD_RD": _xentop("VBD_RD", "vbd_rd"),
    "xentop VBD_WSECT": _xentop("VBD_WSECT", "vbd_wsect"),
    "xentop SSID": _xentop("SSID", "ssid"),
    "xentop without a header": Case(parse_xentop, f"{_xentop_row(**{'NETRX(k)': '{v}'})}\n", 1,
                                    lambda f: _one(f).netrx_k),
    "xentop -f wide name": Case(
        parse_xentop, f"  {XENTOP_HEADER}\n  {XENTOP_DOM0}\n  "
        f"{_xentop_row(**{'NAME': 'web-server', 'VBD_WR': '{v}'})}\n", 3,
        lambda f: _one(f, "web-server").vbd_wr),
    "xentop -n net line": Case(
        parse_xentop, f"{XENTOP_HEADER}\n{_xentop_row()}\n"
        + NET_LINE.format(rx="{v}", p=3, z=0) + "\n", 3, lambda f: _one(f).networks[0].rx_bytes),
    "xentop -x vbd line": Case(
        parse_xentop, f"{XENTOP_HEADER}\n{_xentop_row()}\n"
        + VBD_LINE.format(rd="{v}", z=0) + "\n", 3, lambda f: _one(f).vbd_devices[0].rd),
    "xentop -v vcpu line": Case(
        parse_xentop, f"{XENTOP_HEADER}\n{_xentop_row()}\n"
        f"VCPUs(sec):   0: {'{v}':>10}s  1:         25s\n", 3,
        lambda f: _one(f).vcpu_secs[0][1]),
    "netback req prod": Case(lambda t: parse_netback_io_ring(t),
                             NETBACK.replace("{tx}", "256").replace("{req}", "{v}"), 3,
                             lambda q: q.tx.req_prod),
    "netback nr_ents": Case(lambda t: parse_netback_io_ring(t),
                            NETBACK.replace("{tx}", "{v}").replace("{req}", "104377"), 2,
                            lambda q: q.tx.nr_ents),
    "blkback statistics": Case(parse_blkback_statistics, "oo_req: 0\nrd_req: {v}\nwr_req: 3\n", 2,
                               lambda s: s["rd_req"]),
    "/proc/net/dev rx bytes": Case(parse_proc_net_dev,
                                   NET_DEV.replace("{rx}", "{v}").replace("{tx}", "7"), 4,
                                   lambda r: r[1].rx_bytes),
    "/proc/net/dev tx bytes": Case(parse_proc_net_dev,
                                   NET_DEV.replace("{rx}", "7").replace("{tx}", "{v}"), 4,
                                   lambda r: r[1].tx_bytes),
}

FLOAT_CASES: dict[str, Case] = {
    "xl list Time(s)": Case(parse_xl_list, f"{XL_LIST_HEADER}\n{XL_LIST_DOM0}\n"
                            f"{_xl_list_row(secs='{v}')}\n", 3, lambda r: r[1].cpu_time_s),
    "xl list Time(s), a name with blanks": Case(
        parse_xl_list, f"{XL_LIST_HEADER}\n{_xl_list_row(name='my web 1', secs='{v}')}\n", 2,
        lambda r: r[0].cpu_time_s),
    "vcpu-list Time(s)": Case(parse_xl_vcpu_list, f"{VCPU_HEADER}\n"
                              f"{_vcpu_row('web1', secs='{v}')}\n", 2, lambda r: r[0].cpu_time_s),
    "vcpu-list Time(s), a name with blanks": Case(
        parse_xl_vcpu_list, f"{VCPU_HEADER}\n{_vcpu_row('my web 1', secs='{v}')}\n", 2,
        lambda r: r[0].cpu_time_s),
    "vcpu-list Time(s), no header": Case(parse_xl_vcpu_list, f"{_vcpu_row('web1', secs='{v}')}\n",
                                         1, lambda r: r[0].cpu_time_s),
    "xentop CPU(%)": _xentop("CPU(%)", "cpu_pct"),
    "xentop MEM(%)": _xentop("MEM(%)", "mem_pct"),
    "xentop MAXMEM(%)": _xentop("MAXMEM(%)", "maxmem_pct"),
    "xentop CPU(%), without a header": Case(parse_xentop, f"{_xentop_row(**{'CPU(%)': '{v}'})}\n",
                                            1, lambda f: _one(f).cpu_pct),
    "/proc/loadavg": Case(parse_loadavg, "0.52 {v} 0.10 2/181 4242\n", 1, lambda r: r[1]),
}
FLOAT_CASES = {k: replace(c, good="5.0", expect=5.0) for k, c in FLOAT_CASES.items()}


def _fill(case: Case, value: str) -> str:
    return case.text.replace("{v}", value)


def _refused(case: Case, value: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        case.parse(_fill(case, value))
    err = info.value
    assert err.line_no == case.line_no, str(err)[:300]
    assert err.line is not None and err.line.startswith(_fill(case, value).split("\n")[
        case.line_no - 1][:20]), str(err)[:300]
    return err


@pytest.mark.parametrize("case", list(INT_CASES))
def test_the_ascii_integer_parses(case: str) -> None:
    c = INT_CASES[case]
    assert c.value(c.parse(_fill(c, c.good))) == c.expect


@pytest.mark.parametrize("case", list(FLOAT_CASES))
def test_the_ascii_decimal_parses(case: str) -> None:
    c = FLOAT_CASES[case]
    assert c.value(c.parse(_fill(c, c.good))) == c.expect


@pytest.mark.parametrize("bad", list(BAD_INTS))
@pytest.mark.parametrize("case", list(INT_CASES))
def test_an_integer_no_tool_prints_is_refused_on_its_line(case: str, bad: str) -> None:
    _refused(INT_CASES[case], BAD_INTS[bad])


@pytest.mark.parametrize("bad", list(BAD_FLOATS))
@pytest.mark.parametrize("case", list(FLOAT_CASES))
def test_a_decimal_no_tool_prints_is_refused_on_its_line(case: str, bad: str) -> None:
    c = FLOAT_CASES[case]
    if case.startswith("xentop") and BAD_FLOATS[bad] in XENTOP_ZERO_DIVISOR:
        # what glibc prints for x/0.0 in xentop's "%6.1f" columns: unknown, not a value
        assert c.value(c.parse(_fill(c, BAD_FLOATS[bad]))) is None
        return
    _refused(c, BAD_FLOATS[bad])


@pytest.mark.parametrize("bad", ["arabic-indic digits", "fullwidth digits", "devanagari digits",
                                 "one foreign digit", "thousands of digits"])
def test_cpupool_list_c_refuses_cpu_numbers_in_other_digits(bad: str) -> None:
    # the -c form's last word is the CPU list, or a word of the name of a pool without
    # CPUs: "0-+128" is such a name, but digits of another script are a list xl never prints
    text = "Name               CPU list\nPool-0             0-{v}\n"
    assert parse_cpupool_list(text.format(v="128"))[0].cpus == 129
    with pytest.raises(ParseError) as info:
        parse_cpupool_list(text.format(v=BAD_INTS[bad]))
    assert info.value.line_no == 2


@pytest.mark.parametrize("value", ["-1", "-128"])
def test_minus_one_is_xls_missing_value_and_nothing_else_is_negative(value: str) -> None:
    nic = ("0   0  00:16:3e:5a:01:02     0     4     {v}    -1/-1          "
           "/local/domain/0/backend/vif/1/0\n")
    vbd = "51712 0   1      4     {v}     -1       /local/domain/0/backend/vbd/1/51712\n"
    if value == "-1":
        assert parse_network_list(nic.format(v=value))[0].evtch is None
        assert parse_block_list(vbd.format(v=value))[0].evtch is None
        assert parse_xl_list(_xl_list_row(domid=value))[0].domid is None  # xm/Xen-API: halted
    else:
        for parse, text in ((parse_network_list, nic), (parse_block_list, vbd),
                            (parse_xl_list, _xl_list_row(domid="{v}"))):
            with pytest.raises(ParseError) as info:
                parse(text.format(v=value))
            assert info.value.line_no == 1


def test_netback_relative_indices_may_be_negative_the_indices_may_not() -> None:
    text = NETBACK.replace("{tx}", "256").replace("{req}", "104377")
    assert parse_netback_io_ring(text.replace("(1)\nrsp", "(-8)\nrsp", 1)).tx is not None
    with pytest.raises(ParseError) as info:
        parse_netback_io_ring(text.replace("cons 104377", "cons -104377", 1))
    assert info.value.line_no == 3


@pytest.mark.parametrize("bad", ["١٢٨", "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
                                 "9" * 5000, "+128", "1_28", "0x80"],
                         ids=["digits", "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
                              "thousands of digits", "plus", "underscore", "hex"])
def test_xl_list_l_json_refuses_numbers_json_and_yajl_do_not_have(bad: str) -> None:
    text = ('[\n    {\n        "domid": 3,\n        "config": {\n            "b_info": {\n'
            '                "max_vcpus": 2,\n                "max_memkb": {v}\n'
            '            }\n        }\n    }\n]\n\n')
    (cfg,) = parse_xl_list_long(text.replace("{v}", "128"))
    assert cfg.max_memkb == 128
    with pytest.raises(ParseError) as info:
        parse_xl_list_long(text.replace("{v}", bad))
    assert info.value.line_no == 7, str(info.value)[:200]


def test_xl_list_l_json_negative_sizes_and_ids_are_not_values() -> None:
    # JSON numbers are ASCII already; libxl's sizes, counts and domids are never negative
    text = '[{"domid": 3, "config": {"b_info": {"max_memkb": -128, "avail_vcpus": [0, -1, 1]}}}]'
    (cfg,) = parse_xl_list_long(text)
    assert (cfg.max_memkb, cfg.avail_vcpus) == (None, (0, 1))
    assert parse_xl_list_long(text.replace("-128", "128"))[0].max_memkb == 128
    with pytest.raises(ParseError) as info:  # no domid: not a domain's entry
        parse_xl_list_long(text.replace('"domid": 3', '"domid": -3'))
    assert info.value.line_no == 1


def test_xl_list_l_json_numbers_in_strings_are_strings() -> None:
    text = '[{"domid": 3, "config": {"c_info": {"name": "NaN 1e400 Infinity ١٢٨"}}}]'
    (cfg,) = parse_xl_list_long(text)
    assert cfg.name == "NaN 1e400 Infinity ١٢٨"


@pytest.mark.parametrize("bad", list(BAD_INTS))
def test_xl_list_l_sxp_numbers_no_tool_prints_are_not_set(bad: str) -> None:
    text = "(domain\n\t(domid {d})\n\t(name web1)\n\t(max_memkb {m})\n)\n"
    (cfg,) = parse_xl_list_long(text.format(d=3, m=128))
    assert cfg.domid == 3 and cfg.max_memkb == 128
    (cfg,) = parse_xl_list_long(text.format(d=3, m=BAD_INTS[bad]))
    assert cfg.max_memkb is None  # as for a value that is no number at all
    if BAD_INTS[bad] != "-128":  # (libxl's "not set" prints negative in a domid too)
        with pytest.raises(ParseError) as info:
            parse_xl_list_long(text.format(d=BAD_INTS[bad], m=128))
        assert info.value.line_no == 1  # the (domain block that has no readable domid


@pytest.mark.parametrize("bad", list(BAD_INTS))
def test_xl_info_values_no_tool_prints_are_unknown(bad: str) -> None:
    text = ("host                   : h1\nnr_cpus                : {v}\n"
            "cpu_mhz                : 2994.012\ntotal_memory           : 16384\n")
    good = host_info_from(parse_xl_info(text.format(v="128")))
    assert (good.nr_cpus, good.cpu_mhz, good.total_memory_mib) == (128, 2994.012, 16384)
    info = parse_xl_info(text.format(v=BAD_INTS[bad]))
    assert info["nr_cpus"] == BAD_INTS[bad]  # the text is kept as printed
    assert host_info_from(info).nr_cpus is None


@pytest.mark.parametrize("bad", list(BAD_FLOATS))
def test_xl_info_cpu_mhz_no_tool_prints_is_unknown(bad: str) -> None:
    text = "host                   : h1\ncpu_mhz                : {v}\n"
    assert host_info_from(parse_xl_info(text.format(v="2994.012"))).cpu_mhz == 2994.012
    assert host_info_from(parse_xl_info(text.format(v=BAD_FLOATS[bad]))).cpu_mhz is None


XS = """/local/domain/3/name = "web1"
/local/domain/3/memory/target = "{v}"
/local/domain/3/device/vif/0/backend = "/local/domain/0/backend/vif/3/0"
/local/domain/3/device/vif/0/backend-id = "0"
/local/domain/3/device/vif/0/state = "{v}"
/local/domain/3/device/vif/0/tx-ring-ref = "{v}"
/local/domain/3/device/vif/0/rx-ring-ref = "9"
/local/domain/3/device/vif/0/event-channel = "{v}"
/local/domain/0/backend/vif/3/0/state = "4"
"""


@pytest.mark.parametrize("bad", [*BAD_INTS, "blanks"])
def test_xenstore_values_no_tool_writes_are_unknown(bad: str) -> None:
    good = topology_from_xenstore("h", parse_xenstore_ls(XS.replace("{v}", "4")))
    (dev,) = good.devices
    assert good.domains[3].mem_target_kib == 4
    assert (dev.frontend_state, dev.ring_refs, dev.event_channels) == (4, (4, 9), (4,))
    value = " 4 " if bad == "blanks" else BAD_INTS[bad]
    topo = topology_from_xenstore("h", parse_xenstore_ls(XS.replace("{v}", value)))
    (dev,) = topo.devices
    assert topo.domains[3].mem_target_kib is None
    assert (dev.frontend_state, dev.ring_refs, dev.event_channels) == (None, (9,), ())
    assert dev.backend_state == 4


def test_the_xentop_stream_skips_the_row_and_names_its_line() -> None:
    asm = XentopFrameAssembler()
    lines = [XENTOP_HEADER, XENTOP_DOM0, _xentop_row(**{"CPU(sec)": "١٢٨"}),
             _xentop_row(NAME="web2", VBD_RD="-5"), _xentop_row(NAME="web3"), XENTOP_HEADER]
    (frame,) = asm.feed_lines(lines)
    assert [d.name for d in frame] == ["Domain-0", "web3"]
    assert [e.line_no for e in asm.errors] == [3, 4]


def test_the_ring_dump_reports_the_file_and_keeps_the_others() -> None:
    text = ("==> /sys/bus/xen-backend/devices/vbd-3-51712/statistics/rd_req <==\n١٢٨\n\n"
            "==> /sys/bus/xen-backend/devices/vbd-3-51712/statistics/wr_req <==\n7\n\n"
            "==> /sys/bus/xen-backend/devices/vbd-3-51728/statistics/rd_req <==\n+8\n")
    dump = parse_ring_dump(text)
    assert dict(dump.blkback) == {(3, 51712): {"wr_req": 7}}
    assert len(dump.errors) == 2 and "51712/statistics/rd_req" in dump.errors[0]
    good = parse_ring_dump(text.replace("١٢٨", "128").replace("+8", "8"))
    assert dict(good.blkback) == {
        (3, 51712): {"rd_req": 128, "wr_req": 7}, (3, 51728): {"rd_req": 8},
    }


@pytest.mark.parametrize("name", ["xvda١", "d١", "d0p١", "١٢٨", "+51712", "51_712",
                                  "d" + "9" * 5000, "xvda" + "9" * 5000],
                         ids=["xvda-digit", "d-digit", "p-digit", "digits", "plus", "underscore",
                              "long d", "long partition"])
def test_vdev_names_with_numbers_no_tool_prints_are_not_devices(name: str) -> None:
    assert vdev_to_devid(name) is None
    assert (vdev_to_devid("xvda1"), vdev_to_devid("d0p1"), vdev_to_devid("51712")) == (
        51713, 51713, 51712)


def test_the_shared_vocabulary() -> None:
    assert [is_uint(s) for s in ("0", "128", "", "١٢٨", "+1", "-1", "1_0", " 1")] == [
        True, True, False, False, False, False, False, False]
    assert [is_decimal(s) for s in ("5", "5.0", "0.25", "", ".5", "5.", "5.0.0", "nan",
                                    "1e3", "٥.٠", "-5.0")] == [
        True, True, True, False, False, False, False, False, False, False, False]
    assert uint("007") == 7 and decimal("5.25") == 5.25
    for bad in ("١", "+1", "1_0", "9" * 5000):
        with pytest.raises(ValueError):
            uint(bad)
    for bad in ("nan", "inf", "1e400", "9" * 400 + ".0", "٥.٠"):
        with pytest.raises(ValueError):
            decimal(bad)


CLI_INPUTS = {
    "xl-vcpu-list": f"{VCPU_HEADER}\n{_vcpu_row('Domain-0', domid='0', secs='{v}')}\n",
    "xl-list": f"{XL_LIST_HEADER}\n{_xl_list_row(secs='{v}')}\n",
    "xentop": f"{XENTOP_HEADER}\n{_xentop_row(**{'MEM(%)': '{v}'})}\n",
    "xl-list-l": '[\n{"domid": 3,\n"config": {"b_info": {"x": {v}}}}\n]\n',
    "proc-net-dev": NET_DEV.replace("{rx}", "1").replace("{tx}", "{v}"),
}


@pytest.mark.parametrize("kind", list(CLI_INPUTS))
def test_xltop_parse_never_prints_nan_or_infinity(kind: str) -> None:
    for value in ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity", "1e400",
                  "9" * 400 + ".0", "٥.٠"):
        text = CLI_INPUTS[kind].replace("{v}", value)
        p = subprocess.run([sys.executable, "-m", "collectors.parse.cli", kind], input=text,
                           capture_output=True, text=True, cwd=ROOT, timeout=30)
        assert "NaN" not in p.stdout and "Infinity" not in p.stdout, (value, p.stdout[:300])
        if p.returncode == 0:  # xentop's x/0.0 percentages: null
            assert kind == "xentop" and value in XENTOP_ZERO_DIVISOR, (value, p.stdout[:300])
            assert json.loads(p.stdout)["frames"][0][0]["mem_pct"] is None
        else:
            assert p.returncode == 1 and " line " in p.stderr, (value, p.stderr[:300])
    good = subprocess.run([sys.executable, "-m", "collectors.parse.cli", kind],
                          input=CLI_INPUTS[kind].replace("{v}", "5.0" if kind != "proc-net-dev"
                                                         else "5"),
                          capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert good.returncode == 0 and json.loads(good.stdout), good.stderr


@pytest.mark.parametrize("order", ["17", "1000000", "99999999999", "٤"])
def test_a_ring_page_order_no_blkfront_writes_is_unknown(order: str) -> None:
    # the guest writes its frontend's ring-page-order: 32 << order must not become a number
    # of millions of digits (or 12 GB)
    xs = ('/local/domain/3/device/vbd/51712/backend = "/local/domain/0/backend/vbd/3/51712"\n'
          '/local/domain/3/device/vbd/51712/ring-page-order = "{o}"\n'
          '/local/domain/3/device/vbd/51712/ring-ref0 = "8"\n')
    (good,) = topology_from_xenstore("h", parse_xenstore_ls(xs.format(o="4"))).devices
    assert (good.ring_page_order, good.ring_size) == (4, 512)
    (dev,) = topology_from_xenstore("h", parse_xenstore_ls(xs.format(o=order))).devices
    assert dev.ring_page_order is None and dev.ring_size is None


def test_xltop_parse_refuses_to_print_a_nan_a_parser_might_make(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the last line of defence: NaN/Infinity are not JSON, so they are never printed
    monkeypatch.setitem(cli.KINDS, "xl-list", lambda text: [{"cpu_time_s": float("nan")}])
    monkeypatch.setattr(sys, "stdin", io.StringIO("anything\n"))
    assert cli.main(["parse", "xl-list"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "xl-list" in err
    monkeypatch.setitem(cli.KINDS, "xl-list", lambda text: [{"cpu_time_s": 5.0}])
    monkeypatch.setattr(sys, "stdin", io.StringIO("anything\n"))
    assert cli.main(["parse", "xl-list"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"cpu_time_s": 5.0}]
