"""The vCPU pinning map of one host as data: a row per vCPU, a column per physical CPU, a
mark per cell, and per-pCPU totals. No Textual here (the grid widget draws it).

Marks, strongest first (the legend the view shows):

* ``●`` the vCPU runs on this pCPU now; ``◌`` it is runnable and queued here; ``○`` it
  is blocked and last ran here; ``‖`` its domain is paused, shut down, crashed or dying
  and it last ran here (the same symbols as domain states). Xen pauses every vCPU of such
  a domain without marking it blocked, so ``xl vcpu-list`` prints ``---`` for it as for a
  runnable one: it waits for nothing and is not counted on the ``now`` row;
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
    PAUSED = 6  # its domain is paused, shut down, crashed or dying: it cannot run


MARK_SYMBOLS: dict[Mark, str] = {
    Mark.NONE: " ",
    Mark.HARD: "·",
    Mark.SOFT: "+",
    Mark.BLOCKED: "○",
    Mark.RUNNABLE: "◌",
    Mark.RUNNING: "●",
    Mark.PAUSED: "‖",
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
PAUSED_WORD = "paused"
LEGEND = (("●", "running"), ("◌", "queued"), ("○", "blocked"),
          (MARK_SYMBOLS[Mark.PAUSED], PAUSED_WORD), ("+", "soft"),
          ("·", "hard allows"), ("✕", "offline"))
NOW_MANY = "*"  # the "now" row's mark for 10 or more vCPUs on a pCPU


def soft_narrows(v: VCpu) -> bool:
    """True when the soft affinity says more than the hard one."""
    soft = v.soft
    return soft is not None and not soft.all and bool(soft.cpus) and soft != v.hard


def held(v: VCpu, stopped: bool) -> bool:
    """A vCPU that cannot run because its domain is ``stopped`` (paused, shut down,
    crashed, dying): Xen leaves it runnable (``---``) or blocked, but schedules it
    nowhere. A vCPU that vcpu-list saw running (read at another moment than the domain's
    state) is shown as seen."""
    return stopped and v.state in (VcpuState.RUNNABLE, VcpuState.BLOCKED)


def _here(v: VCpu, stopped: bool) -> Mark | None:
    if held(v, stopped):
        return Mark.PAUSED
    return _HERE.get(v.state) if v.state is not None else None


def state_shown(v: VCpu, stopped: bool = False) -> tuple[str, str]:
    """The symbol and word of a vCPU's state: ``("‖", "paused")`` for a vCPU of a
    stopped domain, else its own (``("◌", "runnable")``...)."""
    if held(v, stopped):
        return MARK_SYMBOLS[Mark.PAUSED], PAUSED_WORD
    return STATE_SYMBOLS.get(v.state, "?"), v.state.value if v.state else "unknown"


def row_marks(v: VCpu, pcpus: int, stopped: bool = False) -> list[Mark]:
    """The mark of every pCPU for one vCPU (``stopped``: its domain runs no vCPU)."""
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
    here = _here(v, stopped)
    if here is not None and v.cpu is not None and 0 <= v.cpu < pcpus:
        marks[v.cpu] = here
    return marks


def mark_at(v: VCpu, p: int, stopped: bool = False) -> Mark:
    """The mark of one cell (what :func:`row_marks` gives at ``p``)."""
    if v.cpu == p:
        here = _here(v, stopped)
        if here is not None:
            return here
    if not v.hard.contains(p):
        return Mark.NONE
    if soft_narrows(v) and v.soft is not None and p in v.soft.cpus:
        return Mark.SOFT
    return Mark.HARD


def wants_cpu(v: VCpu, stopped: bool = False) -> bool:
    """Running, or runnable and queued for a pCPU (not a vCPU of a stopped domain)."""
    return v.state is VcpuState.RUNNING or (v.state is VcpuState.RUNNABLE and not stopped)


@dataclass(frozen=True, slots=True)
class PinningModel:
    host: HostId
    pcpus: int
    rows: tuple[VCpu, ...]
    may: tuple[int, ...]  # online vCPUs whose hard affinity allows the pCPU
    now: tuple[int, ...]  # vCPUs running or queued on the pCPU now
    seq: int = 0
    # domids of the domains that are paused, shut down, crashed or dying (in the same
    # snapshot): their vCPUs wait for nothing
    stopped: frozenset[int] = frozenset()

    def is_stopped(self, v: VCpu) -> bool:
        """True when ``v``'s domain runs no vCPU (paused, shut down, crashed, dying)."""
        return v.domid in self.stopped

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


def stopped_domids(snap: HostSnapshot) -> frozenset[int]:
    """The domids of the snapshot's domains whose state says Xen runs none of their vCPUs."""
    return frozenset(d.domid for d in snap.domains if d.domid is not None and d.state.stopped)


def build_model(snap: HostSnapshot) -> PinningModel:
    rows = tuple(sorted(snap.vcpus, key=lambda v: (v.domid, v.vcpu)))
    stopped = stopped_domids(snap)
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
        if wants_cpu(v, v.domid in stopped) and v.cpu is not None and 0 <= v.cpu < pcpus:
            now[v.cpu] += 1
    return PinningModel(snap.host, pcpus, rows, tuple(m + everywhere for m in may),
                        tuple(now), snap.seq, stopped)
