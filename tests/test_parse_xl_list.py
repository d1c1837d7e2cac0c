"""xl list / xm list / xl list -l parsing, on real 4.17 captures and other versions' layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.model import DomainType
from collectors.parse.common import ParseError
from collectors.parse.xl_list import (
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
        "Name                                        ID   Mem VCPUs\tState\tTime(s)  Claimed\n"
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
