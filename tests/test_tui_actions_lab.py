"""The dashboard's actions on real Xen (the xenlab, over SSH): Pilot drives the TUI, the lab
is checked with its own xl commands. Skipped unless the lab is running.

Every test puts the lab back: web1, db1 and idle1 running and unpaused, db1's memory and
pinning as before, no extra vif, no leftover checkpoint file. One app per test (its first
poll of the lab is the slow part), several actions each.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest
from textual.pilot import Pilot

from collectors.config import HostConfig, Settings
from collectors.model import DeviceKind
from collectors.transport.ssh import SshRunner
from tests.conftest import Lab
from tests.test_control_lab import lab_target
from tests.tui_actions_support import (
    Recorder,
    choices,
    confirm,
    dom,
    fill,
    open_form,
    pick,
    select_domain,
    snap,
    submit,
    top,
    value,
    wait_until,
)
from tests.tui_terminal import Term
from tui.actions.bulk import BulkConfirmScreen
from tui.actions.confirm import ConfirmScreen
from tui.actions.progress import ProgressScreen
from tui.app import XlTopApp, make_app
from tui.views.pinning import PinningScreen

pytestmark = [pytest.mark.lab, pytest.mark.slow]
H = "lab"
SIZE = (140, 45)
LAB_WAIT = 120.0  # an xl command takes up to a second there, a full poll ~10 s


def lab_app(lab: Lab) -> tuple[XlTopApp, Recorder]:
    rec = Recorder(SshRunner(lab_target(lab), name=H))
    cfg = HostConfig(H, lab.target, key=lab.key, known_hosts=lab.known_hosts)
    app = make_app(Settings(interval_s=2.0, command_timeout_s=120.0), [cfg], {H: rec},
                   render_gap_s=0.05)
    return app, rec


async def polled(pilot: Pilot[Any], app: XlTopApp) -> None:
    """Until a full poll merged: domids (xl list), vCPUs and devices, not xentop alone."""
    def full() -> bool:
        s = app.store.host(H)
        return (s is not None and bool(s.vcpus) and bool(s.devices)
                and all(d.domid is not None for d in s.domains))
    await wait_until(pilot, full, LAB_WAIT, "a full poll of the lab")


def sh(lab: Lab, command: str) -> str:
    r = lab.ssh(command)
    assert r.returncode == 0, r.stderr
    return r.stdout


def xl_state(lab: Lab, name: str) -> str:
    return sh(lab, f"xl list {name}").splitlines()[-1].split()[4]


async def test_pause_mem_set_and_pin_from_the_tui(lab: Lab) -> None:
    app, rec = lab_app(lab)
    original: int | None = None  # db1's memory target before the test
    try:
        async with app.run_test(size=SIZE) as pilot:
            await polled(pilot, app)
            # pause / unpause web1
            await select_domain(pilot, app, H, "web1")
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            web1 = dom(app, H, "web1")
            assert web1 is not None
            assert top(app, ConfirmScreen).plan.display == f"xl pause {web1.domid}"
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            assert "p" in xl_state(lab, "web1")
            await wait_until(pilot, lambda: value(app, H, "web1", "state.paused") is True,
                             LAB_WAIT, "the TUI shows web1 paused")
            await pilot.press("p")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await confirm(pilot, app)
            assert "p" not in xl_state(lab, "web1")
            await wait_until(pilot, lambda: value(app, H, "web1", "state.paused") is False,
                             LAB_WAIT, "the TUI shows web1 running")

            # mem-set db1: the target changes in the next snapshot
            await select_domain(pilot, app, H, "db1")
            db1 = dom(app, H, "db1")
            assert db1 is not None and db1.domid is not None
            assert db1.mem_target_kib and db1.mem_max_kib
            original = db1.mem_target_kib
            form = await open_form(pilot, app, "m")
            await fill(pilot, form, size=f"{db1.mem_max_kib // 1024 + 64}m")
            assert "more than db1's maximum memory" in str(form.query_one("#error-size").render())
            new = original - 8 * 1024
            await fill(pilot, form, size=f"{new}k")
            assert form.plan is not None
            await submit(pilot, app, form)
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            await wait_until(pilot, lambda: value(app, H, "db1", "mem_target_kib") == new,
                             LAB_WAIT, "the TUI shows db1's new target")
            form = await open_form(pilot, app, "m")
            await fill(pilot, form, size=f"{original}k")
            await submit(pilot, app, form)
            await confirm(pilot, app)
            await wait_until(pilot, lambda: value(app, H, "db1", "mem_target_kib") == original,
                             LAB_WAIT, "db1's target back")

            # vcpu-pin db1 from the pinning map: the cell under the cursor
            await pilot.press("3")
            await wait_until(pilot, lambda: isinstance(app.screen, PinningScreen)
                             and app.screen.grid.model is not None, LAB_WAIT)
            grid = top(app, PinningScreen).grid
            assert grid.move_to_key((H, db1.domid, 0))
            grid.move_to(pcpu=1)
            await pilot.pause()
            form = await open_form(pilot, app, "i")
            assert form.values() == {"vcpu": "0", "cpus": "1", "side": "hard"}
            await fill(pilot, form, cpus="2")
            assert "CPU 2 does not exist" in str(form.query_one("#error-cpus").render())
            await fill(pilot, form, cpus="1")
            await submit(pilot, app, form)
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            assert re.search(r"\s1 / all\s*$", sh(lab, "xl vcpu-list db1").splitlines()[1])
            await wait_until(pilot, lambda: any(v.domain == "db1" and v.vcpu == 0
                                                and str(v.hard) == "1"
                                                for v in snap(app, H).vcpus),
                             LAB_WAIT, "the map shows the new pinning")
        lines = app.journal.read()
        assert [(e["verb"], e["outcome"]) for e in lines] == [
            ("pause", "ok"), ("unpause", "ok"), ("mem-set", "ok"), ("mem-set", "ok"),
            ("vcpu-pin", "ok")]
    finally:
        if "p" in xl_state(lab, "web1"):
            sh(lab, "xl unpause web1")
        if original is not None:
            sh(lab, f"xl mem-set db1 {original}k")
        sh(lab, "xl vcpu-pin db1 all all all")
    assert "1 / all" not in sh(lab, "xl vcpu-list db1")


def summary_after(app: XlTopApp, n: int) -> Callable[[], bool]:
    return lambda: any(" domains: " in x.title for x in app.notes[n:])


def both_paused(app: XlTopApp, paused: bool) -> Callable[[], bool]:
    return lambda: all(value(app, H, n, "state.paused") is paused for n in ("web1", "idle1"))


async def test_bulk_pause_and_unpause_of_marked_domains(lab: Lab) -> None:
    app, rec = lab_app(lab)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await polled(pilot, app)
            for name in ("web1", "idle1"):
                await select_domain(pilot, app, H, name)
                await pilot.press("space")
            for verb, paused in (("pause", True), ("unpause", False)):
                await pilot.press("p")
                await wait_until(pilot, lambda: isinstance(app.screen, BulkConfirmScreen))
                screen = top(app, BulkConfirmScreen)
                ids = sorted(str(d.domid) for n in ("web1", "idle1")
                             if (d := dom(app, H, n)) is not None)
                assert sorted(p.argv for p in screen.plans) == [
                    ("xl", verb, i) for i in ids]
                await pilot.press("y")
                await wait_until(pilot, summary_after(app, len(app.notes)), LAB_WAIT)
                assert app.notes[-1].title == f"{verb} on 2 domains: 2 ok", app.notes[-1]
                assert all(("p" in xl_state(lab, name)) is paused for name in ("web1", "idle1"))
                await wait_until(pilot, both_paused(app, paused), LAB_WAIT,
                                 f"the TUI shows both {'paused' if paused else 'running'}")
        assert sorted((e["verb"], e["outcome"]) for e in app.journal.read()) == [
            ("pause", "ok"), ("pause", "ok"), ("unpause", "ok"), ("unpause", "ok")]
    finally:
        for name in ("web1", "idle1"):
            if "p" in xl_state(lab, name):
                sh(lab, f"xl unpause {name}")


async def test_network_attach_save_destroy_restore_from_the_tui(lab: Lab) -> None:
    app, rec = lab_app(lab)
    mac = "00:16:3e:7e:57:" + secrets.token_hex(1)
    path = f"/root/xltop-tui-{secrets.token_hex(4)}.chk"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await polled(pilot, app)
            # network-attach idle1 to xenbr0 (bridge picked from the host), then detach
            await select_domain(pilot, app, H, "idle1")
            form = await open_form(pilot, app, "n")
            bridges = choices(form, "field-bridge")
            assert "xenbr0" in bridges and form.values()["bridge"] == "xenbr0"
            await fill(pilot, form, mac=mac)
            await submit(pilot, app, form)
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            assert mac in sh(lab, "xl network-list idle1")

            def idle1_vifs() -> list[str | None]:
                d = dom(app, H, "idle1")
                return [] if d is None else [x.mac for x in snap(app, H).devices
                                             if x.kind == DeviceKind.VIF and x.domid == d.domid]

            await wait_until(pilot, lambda: mac in idle1_vifs(), LAB_WAIT, "vif in the TUI")
            form = await open_form(pilot, app, "w")
            vif = next(x for x in snap(app, H).devices if x.mac == mac)
            await fill(pilot, form, device=str(vif.devid))
            await submit(pilot, app, form)
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            assert mac not in sh(lab, "xl network-list idle1")

            # save -c idle1 to a new file, with progress; destroy; restore from the picker
            form = await open_form(pilot, app, "s")
            assert ("no directory /var/lib/xen/save on lab (xl cannot create it): e.g. "
                    "/var/lib/xen/idle1.chk") in str(form.query_one("#error-path").render())
            await fill(pilot, form, path=path)
            assert form.plan is not None and form.plan.display.startswith("xl save -c ")
            await submit(pilot, app, form)
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
            running = top(app, ProgressScreen).running
            await wait_until(pilot, lambda: app.last_result is not None
                             and app.last_result.verb == "save", LAB_WAIT, "saved")
            result = app.last_result
            assert result is not None and result.ok, result
            assert f"Saving to {path} new xl format" in result.message
            assert running.percent == 100
            assert lab.ssh(f"test -s {path}").returncode == 0
            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert top(app, ConfirmScreen).typed_name
            await confirm(pilot, app, typed="idle1")
            await wait_until(pilot, lambda: dom(app, H, "idle1") is None, LAB_WAIT,
                             "idle1 gone from the TUI")
            await select_domain(pilot, app, H, "web1")
            form = await open_form(pilot, app, "o")
            assert path in choices(form, "pick-path")
            pick(form, "pick-path", path)
            await wait_until(pilot, lambda: form.plan is not None
                             and form.plan.display == f"xl restore {path}", 30)
            await submit(pilot, app, form)
            await confirm(pilot, app)
            assert app.last_result is not None and app.last_result.ok, app.last_result
            await wait_until(pilot, lambda: (d := dom(app, H, "idle1")) is not None
                             and not d.state.paused, LAB_WAIT, "idle1 restored")
        outcomes = [(e["verb"], e["outcome"]) for e in app.journal.read()]
        assert outcomes == [("network-attach", "ok"), ("network-detach", "ok"), ("save", "ok"),
                            ("destroy", "ok"), ("restore", "ok")]
    finally:
        if "idle1" not in sh(lab, "xl list"):
            sh(lab, "xl create /etc/xen/idle1.cfg")
        if mac in sh(lab, "xl network-list idle1"):
            sh(lab, f"xl network-detach idle1 {mac}")
        sh(lab, f"rm -f {path}")


def test_console_of_idle1_three_times_through_a_real_pty(lab: Lab, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'interval = 2.0\ncommand_timeout = 120\n\n[[hosts]]\nname = "lab"\n'
                   f'target = "{lab.target}"\nkey = "{lab.key}"\n'
                   f'known_hosts = "{lab.known_hosts}"\n')
    env = {**os.environ, "TERM": "xterm-256color", "XLTOP_JOURNAL": str(tmp_path / "j.jsonl")}
    term = Term([sys.executable, "-m", "tui", "--config", str(cfg)], env)
    try:
        term.wait_screen(r"Domains \d+", 60)
        term.wait_screen(r"lab\s+\d+ idle1 ", LAB_WAIT)  # a full poll: domids known
        term.keys("\x10")  # ctrl+p: jump to idle1
        term.wait_screen(r"Search for commands")
        term.keys(*"idle1")
        term.wait_screen(r"Domain: idle1  on lab")
        term.keys("\r")
        term.wait_screen(r"Domains \d+  sort")
        for _ in range(3):
            term.mark()
            term.keys("c")
            term.wait_raw(rb"xltop: console of idle1 \(domid \d+\) on lab", 60)
            term.send("\r")
            term.wait_raw(re.escape(b"/ # "), 60)
            word = secrets.token_hex(3)
            term.send(f"echo xl''top-{word}\r")
            term.wait_raw(f"xltop-{word}".encode(), 60)
            term.mark()
            term.send("\x1d")
            term.wait_raw(re.escape(b"\x1b[?1049h"), 60)
            term.wait_screen(r"detached from the console", 60)
            term.keys("\r")  # the detail of the row under the cursor: still idle1
            term.wait_screen(r"idle1  domid \d+ on lab", 60)
            term.keys("\x1b")
            term.wait_screen(r"Domains \d+  sort")
        term.keys("q")
        term.child.expect(pexpect.EOF, timeout=30)
    finally:
        term.close()
    lines = [json.loads(x) for x in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert [(e["verb"], e["outcome"]) for e in lines] == [("console", "ok")] * 3
