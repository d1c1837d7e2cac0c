"""xl info / xm info, xl uptime and xl cpupool-list parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xl_info import (
    host_info_from,
    parse_cpupool_list,
    parse_xl_info,
    parse_xl_uptime,
)

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


@needs_fixtures
def test_lab_b_info_keys_in_order_and_typed_host_info() -> None:
    info = parse_xl_info((FIX / "xen-4.17-lab-b" / "xl-info.out").read_text())
    keys = list(info)
    assert keys[:4] == ["host", "release", "version", "machine"]
    assert keys[-1] == "xend_config_format"
    assert info["xen_changeset"] == ""  # "xen_changeset          : " (empty value)
    assert info["xen_caps"] == "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"
    assert info["cc_compile_date"] == "Sat Nov 29 13:52:25 UTC 2025"  # colons in values
    h = host_info_from(info)
    assert (h.hostname, h.xen_version, h.nr_cpus, h.max_cpu_id) == ("xenlab", "4.17.5", 2, 1)
    assert (h.total_memory_mib, h.free_memory_mib, h.scheduler) == (3071, 1597, "credit2")
    assert h.cpu_mhz == 2596.136 and h.toolstack == "xl" and h.dom0_kernel == "6.1.0-50-amd64"
    assert h.virt_caps == ("pv", "hvm", "shadow", "gnttab-v1", "gnttab-v2")
    assert h.raw["build_id"] == "39a640e6f1412319235087391df9f1c5e13ae920"


@needs_fixtures
def test_lab_a_info_n_keeps_topology_blocks() -> None:
    info = parse_xl_info((FIX / "xen-4.17-lab-a" / "xl-info-n.out").read_text())
    assert info["cpu_topology"].splitlines() == [
        "cpu:    core    socket     node",
        "  0:       0        0        0",
        "  1:       1        0        0",
    ]
    assert info["device topology"].endswith("No device topology data available")
    assert info["numa_info"].splitlines()[1] == "   0:      5120       1821      10"
    assert info["xen_major"] == "4" and info["free_memory"] == "1821"
    assert "cpu" not in info and "0" not in info  # block lines are not keys


def test_xm_info_multiline_values_and_missing_xen_version() -> None:
    info = parse_xl_info((DATA / "xm-info.out").read_text())
    assert info["node_to_cpu"] == "node0:0-3\nnode1:4-7"
    assert info["node_to_memory"] == "node0:512\nnode1:512"
    h = host_info_from(info, toolstack="xm")
    assert h.xen_version == "3.4.2"  # built from xen_major/minor/extra
    assert (h.nr_nodes, h.max_cpu_id, h.toolstack, h.cpu_mhz) == (2, None, "xm", 2327.0)
    assert h.virt_caps == ("hvm", "hvm_directio")


def test_newer_keys_and_device_rows() -> None:
    info = parse_xl_info((DATA / "xl-4.21-info-n.out").read_text())
    assert info["arm_sve_vector_length"] == "0"
    assert info["xenstore_features"] == "0x00000001"
    assert info["device topology"].splitlines()[1] == "0000:03:00.0      0"
    assert len(info["cpu_topology"].splitlines()) == 5
    assert host_info_from(info).xen_version == "4.21.0"


def test_unreadable_numbers_become_none() -> None:
    h = host_info_from({"nr_cpus": "many", "cpu_mhz": "", "total_memory": "3071"})
    assert (h.nr_cpus, h.cpu_mhz, h.total_memory_mib, h.hostname) == (None, None, 3071, None)


def test_info_with_warning_crlf() -> None:
    text = "libxl: warning: x.c:1:f: hm\r\n" + "host                   : h1\r\n"
    text += "nr_cpus                : 4\r\n"
    assert parse_xl_info(text) == {"host": "h1", "nr_cpus": "4"}


@pytest.mark.parametrize("text", ["random words", "cpu:    core    socket     node"])
def test_info_garbage(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_xl_info(text)
    assert e.value.line_no == 1


# --- xl uptime ----------------------------------------------------------------------------


@needs_fixtures
def test_lab_uptime() -> None:
    rows = parse_xl_uptime((FIX / "xen-4.17-lab-a" / "xl-uptime.out").read_text())
    assert [(r.name, r.domid, r.uptime_s) for r in rows] == [
        ("Domain-0", 0, 132.0),
        ("db1", 1, 99.0),
        ("web1", 3, 74.0),
    ]


def test_uptime_days_short_form_and_odd_names() -> None:
    long_form = (
        "Name                              ID Uptime\n"
        "Domain-0                             0  0:11:35\n"
        "guest 1                               3 3 days,  3:01:01\n"
        "crashy                               7 1 day,  1:01:01\n"
    )
    rows = parse_xl_uptime(long_form)
    assert [r.uptime_s for r in rows] == [695.0, 3 * 86400 + 3 * 3600 + 61.0, 86400 + 3661.0]
    assert rows[1].name == "guest 1"
    short = parse_xl_uptime(
        " 19:45:40 up  0:11, Domain-0 (0)\n 19:45:40 up 3 days,  3:01, my (vm) (3)\n"
    )
    assert [(r.name, r.domid, r.uptime_s) for r in short] == [
        ("Domain-0", 0, 660.0),
        ("my (vm)", 3, 3 * 86400 + 3 * 3600 + 60.0),
    ]
    lab = parse_xl_uptime((DATA / "lab-xl-uptime-s.out").read_text())
    assert [r.domid for r in lab] == [0, 1, 2, 3] and lab[0].uptime_s == 240.0


def test_uptime_garbage() -> None:
    with pytest.raises(ParseError):
        parse_xl_uptime("Name ID Uptime\nDomain-0 zero 0:01:02")


# --- xl cpupool-list ------------------------------------------------------------------------


@needs_fixtures
def test_lab_cpupool_list() -> None:
    (pool,) = parse_cpupool_list((FIX / "xen-4.17-lab-a" / "xl-cpupool-list.out").read_text())
    assert (pool.name, pool.cpus, pool.sched, pool.active, pool.domains) == (
        "Pool-0",
        2,
        "credit2",
        True,
        3,
    )


def test_cpupool_list_c_and_inactive_pool() -> None:
    (pool,) = parse_cpupool_list((DATA / "lab-xl-cpupool-list-c.out").read_text())
    assert (pool.name, pool.cpus, pool.sched) == ("Pool-0", 2, None)
    text = (
        "Name               CPUs   Sched     Active   Domain count\n"
        "Pool-0               6   credit2       y          3\n"
        "rt pool              2      rtds       n          0\n"
    )
    rows = parse_cpupool_list(text)
    assert [(r.name, r.active, r.domains) for r in rows] == [
        ("Pool-0", True, 3),
        ("rt pool", False, 0),
    ]
    with pytest.raises(ParseError):
        parse_cpupool_list("Name               CPU list\nPool-0             0-99999999999\n")


def test_xl_4_1_info_n_old_topology_and_empty_values() -> None:
    # xl 4.1 output_topologyinfo: "cpu_topology           :" + "cpu:    core    socket     node"
    # + rows "%3d:    %4d     %4d     %4d", then "numa_info              : none"; every other line
    # "%-23s: %s"; virt_caps with no capability is the bare "virt_caps              :"
    kv = "%-23s: %s"
    lines = [kv % ("host", "dom0"), kv % ("nr_cpus", "4"), "virt_caps              :"]
    lines += [kv % ("total_memory", "8190"), "cpu_topology           :"]
    lines += ["cpu:    core    socket     node"]
    lines += ["%3d:    %4d     %4d     %4d" % (i, i, 0, 0) for i in range(4)]  # noqa: UP031
    lines += [
        kv % ("numa_info", "none"),
        kv % ("xen_major", "4"),
        kv % ("xen_changeset", ""),
        kv % ("xen_commandline", "dom0_mem=1024M com1=115200,8n1 console=com1: x=y"),
        kv % ("cc_compile_date", "Thu Jun 30 10:00:00 CEST 2011"),
    ]
    info = parse_xl_info("\n".join(lines) + "\n")
    assert list(info) == [
        "host", "nr_cpus", "virt_caps", "total_memory", "cpu_topology", "numa_info",
        "xen_major", "xen_changeset", "xen_commandline", "cc_compile_date",
    ]  # fmt: skip
    assert info["virt_caps"] == "" and info["total_memory"] == "8190"
    assert info["cpu_topology"].splitlines()[0] == "cpu:    core    socket     node"
    assert info["cpu_topology"].splitlines()[4] == "  3:       3        0        0"
    assert info["numa_info"] == "none" and info["xen_changeset"] == ""
    assert info["xen_commandline"] == "dom0_mem=1024M com1=115200,8n1 console=com1: x=y"
    assert info["cc_compile_date"] == "Thu Jun 30 10:00:00 CEST 2011"
    host = host_info_from(info)
    assert host.nr_cpus == 4 and host.total_memory_mib == 8190 and host.virt_caps == ()


def test_xm_3_0_info_none_values() -> None:
    # xm 3.0 xm_info: '"%-23s: (none)" % x[0]' for a value-less entry, else '"%-23s:" % k, v'
    text = "%-23s: %s\n%-23s: (none)\n%-23s: %s\n" % (  # noqa: UP031
        "xen_major", "3", "xen_scheduler", "xend_config_format", "2",
    )  # fmt: skip
    info = parse_xl_info(text)
    assert info == {"xen_major": "3", "xen_scheduler": "(none)", "xend_config_format": "2"}
    host = host_info_from(info, toolstack="xm")
    assert host.scheduler is None and host.raw["xen_scheduler"] == "(none)"


def test_empty_scalar_values_do_not_swallow_the_next_line() -> None:
    # xen_changeset is empty on distro builds and virt_caps on hosts without HVM: the line
    # after them is not a block of theirs (only cpu_topology, device topology and numa_info
    # are): a libxl log line there is skipped and garbage there is an error naming the line
    kv = "%-23s: %s"
    head = [kv % ("host", "h1"), "virt_caps              :", kv % ("xen_changeset", "")]
    tail = [kv % ("xen_commandline", "dom0_mem=1024M console=com1")]
    log = "libxl: warning: libxl_utils.c:12:libxl_foo: Domain 3:something odd"
    info = parse_xl_info("\n".join([*head, log, *tail]) + "\n")
    assert info == {
        "host": "h1",
        "virt_caps": "",
        "xen_changeset": "",
        "xen_commandline": "dom0_mem=1024M console=com1",
    }
    info = parse_xl_info("\n".join([head[0], head[1], log, head[2]]) + "\n")
    assert info["virt_caps"] == "" and info["xen_changeset"] == ""
    for bad_after in (2, 3):  # after virt_caps, after xen_changeset
        lines = [*head, *tail]
        lines.insert(bad_after, "this is not xl info")
        with pytest.raises(ParseError) as e:
            parse_xl_info("\n".join(lines) + "\n")
        assert e.value.line_no == bad_after + 1


@needs_fixtures
def test_a_console_or_libxl_line_after_xen_caps_blank_is_noise_not_its_value() -> None:
    # xen_caps ends in a blank on real 4.17 (a mail-wrapped value goes on after such a
    # line); a serial console's (XEN) line or a libxl warning right after it is skipped
    # as it is everywhere else
    lines = (FIX / "xen-4.17-lab-a" / "xl-info.out").read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("xen_caps")) + 1
    want = parse_xl_info("".join(lines))
    for noise in ("(XEN) d3v0 Unhandled: vec 14, #PF[0000]\n",
                  "libxl: warning: libxl_utils.c:12:libxl_foo: Domain 3:something odd\n"):
        got = parse_xl_info("".join([*lines[:at], noise, *lines[at:]]))
        assert got == want
        assert got["xen_caps"].endswith("hvm-3.0-x86_64")
