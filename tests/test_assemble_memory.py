"""Maximum memory is the static max (XenStore ``memory/static-max``, else ``xl list -l``'s
``max_memkb``), the number xl mem-set checks against; xentop's MAXMEM is the hypervisor's
allocation cap, which follows the balloon target (target + 1 MiB for a PV guest)."""

from __future__ import annotations

from collectors.assemble import Inputs, Merger
from collectors.model import Domain
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_list import parse_xl_list, parse_xl_list_long
from collectors.topology import topology_from_xenstore
from tests.conftest import FIXTURES

LAB_A = FIXTURES / "xen-4.17-lab-a"
FRAME = tuple(parse_xentop((LAB_A / "xentop-b-full.out").read_text())[0])
TOPO = topology_from_xenstore("h", parse_xenstore_ls((LAB_A / "xenstore-ls-f.out").read_text()))
CONFIGS = {c.domid: c for c in parse_xl_list_long((LAB_A / "xl-list-l.out").read_text())
           if c.domid is not None}
XL_ROWS = parse_xl_list((LAB_A / "xl-list.out").read_text())


def domains(inp: Inputs) -> dict[str, Domain]:
    return {d.name: d for d in Merger("h").domains(inp, 10.0, None)}


def test_the_fixture_is_what_these_tests_assume() -> None:
    db1 = next(x for x in FRAME if x.name == "db1")
    assert (db1.mem_k, db1.maxmem_k) == (98304, 99328)  # xentop: target + 1 MiB
    assert TOPO.domains[1].mem_static_max_kib == 131072


def test_before_xenstore_and_configs_are_read_max_memory_is_unknown() -> None:
    db1 = domains(Inputs(frame=FRAME, frame_t=10.0))["db1"]
    assert db1.mem_kib == 98304
    assert db1.mem_max_kib is None and not db1.mem_max_unlimited


def test_max_memory_is_xenstores_static_max() -> None:
    got = domains(Inputs(frame=FRAME, frame_t=10.0, topology=TOPO))
    assert got["db1"].mem_max_kib == 131072 and got["db1"].mem_target_kib == 98304
    assert got["Domain-0"].mem_max_kib == 1048576


def test_without_xenstore_max_memory_is_xl_list_ls_max_memkb() -> None:
    got = domains(Inputs(frame=FRAME, frame_t=10.0, configs=CONFIGS, xl_rows=XL_ROWS))
    assert {n: d.mem_max_kib for n, d in got.items()} == {
        c.name: c.max_memkb for c in CONFIGS.values()}


def test_xentops_no_limit_still_says_unlimited_while_no_static_max_is_known() -> None:
    text = (LAB_A / "xentop-b-full.out").read_text()
    dom0 = next(line for line in text.splitlines() if "Domain-0" in line)
    free = dom0.replace("   1048576      33.3", "  no limit       n/a", 1)
    assert free != dom0
    frame = tuple(parse_xentop(text.replace(dom0, free))[0])
    d0 = domains(Inputs(frame=frame, frame_t=10.0))["Domain-0"]
    assert d0.mem_max_unlimited and d0.mem_max_kib is None
    d0 = domains(Inputs(frame=frame, frame_t=10.0, topology=TOPO))["Domain-0"]
    assert not d0.mem_max_unlimited and d0.mem_max_kib == 1048576
