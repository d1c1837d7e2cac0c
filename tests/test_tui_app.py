"""Pilot tests of the dashboard on synthetic snapshots (deterministic values and timing)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets._toast import Toast

from collectors.journal import Journal
from collectors.model import HostStatus
from tests.tui_fakes import (
    T0,
    FakePoller,
    fake_members,
    host_configs,
    host_name,
    make_snapshot,
    palette_pick,
    settings,
)
from tests.tui_fakes import wait_until as wait_for
from tui.app import XlTopApp, make_app
from tui.help import HelpScreen, help_sections, key_name_ok
from tui.messages import SnapshotsArrived
from tui.store import HostTotals
from tui.views.base import TextBar, ViewBar
from tui.views.domains import DomainsScreen
from tui.views.fleet import FLEET_COLUMNS, FleetScreen, states_text
from tui.views.fleet_sort import FLEET_SORTS, HostRow, sort_hosts
from tui.views.pinning import PinningScreen
from tui.widgets.key_scroll import KeyScroll
from tui.widgets.keyed_table import KeyedTable

SIZE = (160, 40)


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


wait_until = partial(wait_for, timeout=5.0)


def build(n_hosts: int = 3, clock: Clock | None = None, poll: bool = True,
          **kw: Any) -> XlTopApp:
    hosts = host_configs(n_hosts)
    return make_app(settings(**kw), hosts, members=fake_members(hosts), clock=clock or Clock(),
                    render_gap_s=0.0, poll=poll)


def poller(app: XlTopApp, i: int) -> FakePoller:
    p = app.members[i].poller
    assert isinstance(p, FakePoller)
    return p


async def feed(pilot: Pilot[Any], app: XlTopApp, tick: int, domains: int = 6,
               **kw: Any) -> None:
    """Push one snapshot per host and wait until the visible view rendered it."""
    before = app.store.version
    for i in range(len(app.members)):
        poller(app, i).push(make_snapshot(i, tick, domains, **kw))
    await wait_until(pilot, lambda: app.store.version >= before + len(app.members))
    app.sync_view()
    await pilot.pause()


async def fed_fleet(pilot: Pilot[Any], app: XlTopApp) -> FleetScreen:
    """The Fleet view once every host reported its first snapshot."""
    await feed(pilot, app, 0)
    fleet = app.screen
    assert isinstance(fleet, FleetScreen)
    return fleet


def domains_table(app: XlTopApp) -> KeyedTable[Any]:
    screen = app.screen
    assert isinstance(screen, DomainsScreen)
    return screen.table


async def to_domains(pilot: Pilot[Any], app: XlTopApp) -> DomainsScreen:
    await pilot.press("2")
    await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen) and app.screen.ready)
    screen = app.screen
    assert isinstance(screen, DomainsScreen)
    return screen


def names(table: KeyedTable[Any]) -> list[str]:
    return [k[1] for k in table.order]


async def test_starts_on_fleet_with_many_hosts_and_switches_views() -> None:
    app = build(3)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, FleetScreen)
        fleet = await fed_fleet(pilot, app)
        assert fleet.table.order == ["xen-prod-1", "xen-lab-2", "xen-lab-3"]
        await to_domains(pilot, app)
        assert len(domains_table(app).order) == 18
        await pilot.press("1")
        assert isinstance(app.screen, FleetScreen)


async def test_single_host_starts_on_domains() -> None:
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DomainsScreen)


async def test_sort_keys_and_reverse_and_header_click() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        # default: CPU% descending, Dom0s pinned at the top
        assert names(table)[:2] == ["Domain-0", "Domain-0"]
        rest = [app.store.domain(k) for k in table.order[2:]]
        cpus = [d.cpu_pct for d in rest if d is not None]
        assert cpus == sorted(cpus, reverse=True)
        await pilot.press("N")
        assert screen.sort_column == "name" and not screen.sort_reverse
        after_dom0 = names(table)[2:]
        assert after_dom0 == sorted(after_dom0, key=str.lower)
        await pilot.press("I")
        assert screen.sort_reverse
        assert names(table)[2:] == sorted(after_dom0, key=str.lower, reverse=True)
        await pilot.press("0")  # Dom0 no longer pinned: it sorts by name like the rest
        assert not screen.dom0_first
        assert "Domain-0" not in names(table)[:2]
        await pilot.press("greater_than_sign")
        assert screen.sort_column != "name"
        # clicking a header sorts by it; clicking it again reverses
        await pilot.click("#domains-table", offset=(2, 0))
        assert screen.sort_column == "host"
        first = screen.sort_reverse
        await pilot.click("#domains-table", offset=(2, 0))
        assert screen.sort_reverse is not first


async def test_filter_narrows_and_escape_clears() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        await pilot.press("slash")
        await pilot.press(*"state:p")
        table = domains_table(app)
        assert screen.filter.text == "state:p"
        assert all(app.store.domain(k).state.paused for k in table.order)  # type: ignore[union-attr]
        assert len(table.order) == 2
        await pilot.press("enter")
        assert table.has_focus
        await pilot.press("escape")
        assert screen.filter.text == "" and len(table.order) == 12


async def test_cursor_keeps_its_domain_across_refresh_resort_and_filter() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        await pilot.press("down", "down", "down")
        key = table.cursor_key
        assert key is not None and table.cursor_row == 3
        # new data moves every CPU%: the row moves, the cursor stays on the domain
        rows = {table.order.index(key)}
        for tick in (1, 2, 3, 4):
            await feed(pilot, app, tick)
            assert table.cursor_key == key
            rows.add(table.order.index(key))
        assert len(rows) > 1  # it really moved
        await pilot.press("N")
        assert table.cursor_key == key
        await pilot.press("I")
        assert table.cursor_key == key
        # a filter that hides it moves the cursor; relaxing the filter brings it back
        screen.set_filter("host:=nothing")
        assert table.cursor_key is None
        screen.set_filter("")
        assert table.cursor_key == key
        screen.set_filter(key[1])
        assert table.cursor_key == key


async def test_typing_a_filter_keeps_the_cursor_on_its_domain_when_the_result_shows_it() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        await pilot.press("down", "down", "down")
        key = table.cursor_key
        assert key is not None and key[0] == "xen-lab-2"
        # each key filters at once: a typo on the way shows other domains, not this one
        await pilot.press("slash", *"host:xen-pro")  # (xen-prod-1 and xen-lab-2)
        assert key not in table.order and table.cursor_key is not None
        await pilot.press(*["backspace"] * 3, *"lab")
        assert key in table.order and len(table.order) < 12
        assert table.cursor_key == key
        await pilot.press("enter")
        assert table.cursor_key == key and table.has_focus
        # Escape after a filter that hid it: back on it, the filter cancelled
        await pilot.press("slash", *"zzz")
        assert table.cursor_key is None
        await pilot.press("escape")
        assert screen.filter.text == "" and table.cursor_key == key


async def test_a_filter_that_hides_the_cursors_domain_puts_the_cursor_on_top() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        await pilot.press("down", "down", "down", "down")
        key = table.cursor_key
        assert key is not None and table.cursor_row == 4
        screen.set_filter(f"!host:={key[0]}")  # not the row that happens to be 5th now
        await pilot.pause()
        assert len(table.order) > 4 and table.cursor_row == 0
        assert table.cursor_key == table.order[0]


async def test_clearing_a_filter_keeps_the_domain_the_cursor_is_on() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        first = table.cursor_key
        assert first is not None
        screen.set_filter(f"!host:={first[0]}")  # hides the cursor's domain, shows others
        shown = table.cursor_key
        assert shown is not None and shown != first
        await pilot.press("down")
        picked = table.cursor_key
        screen.set_filter("")
        assert table.cursor_key == picked and table.cursor_row > 0


async def test_a_cursor_never_moved_keeps_the_filtered_domain_when_cleared() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        table = domains_table(app)
        last = table.order[-1]  # no key pressed: the cursor is on the top row
        assert table.cursor_row == 0 and table.cursor_key != last
        screen.set_filter(f"host:={last[0]} {last[1]}")
        await pilot.pause()
        assert table.cursor_key == last  # the only row left, under the cursor
        screen.set_filter("")  # as Escape does
        await pilot.pause()
        assert table.cursor_key == last and table.cursor_row == len(table.order) - 1
        await feed(pilot, app, 1)  # and the next refresh keeps it
        assert table.cursor_key == last


async def test_hidden_view_does_not_render_but_store_keeps_history() -> None:
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        domains = app.screen
        assert isinstance(domains, DomainsScreen)
        await pilot.press("1")
        syncs = domains.syncs
        updates = domains.table.updates
        for tick in (1, 2, 3):
            await feed(pilot, app, tick)
        assert domains.syncs == syncs and domains.table.updates == updates
        hist = app.store.history(("xen-prod-1", "vm-0-01", None))
        assert hist is not None and len(hist) == 4
        await pilot.press("2")
        await pilot.pause()
        assert domains.syncs > syncs  # caught up when shown


async def test_only_visible_rows_are_formatted_and_only_changed_cells_rerendered() -> None:
    app = build(4)
    async with app.run_test(size=(160, 20)) as pilot:
        await feed(pilot, app, 0, domains=50)
        await to_domains(pilot, app)
        table = domains_table(app)
        assert table.row_count == 200
        visible = table.size.height
        before = table.renders
        app.sync_view()
        app.screen.sync(force=True)  # type: ignore[attr-defined]
        assert table.renders - before <= visible + 1
        # identical data: nothing to re-render
        cells = table.cells_rendered
        app.screen.sync(force=True)  # type: ignore[attr-defined]
        assert table.cells_rendered == cells
        # new tick: some cells change, far fewer than all the visible cells
        await feed(pilot, app, 1, domains=50)
        changed = table.cells_rendered - cells
        assert 0 < changed < visible * len(table.columns)


async def test_unreachable_host_shows_why_while_others_keep_updating() -> None:
    clock = Clock()
    app = build(3, clock)
    async with app.run_test(size=SIZE) as pilot:
        fleet = await fed_fleet(pilot, app)
        clock.t = T0 + 1
        poller(app, 0).push(make_snapshot(0, 1))
        poller(app, 1).push(make_snapshot(1, 1))
        down = replace(make_snapshot(2, 1), status=HostStatus.UNREACHABLE,
                       message="xen-lab-3: [Errno 111] Connection refused")
        poller(app, 2).push(down)
        await wait_until(pilot, lambda: app.store.host("xen-lab-3").status  # type: ignore[union-attr]
                         is HostStatus.UNREACHABLE)
        app.sync_view()
        await pilot.pause()

        def row(host: str) -> list[str]:
            cells = fleet.row_cells(host)
            return [c if isinstance(c, str) else c.plain for c in cells]

        status = [c.key for c in FLEET_COLUMNS].index("status")

        assert row("xen-lab-3")[status] == "✖ down"
        assert "Connection refused" in row("xen-lab-3")[-1]
        assert row("xen-prod-1")[status] == "✔ ok"
        # the others keep updating; the quiet host turns stale with its age
        for tick in (2, 3, 4, 5, 6, 7):
            clock.t = T0 + tick
            poller(app, 0).push(make_snapshot(0, tick))
            await wait_until(pilot, lambda t=tick: app.store.host("xen-prod-1").seq == t + 1)  # type: ignore[union-attr]
        app.sync_view()
        await pilot.pause()
        assert app.store.host("xen-prod-1").seq == 8  # type: ignore[union-attr]
        assert row("xen-prod-1")[status] == "✔ ok"
        assert row("xen-lab-2")[status].startswith("◷ stale")
        assert row("xen-lab-2")[status].endswith("s")
        assert row("xen-prod-1")[-1] == ""  # ok, nothing missing: nothing to say
        # ok, but some of its numbers are missing: the Why column says which and why
        clock.t = T0 + 8
        snap = make_snapshot(0, 8)
        poller(app, 0).push(replace(snap, sources={
            **snap.sources, "error:xenstore": "xenstore-ls -f /local/domain did not finish "
            "within 30 s", "error:rings": "head: [red]x"}))
        await wait_until(pilot, lambda: app.store.host("xen-prod-1").seq == 9)  # type: ignore[union-attr]
        app.sync_view()
        await pilot.pause()
        assert row("xen-prod-1")[status] == "✔ ok"
        assert row("xen-prod-1")[-1] == ("⚠ xenstore: xenstore-ls -f /local/domain did not "
                                         "finish within 30 s (+1 more)")
        # and the attention lines above the table say it too (the Why column may be off
        # screen), after the hosts that are not ok
        shown = fleet.query_one("#fleet-attention", TextBar).shown
        assert shown is not None
        attention = shown.plain.splitlines()
        assert attention[0].startswith(" ◷ stale")
        # (the host's name is said once, though the message starts with it too)
        assert " ✖ down xen-lab-3: [Errno 111] Connection refused" in attention
        assert attention[-1] == (" ⚠ missing xen-prod-1: xenstore: xenstore-ls -f /local/domain "
                                 "did not finish within 30 s (+1 more)")


async def test_newer_snapshot_of_a_host_replaces_a_queued_older_one() -> None:
    app = build(2, poll=False)
    seen: list[int] = []
    async with app.run_test(size=SIZE, message_hook=lambda m: seen.append(1)
                            if isinstance(m, SnapshotsArrived) else None) as pilot:
        applied = []
        orig = app.store.apply

        def spy(snap: Any) -> bool:
            applied.append(snap.seq)
            return orig(snap)

        app.store.apply = spy  # type: ignore[method-assign]
        for t in range(5):
            app.deliver(make_snapshot(0, t))
            app.deliver(make_snapshot(1, t))
        await wait_until(pilot, lambda: app.store.version >= 1)
        await pilot.pause(0.05)
        assert applied == [5, 5]  # each host's four older snapshots never reached the store
        assert len(seen) == 1  # the burst of ten snapshots cost one message
        app.deliver(make_snapshot(0, 9))  # a later snapshot: a new message, applied
        await wait_until(pilot, lambda: applied == [5, 5, 10])
        assert len(seen) == 2


async def test_collector_crash_becomes_an_error_status() -> None:
    hosts = host_configs(1)
    members = fake_members(hosts)

    class Broken(FakePoller):
        async def snapshots(self):  # type: ignore[override]
            yield make_snapshot(0, 0)
            raise RuntimeError("parser exploded")

    members[0].poller = Broken("xen-prod-1")  # type: ignore[assignment]
    app = make_app(settings(), hosts, members=members, clock=Clock(), render_gap_s=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.store.host("xen-prod-1") is not None and
                         app.store.host("xen-prod-1").status is HostStatus.ERROR)  # type: ignore[union-attr]
        snap = app.store.host("xen-prod-1")
        assert snap is not None and "parser exploded" in (snap.message or "")


async def test_theme_switch_and_palette_follow() -> None:
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        table = (await to_domains(pilot, app)).table
        assert app.theme == "xltop-dark"
        dark_running = app.palette.state["running"]
        dark_bg = list(table.render_line(2))[0].style.bgcolor  # type: ignore[union-attr]
        app.set_theme("xltop-light")
        await pilot.pause()
        assert app.theme == "xltop-light"
        assert app.palette.state["running"] != dark_running
        # cells already on screen are repainted in the new theme
        light_bg = list(table.render_line(2))[0].style.bgcolor  # type: ignore[union-attr]
        assert light_bg != dark_bg
        state_cells = [table.render_line(y).text for y in range(1, 4)]
        assert any("●" in c or "○" in c or "‖" in c for c in state_cells)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme != "xltop-light" and app.theme.startswith("xltop-")


async def test_theme_from_settings_and_unknown_theme_falls_back() -> None:
    app = build(1, theme="xltop-high-contrast")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "xltop-high-contrast"
    app = build(1, theme="light")  # xltop's prefix may be left out
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "xltop-light"
    app = build(1, theme="nope")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "xltop-dark"
        assert [n.message for n in app._notifications] == [
            "unknown theme 'nope'; using xltop-dark (themes: colorblind, dark, "
            "high-contrast, light, mono)"]


async def test_an_unknown_theme_that_looks_like_markup_is_named_not_a_crash() -> None:
    # --theme '[/x]' (or theme = "[/x]" in the config) was a MarkupError traceback: the
    # warning naming it went to the toast as Textual markup
    app = build(1, theme="[/x]")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.2)
        assert app.theme == "xltop-dark"
        toasts = [str(t.render()) for t in app.screen.query(Toast)]
        assert any("unknown theme '[/x]'" in t for t in toasts), toasts


async def test_the_action_log_of_a_journal_whose_path_looks_like_markup(
        tmp_path: Path) -> None:
    # L with $XLTOP_JOURNAL (or $XDG_STATE_HOME) under a directory such as '[/x]' was a
    # MarkupError traceback: the path went into the box's title as Textual markup
    from tui.actions.log_screen import ActionLogScreen
    app = build(1)
    app.journal = Journal(tmp_path / "[b]x" / "[/x].jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionLogScreen))
        await pilot.pause(0.2)
        title = app.screen.query_one(KeyScroll).border_title
        assert title is not None and "[b]x" in Text.from_markup(title).plain
        assert "/[/x].jsonl" in Text.from_markup(title).plain


async def test_no_color_selects_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "xltop-mono"
        assert app.no_color


async def test_help_and_the_action_log_scroll_with_j_and_k() -> None:
    # j and k moved tables and trees but did nothing in the help (or the log), a long
    # page an operator reads with the same keys
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    from tui.actions.log_screen import ActionLogScreen

    app = build(1)
    async with app.run_test(size=(100, 20)) as pilot:
        for open_key, cls in (("question_mark", HelpScreen), ("L", ActionLogScreen)):
            await pilot.press(open_key)
            await pilot.pause()
            assert isinstance(app.screen, cls)
            box = app.screen.query_one(VerticalScroll)
            await pilot.pause()
            if isinstance(app.screen, ActionLogScreen):  # (long enough to scroll)
                log = app.screen
                await wait_for(pilot, lambda s=log: s.loaded > 0)
                log.query_one("#log-text", Static).update("line\n" * 100)
                await pilot.pause(0.2)
            assert box.max_scroll_y > 0 and box.scroll_y == 0
            await pilot.press("j", "j", "j")
            await pilot.pause(0.3)
            assert box.scroll_y > 0
            await pilot.press("k", "k", "k")
            await pilot.pause(0.3)
            assert box.scroll_y == 0
            await pilot.press("escape")
            await pilot.pause()


async def test_help_lists_every_binding_with_the_user_keymap() -> None:
    app = build(1, keys={"domains.filter": "f", "view.fleet": "F"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {bid: keys for _, section in help_sections(app) for keys, _, bid in section}
        assert rows["domains.filter"] == "f"
        assert rows["view.fleet"] == "F"
        for bid in ("app.help", "app.quit", "view.domains", "domains.reverse",
                    "domains.sort_cpu", "fleet.open", "domains.dom0_first"):
            assert bid in rows
        shown = str(app.screen.query_one("#help-text").render())
        assert "‖ paused" in shown and "† dying" in shown and "◷ stale" in shown  # symbols
        assert "state:p" in shown  # and the filter syntax
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        # the keymap really rebinds
        await pilot.press("F")
        assert isinstance(app.screen, FleetScreen)


async def test_enter_on_a_host_shows_its_domains() -> None:
    app = build(3)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen)
                         and app.screen.ready)
        table = domains_table(app)
        await pilot.pause()
        assert {k[0] for k in table.order} == {"xen-lab-2"}


# by its name, or by its letters in order ("vm204" is no substring of any name)
@pytest.mark.parametrize("query", ["vm-2-04", "vm204"])
async def test_palette_jumps_to_a_domain(query: str) -> None:
    app = build(3)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        await palette_pick(pilot, query)
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await pilot.pause()
        assert domains_table(app).cursor_key == ("xen-lab-3", "vm-2-04", None)


async def test_palette_ranks_a_domain_above_an_action_matching_loosely() -> None:
    # "ci2" is in "Action: CPU weight and cap (xl sched-credit2…)" letter by letter too:
    # Enter opened the sched form on the selected domain instead of going to ci-runner-02
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        poller(app, 0).push(make_snapshot(0, 0, names={3: "ci-runner-02"}))
        await wait_for(pilot, lambda: app.store.host(host_name(0)) is not None)
        await palette_pick(pilot, "ci2")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await pilot.pause()
        assert domains_table(app).cursor_key == (host_name(0), "ci-runner-02", None)


async def test_palette_finds_a_hostile_name_by_what_the_screen_shows() -> None:
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        poller(app, 0).push(make_snapshot(0, 0, names={3: "evil\x1b[2Jname"}))
        await wait_for(pilot, lambda: app.store.host(host_name(0)) is not None)
        await palette_pick(pilot, "x1b[2j")  # shown as evil\x1b[2Jname
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await pilot.pause()
        assert domains_table(app).cursor_key == (host_name(0), "evil\x1b[2Jname", None)


async def test_production_banner_follows_the_cursor() -> None:
    app = build(2)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        screen.set_filter("host:=xen-prod-1")
        await pilot.pause()
        banner = screen.query_one("#domains-banner")
        assert banner.has_class("-shown")
        assert "PROD" in str(banner.render())
        table_y = domains_table(app).region.y
        screen.set_filter("host:=xen-lab-2")
        await pilot.pause()
        # the line stays (the table does not jump), saying where the domain is, unmarked
        assert banner.has_class("-shown") and domains_table(app).region.y == table_y
        said = str(banner.render())
        assert "PROD" not in said and " is on xen-lab-2" in said


async def test_no_banner_line_in_a_fleet_without_marked_hosts() -> None:
    app = build(2)
    app.store.configs = {h: replace(c, production=False, banner=None)
                         for h, c in app.store.configs.items()}
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        await pilot.pause()
        assert not screen.query_one("#domains-banner").has_class("-shown")


async def test_hostile_names_render_literally() -> None:
    evil = "[red]x\x1b[2J\u202e[@click=app.quit]"
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0, names={1: evil})
        await to_domains(pilot, app)
        table = domains_table(app)
        key = ("xen-prod-1", evil, None)
        assert key in table.order
        table.move_cursor_to(key)
        await pilot.pause()
        row = table.order.index(key) + 1 - int(table.scroll_offset.y)
        line = table.render_line(row).text
        assert "[red]x\\x1b[2J\\u202e" in line
        assert "\x1b" not in line and "\u202e" not in line
        # the app is still running: the click markup was not turned into an action
        await pilot.click("#domains-table", offset=(30, row))
        assert app.is_running


class FakeDetail(Screen[None]):
    """Stands in for the detail view a later change registers."""

    def __init__(self, key: Any) -> None:
        super().__init__()
        self.key = key


async def test_selected_domain_follows_the_cursor_and_enter_opens_detail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        screen = await to_domains(pilot, app)
        await pilot.press("down", "down")
        d = app.selected_domain()
        assert d is not None and (d.host, d.name, None) == screen.table.cursor_key
        # with no detail view registered, Enter says so instead of failing
        monkeypatch.setattr("tui.views.DOMAIN_DETAIL_SCREEN", None)
        await pilot.press("enter")
        assert isinstance(app.screen, DomainsScreen)
        monkeypatch.setattr("tui.views.DOMAIN_DETAIL_SCREEN", "tests.test_tui_app:FakeDetail")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FakeDetail)
        assert app.screen.key == screen.table.cursor_key
        app.pop_screen()
        await pilot.press("1")
        assert app.selected_domain() is None


async def test_fleet_sorts_worst_first_by_any_column_and_back_to_configured() -> None:
    clock = Clock()
    app = build(3, clock)
    async with app.run_test(size=SIZE) as pilot:
        fleet = await fed_fleet(pilot, app)
        configured = ["xen-prod-1", "xen-lab-2", "xen-lab-3"]
        assert fleet.table.order == configured
        clock.t = T0 + 1
        poller(app, 0).push(make_snapshot(0, 1))
        poller(app, 1).push(replace(make_snapshot(1, 1), status=HostStatus.UNREACHABLE,
                                    message="connection refused", domains=()))
        poller(app, 2).push(make_snapshot(2, 1, domains=9))
        await wait_until(pilot, lambda: app.store.version >= 6)
        app.sync_view()
        await pilot.press("S")  # worst first, ties in the configured order
        assert fleet.table.order == ["xen-lab-2", "xen-prod-1", "xen-lab-3"]
        assert fleet.table.sort_column == "status" and fleet.table.sort_reverse
        await pilot.press("I")
        assert fleet.table.order == ["xen-prod-1", "xen-lab-3", "xen-lab-2"]
        fleet.action_sort_by("domains")  # biggest first; the host that is down has none
        await pilot.pause()
        assert fleet.table.order[:2] == ["xen-lab-3", "xen-prod-1"]
        await pilot.press("I")
        assert fleet.table.order == ["xen-prod-1", "xen-lab-3", "xen-lab-2"]  # unknown last
        await pilot.press("less_than_sign")  # the column before Doms: Status
        assert fleet.sort_column == "status"
        await pilot.press("H")
        assert fleet.table.order == configured and fleet.table.sort_column is None
        await pilot.click("#fleet-table", offset=(25, 0))  # the Status header
        assert fleet.sort_column == "status" and fleet.table.order[0] == "xen-lab-2"
        await pilot.click("#fleet-table", offset=(25, 0))  # again: reversed
        assert fleet.table.order[-1] == "xen-lab-2"


def test_a_hosts_crashed_and_dying_counts_fit_its_state_cell() -> None:
    # a host of every state: the cell is cut at its width, and what needs a look leads
    states = {"running": 10, "blocked": 23, "runnable": 24, "paused": 1, "shutdown": 1,
              "crashed": 1, "dying": 2}
    width = next(c.width for c in FLEET_COLUMNS if c.key == "states")
    shown = states_text(states, make_app(settings(), []).palette).plain[:width]
    assert shown.startswith("✖1 †2 ") and "‖1" in shown, shown


def test_fleet_sort_values_unknown_last_both_ways() -> None:
    rows = [HostRow("a", None, None, None, "waiting"),
            HostRow("b", None, None, HostTotals(8, 4, 1.0, 4096, 100, {}), "ok"),
            HostRow("c", None, None, HostTotals(16, 4, 1.0, 8192, 2048, {"crashed": 1}), "ok")]
    assert sort_hosts(rows, "mem_free", True) == ["c", "b", "a"]
    assert sort_hosts(rows, "mem_free", False) == ["b", "c", "a"]
    assert sort_hosts(rows, "states", True) == ["c", "b", "a"]
    assert sort_hosts(rows, "status", True) == ["a", "b", "c"]
    assert set(FLEET_SORTS) == {c.key for c in FLEET_COLUMNS}


async def test_a_bad_keymap_is_reported_at_start() -> None:
    app = build(1, keys={"domain.pause": "j", "nonexistent.id": "z"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert "[keys]: no binding called nonexistent.id (? lists the ids)" in said
        assert any(m.startswith("[keys]: one key for two bindings: j (domain.pause, ")
                   and "table.down" in m for m in said), said
        assert not any(n.markup for n in app._notifications)  # "[keys]" shown, not markup
    # which file they are in is said (the title), as the config's other errors say it
    app = build(1, keys={"nonexistent.id": "z"}, config_path=Path("/etc/x[b]/config.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [n.title for n in app._notifications if "[keys]" in n.message] == [
            "key bindings in /etc/x[b]/config.toml"]
    # a key another binding had: Textual takes it from that one, which is said
    app = build(1, keys={"domain.pause": "s"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert ("[keys]: these bindings lost their key to another one: domain.save (s)"
                in said), said
    app = build(1, keys={"domain.pause": "f5"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not [n for n in app._notifications if "[keys]" in n.message]
    # a name no key press ever matches: the binding would silently answer to nothing
    app = build(1, keys={"domain.pause": "notakey!!", "domain.save": "F5, ctrl+shift+s"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert ("[keys]: not a key name: domain.pause = 'notakey!!', domain.save = 'F5' "
                "(a character, or a name like f5, pageup, ctrl+x)") in said, said
        # and is not applied: the binding keeps its default key, or its other keys given
        keys = {k: a.binding.id for k, a in app.screen.active_bindings.items()}
        assert keys.get("p") == "domain.pause"
        assert "notakey!!" not in keys and "F5" not in keys
        assert keys.get("ctrl+shift+s") == "domain.save" and "s" not in keys


def test_key_names_a_key_press_can_match() -> None:
    good = ["a", "P", "+", "?", "é", "f5", "pageup", "space", "escape", "ctrl+x",
            "ctrl+shift+up", "plus", "question_mark", "full_stop", "ctrl+plus"]
    bad = ["", " ", "notakey!!", "Escape", "F5", "ctrl+", "ctrl+ctrl+a", "cmd+a", "null"]
    assert [k for k in good if not key_name_ok(k)] == []
    assert [k for k in bad if key_name_ok(k)] == []


async def test_pinning_map_of_a_host_never_reached_counts_nothing() -> None:
    clock = Clock()
    app = build(2, clock)
    async with app.run_test(size=SIZE) as pilot:
        await fed_fleet(pilot, app)
        never = replace(make_snapshot(1, 1), status=HostStatus.UNREACHABLE, info=None,
                        vcpus=(), domains=(), message="xen-lab-2: connection refused")
        poller(app, 1).push(never)
        await wait_for(pilot, lambda: app.store.host("xen-lab-2").status  # type: ignore[union-attr]
                       is HostStatus.UNREACHABLE)
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, PinningScreen))
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        screen.show_host("xen-lab-2")
        await pilot.pause(0.1)
        shown = screen.query_one("#pinning-info", TextBar).shown
        assert shown is not None and "✖ down" in shown.plain
        # unknown is not zero: no "0 pCPUs  0 vCPUs online" for a host that never answered
        assert "pCPUs" not in shown.plain and "vCPUs online" not in shown.plain


async def test_ctrl_r_asks_every_host_again_and_says_so() -> None:
    app = build(3)
    async with app.run_test(size=SIZE) as pilot:
        await fed_fleet(pilot, app)
        before = [poller(app, i).refreshes for i in range(3)]
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert [poller(app, i).refreshes for i in range(3)] == [n + 1 for n in before]
        assert any(n.message == "asking 3 hosts again now (every source)"
                   for n in app._notifications)


async def test_a_rebound_view_key_is_the_one_the_view_bar_shows() -> None:
    app = build(1, keys={"view.host": "f6"})
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        app.sync_view()
        await pilot.pause()
        bar = app.screen.query_one(ViewBar).shown
        assert bar is not None and " f6 Host " in bar.plain and " 6 Host " not in bar.plain
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.current_mode == "host")


async def test_cells_keep_their_theme_colours() -> None:
    """A cell made as Text(..., style=X) with no spans keeps X (Rich's Text.render drops
    a span-less Text's base style): states, the host accent, the Fleet status."""
    app = build(2, poll=True)
    async with app.run_test(size=SIZE) as pilot:
        await feed(pilot, app, 0)
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        ok = app.palette.status["ok"].color
        fleet_segs = [s for y in range(2, 3) for s in fleet.table.render_line(y)]
        assert any("ok" in s.text and s.style and s.style.color == ok for s in fleet_segs)
        table = (await to_domains(pilot, app)).table
        # every row but the cursor's (its style is the cursor's)
        segs = [s for y in range(2, 1 + len(table.order)) for s in table.render_line(y)]
        for state in ("running", "blocked", "paused"):
            want = app.palette.state[state].color
            assert want is not None
            cells = [s for s in segs if state in s.text]
            assert cells, state
            assert all(s.style and s.style.color == want for s in cells), (state, cells)
        red = app.palette.accent["red"]
        prod = [s for s in segs if "xen-prod-1" in s.text]
        assert prod and all(s.style and s.style.color == red.color and s.style.bold
                            for s in prod)


async def test_the_palettes_theme_command_offers_only_xltops_themes() -> None:
    """Textual's own themes (nord, dracula…) lack xltop's state, status and ring colours:
    neither the palette's "Theme" command nor its "Theme:" entries offer them."""
    from textual.command import CommandList, CommandPalette

    app = build(1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "nord" in app.available_themes  # still registered by Textual
        app.action_change_theme()  # what the palette's "Theme" command runs
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette)
                         and bool(app.screen.query(CommandList)))
        results = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: results.option_count > 0)
        await pilot.pause(0.3)
        shown = [str(results.get_option_at_index(i).prompt)
                 for i in range(results.option_count)]
        assert shown == app.xltop_themes and "nord" not in shown
        await pilot.press(*"light", "enter")
        await wait_until(pilot, lambda: app.theme == "xltop-light")
        await pilot.press("ctrl+p")
        await pilot.press(*"theme")
        await pilot.pause(0.5)
        results = app.screen.query_one(CommandList)
        prompts = [str(results.get_option_at_index(i).prompt)
                   for i in range(results.option_count)]
        assert not any("nord" in p or "dracula" in p for p in prompts), prompts


async def test_a_textual_theme_in_the_config_is_refused() -> None:
    app = build(1, theme="nord")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "xltop-dark"
        assert [n.message for n in app._notifications][0].startswith("unknown theme 'nord'")
