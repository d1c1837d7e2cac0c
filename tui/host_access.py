"""What views that query a host need from the app: its runner, its poller's ring and vCPU
demand, and the store's key for a domain seen by id (devices and vCPUs name domains by id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from textual.app import ScreenStackError, UnknownModeError

from collectors.fleet import FleetMember
from collectors.model import Domain, HostId
from collectors.transport.base import Runner
from tui.store import DomainKey, FleetStore, domain_keys
from tui.views import view
from tui.views.base import StoreView


def members(app: Any) -> Sequence[FleetMember]:
    found = getattr(app, "members", ())
    return found if isinstance(found, list | tuple) else ()


def runner_for(app: Any, host: HostId) -> Runner | None:
    """The host's runner, or None when the app has no connection to it (a replay)."""
    return next((m.runner for m in members(app) if m.config.name == host), None)


# Ring files a view of the whole fleet's rings has parsed per tick, at most: a host's are
# ~5,000 lines (3-5 ms to parse, more to stream and show), so 100 hosts every tick took
# two thirds of a core (benchmarks/bench_dashboard.py --view rings); beyond this many
# hosts each one's rings come every few ticks instead.
RING_HOSTS_PER_TICK = 25


def fleet_rings_every(hosts: int) -> int:
    """Ticks between a host's ring reads while a view shows every host's rings."""
    return max(1, -(-hosts // RING_HOSTS_PER_TICK))


def set_fleet_ring_demand(app: Any, wanted: bool) -> None:
    """Every host's rings (spread over ticks on a big fleet), or back to the slow cadence."""
    ms = members(app)
    every = fleet_rings_every(len(ms))
    for m in ms:
        m.poller.set_demand(rings=wanted, rings_every=every)


def set_ring_demand(app: Any, host: HostId, wanted: bool | None) -> None:
    """Ask one host's poller for rings every tick (True), or go back to what the current
    top-level view wants (None)."""
    every = 1
    if wanted is None:
        spec = view(getattr(app, "current_mode", "") or "")
        wanted = bool(spec and spec.wants_rings)
        every = fleet_rings_every(len(members(app)))
    for m in members(app):
        if m.config.name == host:
            m.poller.set_demand(rings=wanted, rings_every=every)


@runtime_checkable
class ShowsVcpus(Protocol):
    """A view that shows one host's vCPU placement (pinning map, domain detail)."""

    def vcpu_demand_host(self) -> HostId | None: ...


def vcpu_demand_host(app: Any) -> HostId | None:
    """The host whose vCPUs the view on screen shows (under any dialog or palette)."""
    try:
        stack = list(app.screen_stack)
    except (ScreenStackError, UnknownModeError, AttributeError):
        return None  # starting up or shutting down
    top = next((s for s in reversed(stack) if isinstance(s, StoreView)), None)
    return top.vcpu_demand_host() if isinstance(top, ShowsVcpus) else None


def sync_vcpu_demand(app: Any) -> None:
    """Ask the shown host's poller, and only it, for fresh vCPUs; the others go back to the
    slow cadence. Views call this whenever what they show may have changed."""
    host = vcpu_demand_host(app)
    for m in members(app):
        m.poller.set_demand(vcpus=m.config.name == host)


def domain_key_for(store: FleetStore, host: HostId, domid: int) -> DomainKey | None:
    """The store's key of the domain ``domid`` on ``host`` (None when it is not listed)."""
    snap = store.host(host)
    if snap is None:
        return None
    for key, d in zip(domain_keys(snap.domains), snap.domains, strict=True):
        if d.domid == domid:
            return key
    return None


def domain_by_id(store: FleetStore, host: HostId, domid: int) -> Domain | None:
    snap = store.host(host)
    if snap is None:
        return None
    return next((d for d in snap.domains if d.domid == domid), None)
