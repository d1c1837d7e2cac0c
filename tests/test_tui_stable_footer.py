"""StableFooter: rebuilt when the keys it shows change, left alone when they do not."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input
from textual.widgets._footer import FooterKey

from collectors.config import Cadence, Settings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from tests.tui_actions_support import select_domain, snap, wait_until
from tui.app import make_app
from tui.demo import demo_configs
from tui.views.domains import DomainsScreen
from tui.widgets.stable_footer import StableFooter

FAST = Settings(interval_s=1.0, cadence=Cadence(vcpus_s=2, info_s=5, rings_s=2, xenstore_s=10,
                                                dom0_s=2))


def footer_keys(screen: DomainsScreen) -> list[FooterKey]:
    return list(screen.query_one(StableFooter).query(FooterKey))


async def test_footer_keys_are_rebuilt_only_when_what_they_show_changes() -> None:
    hosts = make_fleet(2, 4, seed=0)
    configs = demo_configs([h.name for h in hosts])
    ro = configs[1].name
    configs[1] = replace(configs[1], read_only=True)
    app = make_app(FAST, configs, {h.name: SimRunner(h) for h in hosts}, render_gap_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(c.name) for c in configs))
        rw_dom = next(d for d in snap(app, configs[0].name).domains if not d.is_dom0)
        await select_domain(pilot, app, configs[0].name, rw_dom.name)
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, DomainsScreen)
        before = footer_keys(screen)
        menu = next(k for k in before if k.key == "a")
        assert not menu.has_class("-disabled") and before
        # Textual refreshes the bindings on focus changes, screen resumes and after
        # callbacks; when the keys shown stay the same, nothing is rebuilt (Textual's Footer
        # rebuilds every key each time)
        for _ in range(3):
            screen.refresh_bindings()
            await pilot.pause(0.1)
        assert [id(k) for k in footer_keys(screen)] == [id(k) for k in before]
        # the filter box focused: letters go to it, so the footer shows only its key
        await pilot.press("slash")
        await wait_until(pilot, lambda: isinstance(app.focused, Input))
        await wait_until(pilot, lambda: {k.key for k in footer_keys(screen)} <= {
            "slash", "ctrl+p"})  # and the command palette's
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(footer_keys(screen)) == len(before))
        # what they showed changed (the filter's key alone, then the view's again): the
        # keys were rebuilt, new widgets
        assert not {id(k) for k in footer_keys(screen)} & {id(k) for k in before}
        # a row of a read-only host: its action keys stay live (they say why they are
        # refused), so nothing shown changes and nothing is rebuilt
        before = footer_keys(screen)
        ro_dom = next(d for d in snap(app, ro).domains if not d.is_dom0)
        await select_domain(pilot, app, ro, ro_dom.name)
        await pilot.pause(0.3)
        assert [id(k) for k in footer_keys(screen)] == [id(k) for k in before]
