"""Actions in flight and the results of this session, for the progress screen and the log."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from collectors.control.outcome import Progress
from collectors.control.seam import ActionResult, Plan
from collectors.model import HostId


@dataclass(slots=True)
class RunningAction:
    plan: Plan
    started: float = field(default_factory=time.monotonic)
    last: Progress | None = None  # the newest progress line
    percent: int | None = None  # the newest percentage seen
    done: bool = False  # finished (its progress screen may still be under another one)

    def update(self, p: Progress) -> None:
        self.last = p
        if p.percent is not None and p.total:  # not "End of stream: 0/0 0%"
            self.percent = p.percent

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started


def busy_key(host: HostId, plan: Plan) -> tuple[HostId, str]:
    """One action per domain at a time (by domid: a re-created domain is another one)."""
    d = plan.domain
    if d is None:
        return (host, f"file:{plan.target}")
    return (host, str(d.domid) if d.domid is not None else d.name)


_SEVERITY = {"ok": "information", "failed": "error", "unknown": "warning",
             "refused": "warning", "invalid": "warning"}


def result_severity(result: ActionResult) -> str:
    return _SEVERITY.get(result.outcome, "warning")


def result_title(result: ActionResult) -> str:
    """``pause web1 (domid 3) on lab: ok``, with the duration of a long one."""
    title = f"{result.verb} {result.target} on {result.host}: {result.outcome}"
    if result.duration_s >= 1:
        title += f" ({result.duration_s:.1f} s)"
    return title


@dataclass(frozen=True, slots=True)
class Note:
    """A message the user was shown (also kept for the action log and for tests)."""

    severity: str  # information, warning, error
    title: str
    message: str
    result: ActionResult | None = None
