"""The views that show vCPUs ask their host's poller, and only it, for fresh vCPUs: the
pinning map (the host it shows; [ and ] move the demand), the domain detail (its domain's
host); other views, and leaving, clear it. The pinning map's title says how old its vCPUs
are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rich.style import Style
from rich.text import Text

from collectors.config import VCPU_DEMAND_S, Settings
from collectors.fleet import build_fleet
from collectors.poller import HostPoller
from collectors.sim.fleet import make_fleet, sim_runners
from collectors.transport.base import Runner
from tests.tui_fakes import (
    T0,
    FakePoller,
    fake_members,
    host_configs,
    make_snapshot,
    settings,
    wait_until,
)
from tests.tui_views_support import screen_text
from tui.app import XlTopApp, make_app
from tui.help import HelpScreen
from tui.views.domain_detail import DomainDetailScreen
from tui.views.domains import DomainsScreen
from tui.views.pinning import PinningScreen

SIZE = (160, 45)



def _app(initial_view: str, hosts: int = 3, clock: Callable[[], float] = lambda: T0) -> XlTopApp:
    configs = host_configs(hosts)
    return make_app(settings(), configs, members=fake_members(configs), poll=False,
                    preload=[make_snapshot(i, 0) for i in range(hosts)],
                    initial_view=initial_view, clock=clock)


def wanted(app: XlTopApp) -> dict[str, bool]:
    """Each host's current vCPU demand as its poller last heard it (False if never asked)."""
    out = {}
    for m in app.members:
        poller = m.poller
        assert isinstance(poller, FakePoller)
        out[m.config.name] = bool(poller.vcpu_demand) and poller.vcpu_demand[-1]
    return out


def only(app: XlTopApp, host: str | None) -> Callable[[], bool]:
    return lambda: wanted(app) == {h: h == host for h in app.store.hosts()}


async def test_the_pinning_map_moves_demand_with_its_host_and_clears_it_on_leaving() -> None:
    app = _app("domains")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not any(wanted(app).values())
        domains = app.screen
        assert isinstance(domains, DomainsScreen)
        key = next(k for k, _ in app.store.domains() if k[0] == "xen-prod-1")
        domains.focus_domain(key)
        await pilot.press("3")  # the map of the selected domain's host
        await wait_until(pilot, lambda: isinstance(app.screen, PinningScreen))
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        first = screen.current_host()
        assert first == "xen-prod-1"
        await wait_until(pilot, only(app, first))
        await pilot.press("right_square_bracket")
        await wait_until(pilot, only(app, "xen-lab-2"))
        await pilot.press("right_square_bracket", "right_square_bracket")  # wraps round
        await wait_until(pilot, only(app, "xen-prod-1"))
        await pilot.press("left_square_bracket")
        await wait_until(pilot, only(app, "xen-lab-3"))
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await wait_until(pilot, only(app, None))
        domains.focus_domain(next(k for k, _ in app.store.domains() if k[0] == "xen-lab-2"))
        await pilot.press("3")  # back: the host of the domain now selected
        await wait_until(pilot, only(app, "xen-lab-2"))


async def test_a_dashboard_started_on_the_pinning_map_asks_at_once() -> None:
    app = _app("pinning")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, only(app, "xen-prod-1"))
        await pilot.press("1")  # fleet view
        await wait_until(pilot, only(app, None))


async def test_a_dialog_over_the_map_keeps_the_demand() -> None:
    app = _app("pinning")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, only(app, "xen-prod-1"))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        assert wanted(app) == {"xen-prod-1": True, "xen-lab-2": False, "xen-lab-3": False}
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, PinningScreen))
        await pilot.pause()
        assert only(app, "xen-prod-1")()


async def test_the_domain_detail_asks_its_host_while_open() -> None:
    app = _app("domains")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        key = next(k for k, d in app.store.domains() if d.name == "vm-2-01")
        app.open_domain(key)
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        await wait_until(pilot, only(app, "xen-lab-3"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await wait_until(pilot, only(app, None))


async def test_detail_opened_from_the_map_and_closed_gives_the_map_its_demand_back() -> None:
    app = _app("pinning")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, only(app, "xen-prod-1"))
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        key = next(k for k, d in app.store.domains() if d.name == "vm-1-01")
        app.open_domain(key)  # a domain of another host than the map's
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        await wait_until(pilot, only(app, "xen-lab-2"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, only(app, "xen-prod-1"))


async def test_real_pollers_get_the_demand_cadence_only_on_the_shown_host() -> None:
    configs = host_configs(2)
    sims = sim_runners(make_fleet(2, 3, 0))
    runners: dict[str, Runner] = {c.name: r for c, r in zip(configs, sims.values(),
                                                            strict=True)}
    members = build_fleet(configs, Settings(interval_s=2.0), runners)
    app = make_app(Settings(interval_s=2.0), configs, members=members, poll=False,
                   preload=[make_snapshot(i, 0) for i in range(2)], initial_view="fleet",
                   clock=lambda: T0)

    def periods() -> dict[str, float]:
        out = {}
        for m in members:
            assert isinstance(m.poller, HostPoller)
            out[m.config.name] = m.poller._periods()["vcpus"]
        return out

    slow = Settings().cadence.vcpus_s
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert periods() == {"xen-prod-1": slow, "xen-lab-2": slow}
        await pilot.press("3")
        await wait_until(pilot, lambda: periods() == {"xen-prod-1": VCPU_DEMAND_S,
                                                      "xen-lab-2": slow})
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: periods() == {"xen-prod-1": slow,
                                                      "xen-lab-2": VCPU_DEMAND_S})
        await pilot.press("4")
        await wait_until(pilot, lambda: periods() == {"xen-prod-1": slow, "xen-lab-2": slow})


# --- the age of the vCPU data in the map's title -----------------------------------------


def styles_of(text: Text, part: str) -> list[str | Style]:
    """The styles of the spans that cover ``part`` of ``text``."""
    start = text.plain.index(part)
    return [sp.style for sp in text.spans if sp.start <= start and sp.end >= start + len(part)]


async def test_the_title_says_how_old_the_vcpus_are_and_ages_with_the_clock() -> None:
    now = [T0 + 100.0]
    configs = host_configs(1)
    snap = replace(make_snapshot(0, 0), vcpus_t=T0 + 97.0,
                   sources={"vcpus": "xl vcpu-list every 5s"})
    app = make_app(settings(), configs, members=fake_members(configs), poll=False,
                   preload=[snap], initial_view="pinning", clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        assert "vCPUs read 3s ago (xl vcpu-list every 5s)" in screen_text(app)
        now[0] += 10.0
        app._tick()  # the once-a-second timer: no new snapshot, only the clock moved
        await pilot.pause()
        assert "vCPUs read 13s ago" in screen_text(app)
        stale = app.palette.status["stale"]
        assert stale not in styles_of(screen._vcpu_age_text(snap), "13s ago")
        now[0] += 60.0  # older than the slow cadence would leave it: stale colour
        app._tick()
        await pilot.pause()
        assert "vCPUs read 1m13s ago" in screen_text(app)
        assert stale in styles_of(screen._vcpu_age_text(snap), "1m13s ago")


async def test_the_title_says_not_yet_before_any_vcpu_read() -> None:
    app = _app("pinning", hosts=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "vCPUs read not yet" in screen_text(app)


async def test_a_hostile_vcpu_source_is_shown_escaped() -> None:
    configs = host_configs(1)
    snap = replace(make_snapshot(0, 0), vcpus_t=T0,
                   sources={"vcpus": "[red]x\x1b[2J$(reboot)"})
    app = make_app(settings(), configs, members=fake_members(configs), poll=False,
                   preload=[snap], initial_view="pinning", clock=lambda: T0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[red]x" in text and "$(reboot)" in text and "\x1b" not in text
