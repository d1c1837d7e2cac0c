"""The vCPU pinning map of one host as data: a row per vCPU, a column per physical CPU, a
mark per cell, and per-pCPU totals. No Textual here (the grid widget draws it).

Marks, strongest first (the legend the view shows):

* ``●`` the vCPU runs on this pCPU now; ``◌`` it is runnable and queued here; ``○`` it
  is blocked and last ran here (the same symbols as domain states);
* ``+`` its soft affinity prefers this pCPU (only shown when soft affinity narrows the
  hard one); ``·`` its hard affinity allows this pCPU; blank: not allowed;
* an offline vCPU runs nowhere: its row is drawn muted and its state is ``✕``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from collectors.model import HostId, HostSnapshot, VCpu, VcpuState

VcpuKey = tuple[HostId, int, int]  # (host, domid, vcpu)


class Mark(IntEnum):
    NONE = 0
    HARD = 1
    SOFT = 2
    BLOCKED = 3
    RUNNABLE = 4
    RUNNING = 5


MARK_SYMBOLS: dict[Mark, str] = {
    Mark.NONE: " ",
    Mark.HARD: "·",
    Mark.SOFT: "+",
    Mark.BLOCKED: "○",
    Mark.RUNNABLE: "◌",
    Mark.RUNNING: "●",
}
STATE_SYMBOLS: dict[VcpuState | None, str] = {
    VcpuState.RUNNING: "●",
    VcpuState.RUNNABLE: "◌",
    VcpuState.BLOCKED: "○",
    VcpuState.OFFLINE: "✕",
    None: "?",
}
_HERE = {VcpuState.RUNNING: Mark.RUNNING, VcpuState.RUNNABLE: Mark.RUNNABLE,
         VcpuState.BLOCKED: Mark.BLOCKED}
LEGEND = (("●", "running"), ("◌", "queued"), ("○", "blocked"), ("+", "soft"),
          ("·", "hard allows"), ("✕", "offline"))
NOW_MANY = "*"  # the "now" row's mark for 10 or more vCPUs on a pCPU


def soft_narrows(v: VCpu) -> bool:
    """True when the soft affinity says more than the hard one."""
    soft = v.soft
    return soft is not None and not soft.all and bool(soft.cpus) and soft != v.hard


def row_marks(v: VCpu, pcpus: int) -> list[Mark]:
    """The mark of every pCPU for one vCPU."""
    if v.hard.all:
        marks = [Mark.HARD] * pcpus
    else:
        marks = [Mark.NONE] * pcpus
        for c in v.hard.cpus:
            if 0 <= c < pcpus:
                marks[c] = Mark.HARD
    if soft_narrows(v):
        assert v.soft is not None
        for c in v.soft.cpus:
            if 0 <= c < pcpus and marks[c] is Mark.HARD:
                marks[c] = Mark.SOFT
    here = _HERE.get(v.state) if v.state is not None else None
    if here is not None and v.cpu is not None and 0 <= v.cpu < pcpus:
        marks[v.cpu] = here
    return marks


def mark_at(v: VCpu, p: int) -> Mark:
    """The mark of one cell (what :func:`row_marks` gives at ``p``)."""
    if v.cpu == p and v.state in _HERE:
        return _HERE[v.state]
    if not v.hard.contains(p):
        return Mark.NONE
    if soft_narrows(v) and v.soft is not None and p in v.soft.cpus:
        return Mark.SOFT
    return Mark.HARD


def wants_cpu(v: VCpu) -> bool:
    return v.state in (VcpuState.RUNNING, VcpuState.RUNNABLE)


@dataclass(frozen=True, slots=True)
class PinningModel:
    host: HostId
    pcpus: int
    rows: tuple[VCpu, ...]
    may: tuple[int, ...]  # online vCPUs whose hard affinity allows the pCPU
    now: tuple[int, ...]  # vCPUs running or queued on the pCPU now
    seq: int = 0

    @property
    def keys(self) -> list[VcpuKey]:
        return [v.key for v in self.rows]

    def on_pcpu(self, p: int) -> list[VCpu]:
        """The vCPUs whose current pCPU is ``p`` (any state)."""
        return [v for v in self.rows if v.cpu == p and v.state is not VcpuState.OFFLINE]

    @property
    def online(self) -> int:
        return sum(1 for v in self.rows if v.state is not VcpuState.OFFLINE)


def pcpu_count(nr_cpus: int | None, vcpus: Sequence[VCpu]) -> int:
    """Columns to draw: the host's pCPUs, or more if a vCPU sits on a higher one."""
    seen = max((v.cpu for v in vcpus if v.cpu is not None), default=-1) + 1
    return max(nr_cpus or 0, seen)


def build_model(snap: HostSnapshot) -> PinningModel:
    rows = tuple(sorted(snap.vcpus, key=lambda v: (v.domid, v.vcpu)))
    pcpus = pcpu_count(snap.info.nr_cpus if snap.info else None, rows)
    may = [0] * pcpus
    now = [0] * pcpus
    everywhere = 0
    for v in rows:
        if v.state is VcpuState.OFFLINE:
            continue
        if v.hard.all:
            everywhere += 1
        else:
            for c in v.hard.cpus:
                if 0 <= c < pcpus:
                    may[c] += 1
        if wants_cpu(v) and v.cpu is not None and 0 <= v.cpu < pcpus:
            now[v.cpu] += 1
    return PinningModel(snap.host, pcpus, rows, tuple(m + everywhere for m in may),
                        tuple(now), snap.seq)
