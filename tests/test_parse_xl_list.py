"""xl list / xm list / xl list -l parsing, on real 4.17 captures and other versions' layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.model import DomainType
from collectors.parse.common import ParseError
from collectors.parse.xl_list import (
    XlDomainConfig,
    parse_xl_list,
    parse_xl_list_long,
    state_from_xentop,
    state_from_xl,
)

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


def fixture(lab: str, name: str) -> str:
    return (FIX / f"xen-4.17-{lab}" / name).read_text()


def data(name: str) -> str:
    return (DATA / name).read_text()


@needs_fixtures
def test_lab_a_plain_list_has_the_crashed_db1() -> None:
    rows = parse_xl_list(fixture("lab-a", "xl-list.out"))
    assert [r.name for r in rows] == ["Domain-0", "db1", "web1"]
    db1 = rows[1]
    assert (db1.domid, db1.mem_mib, db1.vcpus, db1.state, db1.cpu_time_s) == (
        1,
        96,
        1,
        "---sc-",
        5.6,
    )
    assert db1.to_json() == {
        "name": "db1",
        "domid": 1,
        "mem_mib": 96,
        "vcpus": 1,
        "state": "---sc-",
        "cpu_time_s": 5.6,
    }
    st = state_from_xl(db1.state or "")
    assert st.shutdown and st.crashed and st.shutdown_reason == "crash" and st.label == "crashed"
    assert rows[0].domain_state is not None and rows[0].domain_state.running


@needs_fixtures
def test_lab_a_verbose_has_uuid_and_reason_code() -> None:
    rows = parse_xl_list(fixture("lab-a", "xl-list-v.out"))
    assert rows[1].uuid == "4d58f3d6-b896-4cf4-a54e-786034f4d24d"
    assert rows[1].reason_code == "3"  # SHUTDOWN_crash
    assert rows[0].reason_code is None and rows[0].security_label is None
    assert rows[2].to_json()["uuid"] == "7c6be5f4-2ee2-48e4-b917-d313d1a94396"
    assert set(rows[0].to_json()) >= {"uuid", "reason_code", "security_label"}


@needs_fixtures
def test_lab_a_numa_and_lab_b_plain() -> None:
    rows = parse_xl_list(fixture("lab-a", "xl-list-n.out"))
    assert [r.node_affinity for r in rows] == ["all", "all", "all"]
    assert "node_affinity" in rows[0].to_json() and "uuid" not in rows[0].to_json()
    b = parse_xl_list(fixture("lab-b", "xl-list.out"))
    assert [(r.name, r.domid, r.mem_mib) for r in b] == [
        ("Domain-0", 0, 1024),
        ("db1", 1, 160),
        ("idle1", 2, 128),
        ("web1", 3, 128),
    ]


@needs_fixtures
def test_unknown_domain_output_is_empty() -> None:
    assert parse_xl_list(fixture("lab-a", "xl-list-unknown.out")) == []


def test_lab_cpupool_zv_and_all_options() -> None:
    c = parse_xl_list(data("lab-xl-list-c.out"))
    assert [r.cpupool for r in c] == ["Pool-0"] * 4
    assert c[3].to_json() == {
        "name": "web1",
        "domid": 3,
        "mem_mib": 128,
        "vcpus": 2,
        "state": "-b----",
        "cpu_time_s": 7.1,
        "cpupool": "Pool-0",
    }
    z = parse_xl_list(data("lab-xl-list-Z.out"))
    assert z[0].to_json()["security_label"] is None and "uuid" not in z[0].to_json()
    every = parse_xl_list(data("lab-xl-list-v-c-n.out"))
    assert every[1].uuid == "bffd13bc-1f2a-4d89-9f3d-0f26485b6a06"
    assert (every[1].cpupool, every[1].node_affinity) == ("Pool-0", "all")
    assert list(every[1].to_json())[6:] == [
        "uuid",
        "reason_code",
        "security_label",
        "cpupool",
        "node_affinity",
    ]
    nc = parse_xl_list(data("lab-xl-list-n-c.out"))
    assert (nc[2].name, nc[2].cpupool, nc[2].node_affinity) == ("idle1", "Pool-0", "all")


def test_cpupool_glued_to_time_long_names_crlf_and_warning_line() -> None:
    rows = parse_xl_list(data("xl-list-c-overflow.out"))
    assert [(r.name, r.cpu_time_s, r.cpupool) for r in rows] == [
        ("Domain-0", 1234.6, "Pool-0"),
        ("guest 12", 98.8, "a-very-long-pool-name"),
        ("a-domain-name-that-is-much-longer-than-forty-chars with spaces 2", 1.5, "Pool-0"),
        ("9lives", 123456.7, "9pool-with-digits-first"),
    ]
    assert rows[3].state == "---ss-" and state_from_xl("---ss-").shutdown_reason == "suspend"


def test_xm_list_with_inactive_domain_and_names_with_spaces() -> None:
    rows = parse_xl_list(data("xm-list.out"))
    assert [(r.name, r.domid, r.state) for r in rows] == [
        ("Domain-0", 0, "r-----"),
        ("48_VM1", 3, "-b----"),
        ("web server 2", 12, "--p---"),
        ("crashed vm", 14, "----c-"),
        ("stopped guest 7", None, None),
    ]
    inactive = rows[4]
    assert (inactive.mem_mib, inactive.vcpus, inactive.cpu_time_s) == (2048, 4, 0.0)
    assert inactive.domain_state is None
    xm_crash = state_from_xl("----c-")
    assert xm_crash.crashed and xm_crash.shutdown


def test_xm_list_label() -> None:
    rows = parse_xl_list(data("xm-list-label.out"))
    assert [r.security_label for r in rows] == ["ACM:example:dom0", "ACM:example:dom_HomeBanking"]


def test_hostile_names_are_data() -> None:
    rows = parse_xl_list(data("xl-list-hostile-names.out"))
    assert [r.name for r in rows] == [
        "$(reboot)",
        "[red]x",
        "; rm -rf /",
        "a\"quote's",
        "trailing",  # trailing blanks are indistinguishable from %-40s padding
        "x" * 50,
    ]
    assert [r.domid for r in rows] == [1, 2, 3, 4, 5, 6]


def test_tabs_instead_of_spaces_and_headerless_rows() -> None:
    text = "Domain-0\t0\t1024\t2\tr-----\t114.1\nweb 1\t3\t96\t2\t-b----\t6.8\n"
    rows = parse_xl_list(text)
    assert [(r.name, r.domid, r.mem_mib) for r in rows] == [("Domain-0", 0, 1024), ("web 1", 3, 96)]


def test_name_ending_in_numbers_keeps_them() -> None:
    row = "%-40s %5d %5d %5d     %s  %8.1f" % ("web 12 34", 5, 128, 2, "-b----", 1.0)  # noqa: UP031 (the C printf format)
    (r,) = parse_xl_list(row)
    assert (r.name, r.domid, r.mem_mib, r.vcpus) == ("web 12 34", 5, 128, 2)


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "Name ID Mem VCPUs State Time(s)\nDomain-0 zero 1024 2 r----- 1.0",
        "Domain-0 0 1024 2 rX---- 1.0",  # not a state
        "Name                                        ID   Mem VCPUs\tState\tTime(s)    Frobs\n"
        "Domain-0   0  1024  2  r-----  1.0  0",  # a column we do not know
    ],
)
def test_garbage_names_the_line(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_list(text)
    assert e.value.line_no is not None and e.value.line is not None
    assert f"line {e.value.line_no}" in str(e.value)


def test_state_letters() -> None:
    s = state_from_xl("-b----")
    assert s.blocked and not s.running and s.label == "blocked"
    assert state_from_xl("--p---").paused
    assert state_from_xl("---s--").shutdown_reason == "poweroff"
    assert state_from_xl("---sr-").shutdown_reason == "reboot"
    assert state_from_xl("---sw-").shutdown_reason == "watchdog"
    assert state_from_xl("---sS-").shutdown_reason == "soft_reset"
    assert state_from_xl("-----d").dying
    assert state_from_xl("---sc-").flags == "---sc-"
    with pytest.raises(ParseError):
        state_from_xl("rb")
    x = state_from_xentop("---c--")
    assert x.crashed and x.shutdown and x.shutdown_reason == "crash"
    x = state_from_xentop("-s----")
    assert x.shutdown and not x.crashed and x.shutdown_reason is None
    assert state_from_xentop("d-----").dying and state_from_xentop("-----r").running
    assert state_from_xentop("----p-").paused and state_from_xentop("--b---").blocked
    with pytest.raises(ParseError):
        state_from_xentop("r-----")  # xl order, not xentop's


# --- xl list -l ---------------------------------------------------------------------------


@needs_fixtures
def test_list_long_lab_a() -> None:
    cfgs = parse_xl_list_long(fixture("lab-a", "xl-list-l.out"))
    assert [(c.domid, c.name) for c in cfgs] == [(0, "Domain-0"), (1, "db1"), (3, "web1")]
    db1 = cfgs[1]
    assert db1.type is DomainType.PV
    assert (db1.max_memkb, db1.target_memkb, db1.max_vcpus) == (131072, 98304, 2)
    assert db1.avail_vcpus == (0, 1) and db1.sched == "credit2"
    assert [n["mac"] for n in db1.nics] == ["00:16:3e:10:00:02", "00:16:3e:10:00:03"]
    assert [d["vdev"] for d in db1.disks] == ["xvda", "xvdb"]
    assert db1.raw["on_crash"] == "preserve"
    dom0 = cfgs[0]
    assert dom0.uuid is None and dom0.avail_vcpus == () and dom0.nics == ()
    assert cfgs[2].to_json()["uuid"] == "7c6be5f4-2ee2-48e4-b917-d313d1a94396"


@needs_fixtures
def test_list_long_lab_b_and_domain0_entry() -> None:
    cfgs = parse_xl_list_long(fixture("lab-b", "xl-list-l.out"))
    assert [c.name for c in cfgs] == ["Domain-0", "db1", "idle1", "web1"]
    assert cfgs[2].avail_vcpus == (0,) and cfgs[2].max_memkb == 131072
    (d0,) = parse_xl_list_long(fixture("lab-b", "xl-list-l-domain0.out"))
    assert (d0.domid, d0.target_memkb) == (0, 1048575)


def test_list_long_dry_run_object_json_c_and_empty() -> None:
    (cfg,) = parse_xl_list_long(data("lab-xl-N-create-stderr-mixed.out"))
    assert cfg.domid == -1 and cfg.name == "idle1" and cfg.type is DomainType.PV
    (win,) = parse_xl_list_long(data("xl-4.21-list-l-jsonc.out"))
    assert (win.domid, win.name, win.type, win.sched) == (7, "win 1", DomainType.HVM, "credit")
    assert [d["vdev"] for d in win.disks] == ["hda", "hdc"]
    assert parse_xl_list_long("[\n\n]\n\n") == []
    assert parse_xl_list_long("") == []
    (web1,) = parse_xl_list_long(data("lab-xl-list-l-web1.out"))
    assert web1.domid == 3 and web1.max_memkb == 262144


def test_list_long_concatenated_objects() -> None:
    text = '{"domid": 1, "config": {"c_info": {"name": "a"}}}\n{"domid": 2, "config": {}}\n'
    assert [(c.domid, c.name) for c in parse_xl_list_long(text)] == [(1, "a"), (2, None)]


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ('[\n  {"domid": 1,\n   "config": {,}}\n]', 3),
        ("this is not json", 1),
        ('[{"domid": 1}]', 1),
        ("[1, 2]", 1),
        ("[" * 100000, 1),
        ('[\n{"domid": 1, "config": []}\n]', 1),
    ],
)
def test_list_long_garbage(text: str, line_no: int) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_list_long(text)
    assert e.value.line_no == line_no


# --- older layouts, rebuilt with the printf formats of those versions ----------------------


def test_xm_3_0_list_mem_mib_header_and_acm_ssid_suffix() -> None:
    # xm 3.0.x xm_brief_list: a fixed header with "Mem(MiB)" and rows
    # "%(name)-32s %(dom)3d %(mem)8d %(vcpus)5d %(state)5s %(cpu_time)7.1f%(ssidstr)s"
    # where ssidstr is " s:%04x/p:%04x" when the domain has an ACM ssidref, else "".
    fmt = "%(name)-32s %(dom)3d %(mem)8d %(vcpus)5d %(state)5s %(cpu_time)7.1f%(ssidstr)s"
    rows = [
        {"name": "Domain-0", "dom": 0, "mem": 251, "vcpus": 1, "state": "r-----",
         "cpu_time": 130.2, "ssidstr": ""},
        {"name": "xen1", "dom": 3, "mem": 519, "vcpus": 1, "state": "-b----",
         "cpu_time": 33.4, "ssidstr": " s:0000/p:0001"},
        {"name": "my vm 2", "dom": 7, "mem": 12345678, "vcpus": 2, "state": "--p---",
         "cpu_time": 0.5, "ssidstr": ""},
    ]  # fmt: skip
    text = "Name                              ID Mem(MiB) VCPUs State  Time(s)\n"
    text += "\n".join(fmt % r for r in rows) + "\n"
    got = parse_xl_list(text)
    assert [(r.name, r.domid, r.mem_mib, r.vcpus, r.state, r.cpu_time_s) for r in got] == [
        ("Domain-0", 0, 251, 1, "r-----", 130.2),
        ("xen1", 3, 519, 1, "-b----", 33.4),
        ("my vm 2", 7, 12345678, 2, "--p---", 0.5),
    ]
    assert got[1].security_label == "s:0000/p:0001" and got[0].security_label is None
    assert got[1].to_json()["security_label"] == "s:0000/p:0001"
    assert "security_label" in got[0].to_json() and "uuid" not in got[0].to_json()


def test_xl_4_1_list_v_has_no_security_label_and_always_a_reason() -> None:
    # xl 4.0/4.1 list_domains: header + "   UUID                            Reason-Code",
    # rows + " %s" uuid + " %8x" of the shutdown reason (0 when not shut down)
    header = (
        "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        "   UUID                            Reason-Code"
    )
    row = "%-40s %5d %5lu %5d     %s  %8.1f %s %8x"
    text = "\n".join([
        header,
        row % ("Domain-0", 0, 2048, 4, "r-----", 1234.6, "00000000-0000-0000-0000-000000000000", 0),
        row % ("crashy", 7, 512, 1, "---sc-", 1.5, "11223344-5566-4788-99aa-bbccddeeff00", 3),
    ])  # fmt: skip
    dom0, crashy = parse_xl_list(text)
    assert (crashy.domid, crashy.mem_mib, crashy.state) == (7, 512, "---sc-")
    assert crashy.reason_code == "3"
    assert crashy.uuid == "11223344-5566-4788-99aa-bbccddeeff00"
    assert dom0.reason_code == "0" and dom0.cpu_time_s == 1234.6
    assert list(dom0.to_json())[6:] == ["uuid", "reason_code"]  # no security_label column


def test_xm_list_label_with_an_inactive_domain() -> None:
    # xm_label_list: header '%-32s %3s %5s %5s %5s %9s %-8s', rows
    # '%(name)-32s %(domid)3s %(mem)5d %(vcpus)5d %(state)10s %(cpu_time)8.1f %(seclabel)9s'
    fmt = "%(name)-32s %(domid)3s %(mem)5d %(vcpus)5d %(state)10s %(cpu_time)8.1f %(seclabel)9s"
    titles = ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Label")
    header = "%-32s %3s %5s %5s %5s %9s %-8s" % titles  # noqa: UP031 (the xm format)
    rows = [
        {"name": "Domain-0", "domid": "0", "mem": 581, "vcpus": 2, "state": "r-----",
         "cpu_time": 1.5, "seclabel": "INACTIVE"},
        {"name": "off vm", "domid": "", "mem": 256, "vcpus": 1, "state": "", "cpu_time": 0.0,
         "seclabel": "INACTIVE"},
    ]  # fmt: skip
    dom0, off = parse_xl_list(header + "\n" + "\n".join(fmt % r for r in rows))
    assert (dom0.domid, dom0.security_label) == (0, "INACTIVE")
    assert (off.name, off.domid, off.state, off.mem_mib, off.security_label) == (
        "off vm", None, None, 256, "INACTIVE",
    )  # fmt: skip


def _unexpand(line: str) -> str:
    """``unexpand -a``: the blanks (two or more) that end at a TAB stop become a TAB."""
    chunks = [line[i : i + 8] for i in range(0, len(line), 8)]
    out = [c.rstrip(" ") + "\t" if len(c) == 8 and c.endswith("  ") else c for c in chunks]
    return "".join(out)


def _c(fmt: str, *args: object) -> str:
    """C printf, through Python's % (same conversions for these formats)."""
    return fmt % args  # noqa: UP031


def test_long_pool_name_glued_to_the_security_label() -> None:
    # -v/-Z print the label " %16s", then -c prints the pool "%16s" with no blank: a pool
    # name of 16+ characters runs into the label ("-" without FLASK)
    base = "%-40s %5d %5lu %5d     %s  %8.1f"
    v_header = (
        "Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID"
        "                            Reason-Code\tSecurity Label         Cpupool"
    )
    uuid = "7ccb1e81-43f8-4d6b-94fe-cae08d7ef7cd"
    v_rows = [
        _c(base + " %s %8s %16s%16s", "guest1", 3, 1025, 2, "-b----", 98.8, uuid, "-", "-",
           "pool-numa-node-1"),
        _c(base + " %s %8x %16s%16s", "crashy", 7, 512, 1, "---sc-", 1.5, uuid, 3, "-",
           "Pool-0"),
    ]  # fmt: skip
    g, c = parse_xl_list(v_header + "\n" + "\n".join(v_rows))
    assert (g.reason_code, g.security_label, g.cpupool) == (None, None, "pool-numa-node-1")
    assert (c.reason_code, c.security_label, c.cpupool) == ("3", None, "Pool-0")
    z_header = (
        "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        "   Security Label         Cpupool NODE Affinity"
    )
    z_rows = [
        _c(base + " %16s%16s %s", "guest 1", 3, 1025, 2, "-b----", 98.8,
           "system_u:system_r:domU_t", "Pool-0", "0-1"),
        _c(base + " %16s%16s %s", "g2", 4, 1025, 2, "-b----", 1234567.8, "-",
           "a-very-long-pool-name", "all"),
    ]  # fmt: skip
    a, b = parse_xl_list(z_header + "\n" + "\n".join(z_rows))
    assert (a.security_label, a.cpupool) == ("system_u:system_r:domU_t", "Pool-0")
    assert a.node_affinity == "0-1"
    assert (b.cpu_time_s, b.security_label, b.cpupool) == (1234567.8, None, "a-very-long-pool-name")
    assert b.node_affinity == "all"



def test_long_pool_name_glued_to_the_label_in_a_capture_with_tabs() -> None:
    # the same rows with their runs of blanks turned into TABs (``unexpand -a``, 8-column
    # stops): the label's field still ends 17 columns after the reason code, counted on the
    # screen, where a TAB spans up to the next stop
    header = ("Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID"
              "                            Reason-Code\tSecurity Label         Cpupool")
    uuid = "7ccb1e81-43f8-4d6b-94fe-cae08d7ef7cd"
    rows = [
        _c("%-40s %5d %5lu %5d     %s  %8.1f %s %8s %16s%16s", name, 3, 1025, 2, "-b----",
           98.8, uuid, "-", label, pool)
        for name, label, pool in (("guest1", "-", "a-very-long-pool-name"),
                                  ("guest 2", "-", "pool-numa-node-1"),
                                  ("g3", "system_u:sys", "x-pool-of-sixteen"))
    ]  # fmt: skip
    text = "\n".join([header, *rows]) + "\n"
    tabbed = "\n".join(_unexpand(line) for line in text.split("\n"))
    assert "\t" in tabbed.split("\n")[1]
    for t in (text, tabbed):
        got = [(r.name, r.security_label, r.cpupool) for r in parse_xl_list(t)]
        assert got == [("guest1", None, "a-very-long-pool-name"),
                       ("guest 2", None, "pool-numa-node-1"),
                       ("g3", "system_u:sys", "x-pool-of-sixteen")]

def test_xen_4_0_verbose_appends_the_uuid_without_a_header_title() -> None:
    # Xen 4.0/4.1 list_domains(): the plain header, then per row
    # "%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f" and, with -v, " %s" of the UUID only
    head = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    fmt = "%-40s %5d %5lu %5d     %s  %8.1f %s"
    nil, uuid = "00000000-0000-0000-0000-000000000000", "11223344-5566-4788-99aa-bbccddeeff00"
    text = "\n".join(
        [
            head,
            fmt % ("Domain-0", 0, 2048, 4, "r-----", 1234.6, nil),
            fmt % ("guest one", 3, 512, 1, "---sc-", 5.0, uuid),
        ]
    )
    for t in (text, text.split("\n", 1)[1]):  # with and without the header
        rows = parse_xl_list(t)
        assert [r.to_json() for r in rows] == [
            {"name": "Domain-0", "domid": 0, "mem_mib": 2048, "vcpus": 4, "state": "r-----",
             "cpu_time_s": 1234.6, "uuid": nil},
            {"name": "guest one", "domid": 3, "mem_mib": 512, "vcpus": 1, "state": "---sc-",
             "cpu_time_s": 5.0, "uuid": uuid},
        ]  # fmt: skip


def test_xen_4_0_list_has_three_state_letters() -> None:
    # Xen 4.0's xl (libxl_dominfo knew only running/paused/dying) printed
    # "%-40s %5d %5lu %5d        %c%c%c %8.1f" and, with -v, " %s" of the UUID
    head = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    fmt = "%-40s %5d %5lu %5d        %s %8.1f"
    uuid = "11223344-5566-4788-99aa-bbccddeeff00"
    rows = [fmt % ("Domain-0", 0, 2048, 4, "r--", 1234.6),
            fmt % ("guest one", 3, 512, 1, "-p-", 5.0), fmt % ("(null)", 7, 128, 1, "--d", 0.1)]
    for text in ("\n".join([head, *rows]), "\n".join(rows)):  # with and without the header
        got = [r.to_json() for r in parse_xl_list(text)]
        assert got == [
            {"name": "Domain-0", "domid": 0, "mem_mib": 2048, "vcpus": 4, "state": "r--",
             "cpu_time_s": 1234.6},
            {"name": "guest one", "domid": 3, "mem_mib": 512, "vcpus": 1, "state": "-p-",
             "cpu_time_s": 5.0},
            {"name": "(null)", "domid": 7, "mem_mib": 128, "vcpus": 1, "state": "--d",
             "cpu_time_s": 0.1},
        ]  # fmt: skip
    (v,) = parse_xl_list(head + "\n" + fmt % ("web 1", 5, 256, 2, "---", 12.5) + " " + uuid)
    assert (v.name, v.state, v.cpu_time_s, v.uuid) == ("web 1", "---", 12.5, uuid)
    assert state_from_xl("r--").running and state_from_xl("-p-").paused
    assert state_from_xl("--d").dying
    assert state_from_xl("---").label == state_from_xl("------").label
    assert not state_from_xl("-p-").blocked and state_from_xl("-p-").shutdown_reason is None

def test_xl_claims_adds_a_claimed_column() -> None:
    # xl claims (4.3+): list_domains(claim=true): header + "  Claimed", row + " %5lu"
    head = "Name                                        ID   Mem VCPUs\tState\tTime(s)  Claimed"
    fmt = "%-40s %5d %5lu %5d     %s  %8.1f %5lu"
    dom0 = fmt % ("Domain-0", 0, 2048, 4, "r-----", 12.5, 0)
    rows = parse_xl_list("\n".join([head, dom0, fmt % ("big one", 5, 1, 1, "-b----", 0.1, 8192)]))
    got = [(r.name, r.mem_mib, r.claimed_mib) for r in rows]
    assert got == [("Domain-0", 2048, 0), ("big one", 1, 8192)]
    assert rows[1].to_json()["claimed_mib"] == 8192 and rows[1].cpu_time_s == 0.1


def test_verbose_capabilities_column_printed_last() -> None:
    # xl list -v with the Capabilities column (proposed upstream in 2025): the header names it
    # after Security Label, but each row prints it last, after -c's pool and -n's node map:
    # " privileged", " hardware", " xenstore" as they apply, else " %17s" of "-"
    head = (
        "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        "   UUID                            Reason-Code\tSecurity Label      Capabilities"
        "         Cpupool NODE Affinity"
    )
    fmt = "%-40s %5d %5lu %5d     %s  %8.1f %s %8s %16s%16s %s%s"
    nil, uuid = "00000000-0000-0000-0000-000000000000", "11223344-5566-4788-99aa-bbccddeeff00"
    dom0 = fmt % ("Domain-0", 0, 2048, 4, "r-----", 1.0, nil, "-", "-", "Pool-0", "all",
                  " hardware xenstore")  # fmt: skip
    no_caps = " " + "-".rjust(17)  # " %17s"
    guest = fmt % ("guest 1", 3, 512, 1, "-b----", 2.0, uuid, "-", "-", "Pool-0", "0", no_caps)
    rows = parse_xl_list("\n".join([head, dom0, guest]))
    assert [(r.cpupool, r.node_affinity, r.capabilities) for r in rows] == [
        ("Pool-0", "all", "hardware xenstore"),
        ("Pool-0", "0", None),
    ]
    assert rows[1].name == "guest 1" and rows[1].uuid == uuid
    assert list(rows[0].to_json())[-1] == "capabilities"
    plain = head.split("         Cpupool")[0]
    row = (fmt % ("d", 7, 1, 1, "-b----", 0.5, uuid, "-", "-", "", "", "")).rstrip() + " privileged"
    (r,) = parse_xl_list(plain + "\n" + row)
    assert (r.name, r.capabilities, r.security_label) == ("d", "privileged", None)


def test_xm_list_over_xen_api_halted_vm_has_domid_minus_one() -> None:
    # xm_brief_list over Xen-API: '%(name)-40s %(domid)5s ...' with the VM record's domid,
    # which XendAPI.VM_get_record sets to -1 for a halted VM ("domid is None and -1")
    fmt = "%(name)-40s %(domid)5s %(mem)5d %(vcpus)5d %(state)10s %(cpu_time)8.1f"
    header = _c("%-40s %5s %5s %5s %10s %9s", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)")
    rows = [
        {"name": "Domain-0", "domid": "0", "mem": 2048, "vcpus": 4, "state": "r-----",
         "cpu_time": 1234.5},
        {"name": "halted vm", "domid": "-1", "mem": 0, "vcpus": 1, "state": "------",
         "cpu_time": 0.0},
    ]  # fmt: skip
    dom0, halted = parse_xl_list(header + "\n" + "\n".join(fmt % r for r in rows))
    assert dom0.domid == 0
    assert (halted.name, halted.domid, halted.mem_mib, halted.vcpus) == ("halted vm", None, 0, 1)
    assert (halted.state, halted.cpu_time_s) == ("------", 0.0)
    assert halted.to_json()["domid"] is None


def test_empty_and_tab_names() -> None:
    # "%-40s" of a name node holding "" is 40 blanks; a TAB in a name is one printed char
    header = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    row = "%-40s %5d %5lu %5d     %s  %8.1f"
    text = "\n".join([
        header,
        _c(row, "Domain-0", 0, 2048, 4, "r-----", 1234.6),
        _c(row, "", 3, 1025, 2, "-b----", 98.8),
        _c(row, "tab\there", 4, 512, 1, "-b----", 1.5),
    ])  # fmt: skip
    dom0, empty, tab = parse_xl_list(text)
    assert dom0.name == "Domain-0"
    assert (empty.name, empty.domid, empty.mem_mib, empty.vcpus) == ("", 3, 1025, 2)
    assert (empty.state, empty.cpu_time_s) == ("-b----", 98.8)
    assert (tab.name, tab.domid, tab.mem_mib) == ("tab\there", 4, 512)
    # xm's empty-ID inactive row with an empty name as well
    xm = _c("%-40s %5s %5d %5d %10s %8.1f", "", "", 512, 1, "", 0.0)
    (row_,) = parse_xl_list(xm)
    assert (row_.name, row_.domid, row_.mem_mib, row_.vcpus, row_.state) == ("", None, 512, 1, None)


def test_numa_column_of_xl_before_4_5_says_any_cpu() -> None:
    # -n (4.3+) prints the node map with print_bitmap, which said "any cpu" for a full map
    # until 4.5 ("all" since): two words in the NODE Affinity column
    header = "Name" + " " * 40 + "ID   Mem VCPUs\tState\tTime(s) NODE Affinity"
    row = "%-40s %5d %5lu %5d     %s  %8.1f %s"
    text = "\n".join([
        header,
        _c(row, "Domain-0", 0, 2048, 4, "r-----", 1234.6, "any cpu"),
        _c(row, "pinned vm", 3, 1025, 2, "-b----", 98.8, "1"),
    ])  # fmt: skip
    dom0, pinned = parse_xl_list(text)
    assert (dom0.name, dom0.cpu_time_s, dom0.node_affinity) == ("Domain-0", 1234.6, "any cpu")
    assert (pinned.name, pinned.domid, pinned.node_affinity) == ("pinned vm", 3, "1")


def test_xm_list_label_column_left_empty() -> None:
    # xm 3.3+ xm_label_list: '%(seclabel)10s' of the label xend reports, "" when the domain
    # has none (no ACM/Flask policy, or over Xen-API): the row ends in 11 blanks
    titles = ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Label")
    header = _c("%-40s %5s %5s %5s %10s %9s %-10s", *titles)
    fmt = "%-40s %5s %5d %5d %10s %8.1f %10s"
    text = "\n".join([
        header,
        _c(fmt, "Domain-0", "0", 2048, 4, "r-----", 123.4, ""),
        _c(fmt, "halted", "", 512, 1, "", 0.0, ""),
        _c(fmt, "web r-----", "3", 1024, 2, "-b----", 9.0, "ACM:xm-test:red"),
    ])  # fmt: skip
    dom0, halted, web = parse_xl_list(text + "\n")
    assert (dom0.name, dom0.domid, dom0.state, dom0.cpu_time_s) == ("Domain-0", 0, "r-----", 123.4)
    assert dom0.security_label is None and "security_label" in dom0.to_json()
    assert (halted.name, halted.domid, halted.state, halted.mem_mib) == ("halted", None, None, 512)
    assert halted.security_label is None
    assert (web.name, web.domid, web.security_label) == ("web r-----", 3, "ACM:xm-test:red")


_STATE_LIKE_NAMES = [
    "web r-----x",
    "web r-----",
    "db -b---- 12",
    "ünïcødé ---sc-",
    "x  3  1024  2  -b----  1.0",
    "naïve 5 512 1 r----- 10.0",
]


def _left(name: str, width: int) -> str:
    """C's "%-<width>s" of a UTF-8 name: padded to ``width`` *bytes*."""
    raw = name.encode()
    return (raw + b" " * max(0, width - len(raw))).decode()


def test_names_holding_a_state_or_numbers_with_and_without_header() -> None:
    # the row is matched from the right: whatever the name holds (a state word, numbers,
    # UTF-8 padded by bytes) stays in the name
    rows = [
        _left(n, 40) + _c(" %5d %5lu %5d     %s  %8.1f", i, 512 + i, 1, "-b----", 1.5)
        for i, n in enumerate(_STATE_LIKE_NAMES, start=1)
    ]
    header = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
    for text in (header + "\n" + "\n".join(rows), "\n".join(rows)):
        got = parse_xl_list(text)
        assert [(r.name, r.domid, r.mem_mib, r.state) for r in got] == [
            (n, i, 512 + i, "-b----") for i, n in enumerate(_STATE_LIKE_NAMES, start=1)
        ]


# --- the legacy SXP layout (xl.conf output_format="sxp"; Xen 4.1's only one) -------------


def _essentials(cfgs: list[XlDomainConfig]) -> dict[int, tuple[object, ...]]:
    return {c.domid: (c.name, c.uuid, c.type, c.max_memkb, c.target_memkb, c.max_vcpus,
                      tuple(str(n.get("mac")) for n in c.nics)) for c in cfgs}


def test_list_long_sxp_says_what_the_json_beside_it_says() -> None:
    sxp = parse_xl_list_long(data("lab-xl-list-l-sxp.out"))
    js = parse_xl_list_long(data("lab-xl-list-l-beside-sxp.out"))
    assert [c.domid for c in sxp] == [0, 1, 2, 3]
    assert _essentials(sxp) == _essentials(js)
    web1 = sxp[3]
    assert (web1.name, web1.type, web1.max_memkb, web1.target_memkb) == (
        "web1", DomainType.PV, 262144, 131072)
    assert web1.nics[0]["mac"] == "00:16:3e:10:00:01"  # SXP prints 00163e100001
    assert [d["virtpath"] for d in web1.disks] == ["xvda"]
    assert web1.raw["image"]["linux"]["kernel"] == "/srv/xen/vmlinuz"  # type: ignore[index]
    (one,) = parse_xl_list_long(data("lab-xl-list-l-sxp-web1.out"))
    assert _essentials([one]) == {3: _essentials(sxp)[3]}


def test_list_long_sxp_dry_run_has_no_domid_and_an_unknown_uuid() -> None:
    (cfg,) = parse_xl_list_long(data("lab-xl-N-create-sxp.out"))  # "Parsing config" first
    assert (cfg.domid, cfg.name, cfg.uuid, cfg.max_vcpus) == (-1, "idle1", None, 1)


def test_list_long_sxp_hostile_name_hvm_nulls_and_crlf() -> None:
    text = ("(domain\n\t(domid 7)\n\t(create_info)\n\t(hvm 1)\n\t(name a) (b $(reboot)\n"
            "\t(uuid <unknown>)\n\t(max_memkb 1024)\n\t(image\n\t\t(hvm\n"
            "\t\t\t(firmware (null))\n\t\t)\n\t)\n)\n").replace("\n", "\r\n")
    (cfg,) = parse_xl_list_long(text)
    assert (cfg.domid, cfg.name, cfg.type, cfg.uuid, cfg.max_memkb, cfg.target_memkb) == (
        7, "a) (b $(reboot", DomainType.HVM, None, 1024, None)
    assert cfg.raw["image"] == {"hvm": {"firmware": None}}
    # (hvm 0) without a Linux image (PVH, or an unknown layout): the type is unknown
    (pvh,) = parse_xl_list_long("(domain\n\t(domid 8)\n\t(hvm 0)\n)\n")
    assert pvh.type is None


@pytest.mark.parametrize(
    ("text", "line_no", "reason"),
    [
        ("(domain\n\t(domid 1)\n\t(name a)\n", 1, "never ends"),
        ("(domain\n\t(domid 1)\n\tname a\n)\n", 3, "not an SXP item"),
        ("(domain\n\t(name a)\n)\n", 1, "without domid"),
        ("(domain\n\t\t\t(name a)\n)\n", 2, "nested 3 deep"),
        ("(domain\n\t(domid 1)\n)\n(dom\n", 4, "expected '(domain'"),
    ],
)
def test_list_long_sxp_garbage(text: str, line_no: int, reason: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_list_long(text)
    assert e.value.line_no == line_no and reason in str(e.value)


def test_a_name_led_by_blanks_keeps_them() -> None:
    # rows start at column 0 ("%-40s"): leading blanks are the name's (xl accepts them)
    text = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
            " lead                                        3    96     1     -b----       1.0\n"
            "  two words                                  4    96     1     -b----       1.0\n")
    assert [(r.name, r.domid) for r in parse_xl_list(text)] == [(" lead", 3), ("  two words", 4)]


def test_a_domid_past_32_bits_is_garbage() -> None:
    # libxl_domid is a uint32_t: no xl prints a bigger one
    head = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
    assert parse_xl_list(head + "web1  4294967295  96  2  -b----  7.0\n")[0].domid == 2**32 - 1
    with pytest.raises(ParseError, match="line 2: .*domid 4294967296 does not fit 32 bits"):
        parse_xl_list(head + "web1  4294967296  96  2  -b----  7.0\n")


def test_list_long_dry_run_wrapped_with_a_null_domid() -> None:
    # printf_info(-1, ...) of xl -N create (and create -d) in the JSON versions that wrap
    # the config: yajl_gen_null for the domid
    text = ('Parsing config from /etc/xen/g1.cfg\n{\n    "domid": null,\n    "config": {\n'
            '        "c_info": {\n            "type": "pv",\n            "name": "g1"\n'
            '        },\n        "b_info": {\n            "max_memkb": 524288\n        }\n'
            '    }\n}\n')
    (cfg,) = parse_xl_list_long(text)
    assert (cfg.domid, cfg.name, cfg.type, cfg.max_memkb) == (-1, "g1", DomainType.PV, 524288)


def test_xm_list_long_gives_the_rows_of_its_table() -> None:
    # xm list --long: PrettyPrint of xend's (domain ...) records (4-space indents, atoms
    # raw, other strings as Python's repr); the table's columns come from name, domid,
    # memory, online_vcpus (else vcpus), state and cpu_time (parse_doms_info)
    rows = parse_xl_list(data("xm-3.4-list-long.out"))
    assert [r.to_json() for r in rows] == [
        {"name": "Domain-0", "domid": 0, "mem_mib": 3828, "vcpus": 2, "state": "r-----",
         "cpu_time_s": 1236.93836279},
        {"name": "my vm", "domid": 3, "mem_mib": 512, "vcpus": 1, "state": "-b----",
         "cpu_time_s": 27.5},
        # an inactive managed domain: no domid, no cpu_time
        {"name": "it's off", "domid": None, "mem_mib": 256, "vcpus": 2, "state": "------",
         "cpu_time_s": None},
    ]
    assert rows[1].domain_state is not None and rows[1].domain_state.blocked
    one_line = "xm: Warning: something\n(domain (domid 7) (name 'a\\tb') (memory 64) (vcpus 1))\n"
    (row,) = parse_xl_list(one_line)
    assert (row.name, row.domid, row.mem_mib, row.vcpus, row.state) == ("a\tb", 7, 64, 1, None)
    (row,) = parse_xl_list("(domain (domid 8) (name 'caf\\xc3\\xa9 1') (memory 64))\n")
    assert row.name == "caf\u00e9 1"  # Python 2's repr of the name's UTF-8 bytes


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ("(domain\n    (domid 0)\n    (name x)\n", 1),  # never closed
        ("(domain\n    (domid 0)\n)\n)\n", 4),
        ("(domain (domid 0))\n(vm (name x))\n", 2),
        ("(domain\n    (name {x})\n)\n", 2),
        ("(domain" + " (x" * 100 + ")" * 101 + "\n", 1),
    ],
)
def test_xm_list_long_garbage_names_the_line(text: str, line_no: int) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_list(text)
    assert e.value.line_no == line_no
