"""xentop -b parsing: whole outputs, every column set, and the live-stream assembler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xentop import (
    MAX_DETAIL_ITEMS,
    MAX_ERRORS_KEPT,
    MAX_FRAME_ROWS,
    XentopDomain,
    XentopFrameAssembler,
    XentopNet,
    XentopVbd,
    parse_xentop,
)

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


def by_name(frame: list[XentopDomain]) -> dict[str, XentopDomain]:
    return {d.name: d for d in frame}


@needs_fixtures
def test_lab_a_repeated_headers_split_into_two_iterations() -> None:
    frames = parse_xentop((FIX / "xen-4.17-lab-a" / "xentop-b-full.out").read_text())
    assert [[d.name for d in f] for f in frames] == [["db1", "Domain-0", "web1"]] * 2
    first, second = by_name(frames[0]), by_name(frames[1])
    assert first["Domain-0"].cpu_pct == 0.0 and second["Domain-0"].cpu_pct == 12.9
    db1 = second["db1"]
    assert db1.state == "---c--" and db1.domain_state.crashed
    assert (db1.vcpus, db1.nets, db1.vbds, db1.vbd_rd, db1.vbd_rsect) == (2, 2, 2, 6, 48)
    assert db1.vcpu_secs == ((1, 1),)  # only vCPU 1 is online
    assert db1.networks[1] == XentopNet(1, 0, 0, 0, 0, 1508, 18, 0, 0)
    assert db1.vbd_devices[0] == XentopVbd("BlkBack", 51728, 0, 3, 0, 24, 0)
    web1 = second["web1"]
    assert web1.vbd_devices == (XentopVbd("BlkBack", 51712, 0, 3, 0, 24, 0),)
    assert (web1.mem_k, web1.maxmem_k, web1.maxmem_pct) == (98304, 99328, 3.2)
    assert second["Domain-0"].vcpu_secs == ((0, 62), (1, 60))
    assert not any(d.name_truncated for d in frames[0])


@needs_fixtures
def test_lab_b_details_and_json() -> None:
    frames = parse_xentop((FIX / "xen-4.17-lab-b" / "xentop-b-full.out").read_text())
    assert len(frames) == 2 and [d.name for d in frames[1]] == ["db1", "Domain-0", "idle1", "web1"]
    second = by_name(frames[1])
    assert second["idle1"].cpu_pct == 1.2 and second["idle1"].vcpu_secs == ((0, 4),)
    assert second["db1"].networks[1].tx_bytes == 2150
    j = second["idle1"].to_json()
    assert j["vcpu_secs"] == [[0, 4]]
    assert j["networks"] == [] and j["vbd_devices"] == []  # -n/-x given, idle1 has no devices
    assert j["maxmem_k"] == 132096 and j["vbd_rsect"] == 0
    nets: Any = second["db1"].to_json()["networks"]
    assert nets[0] == {
        "index": 0,
        "rx_bytes": 504,
        "rx_pkts": 7,
        "rx_err": 0,
        "rx_drop": 0,
        "tx_bytes": 1548,
        "tx_pkts": 18,
        "tx_err": 0,
        "tx_drop": 0,
    }


@needs_fixtures
def test_lab_a_two_iterations_without_detail_lines() -> None:
    frames = parse_xentop((FIX / "xen-4.17-lab-a" / "xentop-b-i2.out").read_text())
    assert [by_name(f)["web1"].cpu_pct for f in frames] == [0.0, 2.4]
    j = frames[1][0].to_json()
    assert "vcpu_secs" not in j and "networks" not in j and "vbd_devices" not in j
    assert list(j) == [
        "name",
        "state",
        "cpu_s",
        "cpu_pct",
        "mem_k",
        "mem_pct",
        "maxmem_k",
        "maxmem_pct",
        "vcpus",
        "nets",
        "nettx_k",
        "netrx_k",
        "vbds",
        "vbd_oo",
        "vbd_rd",
        "vbd_wr",
        "vbd_rsect",
        "vbd_wsect",
        "ssid",
    ]


def test_lab_captures_with_and_without_r() -> None:
    (plain,) = parse_xentop((DATA / "lab-xentop-b-i1.out").read_text())
    (rep,) = parse_xentop((DATA / "lab-xentop-r-v-n-x.out").read_text())
    assert [d.name for d in plain] == [d.name for d in rep] == ["db1", "Domain-0", "idle1", "web1"]
    assert by_name(rep)["db1"].networks[0].tx_drop == 1


def test_full_names_with_spaces_no_limit_wrapped_vcpus_and_dashes() -> None:
    (frame,) = parse_xentop((DATA / "xentop-4.x-f-wide.out").read_text())
    d = by_name(frame)
    assert list(d) == ["crashy", "Domain-0", "my web server (prod)", "verylongname-01"]
    dom0 = d["Domain-0"]
    assert dom0.maxmem_k is None and dom0.maxmem_unlimited and dom0.maxmem_pct is None
    assert dom0.vcpu_secs == tuple((i, 100 + i) for i in range(12))  # 3 lines
    web = d["my web server (prod)"]
    assert (web.vbd_rd, web.vbd_rsect, web.vbd_wsect) == (1234567890, 987654321012, 583216)
    assert web.vbd_devices[1] == XentopVbd("BlkTap", 51728, None, None, None, None, None)
    odd = d["verylongname-01"]
    assert (odd.vbd_oo, odd.vbd_rd, odd.vbd_wr, odd.vbd_rsect, odd.vbd_wsect) == (None,) * 5
    assert not odd.name_truncated  # -f: the NAME column is wider than 10
    assert odd.to_json()["vbd_rd"] is None and dom0.to_json()["maxmem_k"] is None


def test_truncated_names_and_a_new_domain_in_the_next_iteration() -> None:
    frames = parse_xentop((DATA / "xentop-4.x-truncated-2frames.out").read_text())
    assert [[d.name for d in f] for f in frames] == [
        ["Domain-0", "verylongna", "verylongna"],
        ["alpha", "Domain-0", "verylongna", "verylongna"],
    ]
    assert [d.name_truncated for d in frames[1]] == [False, False, True, True]
    assert [d.cpu_pct for d in frames[1]] == [0.0, 45.0, 1.0, 2.0]


def test_17_columns_with_repeated_headers() -> None:
    frames = parse_xentop((DATA / "xentop-3.x-17col-r.out").read_text())
    assert [[d.name for d in f] for f in frames] == [["Domain-0", "guest1"]] * 2
    g = by_name(frames[1])["guest1"]
    assert (g.vbd_rd, g.vbd_wr, g.vbd_rsect, g.vbd_wsect) == (301, 200, None, None)
    assert g.vbd_devices == (XentopVbd("Unidentified", 2049, 0, 301, 200, None, None),)
    assert g.to_json()["vbd_rsect"] is None
    assert by_name(frames[0])["Domain-0"].maxmem_unlimited


def test_13_columns_of_early_3_0() -> None:
    (frame,) = parse_xentop((DATA / "xentop-3.0-13col.out").read_text())
    vm = by_name(frame)["vm01"]
    assert (vm.nets, vm.nettx_k, vm.netrx_k, vm.ssid) == (1, 3, 4, 0)
    assert vm.vbds is None and vm.vbd_oo is None


def test_dom0_first_repeat_header_tmem_and_pcpu_box() -> None:
    frames = parse_xentop((DATA / "xentop-4.x-z-r-tmem-pcpu.out").read_text())
    assert [[(d.name, d.cpu_pct) for d in f] for f in frames] == [
        [("Domain-0", 1.0), ("alpha", 0.5)],
        [("Domain-0", 2.0), ("alpha", 0.7)],
    ]


def test_hostile_names_with_full_name() -> None:
    (frame,) = parse_xentop((DATA / "xentop-f-hostile-names.out").read_text())
    assert [d.name for d in frame] == [
        "$(reboot)",
        "; rm -rf /",
        "[red]x",
        "a\"quote's",
        "trailing",
        "x" * 50,
    ]


@needs_fixtures
def test_headerless_rows_crlf_and_blank_lines() -> None:
    text = (FIX / "xen-4.17-lab-a" / "xentop-b-i2.out").read_text()
    rows = [ln for ln in text.splitlines() if "NAME" not in ln]
    frames = parse_xentop("\r\n\r\n".join(rows[:3]) + "\r\n")
    assert [d.name for d in frames[0]] == ["db1", "Domain-0", "web1"]
    assert frames[0][1].mem_k == 1048576


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("      NAME  STATE\n   x\n", 2),
        ("VCPUs(sec):   0:   1s\n", 1),  # detail line before any domain
        (
            "      NAME  STATE   CPU(sec) CPU(%)\n      dom1 --b---          1    zz\n",
            2,
        ),
        ("      NAME  STATE   CPU(sec)\n      dom1 --b---  " + "9" * 5000 + "\n", 2),
    ],
)
def test_garbage_raises_with_line(text: str, line_no: int) -> None:
    with pytest.raises(ParseError) as e:
        parse_xentop(text)
    assert e.value.line_no == line_no


# --- the live-stream assembler ---------------------------------------------------------------


def feed_all(asm: XentopFrameAssembler, text: str) -> list[list[XentopDomain]]:
    frames: list[list[XentopDomain]] = []
    for line in text.splitlines():
        frames.extend(asm.feed(line))
    return frames


@needs_fixtures
def test_stream_without_r_completes_a_frame_at_the_next_header() -> None:
    text = (FIX / "xen-4.17-lab-b" / "xentop-b-full.out").read_text()
    asm = XentopFrameAssembler()
    lines = text.splitlines()
    second_header = [i for i, ln in enumerate(lines) if "NAME" in ln][1]
    done: list[list[XentopDomain]] = []
    for i, line in enumerate(lines):
        out = asm.feed(line)
        if i == second_header:
            assert [d.name for d in out[0]] == ["db1", "Domain-0", "idle1", "web1"]
        else:
            assert out == []
        done.extend(out)
    last = asm.flush()
    assert last is not None and by_name(last)["Domain-0"].cpu_pct == 21.0
    assert asm.flush() is None and not asm.errors


@needs_fixtures
def test_stream_with_r_uses_the_name_order() -> None:
    asm = XentopFrameAssembler()
    frames = feed_all(asm, (FIX / "xen-4.17-lab-a" / "xentop-b-full.out").read_text())
    assert [[d.name for d in f] for f in frames] == [["db1", "Domain-0", "web1"]]
    last = asm.flush()
    assert last is not None and [d.cpu_pct for d in last] == [0.0, 12.9, 0.4]


def test_stream_flush_then_same_names_start_a_new_frame() -> None:
    asm = XentopFrameAssembler()
    one = (DATA / "lab-xentop-b-i1.out").read_text()
    assert feed_all(asm, one) == []
    first = asm.flush()
    assert first is not None and len(first) == 4
    assert feed_all(asm, one) == []
    second = asm.flush()
    assert second is not None and [d.name for d in second] == [d.name for d in first]


def test_stream_garbage_is_reported_and_skipped() -> None:
    asm = XentopFrameAssembler()
    text = (DATA / "lab-xentop-b-i1.out").read_text().splitlines()
    lines = [*text[:2], "%%% not xentop %%%", *text[2:], "Net0 RX: garbage"]
    for line in lines:
        assert asm.feed(line) == []
    frame = asm.flush()
    assert frame is not None and len(frame) == 4
    assert [e.line_no for e in asm.errors] == [3, 7]
    assert "not xentop" in str(asm.errors[0])
    # a stream that brings garbage for hours keeps only the latest errors
    asm.feed_lines([f"garbage {i}" for i in range(MAX_ERRORS_KEPT + 50)])
    assert len(asm.errors) == MAX_ERRORS_KEPT
    assert str(asm.errors[-1]).endswith(f"'garbage {MAX_ERRORS_KEPT + 49}'")


def test_stream_repeated_untruncated_name_starts_a_frame() -> None:
    header = (DATA / "lab-xentop-b-i1.out").read_text().splitlines()[0]
    row = (DATA / "lab-xentop-b-i1.out").read_text().splitlines()[2]  # Domain-0
    asm = XentopFrameAssembler()
    assert asm.feed(header) == [] and asm.feed(row) == []
    assert asm.feed(header) == []  # -r or a one-domain host: not known yet
    out = asm.feed(row)
    assert len(out) == 1 and [d.name for d in out[0]] == ["Domain-0"]


@needs_fixtures
def test_tabs_instead_of_spaces() -> None:
    text = (FIX / "xen-4.17-lab-b" / "xentop-b-full.out").read_text()
    for variant in (text.replace(" ", "\t"), text.replace("  ", "\t")):
        frames = parse_xentop(variant.replace("\n", "\r\n"))
        assert [len(f) for f in frames] == [4, 4]
        assert by_name(frames[1])["db1"].vcpu_secs == ((0, 4), (1, 1))
        assert len(by_name(frames[1])["db1"].networks) == 2
    wide = (DATA / "xentop-4.x-f-wide.out").read_text().replace("        ", "\t")
    (frame,) = parse_xentop(wide)  # the header's NAME column no longer lines up
    assert by_name(frame)["Domain-0"].vcpu_secs[-1] == (11, 111)
    assert by_name(frame)["my web server (prod)"].vbd_rsect == 987654321012


# --- other versions' layouts, rebuilt with xentop.c's printf formats -----------------------

_WIDTHS = {
    "NAME": 10, "STATE": 6, "CPU(sec)": 10, "CPU(%)": 6, "MEM(k)": 10, "MEM(%)": 6,
    "MAXMEM(k)": 10, "MAXMEM(%)": 9, "VCPUS": 5, "NETS": 4, "NETTX(k)": 8, "NETRX(k)": 8,
    "VBDS": 4, "VBD_OO": 8, "VBD_RD": 8, "VBD_WR": 8, "VBD_RSECT": 10, "VBD_WSECT": 10,
    "SSID": 4,
}  # fmt: skip
_T17 = list(_WIDTHS)[:16] + ["SSID"]
_T19 = list(_WIDTHS)


def _xt_header(titles: list[str], wide: dict[str, int]) -> str:
    """do_header: every title "%*s" at its (possibly widened) width, joined by spaces."""
    return " ".join("%*s" % (wide.get(t, _WIDTHS[t]), t) for t in titles)  # noqa: UP031


def _xt_row(titles: list[str], wide: dict[str, int], values: list[object]) -> str:
    """do_domain: NAME "%10.10s", STATE as is, floats "%6.1f"/"%9.1f", the rest "%*llu"
    (or "%10s"/"%9s" for "no limit"/"n/a")."""
    out = []
    for t, v in zip(titles, values, strict=True):
        w = wide.get(t, _WIDTHS[t])
        if t == "NAME":
            out.append("%10.10s" % v)  # noqa: UP031
        elif isinstance(v, float):
            out.append("%*.1f" % (w, v))  # noqa: UP031
        else:
            out.append("%*s" % (w, v))  # noqa: UP031
    return " ".join(out)


def _vcpu_line(secs: dict[int, int], n: int) -> str:
    """do_vcpu: "VCPUs(sec): " then " %2u: %10llus" per online vCPU, a newline and 8
    spaces before every index that is a multiple of 5."""
    s = "VCPUs(sec): "
    for i in range(n):
        if i in secs:
            s += ("\n        " if i and i % 5 == 0 else "") + " %2u: %10us" % (i, secs[i])  # noqa: UP031
    return s


def test_3_x_17_columns_with_typed_vbd_lines_without_sectors() -> None:
    # Xen 3.1-3.4 xentop: 17 columns; do_vbd "VBD %s %4d %s OO: %8llu   RD: %8llu   WR: %8llu"
    # (type word, devid, "[%2x:%2x] "), no RSECT/WSECT yet
    vbd = "VBD %s %4d [%2x:%2x]  OO: %8d   RD: %8d   WR: %8d"
    net = "Net%d RX: %8dbytes %8dpkts %8derr %8ddrop  TX: %8dbytes %8dpkts %8derr %8ddrop"
    lines = []
    for it in range(2):
        lines += [
            _xt_header(_T17, {}),
            _xt_row(_T17, {}, ["Domain-0", "-----r", 395481 + it, 2.1, 594944, 14.5,
                               "no limit", "n/a", 2, 0, 0, 0, 0, 0, 0, 0, 0]),
            _vcpu_line({0: 200000, 1: 195481}, 2),
            _xt_row(_T17, {}, ["guest1", "--b---", 27356, 0.1, 1048576, 25.6, 1048576, 25.6,
                               1, 1, 9, 10, 2, 1, 300 + it, 200, 0]),
            _vcpu_line({0: 27356}, 1),
            net % (0, 9216, 120, 0, 0, 10240, 130, 0, 1),
            vbd % ("BlkBack", 2049, 8, 1, 1, 200 + it, 150),
            vbd % ("BlkTap", 51712, 0xCA, 0, 0, 100, 50),
        ]  # fmt: skip
    frames = parse_xentop("\n".join(lines) + "\n")
    assert [[d.name for d in f] for f in frames] == [["Domain-0", "guest1"]] * 2
    g = frames[1][1]
    assert (g.cpu_s, g.mem_k, g.vbds, g.vbd_oo) == (27356, 1048576, 2, 1)
    assert (g.vbd_rd, g.vbd_wr) == (301, 200)
    assert g.vbd_rsect is None and g.vbd_wsect is None and g.ssid == 0
    assert g.vbd_devices == (
        XentopVbd("BlkBack", 2049, 1, 201, 150, None, None),
        XentopVbd("BlkTap", 51712, 0, 100, 50, None, None),
    )
    assert g.networks == (XentopNet(0, 9216, 120, 0, 0, 10240, 130, 0, 1),)
    assert frames[1][0].maxmem_unlimited and frames[1][0].to_json()["maxmem_pct"] is None
    assert frames[0][0].vcpu_secs == ((0, 200000), (1, 195481))


def test_widened_columns_vcpu_gaps_bsd_vbd_lines_and_a_pushed_maxmem() -> None:
    # 4.1+ adjust_field_widths widens NETTX(k)/VBD_RSECT for the whole table; on a non-Linux
    # dom0 do_vbd prints no "[maj:min]"; a 16 TiB MAXMEM(k) overflows "%10llu" by a digit
    wide = {"NETTX(k)": 11, "VBD_RSECT": 13}
    vbd = "VBD %s %4d %sOO: %8d   RD: %8d   WR: %8d   RSECT: %10d   WSECT: %10d"
    lines = [
        _xt_header(_T19, wide),
        _xt_row(_T19, wide, ["Domain-0", "-----r", 1234, 12.5, 2097152, 12.5, "no limit", "n/a",
                             12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        _vcpu_line({0: 100, 1: 101, 2: 102, 5: 105, 6: 106, 11: 111}, 12),
        _xt_row(_T19, wide, ["my vm", "--b---", 98, 0.3, 1049600, 6.3, 1049600, 6.3, 2, 1,
                             1234567890, 7, 2, 3, 14823, 9120, 987654321012, 583216, 0]),
        _vcpu_line({}, 2),  # every vCPU offline: the bare "VCPUs(sec): "
        vbd % ("BlkBack", 51712, " ", 3, 14823, 9120, 987654321012, 583216),
        vbd % ("Unidentified", 268441856, "[100019: 0] ", 0, 0, 0, 0, 0),
        _xt_row(_T19, wide, ["webserver-production", "--b---", 5, 0.0, 131072, 0.8,
                             17179869184, 102400.0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ]  # fmt: skip
    (frame,) = parse_xentop("\r\n".join(lines) + "\r\n")
    dom0, vm, web = frame
    assert dom0.vcpu_secs == ((0, 100), (1, 101), (2, 102), (5, 105), (6, 106), (11, 111))
    assert (vm.name, vm.nettx_k, vm.netrx_k, vm.vbd_rsect, vm.vbd_wsect) == (
        "my vm", 1234567890, 7, 987654321012, 583216,
    )  # fmt: skip
    assert vm.vcpu_secs == () and vm.to_json()["vcpu_secs"] == []
    assert vm.vbd_devices[0] == XentopVbd("BlkBack", 51712, 3, 14823, 9120, 987654321012, 583216)
    assert vm.vbd_devices[1].kind == "Unidentified" and vm.vbd_devices[1].devid == 268441856
    assert (web.name, web.name_truncated, web.maxmem_k, web.maxmem_pct, web.vcpus) == (
        "webserver-", True, 17179869184, 102400.0, 1,
    )  # fmt: skip
    assert not vm.name_truncated


def test_percentages_of_a_zero_divisor_are_unknown() -> None:
    # "%6.1f" of x/0.0: glibc prints inf / -nan; the row still parses, the value is null
    row = _xt_row(_T19, {}, ["Domain-0", "-----r", 1234, 0.0, 2097152, 0.0, 2097152, 0.0,
                             4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # fmt: skip
    row = row.replace("   0.0", "   inf", 1).replace("   0.0", "  -nan", 1)
    ((d,),) = parse_xentop(_xt_header(_T19, {}) + "\n" + row + "\n")
    assert (d.cpu_s, d.cpu_pct, d.mem_k, d.mem_pct) == (1234, None, 2097152, None)
    assert d.maxmem_pct == 0.0


def test_tool_log_lines_mixed_in_are_skipped() -> None:
    # xentop 2>&1: libxenstat's helpers log "xencall: error: ..." / "xc: error: ..." lines
    # on stderr between the rows; they are no domain and no garbage (other parsers skip them)
    lines = (DATA / "lab-xentop-b-i1.out").read_text().splitlines()
    logs = [
        "xc: error: panic: xc_dom_core.c:207: xc_dom_do_gunzip: inflate failed (rc=-5)",
        "libxl: warning: libxl_utils.c:12:libxl_foo: Domain 3:something odd",
    ]
    mixed = [lines[0], logs[0], *lines[1:3], logs[1], *lines[3:]]
    assert parse_xentop("\n".join(mixed)) == parse_xentop("\n".join(lines))


def test_empty_and_tab_names_with_and_without_full_name_and_repeat_header() -> None:
    # a name node holding "" prints as blanks ("%10.10s" / "%*s"), and sorts first (strcasecmp)
    vals = [0, 0.0, 524288, 3.1, 524288, 3.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    names = ["", "a\tb", "Domain-0", "web server 1"]
    plain = [_xt_header(_T19, {})] + [_xt_row(_T19, {}, [n, "--b---", *vals]) for n in names]
    (frame,) = parse_xentop("\n".join(plain))
    assert [d.name for d in frame] == ["", "a\tb", "Domain-0", "web server"]
    assert (frame[0].state, frame[0].mem_k, frame[0].name_truncated) == ("--b---", 524288, False)
    wide = {"NAME": 12}
    full = [_xt_header(_T19, wide)] + [
        "%12s " % n + _xt_row(_T19, {}, ["x", "--b---", *vals])[11:] for n in names  # noqa: UP031
    ]
    (frame,) = parse_xentop("\n".join(full))
    assert [d.name for d in frame] == names
    assert frame[0].to_json()["name"] == "" and frame[0].vcpus == 1
    # -r: the header before every row; the empty name starts the next iteration
    rep = "\n".join(x for pair in zip([plain[0]] * 4, plain[1:], strict=True) for x in pair)
    frames = parse_xentop(rep + "\n" + rep)
    assert [[d.name for d in f] for f in frames] == [["", "a\tb", "Domain-0", "web server"]] * 2


def test_repeat_header_lone_domain0_frame_is_not_taken_for_dom0_first() -> None:
    # -r: every row has its own header, so frames are found by the name order. A frame
    # holding Domain-0 alone, then a frame whose first (cut) name sorts before it, is two
    # frames once Domain-0 was seen after another row (no -z); with -z it leads each frame
    vals = [0, 0.0, 524288, 3.1, 524288, 3.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    def frame(names: list[str]) -> list[str]:
        out: list[str] = []
        for n in names:
            out += [_xt_header(_T19, {}), _xt_row(_T19, {}, [n, "--b---", *vals])]
            out.append(_vcpu_line({0: 5}, 1))
        return out

    text = frame(["alongername-1", "alongername-2", "Domain-0"]) + frame(["Domain-0"])
    text += frame(["alongername-1", "Domain-0", "zz"])
    frames = parse_xentop("\n".join(text))
    assert [[d.name for d in f] for f in frames] == [
        ["alongernam", "alongernam", "Domain-0"], ["Domain-0"], ["alongernam", "Domain-0", "zz"],
    ]  # fmt: skip
    assert frames[2][0].vcpu_secs == ((0, 5),) and frames[2][0].name_truncated
    asm = XentopFrameAssembler()
    done = feed_all(asm, "\n".join(text))
    assert [len(f) for f in done] == [3, 1] and [d.name for d in asm.flush() or []][-1] == "zz"
    dom0_first = frame(["Domain-0", "b", "c"]) + frame(["Domain-0", "a"])
    assert [[d.name for d in f] for f in parse_xentop("\n".join(dom0_first))] == [
        ["Domain-0", "b", "c"], ["Domain-0", "a"],
    ]  # fmt: skip


def test_a_first_frame_of_domain0_alone_then_a_guest_sorting_before_it() -> None:
    # a capture started on a host running Domain-0 only, then a guest created whose name
    # sorts before "Domain-0" (strcasecmp: "abc", "db1"). Not -z (4.19+, never passed by
    # xltop): every frame is [abc, Domain-0 (, web1)], never Domain-0 of one iteration
    # with the guests of the next
    vals = [0.0, 524288, 3.1, 524288, 3.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    def row(name: str, cpu: int) -> str:
        return _xt_row(_T19, {}, [name, "--b---", cpu, *vals])

    header = _xt_header(_T19, {})
    plain = [header, row("Domain-0", 1234)]  # without -r: one header per iteration
    for k in (1, 2, 3):
        plain += [header, row("abc", k), row("Domain-0", 1234 + k)]
    want = [[("Domain-0", 1234)]] + [[("abc", k), ("Domain-0", 1234 + k)] for k in (1, 2, 3)]
    frames = parse_xentop("\n".join(plain))
    assert [[(d.name, d.cpu_s) for d in f] for f in frames] == want
    # the stream reads it the same when two iterations arrive in one chunk
    asm = XentopFrameAssembler()
    done = feed_all(asm, "\n".join(plain))
    done += [f for f in [asm.flush()] if f is not None]
    assert [[(d.name, d.cpu_s) for d in f] for f in done] == want
    # -r (a header before every row): the order of the names cuts the frames
    repeat = [header, row("Domain-0", 1234)]
    for k in (1, 2, 3):
        for name, cpu in (("abc", k), ("Domain-0", 1234 + k), ("web1", 10 + k)):
            repeat += [header, row(name, cpu)]
    frames = parse_xentop("\n".join(repeat))
    assert [[d.name for d in f] for f in frames] == [["Domain-0"]] + [
        ["abc", "Domain-0", "web1"]] * 3
    # as ambiguous as it gets ([D0, abc] x3 + [D0] under -z): xentop's default reading
    tie = [header, row("Domain-0", 1)] + [x for _ in range(3) for x in (
        header, row("abc", 1), header, row("Domain-0", 1))]
    assert [[d.name for d in f] for f in parse_xentop("\n".join(tie))] == [["Domain-0"]] + [
        ["abc", "Domain-0"]] * 3


def test_lab_capture_domain0_alone_then_db1_created() -> None:
    # the real thing (Xen 4.17 lab): two frames of Domain-0 alone, then db1 created
    text = (DATA / "lab-xentop-dom0-alone-then-db1-created.out").read_text()
    frames = parse_xentop(text)
    assert [[d.name for d in f] for f in frames] == [["Domain-0"]] * 2 + [
        ["db1", "Domain-0"]] * 3
    assert [f[-1].cpu_s for f in frames] == sorted(f[-1].cpu_s for f in frames)  # Domain-0


def test_names_cut_to_10_bytes_ending_in_a_blank_or_inside_a_utf8_name_are_cut() -> None:
    # "%10.10s" cuts at 10 *bytes*: "Mail Host 1" shows as "Mail Host " (9 characters once
    # stripped), a UTF-8 name as fewer than 10 characters. A full field (no leading blank)
    # is a cut name, so two domains sharing it are one iteration of `xentop -b -i 1`
    vals = [5, 0.0, 524288, 3.1, 524288, 3.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    def row(name: str) -> str:
        field = name.encode()[:10].rjust(10).decode("utf-8", "replace")
        return field + _xt_row(_T19, {}, ["x", "--b---", *vals])[10:]

    for names, shown in (
        (["Domain-0", "Mail Host 1", "Mail Host 2"], "Mail Host"),
        (["Domain-0", "ünïcode-vm1", "ünïcode-vm2"], "ünïcode-"),
    ):
        text = "\n".join([_xt_header(_T19, {}), *(row(n) for n in names)])
        (frame,) = parse_xentop(text)
        assert [(d.name, d.name_truncated) for d in frame] == [
            ("Domain-0", False), (shown, True), (shown, True),
        ]  # fmt: skip
        # -r, two iterations: the header before every row, Domain-0 repeats
        rep = [x for n in names for x in (_xt_header(_T19, {}), row(n))]
        assert [len(f) for f in parse_xentop("\n".join(rep + rep))] == [3, 3]


def test_names_holding_a_state_or_numbers_full_name_truncated_and_headerless() -> None:
    # -f right-aligns names with "%*s" to the longest name's *byte* length (so a UTF-8 name
    # ends left of the NAME title); without -f "%10.10s" cuts at 10 bytes
    names = ["Domain-0", "a --b--- 5", "db -b---- 12", "web --b--- x", "ünï ---c-- 7"]
    vals = [5, 0.0, 524288, 3.1, 524288, 3.1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    rest = _xt_row(_T19, {}, ["x", "-----r", *vals])[10:]

    def field(name: str, width: int, cut: bool) -> str:
        raw = name.encode()[:width] if cut else name.encode()
        return raw.rjust(width).decode("utf-8", "replace")

    width = max(len(n.encode()) for n in names)
    head = _xt_header(_T19, {})
    wide = " " * (width - 10) + head
    full = [field(n, width, False) + rest for n in names]
    for text in (wide + "\n" + "\n".join(full), "\n".join(full)):
        (frame,) = parse_xentop(text)
        assert [(d.name, d.state, d.cpu_s, d.name_truncated) for d in frame] == [
            (n, "-----r", 5, False) for n in names
        ]
    cut = [field(n, 10, True) + rest for n in names]
    (frame,) = parse_xentop(head + "\n" + "\n".join(cut))
    assert [(d.name, d.state) for d in frame] == [
        ("Domain-0", "-----r"), ("a --b--- 5", "-----r"), ("db -b----", "-----r"),
        ("web --b---", "-----r"), ("ünï ---c", "-----r"),
    ]  # fmt: skip


_HEADER = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS "
           "NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")


def _row(name: str) -> str:
    return (f"{name:>10} --b---          6    0.0      98304    3.1      99328       3.2     2"
            "    1        0        0    1        0        3        0         24          0    0")


def test_a_stream_of_rows_that_never_ends_its_frame_is_bounded() -> None:
    # headers end frames (a header followed by 2 rows: no -r), then more rows than Xen
    # has domids without one
    asm = XentopFrameAssembler()
    assert len(asm.feed_lines([_HEADER, _row("a0"), _row("a1"), _HEADER])) == 1
    asm.feed_lines(_row(f"d{i:06d}") for i in range(MAX_FRAME_ROWS + 5))
    assert len(asm._frame) <= MAX_FRAME_ROWS
    assert [e.reason for e in asm.errors] == [
        f"more than {MAX_FRAME_ROWS} domains in one frame: dropped"]
    assert asm.errors[0].line_no == 4 + MAX_FRAME_ROWS + 1
    # the stream goes on: what came after the drop, then whole frames
    (frame,) = asm.feed_lines([_HEADER, _row("web1"), _row("web2")])
    assert [d.name for d in frame] == [f"d{i:06d}" for i in range(MAX_FRAME_ROWS + 1,
                                                                  MAX_FRAME_ROWS + 5)]
    assert [d.name for d in asm.flush() or []] == ["web1", "web2"]


def test_detail_lines_without_end_are_bounded_per_domain() -> None:
    asm = XentopFrameAssembler()
    net = "Net0 RX:        0bytes        0pkts        0err        0drop  TX:     1508bytes       18pkts        0err        0drop"  # noqa: E501
    asm.feed_lines([_HEADER, _row("web1"), *[net] * (MAX_DETAIL_ITEMS + 10), _row("web2")])
    (web1, web2) = asm.flush() or []
    assert len(web1.networks) == MAX_DETAIL_ITEMS and web2.name == "web2"
    assert len(asm.errors) == 10
    assert asm.errors[0].reason == f"more than {MAX_DETAIL_ITEMS} detail items for one domain"


def test_a_row_printed_again_is_the_same_record_and_a_changed_one_is_read_anew() -> None:
    asm = XentopFrameAssembler()
    changed = _row("web2").replace("    0.0 ", "    2.5 ", 1)
    (first,) = asm.feed_lines([_HEADER, _row("web1"), _row("web2"), _HEADER])
    (second,) = asm.feed_lines([_row("web1"), changed, _HEADER])
    assert second[0] is first[0]  # an idle domain's row: not parsed again
    assert second[1] is not first[1] and (first[1].cpu_pct, second[1].cpu_pct) == (0.0, 2.5)


def test_iterations_of_headers_alone_are_empty_frames() -> None:
    # no domain had a name node yet (before xen-init-dom0 names Domain-0): each iteration
    # still printed its header, and is a frame, of nothing
    header = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS "
              "NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")
    assert parse_xentop(header + "\n" + header + "\n") == [[], []]
    assert parse_xentop(header + "\r\n") == [[]]


def test_interactive_screen_copied_from_a_terminal() -> None:
    # xentop without -b: the summary lines (do_summary) above the table and the key help
    # (do_bottom_line, "Tmem" in it from 4.1 to 4.12) at the bottom of the screen
    header = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS "
              "NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")
    row = ("  Domain-0 -----r       1234    0.0    2097152   12.5   no limit       n/a     4    0"
           "        0        0    0        0        0        0          0          0    0")
    for bottom in ("Delay  Networks  vBds  VCPUs  Repeat header  Sort order  Quit",
                   "Delay  Networks  vBds  Tmem  VCPUs  Repeat header  Sort order  Quit  "):
        text = ("xentop - 12:00:00   Xen 4.17.7\n"
                "1 domains: 1 running, 0 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown \n"
                "Mem: 16777216k total, 9437184k used, 7340032k free    CPUs: 8 @ 2994MHz\n"
                f"{header}\n{row}\n\n\n{bottom}\n")
        (frame,) = parse_xentop(text)
        assert [(d.name, d.cpu_s, d.maxmem_k) for d in frame] == [("Domain-0", 1234, None)]
