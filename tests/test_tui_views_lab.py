"""Real-Xen tier: the pinning map, rings, XenStore and host views against the Xen lab
(``xltop root@127.0.0.1:2222``), compared with what ``xl vcpu-list``, the netback debugfs
and ``xenstore-read`` say there. Read-only: nothing in the lab changes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from collectors.config import HostConfig, Settings
from collectors.model import DeviceKind, HostSnapshot
from collectors.parse.common import parse_cpu_list
from collectors.parse.rings import parse_ring_dump, ring_stats
from tests.conftest import Lab
from tests.tui_views_support import screen_text
from tui.app import XlTopApp, make_app
from tui.pinning_model import MARK_SYMBOLS, row_marks
from tui.ring_watch import queue_pressures
from tui.views.host import HostScreen
from tui.views.pinning import PinningScreen
from tui.views.rings import RingsScreen
from tui.views.xenstore import XenstoreScreen

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def lab_app(lab: Lab, view: str) -> XlTopApp:
    host = HostConfig(name="lab", target=lab.target, key=lab.key, known_hosts=lab.known_hosts)
    return make_app(Settings(interval_s=2.0, command_timeout_s=60.0), [host],
                    initial_view=view, render_gap_s=0.0)


async def wait_until(pilot: Pilot[Any], cond: Callable[[], bool], timeout: float = 180) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "the lab did not answer in time"
        await pilot.pause(0.2)


def full_snapshot(app: XlTopApp) -> Callable[[], bool]:
    def ready() -> bool:
        snap = app.store.host("lab")
        return snap is not None and bool(snap.vcpus) and bool(snap.devices) and any(
            d.rings for d in snap.devices)
    return ready


def vcpu_list(lab: Lab) -> dict[tuple[str, int], tuple[str, str]]:
    """(domain, vcpu) → (hard, soft) from ``xl vcpu-list``."""
    out: dict[tuple[str, int], tuple[str, str]] = {}
    for line in lab.ssh("xl vcpu-list").stdout.splitlines()[1:]:
        m = re.match(r"(\S+)\s+\d+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+(\S+) / (\S+)", line)
        assert m is not None, line
        out[(m[1], int(m[2]))] = (m[3], m[4])
    return out


async def test_pinning_map_shows_the_lab_vcpus(lab: Lab) -> None:
    app = lab_app(lab, "pinning")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, full_snapshot(app))
        app.sync_view()
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        grid = screen.grid
        snap = app.store.host("lab")
        assert snap is not None and grid.model is not None
        listed = vcpu_list(lab)
        assert {(v.domain, v.vcpu) for v in grid.model.rows} == set(listed)
        for v in grid.model.rows:
            hard, soft = listed[(v.domain, v.vcpu)]
            assert v.hard == parse_cpu_list(hard) and v.soft == parse_cpu_list(soft)
        assert grid.model.pcpus == (snap.info.nr_cpus if snap.info else None) == 2
        # what is drawn is the snapshot's placement, symbol for symbol
        lines = [grid.render_line(y).text for y in range(grid.header_h + len(grid.model.rows))]
        for i, v in enumerate(grid.model.rows):
            cells = lines[grid.header_h + i][grid.label_w:]
            marks = row_marks(v, grid.model.pcpus)
            assert [cells[grid.col_x(p)] for p in range(grid.model.pcpus)] == [
                MARK_SYMBOLS[m] for m in marks]


def _debugfs_pressures(lab: Lab) -> dict[tuple[int, int, str, int], float | None]:
    text = lab.ssh("head -n 64 -- /sys/kernel/debug/xen-netback/*/io_ring_q*").stdout
    dump = parse_ring_dump(text)
    out: dict[tuple[int, int, str, int], float | None] = {}
    for (domid, devid), queues in dump.netback.items():
        for q in queues:
            for r in ring_stats(q, "lab"):
                assert r.direction is not None
                out[(domid, devid, r.direction, r.queue)] = r.pressure
    return out


async def test_rings_view_shows_the_netback_debugfs(lab: Lab) -> None:
    app = lab_app(lab, "rings")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_until(pilot, full_snapshot(app))
        app.sync_view()
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, RingsScreen)
        snap: HostSnapshot | None = app.store.host("lab")
        assert snap is not None
        fresh = _debugfs_pressures(lab)
        vifs = [d for d in snap.devices if d.kind is DeviceKind.VIF]
        assert vifs and {(d.domid, d.devid) for d in vifs} == {(k[0], k[1]) for k in fresh}
        for d in vifs:
            for direction in ("tx", "rx"):
                shown = queue_pressures(d, direction)
                read = [fresh[(d.domid, d.devid, direction, q)] for q in range(len(shown))]
                # idle guests: the indices barely move between the two reads
                for a, b in zip(shown, read, strict=True):
                    assert a is not None and b is not None and abs(a - b) < 0.1, (d.name, a, b)
        text = screen_text(app)
        for d in snap.devices:
            assert (d.name or "") in text
        assert text.count("? blkback: no indices") == sum(
            1 for d in snap.devices if d.kind is DeviceKind.VBD)


async def test_xenstore_and_host_views_on_the_lab(lab: Lab) -> None:
    app = lab_app(lab, "xenstore")
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, XenstoreScreen)
        await wait_until(pilot, lambda: len(screen.xs_tree.root.children) > 2)
        top = {str(c.label).split(" ")[0] for c in screen.xs_tree.root.children}
        assert set(lab.ssh("xenstore-list /").stdout.split()) == top
        await pilot.press("6")
        await wait_until(pilot, lambda: isinstance(app.screen, HostScreen))
        host = app.screen
        assert isinstance(host, HostScreen)
        await wait_until(pilot, lambda: host.pools.get("lab") is not None
                         and host.pools["lab"].at is not None
                         and host.dmesg["lab"].at is not None)
        pools = host.pools["lab"].data or []
        assert [p.name for p in pools] == ["Pool-0"]
        assert pools[0].cpus == 2
        dmesg = host.dmesg["lab"].data or []
        assert dmesg and dmesg[0].startswith("(XEN)")


async def test_domain_detail_shows_the_lab_xl_log_of_web1(lab: Lab) -> None:
    from textual.widgets import Tree

    from tui.views.domain_detail import DomainDetailScreen

    expected = lab.ssh("tail -n 60 -- /var/log/xen/xl-web1.log").stdout.splitlines()
    assert expected and expected[0].startswith("Waiting for domain web1 (domid ")
    app = lab_app(lab, "domains")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: (snap := app.store.host("lab")) is not None
                         and snap.domain("web1") is not None)
        detail = DomainDetailScreen(("lab", "web1", None), tab="tab-logs")
        await app.push_screen(detail)
        await pilot.pause(0.5)
        await pilot.press("r")  # the tab opened first: fetch it as a user would
        tree = detail.query_one("#detail-logs", Tree)
        await wait_until(pilot, lambda: detail.loaded["tab-logs"] in ("loaded", "error"))
        assert detail.loaded["tab-logs"] == "loaded"
        files = {str(node.label): [str(leaf.label) for leaf in node.children]
                 for node in tree.root.children}
        assert files["/var/log/xen/xl-web1.log"] == expected
        assert files["/var/log/xen/qemu-dm-web1.log"] == [
            "not read: No such file or directory"]  # PV with blkback: no device model
