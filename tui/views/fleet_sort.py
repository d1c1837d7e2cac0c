"""How the Fleet table sorts: a value per host for each column, unknown values last."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collectors.config import HostConfig
from collectors.model import HostId, HostSnapshot
from tui.store import HostTotals

# worst first when sorted by Status (descending)
STATUS_RANK: Mapping[str, int] = {"ok": 0, "waiting": 1, "stale": 2, "unreachable": 3,
                                  "error": 4}
# "Domains by state" sorts by trouble: crashed, then dying, shut down, paused
_TROUBLE = ("crashed", "dying", "shutdown", "paused")


@dataclass(frozen=True, slots=True)
class HostRow:
    """What a host's sort values are made of."""

    host: HostId
    config: HostConfig | None
    snap: HostSnapshot | None
    totals: HostTotals | None
    status: str


def _version(v: str | None) -> tuple[int, ...] | None:
    if not v:
        return None
    parts = []
    for p in v.replace("-", ".").split("."):
        digits = "".join(c for c in p if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _lower(v: str | None) -> str | None:
    return v.lower() if v else None


def _info(r: HostRow) -> Any:
    return r.snap.info if r.snap else None


def _mem_used(r: HostRow) -> int | None:
    t = r.totals
    if t is None or t.mem_total_mib is None or t.mem_free_mib is None:
        return None
    return t.mem_total_mib - t.mem_free_mib


_Value = Callable[[HostRow], Any]

# column key → (sort value, whether sorting by it starts biggest first)
FLEET_SORTS: Mapping[str, tuple[_Value, bool]] = {
    "host": (lambda r: r.host.lower(), False),
    "banner": (lambda r: _lower(r.config.banner if r.config else None), False),
    "status": (lambda r: STATUS_RANK.get(r.status, len(STATUS_RANK)), True),
    "domains": (lambda r: len(r.snap.domains) if r.snap and r.snap.domains else None, True),
    "states": (lambda r: tuple(r.totals.states.get(s, 0) for s in _TROUBLE)
               if r.totals else None, True),
    "pcpus": (lambda r: r.totals.pcpus if r.totals else None, True),
    "vcpus": (lambda r: r.totals.vcpus if r.totals and r.snap and r.snap.domains else None,
              True),
    "cpu_used": (lambda r: r.totals.cpu_used if r.totals and r.snap and r.snap.domains
                 else None, True),
    "load": (lambda r: r.snap.dom0.load[0] if r.snap and r.snap.dom0 and r.snap.dom0.load
             else None, True),
    "mem_used": (_mem_used, True),
    "mem_free": (lambda r: r.totals.mem_free_mib if r.totals else None, True),
    "mem_total": (lambda r: r.totals.mem_total_mib if r.totals else None, True),
    "latency": (lambda r: r.snap.latency_s if r.snap else None, True),
    "xen": (lambda r: _version(_info(r).xen_version) if _info(r) else None, True),
    "sched": (lambda r: _lower(_info(r).scheduler) if _info(r) else None, False),
    "group": (lambda r: _lower(r.config.group if r.config else None), False),
    "why": (lambda r: _lower(r.snap.message) if r.snap and r.status != "ok" else None,
            False),
}


def sort_value(row: HostRow, column: str) -> Any:
    """A host's value in ``column`` as the table sorts it (None: unknown)."""
    return FLEET_SORTS[column][0](row)


def sort_hosts(rows: Sequence[HostRow], column: str, descending: bool) -> list[HostId]:
    """Hosts by ``column``; hosts whose value is unknown come last either way; ties keep
    the configured order."""
    value = FLEET_SORTS[column][0]
    pairs = [(value(r), r.host) for r in rows]
    known = [p for p in pairs if p[0] is not None]
    known.sort(key=lambda p: p[0], reverse=descending)  # stable both ways
    return [h for _, h in known] + [h for v, h in pairs if v is None]
