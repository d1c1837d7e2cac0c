"""The pinning map as data: a mark per (vCPU, pCPU) and per-pCPU totals."""

from __future__ import annotations

from dataclasses import replace

from collectors.model import (
    CpuSet,
    Domain,
    DomainState,
    HostInfo,
    HostSnapshot,
    HostStatus,
    VCpu,
    VcpuState,
)
from collectors.parse.xl_list import parse_xl_list, state_from_xl
from collectors.parse.xl_vcpu import parse_xl_vcpu_list
from tests.conftest import FIXTURES
from tui.pinning_model import (
    Mark,
    build_model,
    mark_at,
    pcpu_count,
    row_marks,
    state_shown,
)

ALL = CpuSet(all=True)


def vcpu(domid: int, n: int, cpu: int | None, state: VcpuState | None,
         hard: CpuSet = ALL, soft: CpuSet | None = ALL) -> VCpu:
    return VCpu("h", domid, f"d{domid}", n, cpu, state, 1.0, hard, soft)


def snapshot(vcpus: list[VCpu], nr_cpus: int | None = 8) -> HostSnapshot:
    return HostSnapshot("h", 0.0, HostStatus.OK, info=HostInfo(nr_cpus=nr_cpus),
                        vcpus=tuple(vcpus), seq=1)


def test_marks_of_a_running_vcpu_with_all_affinity() -> None:
    v = vcpu(1, 0, 3, VcpuState.RUNNING)
    assert row_marks(v, 6) == [Mark.HARD] * 3 + [Mark.RUNNING] + [Mark.HARD] * 2


def test_marks_with_hard_and_narrower_soft_affinity() -> None:
    v = vcpu(1, 0, 2, VcpuState.BLOCKED, hard=CpuSet.of({1, 2, 3, 4}),
             soft=CpuSet.of({3, 4, 7}))
    assert row_marks(v, 8) == [Mark.NONE, Mark.HARD, Mark.BLOCKED, Mark.SOFT, Mark.SOFT,
                               Mark.NONE, Mark.NONE, Mark.NONE]  # soft 7 is outside hard
    assert [mark_at(v, p) for p in range(8)] == row_marks(v, 8)


def test_soft_equal_to_hard_or_unknown_adds_nothing() -> None:
    pinned = CpuSet.of({0, 1})
    for soft in (pinned, ALL, None, CpuSet.of(())):
        v = vcpu(1, 0, 0, VcpuState.RUNNABLE, hard=pinned, soft=soft)
        assert row_marks(v, 3) == [Mark.RUNNABLE, Mark.HARD, Mark.NONE]


def test_offline_vcpu_runs_nowhere() -> None:
    v = vcpu(1, 1, None, VcpuState.OFFLINE, hard=CpuSet.of({0}))
    assert row_marks(v, 2) == [Mark.HARD, Mark.NONE]


def test_totals_count_allowed_and_running_or_queued() -> None:
    vs = [
        vcpu(0, 0, 0, VcpuState.RUNNING),
        vcpu(0, 1, 1, VcpuState.BLOCKED),
        vcpu(1, 0, 2, VcpuState.RUNNING, hard=CpuSet.of({2, 3})),
        vcpu(1, 1, 2, VcpuState.RUNNABLE, hard=CpuSet.of({2, 3})),
        vcpu(2, 0, None, VcpuState.OFFLINE, hard=CpuSet.of({3})),
    ]
    m = build_model(snapshot(vs, nr_cpus=4))
    assert m.pcpus == 4
    assert m.may == (2, 2, 4, 4)  # the offline vCPU may not run anywhere
    assert m.now == (1, 0, 2, 0)
    assert [v.key for v in m.on_pcpu(2)] == [("h", 1, 0), ("h", 1, 1)]
    assert m.online == 4


def test_columns_cover_a_vcpu_on_a_higher_pcpu_than_reported() -> None:
    vs = [vcpu(0, 0, 9, VcpuState.RUNNING)]
    assert pcpu_count(4, vs) == 10
    assert pcpu_count(None, []) == 0


def test_model_of_the_real_host_vcpu_list() -> None:
    """lab-b's ``xl vcpu-list``: two pCPUs, every vCPU allowed everywhere."""
    rows = parse_xl_vcpu_list((FIXTURES / "xen-4.17-lab-b" / "xl-vcpu-list.out").read_text())
    vs = [VCpu("lab", r.domid, r.name, r.vcpu, r.cpu, r.vcpu_state, r.cpu_time_s,
               r.hard_affinity, r.soft_affinity)
          for r in rows]
    m = build_model(snapshot(vs, nr_cpus=2))
    assert m.pcpus == 2
    assert m.may == (len(vs), len(vs))
    running = [(v.domain, v.vcpu, v.cpu) for v in vs if v.state is VcpuState.RUNNING]
    for name, n, cpu in running:
        assert cpu is not None
        row = next(v for v in m.rows if (v.domain, v.vcpu) == (name, n))
        assert row_marks(row, 2)[cpu] is Mark.RUNNING
    assert sum(m.now) == len(running)


def test_vcpus_of_a_stopped_domain_are_paused_not_queued() -> None:
    """lab-a's real host: db1 crashed (``---sc-``) and vcpu-list prints its vCPU 1 as
    ``---``, like a runnable vCPU; Xen has paused it, it waits for no pCPU. The map counted
    it on the ``now`` row as queued (the header said "1 pCPU with vCPUs queued")."""
    lab_a = FIXTURES / "xen-4.17-lab-a"
    rows = parse_xl_vcpu_list((lab_a / "xl-vcpu-list.out").read_text())
    vs = [VCpu("lab", r.domid, r.name, r.vcpu, r.cpu, r.vcpu_state, r.cpu_time_s,
               r.hard_affinity, r.soft_affinity)
          for r in rows]
    doms = tuple(Domain("lab", r.domid, r.name, state=state_from_xl(r.state or ""))
                 for r in parse_xl_list((lab_a / "xl-list.out").read_text()))
    db1 = next(v for v in vs if (v.domain, v.vcpu) == ("db1", 1))
    assert db1.state is VcpuState.RUNNABLE and db1.cpu == 1  # as xl prints it: "---"
    snap = replace(snapshot(vs, nr_cpus=2), domains=doms)
    m = build_model(snap)
    assert m.stopped == {1}
    assert m.now == (1, 0)  # Domain-0's running vCPU only, not db1's paused one
    assert row_marks(db1, 2, m.is_stopped(db1)) == [Mark.HARD, Mark.PAUSED]
    assert mark_at(db1, 1, True) is Mark.PAUSED
    assert state_shown(db1, True) == ("‖", "paused")
    assert state_shown(db1, False) == ("◌", "runnable")
    # a paused domain's vCPUs likewise (blocked or not); a running one is as vcpu-list saw
    paused = [vcpu(5, 0, 0, VcpuState.RUNNABLE), vcpu(5, 1, 1, VcpuState.BLOCKED),
              vcpu(6, 0, 1, VcpuState.RUNNABLE)]
    doms = (Domain("h", 5, "d5", state=DomainState(paused=True, blocked=True)),
            Domain("h", 6, "d6", state=DomainState()))
    m = build_model(replace(snapshot(paused, nr_cpus=2), domains=doms))
    assert m.now == (0, 1)  # d6's runnable vCPU is queued; d5's are not
    assert [row_marks(v, 2, m.is_stopped(v)) for v in m.rows] == [
        [Mark.PAUSED, Mark.HARD], [Mark.HARD, Mark.PAUSED], [Mark.HARD, Mark.RUNNABLE]]
    assert state_shown(vcpu(5, 0, 0, VcpuState.RUNNING), True) == ("●", "running")
