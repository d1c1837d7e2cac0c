"""xentop without -f cuts names to 10 bytes; the merger gives them back xl's full names."""

from __future__ import annotations

from collections.abc import Iterable

from collectors.assemble import Inputs, Merger
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_list import XlListRow, parse_xl_list

XENTOP_HEADER = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) "
                 "VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  "
                 "VBD_WSECT SSID\n")
XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"


def xentop_row(shown: str) -> bytes:
    """A row as xentop prints it: NAME is ``%10.10s`` of the name's bytes."""
    name = shown.encode()[:10].rjust(10)
    return name + (b" --b---         12    0.1     262144    0.2     263168       0.2"
                   b"     1    1        5        7    1        0       10       20        "
                   b"400        800    0\n")


def xl_list(domains: Iterable[tuple[int, str]]) -> list[XlListRow]:
    return parse_xl_list(XL_HEADER + "".join(f"{n:<40}{i:>6}   256     1     -b----      12.0\n"
                                             for i, n in domains))


def test_names_cut_at_10_bytes_are_matched_to_xl_names() -> None:
    # in xentop's order (strcasecmp of the names)
    names = ["a\u00e9\u00e9\u00e9\u00e9\u00e9-x", "Domain-0", "Mail Host 1", "short",
             "\u00fcn\u00efcode-vm1"]
    # the bytes as the stream brings them, decoded the way the transport decodes
    raw = XENTOP_HEADER.encode() + b"".join(xentop_row(n) for n in names)
    frame = parse_xentop(raw.decode("utf-8", "replace"))[0]
    shown = [d.name for d in frame]
    assert shown[2] == "Mail Host" and shown[4] == "\u00fcn\u00efcode-"
    assert shown[0] == "a\u00e9\u00e9\u00e9\u00e9\ufffd"  # the 10th byte split an é
    xl = xl_list(enumerate(names))
    inp = Inputs(frame=frame, frame_t=100.0, xl_rows=xl, xl_t=100.0)
    domains = Merger("h").domains(inp, 100.0, None)
    assert sorted(d.name for d in domains) == sorted(names)
    assert {d.name: d.domid for d in domains} == {n: i for i, n in enumerate(names)}


def test_an_ambiguous_cut_is_left_as_shown() -> None:
    names = ["Mail Host 1", "Mail Host 2"]
    raw = XENTOP_HEADER.encode() + b"".join(xentop_row(n) for n in names)
    frame = parse_xentop(raw.decode())[0]
    xl = xl_list(enumerate(names, 1))
    domains = Merger("h").domains(Inputs(frame=frame, frame_t=1.0, xl_rows=xl, xl_t=1.0), 1.0,
                                  None)
    # both rows stay (one frame), neither can be told apart: no domid is guessed for them
    cut = [d for d in domains if d.name == "Mail Host"]
    assert len(cut) == 2 and {d.domid for d in cut} == {None}


def test_cpu_time_does_not_step_back_when_xentop_whole_seconds_follow_xl_tenths() -> None:
    """xl list says 12.6 s; xentop then prints the same counter as 12 (whole seconds,
    ``%10llu``): the domain keeps 12.6 until xentop passes it; a real restart (a counter
    far below) still shows."""
    def cpu_after(xentop_cpu: str, xl_time: str = "12.6") -> float | None:
        xl = parse_xl_list(XL_HEADER + f"{'web':<40}     3   256     1     -b----  {xl_time:>8}\n")
        row = xentop_row("web").replace(b"        12 ", f"{xentop_cpu:>10} ".encode(), 1)
        frame = parse_xentop((XENTOP_HEADER.encode() + row).decode())[0]
        (d,) = Merger("h").domains(Inputs(frame=frame, frame_t=5.0, xl_rows=xl, xl_t=1.0),
                                   5.0, None)
        return d.cpu_time_s

    assert cpu_after("12") == 12.6
    assert cpu_after("13") == 13.0
    assert cpu_after("11") == 11.0  # more than xentop's resolution below: not the same read
    assert cpu_after("0") == 0.0
    # xl prints %8.1f: 12.96 s shows as 13.0 while xentop still says 12
    assert cpu_after("12", "13.0") == 13.0
    assert cpu_after("12", "13.1") == 12.0  # 13.05 s or more: xentop would say 13


def test_a_name_led_by_a_blank_keeps_it_and_its_xentop_row() -> None:
    # xl list prints names from column 0 ("%-40s"), so " lead" keeps its blank there;
    # xentop right-aligns them ("%10.10s"), so it shows "lead": still one domain, xl's name
    names = [" lead", "Domain-0", "  two", " two"]  # the last two both show as "two"
    raw = XENTOP_HEADER.encode() + b"".join(xentop_row(n) for n in names)
    frame = parse_xentop(raw.decode())[0]
    assert [d.name for d in frame] == ["lead", "Domain-0", "two", "two"]
    xl = xl_list(enumerate(names, 3))
    assert [r.name for r in xl] == names
    domains = Merger("h").domains(Inputs(frame=frame, frame_t=1.0, xl_rows=xl, xl_t=1.0), 1.0,
                                  None)
    by_name = {d.name: d for d in domains if d.domid is not None}
    assert by_name[" lead"].domid == 3 and by_name[" lead"].cpu_time_s == 12.0
    assert by_name[" lead"].vbd_rd_reqs == 10  # xentop's counters, not only xl's
    assert "lead" not in {d.name for d in domains}
    # "two" could be either: neither is guessed, both stay known from xl list alone
    assert {d.name for d in domains if d.name.strip() == "two" and d.domid is not None} == {
        "  two", " two"}


def test_a_domain_xl_list_no_longer_shows_after_the_frame_is_gone() -> None:
    """xentop's frame from before a destroy, xl list from after it (the seam re-polls at
    once): the destroyed domain showed for a tick as running, without its domid."""
    names = ["Domain-0", "web1", "gone1"]
    raw = XENTOP_HEADER.encode() + b"".join(xentop_row(n) for n in names)
    frame = parse_xentop(raw.decode())[0]
    xl = xl_list([(0, "Domain-0"), (1, "web1")])  # gone1 destroyed between the two
    newer = Merger("h").domains(Inputs(frame=frame, frame_t=10.0, xl_rows=xl, xl_t=10.5),
                                10.5, None)
    assert [(d.name, d.domid) for d in newer] == [("Domain-0", 0), ("web1", 1)]
    # a frame newer than xl list: a domain created since is shown, its domid not yet known
    older = Merger("h").domains(Inputs(frame=frame, frame_t=10.5, xl_rows=xl, xl_t=10.0),
                                10.5, None)
    assert [(d.name, d.domid) for d in older] == [("Domain-0", 0), ("web1", 1), ("gone1", None)]
