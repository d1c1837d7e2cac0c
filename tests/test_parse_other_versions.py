"""Captures of other Xen versions as they reach users (hypervisor console lines mixed in,
pasted from mail), xsls's narrower -p width, and garbage that must fail fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_info import parse_xl_info
from collectors.parse.xl_list import parse_xl_list
from collectors.parse.xl_vcpu import parse_xl_vcpu_list
from collectors.topology import topology_from_xenstore

DATA = Path(__file__).parent / "data" / "parse"
ROOT = Path(__file__).resolve().parents[1]
XENTOP_HEADER = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) "
                 "VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  "
                 "VBD_WSECT SSID")


def test_vcpu_list_with_the_hypervisors_console_lines_between_rows() -> None:
    rows = parse_xl_vcpu_list((DATA / "xl-vcpu-list-xen-console-interleaved.out").read_text())
    assert [(r.name, r.vcpu, r.cpu, r.state, r.cpu_time_s) for r in rows] == [
        ("Domain-0", 0, 1, "-b-", 67.7), ("Domain-0", 1, 3, "-b-", 457.2),
        ("Domain-0", 2, 2, "-b-", 42.4), ("Domain-0", 3, 0, "r--", 32.4)]


@pytest.mark.parametrize("console", [
    "(XEN) d1v0 unhandled exception", "(d1) mapping kernel", "(d12v3) hello",
    "(XEN)[2026-11-27 04:00:00] Freed",
    # the tools' stderr in a 2>&1 capture: Debian's wrapper, xl, xm's Python
    "WARNING! Can't find hypervisor information in sysfs!", "libxl_get_cpu_topology failed.",
    "/usr/lib/xen-4.0/lib/python/xen/xm/main.py:29: DeprecationWarning: the md5 module is "
    "deprecated; use hashlib instead"])
def test_console_and_tool_lines_skipped_by_every_parser(console: str) -> None:
    xl = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
          f"{console}\n"
          "Domain-0                                     0  1024     2     r-----     109.5\n")
    assert [(r.name, r.domid, r.mem_mib) for r in parse_xl_list(xl)] == [("Domain-0", 0, 1024)]
    top = (f"{XENTOP_HEADER}\n{console}\n  Domain-0 -----r     393575    0.0    9357356    1.2"
           "    9437184       1.2     4    0        0        0    0        0        0        0"
           "          0          0    0\n")
    (frame,) = parse_xentop(top)
    assert [(d.name, d.cpu_s, d.vcpus) for d in frame] == [("Domain-0", 393575, 4)]
    xs = f'/local = ""   (n0)\n{console}\n/local/domain = ""   (n0)\n'
    assert parse_xenstore_ls(xs) == {"/local": "", "/local/domain": ""}
    info = f"host                   : a\n{console}\nxend_config_format     : 4\n"
    assert parse_xl_info(info) == {"host": "a", "xend_config_format": "4"}


def test_a_domain_named_like_a_console_line_is_still_a_domain() -> None:
    xl = ("Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
          "(d1) x                                       5   512     1     -b----       1.5\n")
    assert [(r.name, r.domid) for r in parse_xl_list(xl)] == [("(d1) x", 5)]


def test_xl_info_pasted_from_mail_keeps_its_wrapped_values() -> None:
    info = parse_xl_info((DATA / "xl-4.18-info-arm-mail-wrapped.out").read_text())
    assert info["hw_caps"] == "00000000:00000000:00000000:00000000:00000000:00000000:0"
    assert info["xen_commandline"] == "placeholder dom0_mem=1024M,max:1024M console=dtuart dtu"
    assert info["xen_version"] == "4.18-rc" and info["xend_config_format"] == "4"
    assert len(info) == 35  # 37 lines, two of them the rest of a wrapped value
    # what is not a wrapped value is still an error naming its line
    for text in ("host                   : h1\nthis is garbage\n",
                 "hw_caps                : \ntwo words\n"):
        with pytest.raises(ParseError) as e:
            parse_xl_info(text)
        assert e.value.line_no == 2


def test_xsls_p_cuts_values_at_width_64() -> None:
    # the older xenstore-ls (xsls.c) took 16 columns off the width for -p's permissions:
    # piped, an indented line was cut at 64 (a bare '..."' in 3.x, before values were
    # escaped); 4.17 cuts at 80 with -p too (test_parse_xenstore's lab captures)
    cut = '  image = "(vm (name vm1) (memory 512) (vcpus 1) (on_powerof..."  (n0,r1)'
    assert len(cut.split('"  (')[0]) + 1 == 64
    text = ('vm = ""  . . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
            ' 0a1b2c3d = "" . . . . . . . . . . . . . . . . . . . . . . .  (n0,r1)\n'
            f"{cut}\n"
            '  name = "vm1" . . . . . . . . . . . . . . . . . . . . . . .  (n0,r1)\n')
    xs = parse_xenstore_ls(text)
    assert xs["/vm/0a1b2c3d/image"] == "(vm (name vm1) (memory 512) (vcpus 1) (on_powerof"
    assert xs["/vm/0a1b2c3d/name"] == "vm1"
    # the same value ending in "..." but shorter than the width was not cut
    short = '  image = "(vm (name vm1) ...)..."  (n0,r1)'
    assert parse_xenstore_ls(text.replace(cut, short))["/vm/0a1b2c3d/image"] == \
        "(vm (name vm1) ...)..."


def _parse(kind: str, text: str, seconds: float = 10.0) -> subprocess.CompletedProcess[str]:
    """``xltop parse KIND`` on ``text``, which must not hang: a regex that backtracks over
    a long run takes minutes on these inputs (parsing takes milliseconds). A process, as a
    regex holds the GIL until it is done."""
    return subprocess.run([sys.executable, "-m", "collectors.parse.cli", kind], input=text,
                          capture_output=True, text=True, cwd=ROOT, timeout=seconds)


def _fails_fast(kind: str, text: str) -> None:
    """Refused with an error naming a line, quickly."""
    p = _parse(kind, text)
    assert p.returncode == 1 and " line " in p.stderr, (p.returncode, p.stderr[:200])


GARBAGE = {  # lines of 200,000 characters or so: a quadratic regex takes minutes on them
    "blanks": "a" + " " * 200_000 + "x\n",
    "tabs": "a" + "\t" * 200_000 + "x\n",
    "leading blanks": " " * 200_000 + "/a x\n",
    "state words": " ------ 1" * 25_000 + "\n",
    "digits": "a" + " 1" * 100_000 + " x\n",
}


@pytest.mark.parametrize("kind", ["xl-info", "xl-vcpu-list", "xl-list", "xentop",
                                  "xenstore-ls"])
@pytest.mark.parametrize("garbage", list(GARBAGE))
def test_long_garbage_lines_fail_fast(kind: str, garbage: str) -> None:
    _fails_fast(kind, GARBAGE[garbage])
    if kind == "xentop":
        _fails_fast(kind, f"{XENTOP_HEADER}\n{GARBAGE[garbage]}")


N = 100_000
XL_LIST_Z_C_N = "Name ID Mem VCPUs State Time(s) Security Label Cpupool NODE Affinity\n"
XL_LIST_V_CAPS = ("Name ID Mem VCPUs State Time(s) UUID Reason-Code Security Label "
                  "Capabilities\n")
SLOW_SHAPES = {  # each made quadratic (or worse) a regex or loop that is linear now
    "xentop row after blanks": ("xentop", " " * N + "x ------ y\n"),
    "xentop row after a header": ("xentop", f"{XENTOP_HEADER}\n" + " " * N + "x ------ y\n"),
    "vcpu-list header": ("xl-vcpu-list", "Name ID VCPU CPU State Time(s) x" + " " * N + "y\n"),
    "cpupool -c name": ("xl-cpupool-list", "Name CPU list\na" + " " * N + "b\n"),
    "network-list path": ("xl-network-list",
                          "0 0 00:16:3e:00:00:01 0 4 10 768/769 /p" + " " * N + "x\n"),
    "block-list path": ("xl-block-list", "51712 0 1 4 10 8 /p" + " " * N + "x\n"),
    "blkback colons": ("blkback", "a:" * (N // 2) + "a b\n"),
    "xl list capabilities": ("xl-list", XL_LIST_V_CAPS + "a 1 1 1 -b---- 1.0 - - - " * (N // 12)
                             + "x  z\n"),
    "xl list label and pool": ("xl-list", XL_LIST_Z_C_N + "a 1 1 1 -b---- 1.0 " + "x" * N + "\n"),
    "xl info block": ("xl-info", "cpu_topology           :\n" + ("x" * 40 + "\n") * 2 * N),
    "vcpu affinity ranges": ("xl-vcpu-list", "web1" + " " * 33 + "3     0    1   -b-       4.6  "
                             + ",".join(["0-65535"] * (N // 8)) + " / all\n"),
    "cpupool cpu ranges": ("xl-cpupool-list",
                           "Name CPU list\nPool-0 " + ",".join(["0-65535"] * (N // 8)) + "\n"),
}


@pytest.mark.parametrize("shape", list(SLOW_SHAPES))
def test_pathological_shapes_end_quickly_with_a_result_or_an_error(shape: str) -> None:
    kind, text = SLOW_SHAPES[shape]
    p = _parse(kind, text)
    assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr[-300:]


@pytest.mark.parametrize("xs", [
    '/local/domain/{n}/name = "x"',
    '/local/domain/1/device/vif/{n}/backend = "/local/domain/0/backend/vif/1/0"',
    '/local/domain/1/device/vif/0/ring-ref{n} = "8"',
    '/local/domain/1/device/vif/0/queue-{n}/event-channel = "8"',
    '/local/domain/0/backend/vbd/1/{n}/state = "4"',
])
def test_xenstore_ids_of_thousands_of_digits_are_not_ids(xs: str) -> None:
    # int() refuses more than 4300 digits: such a path is nobody's, not an exception that
    # would end the host's poll
    text = xs.format(n="9" * 5000) + '\n/local/domain/1/device/vif/0/backend-id = "0"\n'
    topo = topology_from_xenstore("h", parse_xenstore_ls(text))
    assert all(d.domid < 10**9 and d.devid < 10**9 for d in topo.devices)
    assert all(domid < 10**9 for domid in topo.domains)


def test_xl_info_n_keeps_its_topology_block_without_xls_failure_line() -> None:
    info = ("host                   : a\ncpu_topology           :\n"
            "cpu:    core    socket     node\nlibxl_get_cpu_topology failed.\n"
            "  0:       0        0        0\n"
            "xen_version            : 4.4.1\n")
    assert parse_xl_info(info)["cpu_topology"] == (
        "cpu:    core    socket     node\n  0:       0        0        0")
