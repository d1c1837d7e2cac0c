"""SVG snapshots of the detail, pinning map, rings, XenStore and host views, from the
simulated demo fleet (fixed seed, frozen clock; the on-demand queries answer from a
simulated fleet built with the same seed). Same pattern as ``test_tui_snapshots.py``.

Update after a deliberate visual change with ``pytest tests/test_tui_view_snapshots.py
--snapshot-update`` and review the SVGs under ``tests/__snapshots__/``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual._doc import take_svg_screenshot
from textual.pilot import Pilot

from tests.tui_views_support import big_host_recording, frozen_app, live_members
from tui.app import XlTopApp
from tui.demo import DemoRecording, record_demo

SIZE = (160, 40)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The view bar shows local time: pin the zone so snapshots do not depend on it."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def demo() -> DemoRecording:
    return asyncio.run(record_demo(hosts=3, domains=8, seed=0))


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def live(rec: DemoRecording, view: str, theme: str = "xltop-dark") -> XlTopApp:
    return frozen_app(rec, view, theme=theme, members=live_members(rec))


def open_detail(name: str) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, XlTopApp)
        await settle(pilot)
        key = next(k for k, d in app.store.domains() if d.name == name)
        app.open_domain(key)
        await settle(pilot)

    return run


def test_pinning_map(snap_compare: Any, demo: DemoRecording) -> None:
    press = ["right_square_bracket", "down", "down", "right", "right"]
    assert snap_compare(live(demo, "pinning"), press=press, terminal_size=SIZE,
                        run_before=settle)


def test_pinning_map_light_theme(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "pinning", "xltop-light"), terminal_size=SIZE,
                        run_before=settle)


def test_pinning_map_of_256_pcpus_scrolled(snap_compare: Any) -> None:
    rec, _host = asyncio.run(big_host_recording())
    press = ["pagedown", *(["shift+right"] * 20)]
    assert snap_compare(frozen_app(rec, "pinning"), press=press, terminal_size=SIZE,
                        run_before=settle)


def test_rings(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "rings"), terminal_size=SIZE, run_before=settle)


def test_rings_light_theme_by_name(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "rings", "xltop-light"), press=["N"], terminal_size=SIZE,
                        run_before=settle)


def test_xenstore_expanded(snap_compare: Any, demo: DemoRecording) -> None:
    press = ["right_square_bracket", "down", "down", "down", "down", "enter", "down", "enter",
             "down", "down", "down", "down", "down", "down", "down", "down", "down", "down",
             "down", "enter"]

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in press:
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(live(demo, "xenstore"), terminal_size=SIZE, run_before=run_before)


def test_host(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "host"), terminal_size=SIZE, run_before=settle)


def test_domain_detail(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "domains"), terminal_size=SIZE,
                        run_before=open_detail("mq-02"))


def test_domain_detail_devices_light_theme(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(live(demo, "domains", "xltop-light"), terminal_size=SIZE,
                        press=["right_square_bracket"], run_before=open_detail("mq-02"))


def test_domain_detail_config_of_a_hostile_name(snap_compare: Any,
                                                demo: DemoRecording) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_detail("[red]x")(pilot)
        for key in ("right_square_bracket", "right_square_bracket"):
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(live(demo, "domains"), terminal_size=SIZE, run_before=run_before)


def test_same_seed_and_clock_give_the_same_svg(demo: DemoRecording) -> None:
    """Determinism within one run: two independent recordings and apps render the same
    detail (charts included) and host view (simulated queries included)."""
    again = asyncio.run(record_demo(hosts=3, domains=8, seed=0))
    for view, before in (("domains", open_detail("mq-02")), ("host", settle)):
        shots = [take_svg_screenshot(live(r, view), terminal_size=SIZE, run_before=before)
                 for r in (demo, again)]
        assert shots[0] == shots[1], view
