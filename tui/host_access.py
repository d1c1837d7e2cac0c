"""What views that query a host need from the app: its runner, its poller's ring demand,
and the store's key for a domain seen by id (devices and vCPUs name domains by id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collectors.fleet import FleetMember
from collectors.model import Domain, HostId
from collectors.transport.base import Runner
from tui.store import DomainKey, FleetStore, domain_keys
from tui.views import view


def members(app: Any) -> Sequence[FleetMember]:
    found = getattr(app, "members", ())
    return found if isinstance(found, list | tuple) else ()


def runner_for(app: Any, host: HostId) -> Runner | None:
    """The host's runner, or None when the app has no connection to it (a replay)."""
    return next((m.runner for m in members(app) if m.config.name == host), None)


def set_ring_demand(app: Any, host: HostId, wanted: bool | None) -> None:
    """Ask one host's poller for rings every tick (True), or go back to what the current
    top-level view wants (None)."""
    if wanted is None:
        spec = view(getattr(app, "current_mode", "") or "")
        wanted = bool(spec and spec.wants_rings)
    for m in members(app):
        if m.config.name == host:
            m.poller.set_demand(rings=wanted)


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
