"""The theme and Domains sort remembered between runs (tui/ui_memory.py), through the app."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from collectors.config import HostConfig, Settings, load_settings
from collectors.sim.fleet import make_lab_like_host
from collectors.sim.runner import SimRunner
from tests.test_tui_actions import FAST, SIZE, H
from tests.tui_actions_support import select_domain
from tui import ui_memory
from tui.app import XlTopApp, make_app
from tui.ui_memory import UiMemory
from tui.views.domains import DomainsScreen


def app_with(memory: Path, settings: Settings = FAST) -> XlTopApp:
    host = make_lab_like_host(start=time.time())
    return make_app(settings, [HostConfig(H, "demo:0")], {H: SimRunner(host)},
                    render_gap_s=0.05, memory_path=memory)


def domains(app: XlTopApp) -> DomainsScreen:
    screen = app.screen
    assert isinstance(screen, DomainsScreen)
    return screen


async def test_theme_and_sort_come_back_in_the_next_run(tmp_path: Path) -> None:
    memory = tmp_path / "state" / "ui.json"
    app = app_with(memory)
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        assert app.theme == "xltop-dark" and domains(app).sort_column == "cpu"
        await pilot.press("ctrl+t")
        await pilot.press("M", "I")  # by memory, then smallest first
        picked = app.theme
        assert picked != "xltop-dark"
    assert json.loads(memory.read_text()) == {"theme": picked, "sort": "mem", "reverse": False,
                                              "dom0_first": None, "dom0_first_config": None}
    again = app_with(memory)
    async with again.run_test(size=SIZE) as pilot:
        await select_domain(pilot, again, H, "web1")
        assert again.theme == picked
        assert (domains(again).sort_column, domains(again).sort_reverse) == ("mem", False)


async def test_a_theme_from_the_config_or_flag_wins_over_the_remembered_one(
        tmp_path: Path) -> None:
    memory = tmp_path / "ui.json"
    ui_memory.save(memory, UiMemory(theme="xltop-light", sort="no-such-column"))
    config = tmp_path / "config.toml"
    config.write_text('theme = "high-contrast"\n')
    chosen = load_settings(config)
    assert chosen.theme_chosen
    app = app_with(memory, replace(FAST, theme=chosen.theme, theme_chosen=True))
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        assert app.theme == "xltop-high-contrast"
        assert domains(app).sort_column == "cpu"  # an unknown remembered column is ignored
    unchosen = app_with(memory)
    async with unchosen.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert unchosen.theme == "xltop-high-contrast"  # what the last run showed


async def test_the_dom0_first_toggle_comes_back_unless_the_config_changed(
        tmp_path: Path) -> None:
    memory = tmp_path / "ui.json"
    app = app_with(memory)
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        assert domains(app).dom0_first
        await pilot.press("0")
        assert not domains(app).dom0_first
    saved = json.loads(memory.read_text())
    assert (saved["dom0_first"], saved["dom0_first_config"]) == (False, True)
    again = app_with(memory)
    async with again.run_test(size=SIZE) as pilot:
        await select_domain(pilot, again, H, "web1")
        assert not domains(again).dom0_first
        assert "Dom0 first" not in str(again.screen.query_one("#domains-info").render())
    # remembered on, toggled from a config's off: on while the config says off...
    ui_memory.save(memory, UiMemory(dom0_first=True, dom0_first_config=False))
    toggled = app_with(memory, replace(FAST, dom0_first=False))
    async with toggled.run_test(size=SIZE) as pilot:
        await select_domain(pilot, toggled, H, "web1")
        assert domains(toggled).dom0_first
    # ...and the config's own when it changed since (on, toggled from on: now off)
    ui_memory.save(memory, UiMemory(dom0_first=True, dom0_first_config=True))
    changed = app_with(memory, replace(FAST, dom0_first=False))
    async with changed.run_test(size=SIZE) as pilot:
        await select_domain(pilot, changed, H, "web1")
        assert not domains(changed).dom0_first


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"theme": 7}',
                                     b"\xff\xfe garbage"])
def test_unreadable_memory_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ui.json"
    path.write_bytes(content)
    assert ui_memory.load(path) == UiMemory()
    assert ui_memory.load(tmp_path / "missing.json") == UiMemory()


def test_save_reports_a_path_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    why = ui_memory.save(blocker / "ui.json", UiMemory(theme="xltop-dark"))
    assert why is not None and str(blocker) in why
    ok = tmp_path / "d" / "ui.json"
    assert ui_memory.save(ok, UiMemory(theme="xltop-dark", sort="mem", reverse=True)) is None
    assert ui_memory.load(ok) == UiMemory("xltop-dark", "mem", True)
    assert [p.name for p in ok.parent.iterdir()] == ["ui.json"]  # no temporary left
