"""xl vcpu-list / xm vcpu-list parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.model import CpuSet, VcpuState
from collectors.parse.common import ParseError
from collectors.parse.xl_vcpu import parse_xl_vcpu_list, vcpu_state

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")
HEADER = "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)"


def xl_row(
    name: str, domid: int, vcpu: int, cpu: int | None, state: str, t: float, aff: str
) -> str:
    """A row exactly as xl 4.5+ prints it (print_vcpuinfo)."""
    row = "%-32s %5u %5u" % (name, domid, vcpu)  # noqa: UP031 (the C printf format)
    if cpu is None:
        row += "%5c %3c%cp " % ("-", "-", "-")  # noqa: UP031 (the C printf format)
    else:
        row += "%5u %3c%c- " % (cpu, state[0], state[1])  # noqa: UP031 (the C printf format)
    return row + "%9.1f  " % t + aff  # noqa: UP031 (the C printf format)


@needs_fixtures
def test_lab_a_offline_and_runnable_vcpus() -> None:
    rows = parse_xl_vcpu_list((FIX / "xen-4.17-lab-a" / "xl-vcpu-list.out").read_text())
    assert len(rows) == 6
    db1 = [r for r in rows if r.name == "db1"]
    assert [(r.vcpu, r.cpu, r.state) for r in db1] == [(0, None, "--p"), (1, 1, "---")]
    assert [r.vcpu_state for r in db1] == [VcpuState.OFFLINE, VcpuState.RUNNABLE]
    assert rows[1].to_json() == {
        "name": "Domain-0",
        "domid": 0,
        "vcpu": 1,
        "cpu": 0,
        "state": "r--",
        "cpu_time_s": 57.2,
        "hard_affinity": "all",
        "soft_affinity": "all",
    }
    assert db1[0].to_json()["cpu"] is None


@needs_fixtures
def test_lab_b_vcpu_list() -> None:
    rows = parse_xl_vcpu_list((FIX / "xen-4.17-lab-b" / "xl-vcpu-list.out").read_text())
    assert [(r.name, r.domid, r.vcpu) for r in rows if r.name == "idle1"] == [("idle1", 2, 0)]
    assert sum(1 for r in rows if r.name == "db1") == 2
    assert all(r.hard_affinity == CpuSet(all=True) for r in rows)


def test_lab_single_domain() -> None:
    rows = parse_xl_vcpu_list((DATA / "lab-xl-vcpu-list-web1.out").read_text())
    assert [(r.vcpu, r.cpu_time_s) for r in rows] == [(0, 4.6), (1, 2.5)]


def test_affinities_ranges_and_none() -> None:
    text = "\n".join(
        [
            HEADER,
            xl_row("guest1", 3, 0, 3, "-b", 24.7, "0-1 / all"),
            xl_row("guest1", 3, 2, None, "", 26.7, "4-5 / all"),
            xl_row("win1", 5, 0, 5, "-b", 1.2, "0-3,6,8-9 / none"),
        ]
    )
    rows = parse_xl_vcpu_list(text)
    assert rows[0].hard_affinity.to_json() == [0, 1] and rows[0].soft_affinity == CpuSet(all=True)
    assert rows[1].cpu is None and rows[1].state == "--p"
    assert rows[2].to_json()["hard_affinity"] == [0, 1, 2, 3, 6, 8, 9]
    assert rows[2].to_json()["soft_affinity"] == []


def test_cpu_glued_to_vcpu_is_split_at_the_field() -> None:
    # "%5u%5u": a 5-digit pCPU leaves no blank between VCPU and CPU
    text = "\n".join(
        [
            HEADER,
            xl_row("my vm 2", 7, 3, 12345, "r-", 12.5, "0-3,6 / all"),
            xl_row("a 5 6", 9, 10, 123456, "-b", 1.0, "all / 1-2"),
            xl_row("x" * 40, 32000, 1, 4, "-b", 1.0, "all / all"),
        ]
    )
    rows = parse_xl_vcpu_list(text)
    assert [(r.name, r.domid, r.vcpu, r.cpu) for r in rows] == [
        ("my vm 2", 7, 3, 12345),
        ("a 5 6", 9, 10, 123456),
        ("x" * 40, 32000, 1, 4),
    ]


def test_names_with_numbers_and_spaces() -> None:
    (r,) = parse_xl_vcpu_list(xl_row("web 2 3", 4, 1, 0, "-b", 2.0, "all / all"))
    assert (r.name, r.domid, r.vcpu, r.cpu) == ("web 2 3", 4, 1, 0)


def test_xm_vcpu_list() -> None:
    rows = parse_xl_vcpu_list((DATA / "xm-vcpu-list.out").read_text())
    assert [(r.name, r.domid, r.vcpu, r.cpu, r.state) for r in rows] == [
        ("Domain-0", 0, 0, 1, "r--"),
        ("Domain-0", 0, 1, 0, "-b-"),
        ("sxc 18", 12, 0, 0, "-b-"),
        ("sxc 18", 12, 1, None, "--p"),
    ]
    assert rows[0].hard_affinity == CpuSet(all=True) and rows[0].soft_affinity is None
    assert rows[2].hard_affinity.to_json() == [0, 1, 3]
    assert rows[3].hard_affinity.to_json() == []  # "no cpus"
    assert rows[0].to_json()["soft_affinity"] is None


def test_old_xl_single_affinity_column() -> None:
    rows = parse_xl_vcpu_list((DATA / "xl-4.1-vcpu-list.out").read_text())
    assert [r.name for r in rows] == ["Domain-0", "Domain-0"] + ["guest with spaces"] * 2
    assert rows[0].hard_affinity == CpuSet(all=True) and rows[0].soft_affinity is None
    assert rows[2].hard_affinity.to_json() == [2, 3] and rows[3].cpu is None


def test_hostile_names() -> None:
    rows = parse_xl_vcpu_list((DATA / "xl-vcpu-list-hostile-names.out").read_text())
    assert [r.name for r in rows][:3] == ["$(reboot)", "[red]x", "; rm -rf /"]


def test_tabs_crlf_trailing_spaces_blank_lines_and_warnings() -> None:
    text = (
        "libxl: warning: libxl.c:1:f: noise\r\n\r\n"
        + HEADER
        + "\r\n"
        + "Domain-0\t0\t0\t1\t-b-\t58.3\tall / all   \r\n"
    )
    (r,) = parse_xl_vcpu_list(text)
    assert (r.name, r.cpu, r.cpu_time_s) == ("Domain-0", 1, 58.3)


def test_vcpu_state_letters() -> None:
    assert vcpu_state("r--") is VcpuState.RUNNING
    assert vcpu_state("-b-") is VcpuState.BLOCKED
    assert vcpu_state("---") is VcpuState.RUNNABLE
    assert vcpu_state("--p") is VcpuState.OFFLINE
    assert vcpu_state("rb-") is VcpuState.RUNNING
    assert vcpu_state("xyz") is None and vcpu_state("") is None


@pytest.mark.parametrize(
    "text",
    [
        "nonsense line",
        HEADER + "\nDomain-0 0 0 1 -b- 58.3 all",  # one affinity under a two-column header
        "Domain-0 0 0 1 -x- 58.3 all / all",
        "Domain-0 0 0 1 -b- 58.3 0-99999999999 / all",  # absurd CPU number, not a huge set
        "Domain-0 0 0 1 -b- 58.3 5-2 / all",
    ],
)
def test_garbage(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_vcpu_list(text)
    assert e.value.line_no is not None


def test_xm_3_0_vcpu_list_layout() -> None:
    # xm 3.0.x xm_vcpu_list: a fixed header and rows
    # "%(name)-32s %(domid)3d  %(number)4d  %(c)3s   %(s)-3s   %(cpu_time)7.1f  %(cpumap)s"
    fmt = "%(name)-32s %(domid)3d  %(number)4d  %(c)3s   %(s)-3s   %(cpu_time)7.1f  %(cpumap)s"
    rows = [
        {"name": "Domain-0", "domid": 0, "number": 0, "c": "0", "s": "r--",
         "cpu_time": 148.4, "cpumap": "any cpu"},
        {"name": "Domain-0", "domid": 0, "number": 1, "c": "1", "s": "-b-",
         "cpu_time": 99.0, "cpumap": "any cpu"},
        {"name": "sxc 18", "domid": 12, "number": 0, "c": "-", "s": "--p",
         "cpu_time": 25.7, "cpumap": "0-1,3"},
        {"name": "sxc 18", "domid": 12, "number": 1, "c": "3", "s": "---",
         "cpu_time": 2.0, "cpumap": "no cpus"},
    ]  # fmt: skip
    text = "Name                              ID  VCPU  CPU  State  Time(s)  CPU Affinity\n"
    got = parse_xl_vcpu_list(text + "\n".join(fmt % r for r in rows) + "\n")
    assert [(r.name, r.domid, r.vcpu, r.cpu, r.state, r.cpu_time_s) for r in got] == [
        ("Domain-0", 0, 0, 0, "r--", 148.4),
        ("Domain-0", 0, 1, 1, "-b-", 99.0),
        ("sxc 18", 12, 0, None, "--p", 25.7),
        ("sxc 18", 12, 1, 3, "---", 2.0),
    ]
    assert got[0].to_json()["hard_affinity"] == "all" and got[0].soft_affinity is None
    assert got[2].to_json()["hard_affinity"] == [0, 1, 3]
    assert got[3].to_json()["hard_affinity"] == [] and got[3].vcpu_state is VcpuState.RUNNABLE


def test_xm_vcpu_list_inactive_domain_blank_id_cpu_and_state() -> None:
    # xend 3.1+ xm_vcpu_list: '%(name)-32s %(domid)5s %(number)5d %(c)5s %(s)5s ' \
    # ' %(cpu_time)8.1f %(cpumap)s'; an inactive managed domain has domid None and cpu -1
    # (XendDomainInfo.getVCPUInfo), printed as '' for ID, CPU and State
    fmt = "%(name)-32s %(domid)5s %(number)5d %(c)5s %(s)5s  %(cpu_time)8.1f %(cpumap)s"
    rows = [
        {"name": "Domain-0", "domid": "0", "number": 0, "c": "1", "s": "r--",
         "cpu_time": 1234.5, "cpumap": "any cpu"},
        {"name": "idle vm 2", "domid": "", "number": 0, "c": "", "s": "", "cpu_time": 0.0,
         "cpumap": "any cpu"},
        {"name": "idle vm 2", "domid": "", "number": 1, "c": "", "s": "", "cpu_time": 0.0,
         "cpumap": "2-3"},
    ]  # fmt: skip
    text = "%-32s %5s %5s %5s %5s %9s %s\n" % (  # noqa: UP031 (the xm format)
        "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "CPU Affinity"
    )
    got = parse_xl_vcpu_list(text + "\n".join(fmt % r for r in rows) + "\n")
    assert [(r.name, r.domid, r.vcpu, r.cpu, r.state, r.cpu_time_s) for r in got] == [
        ("Domain-0", 0, 0, 1, "r--", 1234.5),
        ("idle vm 2", None, 0, None, None, 0.0),
        ("idle vm 2", None, 1, None, None, 0.0),
    ]
    assert got[1].hard_affinity == CpuSet(all=True) and got[2].hard_affinity.to_json() == [2, 3]
    assert got[2].vcpu_state is None
    j = got[2].to_json()
    assert (j["domid"], j["cpu"], j["state"], j["soft_affinity"]) == (None, None, None, None)


def test_xl_4_0_affinity_words_continue_on_their_own_lines() -> None:
    # Xen 4.0 xl print_vcpuinfo: unless "any cpu", each 64-bit word of the cpumap is printed
    # as a list followed by "\n", the bit numbers restarting at 0 in every word
    header = "%-32s %5s %5s %5s %5s %9s %s" % (  # noqa: UP031 (the C printf format)
        "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "CPU Affinity"
    )
    text = "\n".join([
        header,
        xl_row("Domain-0", 0, 0, 0, "r-", 308.6, "any cpu"),
        xl_row("guest1", 3, 0, 70, "-b", 24.7, "0-63"),
        "0-36",
        xl_row("guest1", 3, 1, None, "--", 25.7, "2,4-5"),
        "1",
        "0-63",
        xl_row("", 4, 0, 1, "-b", 1.0, "any cpu"),  # a name node holding "": 32 blanks
    ])  # fmt: skip
    dom0, g0, g1, empty = parse_xl_vcpu_list(text)
    assert dom0.hard_affinity == CpuSet(all=True)
    assert (g0.vcpu, g0.cpu, g0.state) == (0, 70, "-b-")
    assert g0.hard_affinity.to_json() == list(range(101))
    assert g1.hard_affinity.to_json() == [2, 4, 5, 65, *range(128, 192)]
    assert (empty.name, empty.domid, empty.cpu, empty.state) == ("", 4, 1, "-b-")
    with pytest.raises(ParseError) as e:  # a bit number a 64-bit word cannot hold
        parse_xl_vcpu_list(text.replace("\n0-36", "\n64"))
    assert e.value.line_no == 4
    with pytest.raises(ParseError) as e:  # "any cpu" is never continued
        parse_xl_vcpu_list(header + "\n" + xl_row("d", 1, 0, 0, "-b", 1.0, "any cpu") + "\n0-3")
    assert e.value.line_no == 3


def test_names_holding_a_state_time_or_affinity() -> None:
    # "%-32s" pads by bytes: a UTF-8 name ends left of the others; the row's fields are
    # found from the right, so a name that looks like a row's tail stays the name
    names = ["web r-- 1.0", "db -b- 3 4", "ünïcødé --p", "x 1 2 3 -b- 5.0 all / all"]
    rows = []
    for i, n in enumerate(names, start=1):
        row = xl_row("N", i, 0, i + 1, "-b", 2.5, "0-3 / all")
        raw = n.encode()
        rows.append((raw + b" " * max(0, 32 - len(raw))).decode() + row[32:])
    got = parse_xl_vcpu_list("\n".join([HEADER, *rows]))
    assert [(r.name, r.domid, r.vcpu, r.cpu, r.state, r.cpu_time_s) for r in got] == [
        (n, i, 0, i + 1, "-b-", 2.5) for i, n in enumerate(names, start=1)
    ]
    assert got[3].hard_affinity == CpuSet.of(range(4)) and got[3].soft_affinity == CpuSet(all=True)


def test_a_name_led_by_blanks_keeps_them() -> None:
    # rows start at column 0 ("%-32s"): leading blanks are the name's (xl accepts them)
    text = ("Name                                ID  VCPU   CPU State   Time(s) "
            "Affinity (Hard / Soft)\n"
            " lead                                3     0    1   -b-       1.0  all / all\n"
            "  two words                          4     0    -   --p       0.0  0-1 / all\n")
    rows = parse_xl_vcpu_list(text)
    assert [(r.name, r.domid, r.cpu) for r in rows] == [(" lead", 3, 1), ("  two words", 4, None)]


@pytest.mark.parametrize("gap", [" ", "   "])
def test_a_domid_past_32_bits_is_garbage(gap: str) -> None:
    head = ("Name                                ID  VCPU   CPU State   Time(s) "
            "Affinity (Hard / Soft)\n")
    row = f"web1   {{}}{gap}    0    1   -b-       4.1  all / all\n"
    assert parse_xl_vcpu_list(head + row.format(2**32 - 1))[0].domid == 2**32 - 1
    with pytest.raises(ParseError, match="line 2: .*does not fit 32 bits"):
        parse_xl_vcpu_list(head + row.format(2**32))
