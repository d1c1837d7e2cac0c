"""SVG snapshots of the views, from the simulated demo fleet (fixed seed, frozen clock).

Update after a deliberate visual change with ``pytest tests/test_tui_snapshots.py
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

from collectors.config import Settings
from tui.app import XlTopApp, make_app
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


@pytest.fixture(scope="module")
def demo_down() -> DemoRecording:
    return asyncio.run(record_demo(hosts=3, domains=8, seed=0, unreachable={
        "xen-prod-03": "connect to 10.0.0.3 port 22: Connection refused"}))


def frozen_app(rec: DemoRecording, theme: str = "xltop-dark", view: str | None = None) -> XlTopApp:
    return make_app(Settings(interval_s=2.0, theme=theme), rec.configs, poll=False,
                    clock=lambda: rec.end, preload=rec.snapshots, initial_view=view)


def test_fleet_view(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(frozen_app(demo), terminal_size=SIZE)


def test_fleet_view_with_a_host_down(snap_compare: Any, demo_down: DemoRecording) -> None:
    assert snap_compare(frozen_app(demo_down), terminal_size=SIZE)


def test_domains_view(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(frozen_app(demo, view="domains"), terminal_size=SIZE)


def test_domains_sorted_by_name_reversed_and_filtered(snap_compare: Any,
                                                      demo: DemoRecording) -> None:
    press = ["N", "I", "slash", *"host:lab", "enter", "down", "down"]
    assert snap_compare(frozen_app(demo, view="domains"), press=press, terminal_size=SIZE)


def test_domains_on_a_production_host_shows_the_banner(snap_compare: Any,
                                                       demo: DemoRecording) -> None:
    press = ["slash", *"host:prod", "enter", "down"]
    assert snap_compare(frozen_app(demo, view="domains"), press=press, terminal_size=(120, 40))


def test_domains_view_light_theme(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(frozen_app(demo, theme="xltop-light", view="domains"),
                        terminal_size=SIZE)


def test_help_screen(snap_compare: Any, demo: DemoRecording) -> None:
    assert snap_compare(frozen_app(demo), press=["question_mark"], terminal_size=SIZE)


def test_same_seed_and_clock_give_the_same_svg(demo: DemoRecording) -> None:
    """Determinism, proven within one run: a second, independent recording and app render
    byte-identical screens (the stored snapshots prove it across runs)."""

    async def settle(pilot: Pilot[Any]) -> None:
        await pilot.pause()

    again = asyncio.run(record_demo(hosts=3, domains=8, seed=0))
    assert [repr(s) for s in again.snapshots] == [repr(s) for s in demo.snapshots]
    shots = [take_svg_screenshot(frozen_app(r, view="domains"), terminal_size=SIZE,
                                 run_before=settle) for r in (demo, again)]
    assert shots[0] == shots[1]
    other = asyncio.run(record_demo(hosts=3, domains=8, seed=1))
    assert take_svg_screenshot(frozen_app(other, view="domains"), terminal_size=SIZE,
                               run_before=settle) != shots[0]
