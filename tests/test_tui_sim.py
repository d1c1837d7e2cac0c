"""Pilot tests on the simulated fleet with the real pollers running as app workers."""

from __future__ import annotations

from functools import partial

from collectors.config import Cadence, Settings
from collectors.model import HostStatus
from collectors.sim.fleet import make_fleet, sim_runners
from collectors.sim.runner import SimRunner
from tests.tui_fakes import wait_until as wait_for
from tui.app import XlTopApp, make_app
from tui.demo import demo_configs
from tui.views.domains import DomainsScreen
from tui.views.fleet import FLEET_COLUMNS, FleetScreen

FAST = Settings(interval_s=1.0, cadence=Cadence(vcpus_s=2, info_s=5, rings_s=2, xenstore_s=10,
                                                dom0_s=2))


wait_until = partial(wait_for, timeout=20.0, step=0.05)


def sim_app(hosts: int = 3, domains: int = 6) -> tuple[XlTopApp, dict[str, SimRunner]]:
    sims = sim_runners(make_fleet(hosts, domains, seed=0))
    configs = demo_configs(list(sims))
    app = make_app(FAST, configs, dict(sims), render_gap_s=0.05)
    return app, sims


def all_ok(app: XlTopApp) -> bool:
    snaps = [app.store.host(h) for h in app.store.hosts()]
    return all(s is not None and s.status is HostStatus.OK and s.domains for s in snaps)


async def test_live_fleet_views_sort_filter_and_cursor() -> None:
    app, _ = sim_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: all_ok(app))
        assert isinstance(app.screen, FleetScreen)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen)
                         and app.screen.table.row_count == app.store.domain_count())
        screen = app.screen
        assert isinstance(screen, DomainsScreen)
        table = screen.table
        await pilot.press("N")
        names = [k[1].lower() for k in table.order if k[1] != "Domain-0"]
        assert names == sorted(names)
        await pilot.press("I")
        names = [k[1].lower() for k in table.order if k[1] != "Domain-0"]
        assert names == sorted(names, reverse=True)
        # by CPU%, Dom0s among the guests; put the cursor on a domain that cannot vanish
        await pilot.press("P", "0", "home")
        key = ("xen-lab-02", "Domain-0", None)
        for _ in range(200):  # rows move while we walk: steer towards it
            if table.cursor_key == key:
                break
            await pilot.press("down" if table.order.index(key) > table.cursor_row else "up")
        assert table.cursor_key == key
        version = app.store.version
        for _ in range(3):  # several live refreshes, re-sorted by CPU% each time
            await wait_until(pilot, lambda v=version: app.store.version > v)
            version = app.store.version
            app.sync_view()
            await pilot.pause()
            assert table.cursor_key == key
        await pilot.press("slash", *"state:r", "enter")
        rows = [app.store.domain(k) for k in table.order]
        assert rows and all(d is not None and d.state.running for d in rows)
        await pilot.press("escape")
        assert table.row_count == app.store.domain_count()
        app.set_theme("xltop-colorblind")
        await pilot.pause()
        assert app.theme == "xltop-colorblind"


async def test_live_host_going_unreachable_while_others_keep_updating() -> None:
    app, sims = sim_app()
    down = "xen-prod-03"
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: all_ok(app))
        sims[down].set_unreachable("connect to 10.0.0.3 port 22: Connection refused")
        await wait_until(pilot, lambda: app.store.host(down).status  # type: ignore[union-attr]
                         is HostStatus.UNREACHABLE)
        seqs = {h: app.store.host(h).seq for h in ("xen-prod-01", "xen-lab-02")}  # type: ignore[union-attr]
        await wait_until(pilot, lambda: all(app.store.host(h).seq > s  # type: ignore[union-attr]
                                            for h, s in seqs.items()))
        for h in seqs:
            assert app.store.host(h).status is HostStatus.OK  # type: ignore[union-attr]
        app.sync_view()
        await pilot.pause()
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        cells = [c if isinstance(c, str) else c.plain for c in fleet.row_cells(down)]
        assert cells[[c.key for c in FLEET_COLUMNS].index("status")] == "✖ down"
        assert "Connection refused" in cells[-1]
        # it comes back
        sims[down].set_unreachable(None)
        await wait_until(pilot, lambda: app.store.host(down).status  # type: ignore[union-attr]
                         is HostStatus.OK, timeout=40)


async def test_domains_view_of_a_host_that_is_down_says_why_it_is_empty() -> None:
    sims = sim_runners(make_fleet(2, 4, seed=0))
    name, other = sims
    sims[name].set_unreachable("connect to 10.0.0.1 port 22: [red]Connection refused\x1b[2J")
    sims[other].set_unreachable("no route")
    app = make_app(FAST, demo_configs(list(sims)), dict(sims), render_gap_s=0.05,
                   initial_view="domains")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(h) is not None for h in sims))
        app.sync_view()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DomainsScreen)
        msg = screen.table.empty_message
        assert msg.startswith(f"no domains (1 shows every host): {name} is unreachable: "
                              "connect to 10.0.0.1")
        assert "[red]Connection refused\\x1b[2J" in msg  # shown as text, escapes visible
        assert msg.endswith("(and 1 more host)")
