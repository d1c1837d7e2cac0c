"""The registry of top-level views. Each one is a Textual mode, one key away, listed in the
view bar, the help screen and the command palette.

To add a view, write a :class:`tui.views.base.StoreView` subclass and add a
:class:`ViewSpec` line to :data:`VIEWS`; the app builds its modes, key bindings and
palette commands from this list. A view that shows ring occupancy sets ``wants_rings`` so
the pollers read rings every tick while it is on screen. A view that shows one host's vCPUs
(pinning map, domain detail) implements ``vcpu_demand_host()``
(:class:`tui.host_access.ShowsVcpus`) instead of a flag, and calls
:func:`tui.host_access.sync_vcpu_demand` when it is shown, hidden or changes host: only that
host's poller then reads ``xl vcpu-list`` every few seconds.

Views render in ``update_view()`` from ``self.dash.store`` (never from a collector), and
only while they are on top. A view with a current domain implements
:class:`tui.views.base.SelectsDomain` (``selected_domain()``); app-level actions (pause,
save, ...) act on ``XlTopApp.selected_domain()``, which asks the screen on top. Every
binding has an id (``view.<id>``, ``domains.*``, ``fleet.*``, ``table.*``) so users can
rebind it under ``[keys]``, and the ``?`` screen lists it automatically.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class ViewSpec:
    id: str  # the mode name, and the binding id is f"view.{id}"
    title: str
    key: str  # default key; users can rebind "view.<id>" in [keys]
    screen: str  # "module:Class", imported on first use
    description: str
    wants_rings: bool = False


VIEWS: list[ViewSpec] = [
    ViewSpec("fleet", "Fleet", "1", "tui.views.fleet:FleetScreen",
             "every host: status, latency, CPUs, memory, domains; totals for the fleet"),
    ViewSpec("domains", "Domains", "2", "tui.views.domains:DomainsScreen",
             "every domain of every host: sort, filter, CPU history"),
    ViewSpec("pinning", "vCPU map", "3", "tui.views.pinning:PinningScreen",
             "per host: where every vCPU runs and may run, per-pCPU totals"),
    ViewSpec("rings", "Rings", "4", "tui.views.rings:RingsScreen",
             "every vif/vbd ring of the fleet: xenbus states, occupancy, OO/s, stuck rings",
             wants_rings=True),
    ViewSpec("xenstore", "XenStore", "5", "tui.views.xenstore:XenstoreScreen",
             "browse a host's XenStore (read-only, loaded as you expand)"),
    ViewSpec("host", "Host", "6", "tui.views.host:HostScreen",
             "a host's xl info, cpupools, its data sources and failures, the tail of xl dmesg"),
]

# The screen pushed by Enter on a domain (the detail view), "module:Class" taking a
# DomainKey; None until that view exists.
DOMAIN_DETAIL_SCREEN: str | None = "tui.views.domain_detail:DomainDetailScreen"


def view(view_id: str) -> ViewSpec | None:
    return next((v for v in VIEWS if v.id == view_id), None)


def load_class(path: str) -> type[Screen[None]]:
    module, _, name = path.partition(":")
    cls: type[Screen[None]] = getattr(importlib.import_module(module), name)
    return cls
