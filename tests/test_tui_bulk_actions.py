"""Bulk actions: marks in the Domains view (space, *, u) and one action on every marked
domain, through the same seams as single actions, on the simulated fleet."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from collectors.model import Domain
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from tests.test_tui_actions import FAST, SIZE, H, fleet_app, journal, lab_app
from tests.test_tui_key_bursts import burst
from tests.tui_actions_support import Recorder, answer, dom, select_domain, wait_until
from tests.tui_views_support import screen_text
from tui.actions.bulk import BulkConfirmScreen
from tui.actions.confirm import ConfirmScreen
from tui.actions.form import ActionForm
from tui.actions.menu import ActionMenu
from tui.app import XlTopApp, make_app
from tui.demo import demo_configs
from tui.views.domains import DomainsScreen


def domains_screen(app: XlTopApp) -> DomainsScreen:
    screen = app.screen
    assert isinstance(screen, DomainsScreen)
    return screen


async def mark(pilot: Pilot[Any], app: XlTopApp, host: str, name: str) -> None:
    await select_domain(pilot, app, host, name)
    await pilot.press("space")
    await wait_until(pilot, lambda: any(k[:2] == (host, name)
                                        for k in domains_screen(app).marked),
                     what=f"{name} marked")


async def bulk_confirmation(pilot: Pilot[Any], app: XlTopApp, key: str) -> BulkConfirmScreen:
    await pilot.press(key)
    return await wait_bulk(pilot, app)


async def wait_bulk(pilot: Pilot[Any], app: XlTopApp) -> BulkConfirmScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, BulkConfirmScreen),
                     what="bulk confirmation")
    screen = app.screen
    assert isinstance(screen, BulkConfirmScreen)
    return screen


async def run_confirmed(pilot: Pilot[Any], app: XlTopApp, screen: BulkConfirmScreen,
                        typed: str | None = None) -> str:
    """Confirm (y, or the phrase typed) and wait for the summary note; its title."""
    n = len(app.notes)
    await answer(pilot, screen, typed)
    await wait_until(pilot, lambda: any(" domains: " in note.title for note in app.notes[n:]),
                     timeout=30, what="bulk summary")
    return next(note.title for note in app.notes[n:] if " domains: " in note.title)


def polled_paused(app: XlTopApp, host: str, name: str) -> Callable[[], bool]:
    return lambda: (x := dom(app, host, name)) is not None and x.state.paused


def guests(app: XlTopApp, host: str) -> list[Domain]:
    snap = app.store.host(host)
    assert snap is not None
    return [d for d in snap.domains if d.domid and d.state.label in ("running", "blocked")]


async def test_marked_domains_on_two_hosts_pause_together_then_unpause() -> None:
    app, hosts, recs = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        names = sorted(hosts)
        await wait_until(pilot, lambda: all(app.store.host(h) and guests(app, h)
                                            for h in names[:2]), what="fleet polled")
        picked = [(h, guests(app, h)[0]) for h in names[:2]]
        for h, d in picked:
            await mark(pilot, app, h, d.name)
        assert "✓ 2 marked" in screen_text(app)
        screen = await bulk_confirmation(pilot, app, "p")
        assert sorted(p.display for p in screen.plans) == sorted(
            f"xl pause {d.domid}" for _, d in picked)
        shown = str(screen.query_one("#confirm-command").render())
        for h, d in picked:
            assert f"# {d.name} (domid {d.domid}) on {h}" in shown
        assert all(rec.xl("pause") == [] for rec in recs.values())  # nothing before yes
        typed = screen.confirm_text if screen.typed_name else None  # a production host
        title = await run_confirmed(pilot, app, screen, typed)
        assert title == "pause on 2 domains: 2 ok"
        for h, d in picked:
            assert hosts[h].domains[d.domid].paused  # type: ignore[index]
            assert recs[h].xl("pause") == [("xl", "pause", str(d.domid))]
            await wait_until(pilot, polled_paused(app, h, d.name), timeout=30,
                             what=f"{d.name} polled paused")
        # every marked guest paused: the same key unpauses them all
        screen = await bulk_confirmation(pilot, app, "p")
        assert sorted(p.display for p in screen.plans) == sorted(
            f"xl unpause {d.domid}" for _, d in picked)
        typed = screen.confirm_text if screen.typed_name else None
        assert await run_confirmed(pilot, app, screen, typed) == "unpause on 2 domains: 2 ok"
        assert not any(hosts[h].domains[d.domid].paused for h, d in picked)  # type: ignore[index]
    assert sorted(journal(app)) == [("pause", "ok")] * 2 + [("unpause", "ok")] * 2


async def test_a_dying_domain_among_marked_ones_is_skipped_as_dying() -> None:
    app, host, rec = lab_app()
    idle1 = next(d for d in host.domains.values() if d.name == "idle1")
    idle1.pause_count, idle1.dying = 1, True  # a paused guest being destroyed: --p--d
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: (d := dom(app, H, "idle1")) is not None
                         and d.state.dying, what="idle1 polled dying")
        for name in ("web1", "idle1"):
            await mark(pilot, app, H, name)
        # the dying one has no say in the direction (web1 runs: pause) nor is it sent
        screen = await bulk_confirmation(pilot, app, "p")
        assert [p.display for p in screen.plans] == ["xl pause 3"]
        assert [(s.domain.name, s.why) for s in screen.skipped] == [
            ("idle1", "being destroyed (dying)")]


async def test_bulk_destroy_asks_for_verb_and_count_and_skips_domain0() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        for name in ("Domain-0", "web1", "idle1"):
            await mark(pilot, app, H, name)
        screen = await bulk_confirmation(pilot, app, "D")
        assert sorted(p.display for p in screen.plans) == ["xl destroy 2", "xl destroy 3"]
        assert [s.domain.name for s in screen.skipped] == ["Domain-0"]
        assert screen.typed_name and screen.confirm_text == "destroy 2"
        warnings = str(screen.query_one("#confirm-warnings").render())
        assert "not sent to Domain-0 on xenlab" in warnings
        await answer(pilot, screen, "destroy 3")
        await pilot.pause(0.2)
        assert isinstance(app.screen, BulkConfirmScreen) and screen.rejected == 1
        assert rec.xl("destroy") == []
        title = await run_confirmed(pilot, app, screen, "destroy 2")
        assert title == "destroy on 2 domains: 2 ok"
        assert 3 not in host.domains and 2 not in host.domains
        assert sorted(rec.xl("destroy")) == [("xl", "destroy", "2"), ("xl", "destroy", "3")]
        # the destroyed domains lose their marks once the polls no longer show them
        await wait_until(pilot, lambda: [k[1] for k in domains_screen(app).marked]
                         == ["Domain-0"], timeout=30, what="marks pruned")
    # Domain-0 was validated too: xl never destroys it, and the journal says it was asked
    assert sorted(journal(app)) == [("destroy", "invalid"), ("destroy", "ok"), ("destroy", "ok")]


async def test_a_form_action_with_marks_is_refused_until_u_unmarks() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await mark(pilot, app, H, "web1")
        await pilot.press("m")
        await wait_until(pilot, lambda: app.notes and "one domain at a time"
                         in app.notes[-1].message, what="refusal")
        assert not isinstance(app.screen, ActionForm)
        await pilot.press("u")
        await wait_until(pilot, lambda: not domains_screen(app).marked, what="unmarked")
        assert "marked" not in screen_text(app).split("\n")[1]
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm), what="form")
    assert rec.xl("mem-set") == []


async def test_read_only_host_sends_nothing_for_its_marked_domains() -> None:
    app, host, rec = lab_app(host_read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await mark(pilot, app, H, "web1")
        await pilot.press("p")
        await wait_until(pilot, lambda: app.notes and "nothing to send" in app.notes[-1].title,
                         what="nothing to send")
        assert "read-only" in app.notes[-1].message
        assert not isinstance(app.screen, BulkConfirmScreen)
    assert rec.xl("pause") == [] and not host.domains[3].paused
    assert journal(app) == [("pause", "refused")]


async def test_star_marks_what_the_filter_shows_and_a_recreated_domain_loses_its_mark() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        screen = domains_screen(app)
        screen.set_filter("type:pv !Domain-0")
        await pilot.pause()
        await pilot.press("asterisk")
        await wait_until(pilot, lambda: sorted(k[1] for k in screen.marked)
                         == ["db1", "idle1", "web1"], what="all shown marked")
        rows = screen_text(app)
        assert "✓ web1" in rows and "✓ db1" in rows and "✓ Domain-0" not in rows
        key = next(k for k in screen.marked if k[1] == "web1")
        screen.marked[key] = 99  # as if web1 had been destroyed and created again
        screen.update_view()
        assert key not in screen.marked
        assert sorted(d.name for d in screen.marked_domains()) == ["db1", "idle1"]
    assert rec.xl("pause") == []


async def test_a_failure_among_them_is_an_error_naming_the_domain_and_xls_words() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        for name in ("web1", "idle1"):
            await mark(pilot, app, H, name)
        screen = await bulk_confirmation(pilot, app, "D")
        del host.domains[2]  # idle1 goes behind the dashboard's back, after the preview
        title = await run_confirmed(pilot, app, screen, screen.confirm_text)
        note = app.notes[-1]
        assert title == "destroy on 2 domains: 1 failed, 1 ok"
        assert note.severity == "error"
        assert "idle1 (domid 2) on xenlab: failed: " in note.message
    assert sorted(journal(app)) == [("destroy", "failed"), ("destroy", "ok")]


async def test_nothing_to_send_accounts_for_every_marked_domain_once_per_reason() -> None:
    """Read-only, every domain of the fleet marked: the note used to name the first 5, each
    with the whole read-only sentence, and drop the others without a word."""
    hosts = make_fleet(3, 8, seed=0)
    recs = {h.name: Recorder(SimRunner(h)) for h in hosts}
    app = make_app(replace(FAST, read_only=True), demo_configs(list(recs)), dict(recs),
                   render_gap_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(h.name) for h in hosts),
                         what="fleet polled")
        await select_domain(pilot, app, hosts[0].name, "Domain-0")
        await pilot.press("asterisk")
        screen = domains_screen(app)
        await wait_until(pilot, lambda: len(screen.marked) == app.store.domain_count(),
                         what="all marked")
        marked = screen.marked_domains()
        assert len(marked) > 5
        await pilot.press("p")
        await wait_until(pilot, lambda: app.notes and "nothing to send" in app.notes[-1].title,
                         what="nothing to send")
        message = app.notes[-1].message
    lines = message.splitlines()
    assert sum("read-only mode" in ln for ln in lines) == 1  # the reason once
    assert message.count("read-only mode") == 1

    def counted(line: str) -> int:  # "NAME on HOST" per domain named, and "N more"
        more = re.search(r" and (\d+) more$", line)
        return line.count(" on ") + (int(more[1]) if more else 0)

    assert sum(counted(ln) for ln in lines) == len(marked), message  # every one of them
    assert all(rec.xl("pause") == [] for rec in recs.values())


async def test_a_key_pressed_twice_opens_one_confirmation() -> None:
    """D D (a double press, key repeat): both keys came before the first flow had its
    confirmation up, so a second one, the same, came up once the first was answered."""
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        for name in ("web1", "idle1"):
            await mark(pilot, app, H, name)
        burst(app, "D", "D")  # (pilot.press waits for each key to be handled)
        await wait_until(pilot, lambda: isinstance(app.screen, BulkConfirmScreen),
                         what="bulk confirmation")
        await pilot.pause(0.3)  # (a second flow's confirmation would be up by now too)
        screen = app.screen
        assert isinstance(screen, BulkConfirmScreen)
        assert await run_confirmed(pilot, app, screen, screen.confirm_text) == (
            "destroy on 2 domains: 2 ok")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
    assert sorted(rec.xl("destroy")) == [("xl", "destroy", "2"), ("xl", "destroy", "3")]


async def test_a_key_pressed_twice_on_one_domain_opens_one_confirmation() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        burst(app, "p", "p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        await pilot.pause(0.3)
        await pilot.press("y")
        await wait_until(pilot, lambda: host.domains[1].paused, what="db1 paused")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
    assert rec.xl("pause") == [("xl", "pause", "1")]


async def test_the_actions_menu_says_which_keys_act_on_the_marked_domains() -> None:
    """With marks, p in the menu paused every marked domain while its header named only
    the one under the cursor ("Act on db1")."""
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        for name in ("web1", "idle1"):
            await mark(pilot, app, H, name)
        await select_domain(pilot, app, H, "db1")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionMenu), what="menu")
        header = str(app.screen.query_one(Static).render())
        assert "✓ 2 marked" in header
        for key in ("p", "d", "R", "D"):
            assert f" {key}" in header.split("marked", 1)[1]
        await pilot.press("p")
        screen = await wait_bulk(pilot, app)
        assert sorted(p.target for p in screen.plans) == [
            "idle1 (domid 2)", "web1 (domid 3)"]
    assert rec.xl("pause") == []
