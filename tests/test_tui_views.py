"""Pilot tests of the domain detail, vCPU pinning map, rings, XenStore and host views, on
the simulated demo fleet (fixed seed, frozen clock) and on synthetic snapshots."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import RichLog, TabbedContent, Tree
from textual.widgets.tree import TreeNode

from collectors.model import Device, DeviceKind, HostSnapshot, RingStats, VcpuState
from collectors.sim import xenstore_tree
from collectors.sim.fleet import make_fleet
from tests.tui_fakes import fake_members, host_configs, make_snapshot, settings, wait_until
from tests.tui_views_support import (
    CountingRunner,
    big_host_recording,
    frozen_app,
    live_members,
    screen_text,
)
from tui.app import XlTopApp, make_app
from tui.demo import DEMO_START, DemoRecording, record_demo
from tui.format import DASH, fmt_bytes, fmt_cpu_time
from tui.pinning_model import MARK_SYMBOLS, Mark
from tui.ring_watch import device_pressure
from tui.text import visible
from tui.views.base import TextBar
from tui.views.domain_detail import DomainDetailScreen
from tui.views.domains import DomainsScreen
from tui.views.host import HostScreen
from tui.views.per_host import HostChoices, PerHostView
from tui.views.pinning import PinningScreen
from tui.views.rings import RingsScreen
from tui.views.xenstore import XenstoreScreen, child_order
from tui.widgets.history_chart import HistoryChart, known_runs, nice_top
from tui.widgets.keyed_table import KeyedTable

SIZE = (160, 45)
HOSTILE = "xen-lab-02"  # the demo host with guests named [red]x, evil\x1b[2Jname, ...


@pytest.fixture(scope="module")
def demo() -> DemoRecording:
    return asyncio.run(record_demo(hosts=3, domains=8, seed=0))


@pytest.fixture(scope="module")
def big() -> DemoRecording:
    return asyncio.run(big_host_recording())[0]



async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def last(rec: DemoRecording, host: str) -> HostSnapshot:
    return [s for s in rec.snapshots if s.host == host][-1]


def plain(node: TreeNode[Any]) -> str:
    label = node.label
    return label.plain if isinstance(label, Text) else str(label)


def seq_is(app: XlTopApp, host: str, seq: int) -> Callable[[], bool]:
    def check() -> bool:
        snap = app.store.host(host)
        return snap is not None and snap.seq == seq
    return check


def tree_labels(tree: Tree[Any]) -> list[str]:
    out: list[str] = []

    def walk(node: TreeNode[Any]) -> None:
        for child in node.children:
            out.append(plain(child))
            walk(child)

    walk(tree.root)
    return out


def runner(app: XlTopApp, host: str) -> CountingRunner:
    r = next(m.runner for m in app.members if m.config.name == host)
    assert isinstance(r, CountingRunner)
    return r


async def open_detail(pilot: Pilot[Any], app: XlTopApp, name: str) -> DomainDetailScreen:
    key = next(k for k, d in app.store.domains() if d.name == name)
    app.open_domain(key)
    await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen)
                     and app.screen.ready)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, DomainDetailScreen)
    return screen


@asynccontextmanager
async def detail_fetching(demo: DemoRecording, name: str
                          ) -> AsyncIterator[tuple[Pilot[Any], XlTopApp,
                                                   DomainDetailScreen, CountingRunner]]:
    """The detail of ``name`` on a live (counting) HOSTILE host: the pilot, the app, the
    screen and the runner that counts what the tabs fetch."""
    app = frozen_app(demo, "domains", members=live_members(demo, counting=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, name)
        yield pilot, app, detail, runner(app, HOSTILE)


# --- domain detail ------------------------------------------------------------------------


async def test_enter_opens_the_detail_and_escape_goes_back(demo: DemoRecording) -> None:
    app = frozen_app(demo, "domains")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        domains = app.screen
        assert isinstance(domains, DomainsScreen)
        await pilot.press("down", "down", "down")
        key = domains.table.cursor_key
        assert key is not None
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen
        assert isinstance(detail, DomainDetailScreen)
        assert detail.key == key
        d = detail.selected_domain()
        assert d is not None and d.name == key[1]
        await settle(pilot)
        header = screen_text(app).split("\n")[1]
        assert key[1] in header
        assert f" {d.state.flags} " in header  # xl's six flags, beside the state's name
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        assert app.screen is domains
        assert isinstance(domains, DomainsScreen) and domains.table.cursor_key == key


@pytest.mark.parametrize(("size", "net_title"), [((80, 24), " Network  "),
                                                  ((160, 50), " Network (guest's view)  ")])
async def test_detail_fits_80_columns(demo: DemoRecording, size: tuple[int, int],
                                      net_title: str) -> None:
    app = frozen_app(demo, "domains")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        d = next(d for _, d in app.store.domains()
                 if d.uptime_s is not None and d.mem_kib and d.nets and d.vbds)
        await open_detail(pilot, app, d.name)
        lines = screen_text(app).split("\n")
        assert lines[0].startswith(" xltop ")  # nothing scrolled off the top
        assert d.name in lines[1] and " up " in lines[1]
        numbers = lines[2]  # the numbers on a line of their own, not cut
        assert numbers.startswith(" vCPUs ") and " time " in numbers and "…" not in numbers
        net = next(line for line in lines if "RX" in line and "TX" in line)
        assert net.startswith(net_title) and "…" not in net.split("Disk")[0]


async def test_detail_header_cuts_a_long_name_not_the_host_after_it(
        demo: DemoRecording) -> None:
    # at 80 columns a 45-character name pushed the host, type and uptime off the first
    # line ("domid 14 on x…"): which host the domain is on is what must stay
    app = frozen_app(demo, "domains")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        d = next(d for _, d in app.store.domains() if len(d.name) > 40)
        await open_detail(pilot, app, d.name)
        await pilot.pause(1.2)  # the next render knows the bar's width
        line = screen_text(app).split("\n")[1]
        assert f"domid {d.domid} on {d.host}" in line and " up " in line, line
        assert d.name[:16] in line and "…" in line, line
    app = frozen_app(demo, "domains")
    async with app.run_test(size=(160, 50)) as pilot:  # room for all of it: not cut
        await settle(pilot)
        await open_detail(pilot, app, d.name)
        await pilot.pause(1.2)
        line = screen_text(app).split("\n")[1]
        assert f"{d.name}  domid {d.domid} on {d.host}" in line, line


async def test_detail_charts_are_present_themed_and_follow_the_theme(
        demo: DemoRecording) -> None:
    app = frozen_app(demo, "domains")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, "mq-02")
        charts = {c.id: c for c in detail.query(HistoryChart)}
        assert set(charts) == {"chart-cpu", "chart-mem", "chart-net", "chart-disk"}
        hist = app.store.history(detail.key)
        assert hist is not None and len(hist) == 6
        cpu = charts["chart-cpu"].plot
        times = hist.times()
        assert cpu.xs == [t - times[-1] for t in times] and cpu.xs[0] < 0
        dark = Color.parse(app.theme_variables["chart-cpu"]).rgb
        assert cpu.series_colors == [dark]
        net = charts["chart-net"].plot
        assert net.series_colors == [Color.parse(app.theme_variables[v]).rgb
                                     for v in ("chart-net-in", "chart-net-out")]
        # drawn with that colour, at the widget's size
        rendered = cpu.render()
        assert isinstance(rendered, Text)
        rows = rendered.plain.rstrip("\n").split("\n")
        assert len(rows) == cpu.size.height and len(rows[0]) == cpu.size.width
        colours = {tuple(s.style.color.triplet) for s in rendered.spans
                   if isinstance(s.style, Style) and s.style.color and s.style.color.triplet}
        assert tuple(dark) in colours
        # the legend shows the latest value
        d = app.store.domain(detail.key)
        assert d is not None and d.cpu_pct is not None
        assert f"cpu {d.cpu_pct:.0f}%" in screen_text(app)
        app.theme = "xltop-light"
        await pilot.pause()
        light = Color.parse(app.theme_variables["chart-cpu"]).rgb
        assert light != dark and cpu.series_colors == [light]
        # resized with the widget
        before = cpu.size
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        assert cpu.size.width > before.width and cpu.size.height > before.height
        rows = cpu.render().plain.rstrip("\n").split("\n")  # type: ignore[union-attr]
        assert len(rows) == cpu.size.height and len(rows[0]) == cpu.size.width
        # a chart of one row (80×24) labels it with its scale's top, every chart alike
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        for chart in charts.values():
            plot = chart.plot
            rows = plot.render().plain.rstrip("\n").split("\n")  # type: ignore[union-attr]
            labels = [r.split("┤")[0].strip() for r in rows if "┤" in r]
            if plot.size.height < 6:
                assert len(labels) == 1 and labels[0] not in ("0", ""), (chart.id, rows)


async def test_detail_rates_of_a_domain_without_devices_are_unknown_not_zero(
        demo: DemoRecording) -> None:
    """Domain-0 has no vif or vbd: the Domains table shows '-' for its rates; so do the
    detail's legends, and its charts draw no line at a made-up 0 ('no data')."""
    app = frozen_app(demo, "domains")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dom0 = next(d for _, d in app.store.domains() if d.domid == 0)
        assert dom0.nets == 0 and dom0.vbds == 0 and dom0.net_tx_rate == 0
        detail = await open_detail(pilot, app, dom0.name)
        text = screen_text(app)
        assert "RX - " in text and "TX -" in text
        assert "read - " in text and "write -" in text
        for chart in ("#chart-net", "#chart-disk"):
            plot = detail.query_one(chart, HistoryChart).plot
            assert plot.plotted == 0
            assert "no data" in plot.render().plain  # type: ignore[union-attr]
        assert detail.query_one("#chart-cpu", HistoryChart).plot.plotted > 0


def test_a_chart_leaves_a_gap_where_values_are_unknown() -> None:
    nan = math.nan
    runs = known_runs([-5, -4, -3, -2, -1, 0], [1.0, 2.0, nan, nan, 3.0, 4.0], 100)
    assert runs == [([-5, -4], [1.0, 2.0]), ([-1, 0], [3.0, 4.0])]
    assert known_runs([-1, 0], [nan, nan], 100) == []


def three_ticks_app() -> XlTopApp:
    """One fake host with three snapshots already in, its Domains view first, the clock
    frozen and no poller (the test delivers what comes next)."""
    hosts = host_configs(1)
    return make_app(settings(), hosts, members=fake_members(hosts), poll=False,
                    preload=[make_snapshot(0, t) for t in range(3)], initial_view="domains",
                    render_gap_s=0.0, clock=lambda: 1_700_000_010.0)


async def test_detail_charts_redraw_when_a_snapshot_arrives_not_on_a_timer() -> None:
    app = three_ticks_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, "vm-0-01")
        plot = detail.query_one("#chart-cpu", HistoryChart).plot
        before = plot.replots
        assert len(plot.xs) == 3
        await pilot.pause(2.5)  # the app's 1 s tick runs: no new data, no redraw
        assert plot.replots == before
        app.deliver(make_snapshot(0, 3))
        await wait_until(pilot, lambda: len(plot.xs) == 4)
        assert plot.replots == before + 1
        assert plot.ys[0][-1] == make_snapshot(0, 3).domains[1].cpu_pct


async def test_detail_header_of_a_domain_gone_with_an_unknown_cpu_says_cpu_dash_not_dash_pct(
        ) -> None:
    """A destroyed domain still open in detail showed 'CPU -%'."""
    app = three_ticks_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, "vm-0-01")
        assert " CPU -" not in screen_text(app).split("\n")[2]  # known: a number and '%'
        last_row = make_snapshot(0, 3)  # its last row: xentop gave no CPU%
        doms = tuple(replace(d, cpu_pct=None) if d.name == "vm-0-01" else d
                     for d in last_row.domains)
        app.deliver(replace(last_row, domains=doms))
        await wait_until(pilot, lambda: detail.domain is not None
                         and detail.domain.cpu_pct is None)
        gone = make_snapshot(0, 4)
        app.deliver(replace(gone, domains=tuple(d for d in gone.domains
                                                if d.name != "vm-0-01")))
        await wait_until(pilot, lambda: detail.gone)
        await settle(pilot)
        numbers = screen_text(app).split("\n")[2]
        assert " CPU - " in numbers and "-%" not in numbers, numbers


async def test_detail_shows_the_domains_vcpus_and_devices(demo: DemoRecording) -> None:
    app = frozen_app(demo, "domains")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, "mq-02")
        snap = last(demo, HOSTILE)
        d = snap.domain("mq-02")
        assert d is not None
        vcpus = [v for v in snap.vcpus if v.domid == d.domid]
        table = detail.query_one("#detail-vcpus", KeyedTable)
        assert table.order == [v.vcpu for v in vcpus]
        text = screen_text(app)
        for v in vcpus:
            assert v.state is not None
            assert f"{v.state.value}" in text
            assert fmt_cpu_time(v.time_s) in text  # h:mm:ss, as the domain's own time
        await pilot.press("right_square_bracket")
        await settle(pilot)
        devices = [x for x in snap.devices if x.domid == d.domid]
        dev_table = detail.query_one("#detail-devices", KeyedTable)
        assert sorted(dev_table.order) == sorted(x.key for x in devices)
        text = screen_text(app)
        assert "vif1.0" in text and "Connected/Connected" in text
        assert "? blkback: no indices" in text  # a vbd says why, not 0
        assert detail.selected_device() is not None


async def test_detail_config_and_xenstore_are_fetched_on_demand(demo: DemoRecording) -> None:
    async with detail_fetching(demo, "[red]x") as (pilot, _, detail, r):
        assert r.calls == 0  # nothing fetched until a tab asks
        domid = detail.domain.domid if detail.domain else None
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert r.runs == [("xl", "list", "-l", str(domid))]
        labels = tree_labels(detail.query_one("#detail-config", Tree))
        assert 'name: "[red]x"' in labels
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert r.runs[-1] == ("xenstore-ls", "-f", f"/local/domain/{domid}")
        labels = tree_labels(detail.query_one("#detail-xenstore", Tree))
        assert 'name = "[red]x"' in labels and f'domid = "{domid}"' in labels
        await pilot.press("left_square_bracket")  # back to config: already loaded
        await settle(pilot)
        assert r.calls == 2
        await pilot.press("r")
        await settle(pilot)
        assert r.calls == 3 and r.runs[-1][:3] == ("xl", "list", "-l")


async def test_detail_reload_key_is_shown_only_on_the_tabs_it_reloads(
        demo: DemoRecording) -> None:
    """The footer said "r Reload tab" on vCPUs and Devices, where r did nothing."""
    async with detail_fetching(demo, "mq-02") as (pilot, app, detail, r):

        def footer() -> str:
            return screen_text(app).split("\n")[-1]

        for _ in ("tab-vcpus", "tab-devices"):
            assert "Reload tab" not in footer()
            assert detail.check_action("reload", ()) is False
            await pilot.press("r")
            await settle(pilot)
            assert r.calls == 0
            await pilot.press("right_square_bracket")
            await settle(pilot)
        for tab in ("tab-config", "tab-xenstore", "tab-logs"):
            assert detail.query_one("#detail-tabs", TabbedContent).active == tab
            assert "Reload tab" in footer(), footer()
            calls = r.calls
            await pilot.press("r")
            await settle(pilot)
            assert r.calls == calls + 1
            await pilot.press("right_square_bracket")
            await settle(pilot)
        assert "Reload tab" not in footer()  # round again to vCPUs


async def test_detail_logs_are_fetched_on_demand_and_shown_literally(
        demo: DemoRecording) -> None:
    async with detail_fetching(demo, "evil\x1b[2Jname") as (pilot, _, detail, r):
        domid = detail.domain.domid if detail.domain else None
        await pilot.press("left_square_bracket")  # from the first tab to the last: Logs
        await settle(pilot)
        name = "evil\x1b[2Jname"
        assert r.runs == [("tail", "-n", "60", "--", f"/var/log/xen/xl-{name}.log.1",
                           f"/var/log/xen/xl-{name}.log", f"/var/log/xen/xl-{name}--incoming.log.1",
                           f"/var/log/xen/xl-{name}--incoming.log",
                           f"/var/log/xen/qemu-dm-{name}.log")]
        labels = tree_labels(detail.query_one("#detail-logs", Tree))
        shown = "evil\\x1b[2Jname"  # the escape made visible, never sent to the terminal
        assert f"/var/log/xen/xl-{shown}.log" in labels
        assert any(label.startswith(f"Waiting for domain {shown} (domid {domid}) to die")
                   for label in labels), labels
        assert "not read: No such file or directory" in labels  # .log.1 and qemu-dm
        await pilot.press("r")
        await settle(pilot)
        assert r.calls == 2 and r.runs[-1][0] == "tail"


async def test_detail_without_a_connection_says_so_in_place(demo: DemoRecording) -> None:
    app = frozen_app(demo, "domains")  # a replay: no runners
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, app, "mq-02")
        await pilot.press("left_square_bracket", "left_square_bracket")  # logs, XenStore
        await settle(pilot)
        for tree in ("#detail-logs", "#detail-xenstore"):
            labels = tree_labels(detail.query_one(tree, Tree))
            assert labels == ["⚠ no connection to this host (replayed data)"]


async def test_detail_asks_its_host_for_rings_while_shown() -> None:
    hosts = host_configs(2)
    app = make_app(settings(), hosts, members=fake_members(hosts), poll=False,
                   preload=[make_snapshot(i, 0) for i in range(2)], initial_view="domains",
                   clock=lambda: 1_700_000_000.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first, second = (m.poller for m in app.members)
        first.demand.clear()  # type: ignore[attr-defined]
        await open_detail(pilot, app, "vm-0-01")
        assert first.demand[-1] is True  # type: ignore[attr-defined]
        assert True not in second.demand  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        await pilot.pause()
        assert first.demand[-1] is False  # type: ignore[attr-defined]


# --- vCPU pinning map ------------------------------------------------------------------------


def grid_lines(screen: PinningScreen) -> list[str]:
    grid = screen.grid
    return [grid.render_line(y).text for y in range(grid.scrollable_content_region.height)]


async def test_pinning_header_labels_keep_the_header_style(demo: DemoRecording) -> None:
    """The label column of the header rows ('pCPU', 'allowed', 'now') is drawn in the
    header's style, as the pCPU numbers beside it (Text.render dropped it: no spans)."""
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        grid = screen.grid
        header = grid.get_component_rich_style("pinning-grid--header")
        assert header.bgcolor is not None
        for y in range(grid.header_h):
            label = [s for s in grid.render_line(y)
                     if s.text.strip().startswith(("pCPU", "allowed", "now"))]
            for s in label:
                assert s.style is not None and s.style.bgcolor == header.bgcolor, (y, s)
        assert sum(1 for y in range(grid.header_h) for s in grid.render_line(y)
                   if s.text.strip() == "now") == 1


async def test_pinning_map_marks_match_the_snapshot(demo: DemoRecording) -> None:
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        await pilot.press("right_square_bracket")  # to xen-lab-02: pinned and soft vCPUs
        await settle(pilot)
        snap = last(demo, HOSTILE)
        grid = screen.grid
        assert grid.model is not None and grid.model.host == HOSTILE
        assert grid.model.keys == sorted(v.key for v in snap.vcpus)
        lines = grid_lines(screen)
        seen = {Mark.RUNNING: 0, Mark.HARD: 0, Mark.SOFT: 0, Mark.NONE: 0}
        for i, v in enumerate(grid.model.rows[: len(lines) - grid.header_h]):
            line = lines[grid.header_h + i]
            cells = line[grid.label_w:]
            stopped = grid.model.is_stopped(v)
            for p in range(grid.model.pcpus):
                ch = cells[grid.col_x(p)]
                if v.state is VcpuState.OFFLINE:
                    continue
                if v.cpu == p and stopped and v.state is not VcpuState.RUNNING:
                    expected = Mark.PAUSED
                elif v.cpu == p and v.state is VcpuState.RUNNING:
                    expected = Mark.RUNNING
                elif v.cpu == p and v.state is VcpuState.BLOCKED:
                    expected = Mark.BLOCKED
                elif v.cpu == p and v.state is VcpuState.RUNNABLE:
                    expected = Mark.RUNNABLE
                elif not v.hard.contains(p):
                    expected = Mark.NONE
                elif v.soft is not None and not v.soft.all and p in v.soft.cpus:
                    expected = Mark.SOFT
                else:
                    expected = Mark.HARD
                assert ch == MARK_SYMBOLS[expected], (v.key, p, line)
                if expected in seen:
                    seen[expected] += 1
        assert all(seen.values()), seen  # running, allowed, soft and not-allowed all drawn
        # per-pCPU totals in the header rows
        m = grid.model
        now_row = lines[grid.header_h - 1]
        assert now_row[grid.label_w - 4: grid.label_w - 1] == "now"
        assert [now_row[grid.label_w + grid.col_x(p)] for p in range(m.pcpus)] == [
            str(n) for n in m.now]
        assert sum(m.now) == sum(1 for v in snap.vcpus if v.state is VcpuState.RUNNING or (
            v.state is VcpuState.RUNNABLE and not m.is_stopped(v)))


async def test_every_row_of_the_allowed_counts_is_labelled_with_its_place(
        demo: DemoRecording) -> None:
    """xen-prod-03 allows 16 vCPUs on pCPU 0: the allowed counts take two header rows, and
    the tens row ("1 2 2 1") had no label while "allowed" stood beside the ones row
    ("allowed 6 7 7 6"), next to "now 3 2 * 5" where * means 10+: people read 6, not 16.
    Each row now says its place (tens, ones) and the legend says the digits read down."""
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        grid = screen.grid
        m = grid.model
        assert m is not None and m.host == "xen-prod-03"
        assert max(m.may) >= 10 and grid.may_digits == 2
        lines = grid_lines(screen)
        d = grid.digits
        labels = [lines[y][:grid.label_w].strip() for y in range(grid.header_h)]
        assert labels[d:] == ["allowed tens", "allowed ones", "now"], labels
        for p in range(m.pcpus):
            tens, ones = (lines[d + i][grid.label_w + grid.col_x(p)] for i in (0, 1))
            assert (tens + ones).strip() == str(m.may[p])
        assert "allowed: vCPUs allowed (digits top-down)" in screen_text(app)


async def test_vcpus_of_a_crashed_or_paused_domain_are_not_queued(demo: DemoRecording) -> None:
    """xen-prod-01: proxy-01 crashed and vcpu-list prints its vCPU 1 as ``---`` on pCPU
    14 (Xen pauses a crashed domain's vCPUs without marking them blocked). The header said
    "1 pCPU with vCPUs queued" and the now row counted it; it is shown as paused (‖), not
    counted, and the detail's vCPUs tab does not call it runnable either."""
    snap = last(demo, "xen-prod-01")
    proxy = next(d for d in snap.domains if d.name == "proxy-01")
    assert proxy.state.crashed
    v1 = next(v for v in snap.vcpus if v.domid == proxy.domid and v.vcpu == 1)
    assert v1.state is VcpuState.RUNNABLE and v1.cpu is not None
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        grid = screen.grid
        m = grid.model
        assert m is not None and m.host == "xen-prod-01"
        assert m.now[v1.cpu] == sum(1 for v in snap.vcpus if v.cpu == v1.cpu
                                    and v.state is VcpuState.RUNNING)
        text = screen_text(app)
        assert "with vCPUs queued" not in text
        assert "‖ paused  " in text  # the legend
        row = m.rows.index(v1)
        line = grid_lines(screen)[grid.header_h + row]
        assert line.startswith(" proxy-01") and " ‖ " in line[:grid.label_w], line
        assert line[grid.label_w + grid.col_x(v1.cpu)] == MARK_SYMBOLS[Mark.PAUSED]
        screen.grid.move_to(row=row, pcpu=v1.cpu)
        await settle(pilot)
        status = screen_text(app)
        assert "vCPU 1: ‖ paused (domain crashed) on pCPU" in status
        assert "‖ proxy-01/1" in status
        assert "◌" not in grid_lines(screen)[grid.header_h + row]
        # the detail's vCPUs tab
        detail = await open_detail(pilot, app, "proxy-01")
        table = detail.query_one("#detail-vcpus", KeyedTable)
        lines = [x for x in screen_text(app).split("\n") if "paused" in x or "runnable" in x]
        assert table.row_count == 4
        assert any("‖ paused" in x for x in lines) and not any("runnable" in x for x in lines)


async def test_pinning_cursor_selection_host_choice_and_detail(demo: DemoRecording) -> None:
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        assert screen.current_host() == "xen-prod-01"
        await pilot.press("down", "down", "right", "right", "right")
        m = screen.grid.model
        assert m is not None
        assert screen.selected_vcpu() == m.rows[2].key
        assert screen.selected_pcpu() == 3
        d = screen.selected_domain()
        assert d is not None and d.domid == m.rows[2].domid
        text = screen_text(app)
        assert f"pCPU 3: {m.may[3]} vCPUs allowed, {m.now[3]} running or queued now" in text
        assert ("; vCPUs on it: " in text) == bool(m.on_pcpu(3))
        v = screen.grid.cursor_vcpu
        assert v is not None
        pct = DASH if v.cpu_pct is None else f"{v.cpu_pct:.1f}%"
        assert f"CPU {pct}  CPU time" in text  # the vCPU's own load, unknown as a dash
        await pilot.press("C")  # to the pCPU the vCPU is on (c stays the console)
        assert screen.selected_pcpu() == m.rows[2].cpu
        on_it = m.on_pcpu(m.rows[2].cpu or 0)
        assert m.rows[2] in on_it and "; vCPUs on it: " in screen_text(app)
        await pilot.press("left_square_bracket")  # previous host wraps to the last
        await settle(pilot)
        assert screen.current_host() == "xen-prod-03"
        screen.show_host("xen-lab-02")
        await settle(pilot)
        assert screen.grid.model is not None and screen.grid.model.host == "xen-lab-02"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen
        assert isinstance(detail, DomainDetailScreen)
        assert detail.key[0] == "xen-lab-02" and detail.key[1] == "Domain-0"


async def test_per_host_views_open_on_the_host_of_the_selection(demo: DemoRecording) -> None:
    # 3 on a domain of xen-lab-02 showed the map of xen-prod-01 (the view's first or last
    # host), and the operator had to step to the right host and find the domain again
    app = frozen_app(demo, "domains")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        key = next(k for k, d in app.store.domains()
                   if d.host == "xen-lab-02" and d.name == "$(reboot)")
        d = app.store.domain(key)
        assert d is not None and d.domid is not None
        domains = app.screen
        assert isinstance(domains, DomainsScreen)
        domains.focus_domain(key)
        await pilot.press("3")
        await settle(pilot)
        pinning = app.screen
        assert isinstance(pinning, PinningScreen)
        assert pinning.current_host() == "xen-lab-02"
        assert pinning.selected_vcpu() == ("xen-lab-02", d.domid, 0)  # its first vCPU
        await pilot.press("5")  # XenStore: the host the map was on
        await settle(pilot)
        assert isinstance(app.screen, XenstoreScreen)
        assert app.screen.current_host() == "xen-lab-02"
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("end")  # the Fleet view's last host
        await settle(pilot)
        fleet_host = app.screen.selected_host()  # type: ignore[attr-defined]
        assert fleet_host == app.store.hosts()[-1]
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, HostScreen)
        assert app.screen.current_host() == fleet_host
        await pilot.press("3")  # back to the map: it follows the Host view's host
        await settle(pilot)
        assert isinstance(app.screen, PinningScreen)
        assert app.screen.current_host() == fleet_host
        await pilot.press("down")
        before = app.screen.selected_vcpu()
        await pilot.press("3")  # the view already on top keeps its cursor
        await settle(pilot)
        assert app.screen.selected_vcpu() == before


async def test_the_palette_picks_the_host_of_a_per_host_view(demo: DemoRecording) -> None:
    app = frozen_app(demo, "pinning")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        provider = HostChoices(screen)
        hits = [h async for h in provider.search("lab-02")]
        assert [h.text for h in hits] == ["Pinning map of xen-lab-02"]
        hits[0].command()
        await settle(pilot)
        assert screen.current_host() == "xen-lab-02"
        assert screen.grid.model is not None and screen.grid.model.host == "xen-lab-02"
        found = [h.text async for h in provider.discover()]
        assert found == [f"Pinning map of {h}" for h in app.store.hosts()]


@pytest.mark.parametrize(("view", "header"), [("pinning", "#pinning-info"),
                                              ("xenstore", "#xs-info"), ("host", "#host-header")])
async def test_per_host_views_show_the_banner_of_a_production_host(
        demo: DemoRecording, view: str, header: str) -> None:
    # Fleet, Domains and the detail showed xen-prod-01's red PROD banner; the vCPU map,
    # XenStore and Host views of that host showed nothing of it
    app = frozen_app(demo, view)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PerHostView)
        for host in ("xen-prod-01", "xen-lab-02"):
            screen.show_host(host)
            await settle(pilot)
            cfg = app.store.config(host)
            assert cfg is not None
            shown = screen.query_one(header, TextBar).shown
            assert shown is not None
            first_line = screen_text(app).splitlines()[1]
            if not cfg.production:
                assert "PROD" not in shown.plain and "PROD" not in first_line
                continue
            assert cfg.banner and cfg.accent
            banner = f" {cfg.banner} "
            assert f"{banner} {host}" in shown.plain and f"{banner} {host}" in first_line
            start = shown.plain.index(banner)
            styles = {s.style for s in shown.spans
                      if s.start <= start and s.end >= start + len(banner)}
            assert app.palette.banner[cfg.accent] in styles  # the theme's colours
            at = shown.plain.index(host, start)
            assert app.palette.accent[cfg.accent] in {
                s.style for s in shown.spans if s.start <= at and s.end >= at + len(host)}


async def test_pinning_map_of_256_pcpus_renders_only_what_shows_and_scrolls(
        big: DemoRecording) -> None:
    snap = big.snapshots[-1]
    assert snap.info is not None and snap.info.nr_cpus == 256 and len(snap.domains) > 200
    app = frozen_app(big, "pinning")
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        grid = screen.grid
        assert grid.model is not None and grid.model.pcpus == 256
        assert len(grid.model.rows) == len(snap.vcpus)
        assert grid.cw == 1 and grid.digits == 3
        visible = grid.scrollable_content_region.height - grid.header_h
        assert grid.rows_built <= visible + 2 < len(snap.vcpus)  # only the rows on screen
        lines = grid_lines(screen)
        digits = ["".join(line[grid.label_w + grid.col_x(p)] for line in lines[:3])
                  for p in range(100, 103)]
        assert digits == ["100", "101", "102"]
        assert grid.may_digits == 3  # hundreds of vCPUs allowed everywhere: a label a row
        assert [line[:grid.label_w].strip() for line in lines[3:6]] == [
            "allowed hundreds", "allowed tens", "allowed ones"]
        # scroll right to the last pCPU: the labels stay, the header follows
        for _ in range(255):
            screen.action_move(0, 1)
        await pilot.pause()
        assert screen.selected_pcpu() == 255
        assert grid.scroll_offset.x > 0
        lines = grid_lines(screen)
        first_row = grid.model.rows[0]
        assert lines[grid.header_h].startswith(" " + first_row.domain)
        x = grid.label_w + grid.col_x(255) - int(grid.scroll_offset.x)
        assert "".join(line[x] for line in lines[:3]) == "255"
        built = grid.rows_built
        await pilot.press("pagedown", "pagedown", "end")
        await pilot.pause()
        assert screen.selected_vcpu() == grid.model.rows[-1].key
        assert grid.rows_built - built <= 2 * visible + 2


# --- rings --------------------------------------------------------------------------------------


def ring_device(host: str, domid: int, devid: int, tx_fill: int) -> Device:
    rings = (RingStats(0, "tx", 256, requests_outstanding=tx_fill, unconsumed=tx_fill),
             RingStats(0, "rx", 256, requests_outstanding=256, unconsumed=256))
    return Device(host, domid, DeviceKind.VIF, devid, backend_domid=0, queues=1,
                  ring_size=256, name=f"vif{domid}.{devid}", rings=rings,
                  ring_source=f"netback debugfs /sys/kernel/debug/xen-netback/vif{domid}.{devid}")


def with_devices(tick: int, fills: dict[int, int]) -> HostSnapshot:
    snap = make_snapshot(0, tick)
    host = snap.host
    devs = tuple(ring_device(host, d.domid or 0, 0, fills.get(d.domid or 0, 0))
                 for d in snap.domains[1:])
    return replace(snap, devices=devs)


async def test_rings_are_sorted_fullest_first_with_unknown_last(demo: DemoRecording) -> None:
    app = frozen_app(demo, "rings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RingsScreen)
        order = screen.table.order
        devices = {d.key: d for s in app.store.snapshots.values() for d in s.devices}
        assert set(order) == set(devices)
        pressures = [device_pressure(devices[k]) for k in order]
        known = [p for p in pressures if p is not None]
        assert known and known == sorted(known, reverse=True)
        assert pressures == known + [None] * (len(pressures) - len(known))
        assert known[0] >= 0.9
        assert "sort: fullest first▼" in screen_text(app)  # ▼ descending, as in headers
        await pilot.press("N")
        assert screen.sort == "name"
        assert [k[0] for k in screen.table.order] == sorted(k[0] for k in order)
        await settle(pilot)
        assert "sort: host, domain, device▲" in screen_text(app)
        await pilot.press("u")  # hide unknown occupancy (vbds)
        assert len(screen.table.order) == len(known)
        await pilot.press("u")
        # by OO/s (vbds only: a vif has none), then reversed: the rows without stay last
        for keys, arrow in (("O",), "▼"), (("I",), "▲"):
            await pilot.press(*keys)
            rates = [devices[k].oo_rate for k in screen.table.order]
            with_rate = [r for r in rates if r is not None]
            assert len(with_rate) > 1 and rates[:len(with_rate)] == with_rate, (arrow, rates)
            assert with_rate == sorted(with_rate, reverse=arrow == "▼")
        # and the fullest-first order reversed: emptiest first, unknown still last
        await pilot.press("F", "I")
        pressures = [device_pressure(devices[k]) for k in screen.table.order]
        assert pressures == sorted(known) + [None] * (len(pressures) - len(known))


def fake_rings_app() -> XlTopApp:
    """One fake host (no poller: the test delivers), the Rings view first, clock frozen."""
    hosts = host_configs(1)
    return make_app(settings(), hosts, members=fake_members(hosts), poll=False,
                    initial_view="rings", render_gap_s=0.0, clock=lambda: 1_700_000_010.0)


async def deliver_rings(pilot: Pilot[Any], app: XlTopApp,
                        plan: list[dict[int, int]]) -> None:
    """One snapshot per tick of ``plan`` ({domid: TX ring fill}), each shown before the next."""
    for tick, fills in enumerate(plan):
        app.deliver(with_devices(tick, fills))
        await wait_until(pilot, seq_is(app, "xen-prod-1", tick + 1))
        app.sync_view()
        await pilot.pause()


async def test_a_ring_that_stays_full_is_flagged_and_sorted_first() -> None:
    app = fake_rings_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RingsScreen)
        poller = app.members[0].poller
        assert poller.demand[-1] is True  # type: ignore[attr-defined]  # rings every tick
        # domain 1's TX ring stays ≥ 90 %; domain 2's is fuller once, then drains (both
        # guests run: the fakes' domain 3 is paused)
        plan = [{1: 240, 2: 256}, {1: 235, 2: 250}, {1: 250, 2: 20}]
        await deliver_rings(pilot, app, plan)
        stuck = ("xen-prod-1", 1, "vif", 0)
        assert app.ring_watch.stays_full(stuck)
        assert not app.ring_watch.stays_full(("xen-prod-1", 2, "vif", 0))
        assert screen.table.order[0] == stuck
        text = screen_text(app)
        stuck_line = next(line for line in text.split("\n") if "vif1.0" in line)
        assert "⚠ stays full" in stuck_line and "98% ✖" in stuck_line
        assert "⚠ 1 stuck" in text
        # its domain's detail says so at once, not after readings of its own
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        await settle(pilot)
        line = next(x for x in screen_text(app).split("\n") if "vif1.0" in x)
        assert "⚠ stays full" in line, line


async def test_a_full_ring_of_a_paused_guest_is_not_counted_stuck() -> None:
    """Three deliberately paused guests raised "⚠ 3 stuck" (``monitor-02 vif8.0 100% ✖
    ⚠ stays full``) and nothing on the row said the guest was paused: a paused guest
    drains no ring, a full one is expected. Its row says so, the header counts it apart
    from the stuck rings of running guests, and it is not sorted above them."""
    app = fake_rings_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RingsScreen)
        # the fakes' domain 3 is paused, 4 crashed, 1 runs (blocked)
        await deliver_rings(pilot, app, [{3: 256, 1: 250, 4: 10}] * 3)
        snap = app.store.host("xen-prod-1")
        assert snap is not None and snap.domain(3).state.paused  # type: ignore[union-attr]
        paused = ("xen-prod-1", 3, "vif", 0)
        assert app.ring_watch.stays_full(paused)  # as before: full in every reading
        assert screen.table.order[0] == ("xen-prod-1", 1, "vif", 0)  # the real alarm first
        text = screen_text(app)
        assert "⚠ 1 stuck (+1 full of paused guests)" in text
        lines = text.split("\n")
        line = next(x for x in lines if "vif3.0" in x)
        assert "‖ full, paused" in line and "⚠" not in line, line
        assert "100% ✖" in line
        line = next(x for x in lines if "vif4.0" in x)
        assert "✖ crashed" in line, line
        line = next(x for x in lines if "vif1.0" in x)
        assert "⚠ stays full" in line and "guest" not in line, line
        # the paused guest's detail does not raise the alarm either
        assert screen.table.move_cursor_to(paused)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        await settle(pilot)
        line = next(x for x in screen_text(app).split("\n") if "vif3.0" in x)
        assert "‖ full, paused" in line and "⚠" not in line, line


@pytest.mark.parametrize(("n_hosts", "every"), [(2, 1), (25, 1), (26, 2), (60, 3)])
async def test_the_rings_view_spreads_a_big_fleets_ring_reads_over_ticks(
    n_hosts: int, every: int
) -> None:
    hosts = host_configs(n_hosts)
    app = make_app(settings(), hosts, members=fake_members(hosts), poll=False,
                   initial_view="domains", render_gap_s=0.0, clock=lambda: 1_700_000_010.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await wait_until(pilot, lambda: isinstance(app.screen, RingsScreen))
        await settle(pilot)
        pollers = [m.poller for m in app.members]
        assert all(p.demand[-1] is True for p in pollers)  # type: ignore[attr-defined]
        assert {p.rings_every[-1] for p in pollers} == {every}  # type: ignore[attr-defined]
        status = screen_text(app).split("\n")[1]
        if every == 1:
            assert "rings every" not in status
        else:
            assert f"each host's rings every {every} s ({n_hosts} hosts)" in status
        await pilot.press("2")  # away from the rings: every host back to the slow cadence
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        assert all(p.demand[-1] is False for p in pollers)  # type: ignore[attr-defined]


async def test_enter_on_a_ring_opens_its_domain(demo: DemoRecording) -> None:
    app = frozen_app(demo, "rings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RingsScreen)
        dev = screen.selected_device()
        assert dev is not None
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen
        assert isinstance(detail, DomainDetailScreen)
        assert detail.domain is not None and detail.domain.domid == dev.domid
        assert detail.key[0] == dev.host
        # on the tab with its rings, and the keys go to that tab's table
        await settle(pilot)
        tabs = detail.query_one("#detail-tabs", TabbedContent)
        assert tabs.active == "tab-devices"
        assert app.focused is detail.query_one("#detail-devices")
        await pilot.press("right_square_bracket")  # the next tab: its tree takes the keys
        await settle(pilot)
        assert tabs.active == "tab-config" and app.focused is detail.query_one("#detail-config")


async def test_a_burst_of_tab_keys_lands_on_their_sum_and_stays(demo: DemoRecording) -> None:
    app = frozen_app(demo, "rings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen
        await settle(pilot)
        tabs = detail.query_one("#detail-tabs", TabbedContent)
        assert tabs.active == "tab-devices"
        # typed faster than the tabs switch: a late switch's focus must not pull them back
        for step in (1, 1, 1, -1, 1, 1, -1):  # (the ] and [ keys, all before any switch)
            detail.action_step_tab(step)
        seen = set()
        for _ in range(20):
            await pilot.pause(0.05)
            seen.add(tabs.active)
        assert seen == {"tab-logs"}, seen  # devices + 3 - 1 + 2 - 1 = the fifth, wrapped
        assert app.focused is detail.query_one("#detail-logs")


# --- XenStore -------------------------------------------------------------------------------


async def test_xenstore_tree_loads_lazily(demo: DemoRecording) -> None:
    app = frozen_app(demo, "xenstore", members=live_members(demo, counting=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        r = runner(app, "xen-prod-01")
        # the root's children, with values: one listing and one batch, nothing deeper
        assert r.runs == [("xenstore-list", "/")] and len(r.batches) == 1
        top = [plain(c) for c in screen.xs_tree.root.children]
        assert top == ['@introduceDomain = ""', '@releaseDomain = ""', "libxl", "local", "tool",
                       "vm"]
        local = next(c for c in screen.xs_tree.root.children if plain(c) == "local")
        assert not local.children  # not listed until expanded
        local.expand()
        await settle(pilot)
        assert r.calls == 4 and r.runs[-1] == ("xenstore-list", "/local")
        assert [plain(c) for c in local.children] == ["domain", "pool"]
        local.collapse()
        local.expand()
        await settle(pilot)
        assert r.calls == 4  # expanding again does not read again
        screen.xs_tree.move_cursor(local)
        assert screen.selected_path() == "/local" and screen.selected_host() == "xen-prod-01"
        screen.xs_tree.focus()
        await pilot.press("j")  # j and k move as in the tables
        await settle(pilot)
        assert screen.selected_path() == "/local/domain"
        await pilot.press("k")
        await settle(pilot)
        assert screen.selected_path() == "/local"
        await pilot.press("r")
        await settle(pilot)
        assert r.calls == 6
        assert screen.loads == 3


async def expand_path(pilot: Any, node: Any, parts: tuple[str, ...]) -> Any:
    """The tree node at ``parts`` below ``node`` (by the first word of each label), each
    one on the way expanded."""
    for part in parts:
        node = next(c for c in node.children if plain(c).split(" ")[0] == part)
        node.expand()
        await settle(pilot)
    return node


async def test_xenstore_values_and_errors_in_place(demo: DemoRecording) -> None:
    members = live_members(demo, counting=True)
    app = frozen_app(demo, "xenstore", members=members)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        screen.show_host(HOSTILE)
        await settle(pilot)
        snap = last(demo, HOSTILE)
        evil = next(d for d in snap.domains if d.name == "evil\x1b[2Jname")
        node = await expand_path(pilot, screen.xs_tree.root, ("local", "domain", str(evil.domid)))
        labels = [plain(c) for c in node.children]
        assert 'name = "evil\\x1b[2Jname"' in labels
        assert f'domid = "{evil.domid}"' in labels
        # the host goes away: expanding shows why, in place
        sim = runner(app, HOSTILE).inner
        sim.set_unreachable("connect to 10.0.0.2 port 22: Connection refused")  # type: ignore[attr-defined]
        device = next(c for c in node.children if plain(c) == "device")
        device.expand()
        await settle(pilot)
        assert [plain(c) for c in device.children] == [
            "⚠ connect to 10.0.0.2 port 22: Connection refused"]


def with_long_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every simulated host's XenStore gets /local/domain/0/mixed: children whose values
    are short and several lines long in turn."""
    build = xenstore_tree.build_tree

    def built(host: Any) -> xenstore_tree.Tree:
        tree = build(host)
        tree["/local/domain/0/mixed"] = ""
        for i in range(24):
            tree[f"/local/domain/0/mixed/k{i:02d}"] = "x" * 600 if i % 2 else "short"
        return tree

    monkeypatch.setattr(xenstore_tree, "build_tree", built)


async def test_xenstore_cursor_stays_in_sight_when_a_long_value_is_shown(
        demo: DemoRecording, monkeypatch: pytest.MonkeyPatch) -> None:
    # the value bar under the tree grows for a long value: the row under the cursor, at the
    # tree's foot, must not end up hidden behind it
    with_long_values(monkeypatch)
    app = frozen_app(demo, "xenstore", members=live_members(demo))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        tree = screen.xs_tree
        node = await expand_path(pilot, tree.root, ("local", "domain", "0", "mixed"))
        tree.move_cursor(node)
        await settle(pilot)
        for _ in range(len(node.children)):
            await pilot.press("down")
            await settle(pilot)
            top = tree.scroll_offset.y
            assert top <= tree.cursor_line < top + tree.scrollable_content_region.height, (
                screen.selected_path())
        assert screen.selected_path() == "/local/domain/0/mixed/k23"


async def test_xenstore_value_bar_says_a_long_value_is_cut_and_how_long_it_is(
        demo: DemoRecording, monkeypatch: pytest.MonkeyPatch) -> None:
    # the bar shows at most 4 rows (and 1,000 characters): a longer value was cut with no
    # sign of it
    hostile = "[red]x \x1b[2J[@click=app.quit] "
    long = hostile + "v" * (3003 - len(hostile))
    build = xenstore_tree.build_tree

    def built(host: Any) -> xenstore_tree.Tree:
        tree = build(host)
        tree["/local/domain/0/long"] = long
        tree["/local/domain/0/medium"] = "m" * 600  # fits 1,000 characters, not 4 rows
        return tree

    monkeypatch.setattr(xenstore_tree, "build_tree", built)
    app = frozen_app(demo, "xenstore", members=live_members(demo))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        tree = screen.xs_tree
        node = await expand_path(pilot, tree.root, ("local", "domain", "0"))
        bar = screen.query_one("#xs-value", TextBar)

        async def show(name: str) -> str:
            tree.move_cursor(next(c for c in node.children if plain(c).split(" ")[0] == name))
            await settle(pilot)
            assert bar.shown is not None
            return bar.shown.plain

        for name, value in (("medium", "m" * 600), ("long", long)):
            shown = await show(name)
            mark = f"… ({len(value):,} chars)"
            assert shown.endswith(mark) and not shown.endswith('"')
            assert bar.size.height == 4
            text = screen_text(app)
            assert mark in text  # on screen, not cut off below the bar's last row
        assert "[red]x \\x1b[2J[@click=app.quit] vvv" in shown  # literally
        assert "\x1b" not in text
        await pilot.resize_terminal(160, 24)  # wider: more of the value, the mark still shown
        await settle(pilot)
        assert bar.shown is not None and bar.shown.plain.endswith("… (3,003 chars)")
        assert len(bar.shown.plain) > len(shown) and "… (3,003 chars)" in screen_text(app)
        shown = await show("domid")  # a short value: whole, in quotes
        assert shown.endswith('domid = "0"')


async def test_an_empty_xenstore_leaf_reads_as_xenstore_ls_prints_it(
        demo: DemoRecording, monkeypatch: pytest.MonkeyPatch) -> None:
    # xenstore-ls prints 'attr = ""'; the tree showed 'attr', as an empty directory
    build = xenstore_tree.build_tree

    def built(host: Any) -> xenstore_tree.Tree:
        tree = build(host)
        tree["/local/domain/0/attr"] = ""
        tree["/local/domain/0/dir"] = ""
        tree["/local/domain/0/dir/key"] = "value"
        return tree

    monkeypatch.setattr(xenstore_tree, "build_tree", built)
    app = frozen_app(demo, "xenstore", members=live_members(demo))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        top = [plain(c) for c in screen.xs_tree.root.children]
        assert top[:3] == ['@introduceDomain = ""', '@releaseDomain = ""', "libxl"]
        node = await expand_path(pilot, screen.xs_tree.root, ("local", "domain", "0"))
        labels = [plain(c) for c in node.children]
        assert 'attr = ""' in labels and "dir" in labels  # a directory as before
        assert {'domid = "0"', 'name = "Domain-0"'} <= set(labels)
        # the domain detail's XenStore tab shows them alike
        key = next(k for k, d in app.store.domains() if d.host == "xen-prod-01" and d.domid == 0)
        app.open_domain(key, "tab-xenstore")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen)
                         and app.screen.ready)
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DomainDetailScreen)
        labels = tree_labels(detail.query_one("#detail-xenstore", Tree))
        assert 'attr = ""' in labels and "dir" in labels and 'key = "value"' in labels


# --- host ----------------------------------------------------------------------------------------


async def test_host_view_shows_info_cpupools_and_dmesg(demo: DemoRecording) -> None:
    fleet = make_fleet(3, 8, 0, start=DEMO_START)
    fleet[0].dmesg.append("(d12) \x1b]0;pwned\x07[red]x [@click=app.quit]")
    app = frozen_app(demo, "host", members=live_members(demo, fleet, counting=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HostScreen)
        host = screen.current_host()
        assert host == "xen-prod-01"
        snap = last(demo, host)
        assert snap.info is not None
        info = screen.query_one("#host-info", KeyedTable)
        assert info.order == list(snap.info.raw)
        pools = screen.query_one("#host-pools", KeyedTable)
        assert pools.order == ["Pool-0"]
        r = runner(app, host)
        assert sorted(a[0][:2] for a in r.batches) == [("xl", "cpupool-list")]
        log = screen.query_one("#host-dmesg", RichLog)
        dmesg = fleet[0].dmesg
        rows = [s.text for s in log.lines]  # long messages wrap onto more rows
        assert len(rows) >= min(300, len(dmesg))
        assert all(any(r.startswith(visible(line)[:30]) for r in rows) for line in dmesg[-300:])
        assert max(cell_len(r.rstrip()) for r in rows) <= log.scrollable_content_region.width
        longest = max(dmesg[-300:], key=len)
        assert len(longest) > log.scrollable_content_region.width  # it has to wrap...
        assert longest.split()[-1] in "".join(rows)  # ...and its end is shown, not cut off
        assert rows[-1] == visible(dmesg[-1])  # control characters escaped
        text = screen_text(app)
        assert "Pool-0" in text and "credit2" in text and "0-15" in text
        assert "(d12) \\x1b]0;pwned\\x07[red]x [@click=app.quit]" in text
        assert "\x1b" not in text
        calls = r.calls
        await pilot.press("r")
        await settle(pilot)
        assert r.calls == calls + 2
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.current_host() == "xen-lab-02"
        assert runner(app, "xen-lab-02").calls == 2


async def test_host_view_shows_the_next_hosts_values_after_a_sideways_scroll(
        demo: DemoRecording) -> None:
    # l scrolled the xl info table sideways; ] to the next host kept the scroll, so its
    # values column looked empty
    app = frozen_app(demo, "host")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HostScreen)
        info = screen.query_one("#host-info", KeyedTable)
        assert app.focused is info

        def release_shown(host: str) -> bool:
            info = last(demo, host).info
            assert info is not None
            row = next(line for line in screen_text(app).splitlines()
                       if line.startswith("release "))
            return info.raw["release"] in row

        assert release_shown("xen-prod-01")
        await pilot.press("l", "l")
        await settle(pilot)
        assert info.scroll_offset.x > 0 and not release_shown("xen-prod-01")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.current_host() == "xen-lab-02"
        assert info.scroll_offset.x == 0 and release_shown("xen-lab-02")


async def test_host_view_without_connection_and_when_down(demo: DemoRecording) -> None:
    app = frozen_app(demo, "host")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "no connection to this host" in screen_text(app)
    members = live_members(demo, counting=True)
    members[0].runner.inner.set_unreachable("No route to host")  # type: ignore[attr-defined]
    app = frozen_app(demo, "host", members=members)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert text.count("⚠ No route to host") == 2  # pools and dmesg, each in place


async def test_host_view_says_where_each_number_comes_from_and_what_failed(
        demo: DemoRecording) -> None:
    host = demo.configs[0].name
    snap = last(demo, host)
    why = "xenstore-ls did not finish within 30 s \x1b[2J[red]x"
    failing = replace(snap, seq=snap.seq + 1, sources={**snap.sources, "error:xenstore": why})
    rec = replace(demo, snapshots=[*demo.snapshots, failing])
    app = frozen_app(rec, "host")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#host-sources", KeyedTable)
        assert table.order[0] == "error:xenstore"  # what failed comes first
        assert set(table.order) == set(failing.sources)
        text = screen_text(app)
        assert "Data sources  ⚠ 1 failing" in text
        assert "⚠ xenstore" in text and "xentop -b stream (libxenstat)" in text
        assert "did not finish within 30 s \\x1b[2J[red]x" in text  # shown literally
        assert "\x1b" not in text
        # the host's next snapshot without the failure: the row and the warning go
        app.deliver(replace(snap, seq=snap.seq + 2))
        await settle(pilot)
        assert "error:xenstore" not in table.order and "failing" not in screen_text(app)


# --- hostile text -------------------------------------------------------------------------


def assert_literal(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text
    assert "[red]x" in text
    assert "evil\\x1b[2Jname" in text


async def test_hostile_names_are_literal_in_every_view(demo: DemoRecording) -> None:
    app = frozen_app(demo, "pinning", members=live_members(demo))
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        pinning = app.screen
        assert isinstance(pinning, PinningScreen)
        pinning.show_host(HOSTILE)
        await settle(pilot)
        pinning.grid.move_to(row=len(pinning.grid.model.rows) - 1)  # type: ignore[union-attr]
        await pilot.pause()
        assert_literal(screen_text(app))
        assert "\\u202eevil-rtl" in screen_text(app)
        await pilot.press("4")
        await settle(pilot)
        rings = app.screen
        assert isinstance(rings, RingsScreen)
        await pilot.press("N")
        assert_literal(screen_text(app))
        await pilot.press("6")
        await settle(pilot)
        host = app.screen
        assert isinstance(host, HostScreen)
        host.show_host(HOSTILE)
        await settle(pilot)
        text = screen_text(app)
        assert "\x1b" not in text and "xl info" in text
        for name, shown in (("[red]x", "[red]x"), ("evil\x1b[2Jname", "evil\\x1b[2Jname"),
                            ("\u202eevil-rtl", "\\u202eevil-rtl")):
            detail = await open_detail(pilot, app, name)
            header = screen_text(app).split("\n")[1]
            assert shown in header
            assert "\x1b" not in header and "\u202e" not in header
            await pilot.press("left_square_bracket")  # its logs, named after it
            await settle(pilot)
            labels = tree_labels(detail.query_one("#detail-logs", Tree))
            assert f"/var/log/xen/xl-{shown}.log" in labels
            assert any(lb.startswith(f"Waiting for domain {shown} (domid ") for lb in labels)
            assert all("\x1b" not in lb and "\u202e" not in lb for lb in labels)
            await pilot.press("left_square_bracket")  # its XenStore subtree
            await settle(pilot)
            labels = tree_labels(detail.query_one("#detail-xenstore", Tree))
            assert f'name = "{shown}"' in labels
            assert all("\x1b" not in lb and "\u202e" not in lb for lb in labels)
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, HostScreen))


def test_row_marks_symbols_are_distinct() -> None:
    assert len(set(MARK_SYMBOLS.values())) == len(MARK_SYMBOLS)


def test_xenstore_children_numbers_in_number_order() -> None:
    listed = ["10", "backend", "2", "device", "0", "1", "11"]
    assert sorted(listed, key=child_order) == ["0", "1", "2", "10", "11", "backend", "device"]


@pytest.mark.parametrize("value", [0.6, 512.0, 999.0, 1000.0, 1010.0, 1023.0])
@pytest.mark.parametrize("unit", [1, 1024, 1024 ** 2, 1024 ** 3])
def test_a_binary_scale_tops_at_a_whole_unit_not_0_98(value: float, unit: int) -> None:
    """512M of memory (or 700K/s) charted up to '0.98G' with '500M' halfway: a binary
    scale's top is a round number of its unit, and at or above the value."""
    top = nice_top(value * unit, 1024)
    assert top >= value * unit
    for label in (fmt_bytes(top), fmt_bytes(top / 2)):
        assert not label.startswith("0."), (value, unit, label)
    assert top <= 2.05 * value * unit or top <= 1024  # still close to the value
