"""Every dashboard action through Pilot on a simulated host with the real pollers running:
form → confirmation → the simulated host's state changed → the next snapshot shows it.

The host is a copy of the Xen lab (web1, db1, idle1; xenbr0); what reaches it is recorded,
so "nothing was sent" is checked, not assumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static, Tree
from textual.widgets._footer import FooterKey

from collectors.config import Cadence, HostConfig, Settings
from collectors.control.errors import Refused
from collectors.control.requests import Pause
from collectors.model import DeviceKind, Domain, DomainType
from collectors.sim.fleet import HOSTILE_NAMES, make_fleet, make_lab_like_host
from collectors.sim.runner import SimRunner
from collectors.sim.state import SimHost
from tests.test_tui_key_bursts import burst
from tests.tui_actions_support import (
    Recorder,
    choices,
    confirm,
    dom,
    fill,
    open_form,
    pick,
    select_domain,
    settled,
    snap,
    submit,
    top,
    value,
    wait_until,
)
from tests.tui_fakes import palette_pick
from tui.actions.confirm import ConfirmScreen
from tui.actions.form import ActionForm
from tui.actions.log_screen import ActionLogScreen
from tui.actions.menu import ActionMenu
from tui.actions.progress import ProgressScreen
from tui.actions.quit_screen import QuitScreen
from tui.actions.specs import SPECS_BY_ID
from tui.app import XlTopApp, make_app
from tui.commands import FleetCommands
from tui.demo import demo_configs
from tui.help import all_binding_ids
from tui.views.base import ViewBar
from tui.views.domain_detail import DomainDetailScreen
from tui.views.pinning import PinningScreen
from tui.widgets.keyed_table import KeyedTable

FAST = Settings(interval_s=1.0, cadence=Cadence(vcpus_s=2, info_s=5, rings_s=2, xenstore_s=10,
                                                dom0_s=2))
H = "xenlab"
SIZE = (140, 45)


def lab_app(*, read_only: bool = False, host_read_only: bool = False,
            production: bool = False) -> tuple[XlTopApp, SimHost, Recorder]:
    host = make_lab_like_host(start=time.time())
    rec = Recorder(SimRunner(host))
    cfg = HostConfig(H, "demo:0", read_only=host_read_only, production=production)
    app = make_app(replace(FAST, read_only=read_only), [cfg], {H: rec}, render_gap_s=0.05)
    return app, host, rec


def fleet_app() -> tuple[XlTopApp, dict[str, SimHost], dict[str, Recorder]]:
    hosts = make_fleet(3, 8, seed=0)
    recs = {h.name: Recorder(SimRunner(h)) for h in hosts}
    app = make_app(FAST, demo_configs(list(recs)), dict(recs), render_gap_s=0.05)
    return app, {h.name: h for h in hosts}, recs


def journal(app: XlTopApp) -> list[tuple[str, str]]:
    return [(e["verb"], e["outcome"]) for e in app.journal.read()]


# --- pause / unpause -------------------------------------------------------------------


async def test_pause_toggle_confirms_the_exact_command_and_the_next_poll_shows_it() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.plan.display == "xl pause 3" and screen.plan.host == H
        assert screen.plan.target == "web1 (domid 3)"
        shown = str(screen.query_one("#confirm-command").render())
        assert "xl pause 3" in shown and "on host xenlab" in shown
        assert rec.xl("pause") == []  # nothing sent before the confirmation
        await confirm(pilot, app)
        assert host.domains[3].paused
        await wait_until(pilot, lambda: value(app, H, "web1", "state.paused") is True,
                         what="next poll shows web1 paused")
        await pilot.press("p")  # the same key now unpauses
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert top(app, ConfirmScreen).plan.display == "xl unpause 3"
        await confirm(pilot, app)
        await wait_until(pilot, lambda: value(app, H, "web1", "state.paused") is False,
                         what="next poll shows web1 running")
        assert rec.xl("pause") == [("xl", "pause", "3")]
        assert rec.xl("unpause") == [("xl", "unpause", "3")]
    assert journal(app) == [("pause", "ok"), ("unpause", "ok")]
    line = app.journal.read()[0]
    assert line["argv"] == ["xl", "pause", "3"] and line["host"] == H and line["exit_code"] == 0


async def test_an_action_the_journal_could_not_take_is_said_not_only_logged(
        tmp_path: Path) -> None:
    """The action is done (a full disk must not undo it), but the operator is told that
    it is not in the journal: a log line alone is invisible in the dashboard."""
    from collectors.journal import Journal

    (tmp_path / "file").write_text("")
    app, host, _ = lab_app()
    app.journal = Journal(tmp_path / "file" / "journal.jsonl")  # under a file: cannot be
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await confirm(pilot, app)
        await wait_until(pilot, lambda: any(n.title == "action not journaled"
                                            for n in app.notes), what="the warning")
    assert host.domains[3].paused
    note = next(n for n in app.notes if n.title == "action not journaled")
    assert note.severity == "warning" and "journal.jsonl not written" in note.message


async def test_cancel_at_the_confirmation_sends_nothing_and_is_journaled() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.3)
    assert rec.xl("pause") == [] and not host.domains[3].paused
    lines = app.journal.read()
    assert [(e["verb"], e["outcome"], e["message"]) for e in lines] == [
        ("pause", "refused", "cancelled at the confirmation")]


# --- memory, with live validation ----------------------------------------------------------


async def test_mem_set_validates_as_the_user_types_then_the_target_changes() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        form = await open_form(pilot, app, "m")
        info = str(form.query_one("#form-info").render())
        assert "current 160 MiB" in info and "target 160 MiB" in info and "max 192 MiB" in info
        assert form.values() == {"size": "160m"}
        field = form.query_one("#field-size")
        field.focus()
        before = form.validations
        await pilot.press("ctrl+u", *"9g")  # as typed: one validation after the pause
        await settled(pilot, form, before)
        assert form.plan is None
        err = str(form.query_one("#error-size").render())
        assert "more than db1's maximum memory 192 MiB" in err
        await pilot.press("enter")  # refused before sending: the form stays
        await pilot.pause(0.3)
        assert isinstance(app.screen, ActionForm) and rec.xl("mem-set") == []
        await fill(pilot, form, size="16m")  # below a quarter: said in the form already
        assert "below a quarter of the current memory" in str(
            form.query_one("#form-warnings").render())
        await fill(pilot, form, size="150m")
        assert str(form.query_one("#form-warnings").render()) == ""
        assert form.plan is not None and form.plan.display == "xl mem-set 1 150m"
        assert str(form.query_one("#error-size").render()) == ""
        assert "xl mem-set 1 150m" in str(form.query_one("#form-command").render())
        await submit(pilot, app, form)
        await confirm(pilot, app)
        assert host.domains[1].target_kib == 150 * 1024
        await wait_until(pilot, lambda: value(app, H, "db1", "mem_target_kib") == 150 * 1024,
                         what="next poll shows the new target")
    assert rec.xl("mem-set") == [("xl", "mem-set", "1", "150m")]
    assert journal(app) == [("mem-set", "invalid"), ("mem-set", "ok")]
    # the refused try names the domain as the one that ran does (xl was given its domid)
    assert [(e["domain"], e["argv"][2]) for e in app.journal.read()] == [("db1", "1")] * 2


async def test_mem_max_then_mem_set_above_the_old_maximum() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        form = await open_form(pilot, app, "x")
        assert form.values() == {"size": "192m"}
        await fill(pilot, form, size="100m")
        assert "below db1's current target 160 MiB" in str(form.query_one("#error-size").render())
        await fill(pilot, form, size="256m")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: value(app, H, "db1", "mem_max_kib") == 256 * 1024,
                         what="new maximum polled")
        form = await open_form(pilot, app, "m")
        await fill(pilot, form, size="250m")
        assert form.plan is not None
    assert rec.xl("mem-max") == [("xl", "mem-max", "1", "256m")]


async def test_typed_name_confirmation_required_rejected_then_accepted() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        form = await open_form(pilot, app, "m")
        await fill(pilot, form, size="32m")  # below a quarter of 160 MiB
        screen = await submit(pilot, app, form)
        assert screen.typed_name and screen.plan.confirm_text == "db1"
        reasons = str(screen.query_one("#confirm-reasons").render())
        assert "below a quarter of the current memory" in reasons
        await pilot.press("y")  # typed into the name field, runs nothing
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen) and rec.xl("mem-set") == []
        await confirm(pilot, app, typed="db2")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen) and screen.rejected == 1
        assert 'that is not "db1"' in str(screen.query_one("#confirm-error").render())
        assert rec.xl("mem-set") == [] and host.domains[1].target_kib == 160 * 1024
        await confirm(pilot, app, typed="db1")
        await wait_until(pilot, lambda: value(app, H, "db1", "mem_target_kib") == 32 * 1024,
                         what="new target polled")
    assert rec.xl("mem-set") == [("xl", "mem-set", "1", "32m")]


async def test_production_host_needs_the_name_for_a_pause() -> None:
    app, host, rec = lab_app(production=True)
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and screen.typed_name
        assert "xenlab is a production host" in str(screen.query_one("#confirm-reasons").render())
        await confirm(pilot, app, typed="idle1")
        assert host.domains[2].paused


# --- save, restore, create, destroy ----------------------------------------------------------


async def test_save_shows_progress_then_overwrite_needs_a_tick() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        path = "/var/lib/xen/save/idle1.chk"
        assert form.values() == {"path": path, "mode": "keep", "overwrite": False}
        assert form.plan is not None and form.plan.display == f"xl save -c 2 {path}"
        await submit(pilot, app, form)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen),
                         what="progress shown")
        progress = app.screen
        assert isinstance(progress, ProgressScreen)
        running = progress.running
        await wait_until(pilot, lambda: app.last_result is not None, timeout=30, what="saved")
        assert running.percent == 100 and progress.updates > 1
        assert not isinstance(app.screen, ProgressScreen)  # closed when done
        result = app.last_result
        assert result is not None and result.ok
        assert f"Saving to {path} new xl format" in result.message
        assert path in host.files
        assert value(app, H, "idle1", "state.paused") is False  # -c
        form = await open_form(pilot, app, "s")
        assert "already exists on xenlab (to replace it: 'overwrite the file' in the form" in str(
            form.query_one("#error-path").render())
        await fill(pilot, form, overwrite=True)
        assert form.plan is not None
        assert "will be overwritten" in str(form.query_one("#form-warnings").render())
        await pilot.press("escape")
    assert [a[:3] for a in rec.xl("save")] == [("xl", "save", "-c")]


async def test_enter_on_a_checkbox_or_choice_goes_on_and_never_flips_it() -> None:
    app, host, rec = lab_app()
    path = "/var/lib/xen/save/idle1.chk"
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await pilot.press("tab", "tab")  # the path, the choice, the overwrite box
        box = form.focused
        assert isinstance(box, Checkbox)
        await pilot.press("enter")  # "Continue ⏎", as from the path: overwrite untouched
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert box.value is False
        assert app.screen.plan.display == f"xl save -c 2 {path}"  # type: ignore[attr-defined]
        await pilot.press("escape")  # cancelled
        form = await open_form(pilot, app, "s")
        await pilot.press("tab", "down")  # on the choice, moved to "leave it paused"
        await pilot.press("enter")  # takes the option moved to, and stays for a look
        await settled(pilot, form)
        assert app.screen is form and form.values()["mode"] == "paused"
        await pilot.press("enter")  # now it goes on, with the choice shown
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert app.screen.plan.display == f"xl save -p 2 {path}"  # type: ignore[attr-defined]
        await pilot.press("escape")
    assert rec.xl("save") == []


async def test_save_proposes_a_directory_the_host_has() -> None:
    app, host, rec = lab_app()
    host.dirs.discard("/var/lib/xen/save")  # a Debian Dom0 has no xendomains save dir
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await wait_until(pilot, lambda: form.plan is not None, what="a valid plan")
        assert form.values()["path"] == "/var/lib/xen/idle1.chk"
        assert str(form.query_one("#error-path").render()) == ""
        assert form.plan is not None and form.plan.display == "xl save -c 2 /var/lib/xen/idle1.chk"
        await pilot.press("escape")


async def test_save_to_a_missing_directory_is_caught_before_sending() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await fill(pilot, form, path="/nowhere/idle1.chk")
        assert "no directory /nowhere on xenlab" in str(form.query_one("#error-path").render())
        await fill(pilot, form, path="relative.chk")
        assert "absolute" in str(form.query_one("#error-path").render())
        await pilot.press("escape")  # Escape cancels: nothing planned, nothing sent
        await wait_until(pilot, lambda: not isinstance(app.screen, ActionForm))
    assert rec.xl("save") == [] and app.journal.read() == []


async def test_save_and_stop_then_restore_paused_from_the_picker() -> None:
    app, host, rec = lab_app()
    path = "/var/lib/xen/save/idle1.chk"
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await fill(pilot, form, mode="stop")
        assert form.plan is not None and form.plan.display == f"xl save 2 {path}"
        # what stopping it means is said once, in the form and on the confirmation
        warned = str(form.query_one("#form-warnings").render())
        assert warned.count("destroyed once saved") == 1 and "no -c" not in warned
        screen = await submit(pilot, app, form)
        assert screen.typed_name
        assert "without -c the domain is destroyed once saved" in str(
            screen.query_one("#confirm-reasons").render())
        await confirm(pilot, app, typed="idle1")
        await wait_until(pilot, lambda: dom(app, H, "idle1") is None, what="idle1 gone")
        form = await open_form(pilot, app, "o")  # restore: on the cursor's host
        assert choices(form, "pick-path") == [path]
        pick(form, "pick-path", path)
        await fill(pilot, form, paused=True)
        assert form.values()["path"] == path
        assert form.plan is not None and form.plan.display == f"xl restore -p {path}"
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: (d := dom(app, H, "idle1")) is not None
                         and d.state.paused, what="idle1 restored, paused")
    assert journal(app)[-2:] == [("save", "ok"), ("restore", "ok")]


async def test_restore_form_says_which_domain_the_checkpoint_holds() -> None:
    app, host, rec = lab_app()
    path = "/var/lib/xen/save/nightly.chk"  # a name that says nothing of the domain
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await fill(pilot, form, path=path)
        await submit(pilot, app, form)
        await pilot.press("y")  # save -c: idle1 keeps running
        await wait_until(pilot, lambda: app.last_result is not None
                         and not isinstance(app.screen, ProgressScreen), timeout=30,
                         what="saved")
        form = await open_form(pilot, app, "o")
        pick(form, "pick-path", path)
        await settled(pilot, form)
        assert form.plan is None
        assert ('the checkpoint is of idle1, which exists on xenlab (domid 2): xl refuses a '
                'second one (Domain with name "idle1" already exists)') in str(
            form.query_one("#error-path").render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ActionForm))
        host.domains[2].name = "idle1-old"  # renamed on the host: the name is free again
        await wait_until(pilot, lambda: dom(app, H, "idle1") is None, what="rename polled")
        form = await open_form(pilot, app, "o")
        pick(form, "pick-path", path)
        await settled(pilot, form)
        screen = await submit(pilot, app, form)
        assert screen.plan.target == f"idle1 from {path}" and screen.plan.warnings == ()
        assert f"target idle1 from {path}" in str(
            screen.query_one("#confirm-command").render())
        await confirm(pilot, app)
        await wait_until(pilot, lambda: dom(app, H, "idle1") is not None,
                         what="idle1 restored beside idle1-old")
    assert rec.xl("restore") == [("xl", "restore", path)]


async def test_destroy_requires_the_name_and_create_brings_it_back() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and screen.typed_name
        assert "destroy kills the domain at once" in str(
            screen.query_one("#confirm-reasons").render())
        await confirm(pilot, app, typed="idle1")
        await wait_until(pilot, lambda: dom(app, H, "idle1") is None, what="idle1 destroyed")
        await select_domain(pilot, app, H, "web1")
        form = await open_form(pilot, app, "plus")
        found = choices(form, "pick-config_path")
        assert "/etc/xen/idle1.cfg" in found and "/etc/xen/auto/web1.cfg" in found
        pick(form, "pick-config_path", "/etc/xen/idle1.cfg")
        await settled(pilot, form, form.validations)
        assert form.plan is not None and form.plan.display == "xl create /etc/xen/idle1.cfg"
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: (d := dom(app, H, "idle1")) is not None
                         and d.domid not in (None, 2), what="idle1 created again")
    assert rec.xl("destroy") == [("xl", "destroy", "2")]


async def test_enter_on_a_file_list_with_nothing_chosen_opens_it() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        form = await open_form(pilot, app, "plus")
        await wait_until(pilot, lambda: form.choices_loaded, what="the host's files")
        select = form.query_one("#pick-config_path", Select)
        select.clear()
        field = form.query_one("#field-config_path", Input)
        field.value = ""
        select.focus()
        await pilot.press("enter")  # going on would only say "the config file is required"
        await wait_until(pilot, lambda: select.expanded, what="the list open")
        assert app.screen is form
        await pilot.press("escape")
        pick(form, "pick-config_path", "/etc/xen/idle1.cfg")
        await settled(pilot, form, form.validations)
        assert field.value == "/etc/xen/idle1.cfg"
        field.value = "/etc/xen/other.cfg"  # typed past the pick: the list no longer shows it
        await settled(pilot, form, form.validations)
        assert select.is_blank()
        field.value = "/etc/xen/idle1.cfg"
        select.focus()
        await pilot.press("enter")  # a path typed: Enter goes on with it (checked for it)
        await wait_until(pilot, lambda: form._tried, what="the form submitted")
        assert not select.expanded
        assert "creates idle1, which exists on xenlab" in str(
            form.query_one("#error-config_path").render())  # (the submit's check)
        await pilot.press("escape")


async def test_detach_forms_start_on_the_last_device() -> None:
    """`w ⏎ ⏎` took away the guest's first NIC (vif 0) while `g` started on the last disk:
    both forms start on the last, most recently attached device (Enter on the list goes on
    to the confirmation, which shows the device)."""
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        await wait_until(pilot, lambda: vbds(app, 1) == {"xvda", "xvdb"}
                         and len(vifs(app, 1)) == 2, what="db1's devices polled")
        for key, field, last in (("w", "device", "1"), ("g", "vdev", "xvdb")):
            form = await open_form(pilot, app, key)
            select = form.query_one(f"#field-{field}", Select)
            assert form.focused is select
            assert form.values()[field] == last  # the last one, in both forms
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                             what="confirmation")
            assert top(app, ConfirmScreen).plan.argv[-1] == last
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ActionForm | ConfirmScreen),
                             what="back to the view")
    assert rec.xl("network-detach") == [] and rec.xl("block-detach") == []


async def test_shutdown_and_reboot() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("r")  # lower case reloads elsewhere: never a reboot
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert top(app, ConfirmScreen).plan.display == "xl reboot 3"
        await confirm(pilot, app)
        assert app.last_result is not None and "Rebooting domain 3" in app.last_result.message
        await select_domain(pilot, app, H, "db1")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await confirm(pilot, app)
        assert app.last_result is not None and "Shutting down domain 1" in app.last_result.message
        await wait_until(pilot, lambda: (d := dom(app, H, "db1")) is None or d.state.shutdown
                         or d.state.dying, what="db1 going down")


# --- vCPUs -------------------------------------------------------------------------------------


async def test_weight_and_cap_under_credit2() -> None:
    app, host, rec = lab_app()
    host.domains[3].weight, host.domains[3].cap = 300, 25
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        form = await open_form(pilot, app, "W")
        await wait_until(pilot, lambda: form.live_info_loaded, what="weight and cap now")
        info = str(form.query_one("#form-info").render())
        assert info.startswith("credit2 scheduler") and "at most 200 for 2 vCPU(s)" in info
        # what the domain has now, as the host says (xl sched-credit2 -d)
        assert info.endswith("\nNow: weight 300, cap 25%.")
        await fill(pilot, form, weight="512", cap="201")
        assert "0 (no cap) to 200" in str(form.query_one("#error-cap").render())
        await fill(pilot, form, cap="lots")
        assert "use a whole number" in str(form.query_one("#error-cap").render())
        await fill(pilot, form, cap="50")
        assert form.plan is not None and form.plan.display == "xl sched-credit2 -d 3 -w 512 -c 50"
        await submit(pilot, app, form)
        await confirm(pilot, app)
        assert app.last_result is not None and app.last_result.ok, app.last_result
    web1 = host.domains[3]
    assert (web1.name, web1.weight, web1.cap) == ("web1", 512, 50)
    assert rec.xl("sched-credit2") == [("xl", "sched-credit2", "-d", "3"),  # the form's ask
                                       ("xl", "sched-credit2", "-d", "3", "-w", "512", "-c", "50")]


async def test_vcpu_set_within_the_boot_maximum() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        form = await open_form(pilot, app, "v")
        assert form.values() == {"count": "2", "ignore_host": False}
        await fill(pilot, form, count="3")
        assert "booted with at most 2 vCPU(s)" in str(form.query_one("#error-count").render())
        await fill(pilot, form, count="two")
        assert "use a whole number" in str(form.query_one("#error-count").render())
        await fill(pilot, form, count="\u0661")  # a digit, but not one xl reads
        assert "use a whole number" in str(form.query_one("#error-count").render())
        await fill(pilot, form, count="1")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: value(app, H, "db1", "vcpus_online") == 1,
                         what="one vCPU online")
    assert rec.xl("vcpu-set") == [("xl", "vcpu-set", "1", "1")]


async def test_vcpu_pin_from_the_pinning_map_cell_under_the_cursor() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        await wait_until(pilot, lambda: any(v.domain == "db1" for v in snap(app, H).vcpus))
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, PinningScreen)
                         and app.screen.grid.model is not None)
        grid = top(app, PinningScreen).grid
        assert grid.move_to_key((H, 1, 1))
        grid.move_to(pcpu=1)
        await pilot.pause()
        assert top(app, PinningScreen).selected_vcpu() == (H, 1, 1)
        form = await open_form(pilot, app, "i")
        assert form.values() == {"vcpu": "1", "cpus": "1", "side": "hard"}
        assert form.plan is not None and form.plan.display == "xl vcpu-pin 1 1 1"
        await fill(pilot, form, cpus="0-3")
        assert "CPU 2 does not exist (the host has CPUs 0-1)" in str(
            form.query_one("#error-cpus").render())
        await fill(pilot, form, cpus="0", side="soft")
        assert form.plan is not None and form.plan.display == "xl vcpu-pin 1 1 - 0"
        await fill(pilot, form, side="hard", cpus="1")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: any(v.domain == "db1" and v.vcpu == 1
                                            and str(v.hard) == "1" for v in snap(app, H).vcpus),
                         what="pinning polled")
        assert isinstance(app.screen, PinningScreen)
    assert rec.xl("vcpu-pin") == [("xl", "vcpu-pin", "1", "1", "1")]


# --- devices ------------------------------------------------------------------------------------


def vifs(app: XlTopApp, domid: int) -> list[str | None]:
    return [d.mac for d in snap(app, H).devices if d.kind == DeviceKind.VIF and d.domid == domid]


async def test_network_attach_with_the_bridge_picker_then_detach() -> None:
    app, host, rec = lab_app()
    mac = "00:16:3e:aa:bb:cc"
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "n")
        assert choices(form, "field-bridge") == ["xenbr0"]
        assert form.values()["bridge"] == "xenbr0"
        assert not form.query("#field-model")  # idle1 is PV: no emulated NIC model asked
        await fill(pilot, form, mac="zz:16")
        assert "MAC" in str(form.query_one("#error-mac").render())
        await fill(pilot, form, mac=mac, rate="10Mb/s")
        assert form.plan is not None
        assert form.plan.argv == ("xl", "network-attach", "2", f"mac={mac}", "bridge=xenbr0",
                                  "rate=10Mb/s")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: vifs(app, 2) == [mac], what="vif polled")
        form = await open_form(pilot, app, "w")
        assert form.values() == {"device": "0"}
        assert form.plan is not None and form.plan.display == "xl network-detach 2 0"
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: vifs(app, 2) == [], what="vif gone")
    assert len(rec.xl("network-attach")) == 1 and len(rec.xl("network-detach")) == 1


def vbds(app: XlTopApp, domid: int) -> set[str | None]:
    return {d.name for d in snap(app, H).devices if d.kind == DeviceKind.VBD and d.domid == domid}


async def test_block_attach_and_detach() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await wait_until(pilot, lambda: vbds(app, 3) == {"xvda"})
        form = await open_form(pilot, app, "b")
        assert form.values()["vdev"] == "xvdb"
        await fill(pilot, form, target="/srv/xen/nothere.img", vdev="xvdc")
        assert "no file or device /srv/xen/nothere.img" in str(
            form.query_one("#error-target").render())
        await fill(pilot, form, target="/srv/xen/db1-b.img", access="ro")
        assert form.plan is not None and form.plan.argv == (
            "xl", "block-attach", "3", "format=raw,vdev=xvdc,access=ro,target=/srv/xen/db1-b.img")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: vbds(app, 3) == {"xvda", "xvdc"}, what="disk polled")
        form = await open_form(pilot, app, "g")
        assert form.values() == {"vdev": "xvdc", "force": False}
        await submit(pilot, app, form)
        await confirm(pilot, app)
        await wait_until(pilot, lambda: vbds(app, 3) == {"xvda"}, what="disk gone")


async def test_xl_error_is_shown_verbatim() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "g")  # idle1 has no disk the snapshot knows
        await fill(pilot, form, vdev="xvdz")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        direct = await rec.inner.run(["xl", "block-detach", "2", "xvdz"])
    result = app.last_result
    assert result is not None and result.outcome == "failed" and result.exit_code == 1
    assert result.message == direct.stderr.strip("\n")
    assert result.message.endswith("Error: Device xvdz not connected.")
    note = app.notes[-1]
    assert note.severity == "error" and note.message == result.message
    assert app.journal.read()[-1]["stderr_tail"][-1] == "Error: Device xvdz not connected."


async def test_cd_insert_and_eject_on_an_hvm_guest() -> None:
    app, hosts, recs = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(h) for h in hosts))
        def loaded(d: Domain) -> list[str | None]:  # its CD drives holding a disc
            return [x.name for x in snap(app, d.host).devices
                    if x.domid == d.domid and x.cdrom and x.target]

        # a guest whose hdc holds an ISO: the form proposes its empty drive, hdd
        hvm = next(d for h in hosts for d in snap(app, h).domains
                   if d.type == DomainType.HVM and d.state.label in ("running", "blocked")
                   and "prod" not in d.host and loaded(d) == ["hdc"])
        await select_domain(pilot, app, hvm.host, hvm.name)
        form = await open_form(pilot, app, "t")
        iso = "/var/lib/xen/iso/virtio-win-0.1.240.iso"
        await fill(pilot, form, target=iso)
        assert form.plan is not None and form.plan.argv[1:] == ("cd-insert", str(hvm.domid),
                                                                "hdd", iso)
        await submit(pilot, app, form)
        await confirm(pilot, app)
        assert app.last_result is not None and app.last_result.ok, app.last_result
        await wait_until(pilot, lambda: loaded(hvm) == ["hdc", "hdd"])
        form = await open_form(pilot, app, "e")  # proposes the first drive holding a disc
        assert form.plan is not None and form.plan.argv[1:] == ("cd-eject", str(hvm.domid),
                                                                "hdc")
        await fill(pilot, form, vdev="hdd")
        await submit(pilot, app, form)
        await confirm(pilot, app)
        assert app.last_result is not None and app.last_result.ok
        pv = next(d for d in snap(app, hvm.host).domains if d.type == DomainType.PV
                  and not d.is_dom0)
        await select_domain(pilot, app, pv.host, pv.name)
        assert app.action_state("cd_insert") is None  # shown disabled in the actions menu
        for key in ("t", "e"):  # said before any form, not after filling one in
            notes = len(app.notes)
            await pilot.press(key)
            await pilot.pause(0.1)
            assert not isinstance(app.screen, ActionForm | ConfirmScreen)
            assert len(app.notes) == notes + 1
            assert app.notes[-1].message == (f"a CD drive needs an HVM guest; {pv.name} "
                                             "is a pv guest")
    assert len(recs[hvm.host].xl("cd-insert")) == 1
    assert len(recs[hvm.host].xl("cd-eject")) == 1


# --- hostile names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES[:4])
async def test_hostile_name_reaches_xl_as_the_domid_and_shows_literally(name: str) -> None:
    app, hosts, recs = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        host = next(h for h, s in hosts.items() if s.by_name(name) is not None)
        await select_domain(pilot, app, host, name)
        d = dom(app, host, name)
        assert d is not None and d.domid is not None
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        verb = "unpause" if d.state.paused else "pause"
        assert screen.plan.argv == ("xl", verb, str(d.domid))
        shown = screen.query_one("#confirm-command").render()
        assert "\x1b" not in str(shown)  # control characters shown as escapes, never sent
        if name == "[red]x":
            assert "[red]x (domid" in str(shown)  # literal, not markup
        await confirm(pilot, app)
        assert hosts[host].domains[d.domid].paused == (verb == "pause")
    assert recs[host].xl(verb) == [("xl", verb, str(d.domid))]


# --- read-only --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "host"])
async def test_read_only_disables_the_bindings_and_the_seam_refuses(how: str) -> None:
    app, host, rec = lab_app(read_only=how == "flag", host_read_only=how == "host")
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        assert app.action_state("pause") is None  # disabled in the actions menu
        assert app.check_action("act", ("pause",)) is True  # a live key that says why not
        for key in ("p", "s", "m", "D", "c", "plus", "a"):
            notes = len(app.notes)
            await pilot.press(key)
            await pilot.pause(0.1)
            assert not isinstance(app.screen, ActionForm | ConfirmScreen | ActionMenu)
            assert len(app.notes) == notes + 1 and "read-only" in app.notes[-1].message, key
        bar = app.screen.query_one(ViewBar)
        assert ("READ-ONLY" in str(bar.render())) is (how == "flag")
        app.action_act("pause")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "read-only" in app.notes[-1].message
        seam = app.seam_for(H)
        assert seam is not None
        with pytest.raises(Refused, match="read-only"):
            await seam.preview(Pause(H, 3), snap(app, H))
    assert [a for a in rec.sent if "pause" in a or "save" in a or "console" in a] == []
    assert not host.domains[3].paused
    assert [(e["verb"], e["outcome"]) for e in app.journal.read()] == [("pause", "refused")]


# --- menu, log, busy, console without a terminal -------------------------------------------


async def open_action_menu(pilot: Pilot[Any], app: XlTopApp, name: str) -> ActionMenu:
    await select_domain(pilot, app, H, name)
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, ActionMenu))
    return top(app, ActionMenu)


@pytest.mark.parametrize("keys", [("enter", "enter"), ("m", "m")])
async def test_a_double_key_in_the_action_menu_opens_one_form(keys: tuple[str, str]) -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_action_menu(pilot, app, "db1")
        menu.query_one("#menu-options", OptionList).highlighted = 3  # mem_set
        depth = len(app.screen_stack)
        burst(app, *keys)  # both read before the first is handled
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm))
        await pilot.pause(0.3)
        assert top(app, ActionForm).spec.id == "mem_set"
        assert len(app.screen_stack) == depth  # the menu went, once; the view below stayed
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(app.screen_stack) == depth - 1)
        assert app.is_running


async def test_action_menu_opens_the_chosen_form() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_action_menu(pilot, app, "db1")
        options = menu.query_one("#menu-options", OptionList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert ids[:4] == ["pause", "save", "restore", "mem_set"] and "console" in ids
        options.highlighted = ids.index("mem_set")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm))
        assert top(app, ActionForm).spec.id == "mem_set"


async def test_action_menu_key_picks_the_action() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_action_menu(pilot, app, "db1")
        await pilot.press("z")  # no action's key: nothing happens
        await pilot.pause(0.1)
        assert app.screen is menu
        await pilot.press("m")  # the key the menu shows beside "Set memory"
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm))
        assert top(app, ActionForm).spec.id == "mem_set"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ActionForm))
        # an action shown greyed out: its key warns and the menu stays
        chosen: list[str | None] = []
        grey = ActionMenu(Text("x"), [(SPECS_BY_ID["pause"], False)], {"pause": "p"},
                          {"p": "pause"})
        await app.push_screen(grey, chosen.append)
        await pilot.press("p")
        await pilot.pause(0.1)
        assert app.screen is grey and chosen == []
        hint = grey.query_one("#menu-hint", Static)
        assert "Pause / unpause (xl pause, xl unpause): not available" in str(hint.render())
    assert rec.xl("mem-set") == [] and rec.xl("pause") == []


async def test_action_menu_fits_a_small_terminal_last_action_and_hint_in_sight() -> None:
    """At 80x24 the menu's box cut its last actions (the highlight went out of sight on
    End) and the hint of a greyed-out one's key off: the list now scrolls in the rows the
    box has left."""
    app, host, rec = lab_app()
    async with app.run_test(size=(80, 24)) as pilot:
        menu = await open_action_menu(pilot, app, "web1")  # a PV guest: no CD drive
        box = menu.query_one("#menu-options", OptionList).parent
        assert isinstance(box, Widget)
        options = menu.query_one("#menu-options", OptionList)

        def in_sight() -> bool:
            inside = box.content_region
            hint = menu.query_one("#menu-hint", Static)
            shown = [options] + ([hint] if hint.display else [])
            last = options.highlighted
            return (all(inside.contains_region(w.region) for w in shown)
                    and last is not None
                    and options.scroll_y <= last < options.scroll_y
                    + options.scrollable_content_region.height)

        await pilot.press("end")  # console, the last action
        await wait_until(pilot, in_sight, what="the last action in sight", timeout=3)
        assert options.get_option_at_index(options.highlighted or 0).id == "console"
        await pilot.press("t")  # CD insert: greyed out on a PV guest
        await wait_until(pilot, lambda: menu.query_one("#menu-hint", Static).display
                         and in_sight(), what="the hint and the highlight in sight", timeout=3)
        assert "needs an HVM guest" in str(menu.query_one("#menu-hint", Static).render())
        assert app.screen is menu


async def test_detach_on_a_domain_with_nothing_to_detach_says_so_and_opens_no_form() -> None:
    """idle1 has no vif and no disk (xentop's NETS and VBDS are 0, XenStore lists none):
    w and g say so; db1's open their forms with its devices to pick."""
    app, _, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        await wait_until(pilot, lambda: value(app, H, "idle1", "nets") == 0,
                         what="xentop's count of idle1's vifs")
        for key, said in (("w", "idle1 has no network interface to detach"),
                          ("g", "idle1 has no disk to detach")):
            await pilot.press(key)
            await wait_until(pilot, lambda said=said: any(said in n.message
                                                          for n in app.notes),
                             what=said)
            assert not isinstance(app.screen, ActionForm)
        await select_domain(pilot, app, H, "db1")
        form = await open_form(pilot, app, "w")
        assert choices(form, "field-device") == ["0", "1"]  # its two vifs
    assert rec.xl("network-detach") == [] and rec.xl("block-detach") == []


async def test_busy_domain_and_the_action_log() -> None:
    app, host, rec = lab_app()
    host.domains[2].mem_kib = 6 * 512 * 1024  # a big idle1: its save takes seconds
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "s")
        await submit(pilot, app, form)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
        await pilot.press("escape")  # on in the background; the UI is free
        await wait_until(pilot, lambda: not isinstance(app.screen, ProgressScreen))
        target = app.target(SPECS_BY_ID["pause"])
        assert target is not None and app.busy_with(target) == "save"
        await pilot.press("p")  # another action on the same domain: refused, nothing sent
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "a save is still running" in app.notes[-1].message
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionLogScreen)
                         and app.screen.loaded > 0)
        text = str(app.screen.query_one("#log-text").render())
        assert "Running now" in text and "xl save -c 2" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.last_result is not None, timeout=30)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionLogScreen)
                         and app.screen.loaded > 0)
        text = str(app.screen.query_one("#log-text").render())
        assert "Running now" not in text and "ok" in text and "xl save -c 2" in text
    assert rec.xl("pause") == []


def test_the_action_log_names_the_domain_xl_was_given_by_domid() -> None:
    # the dashboard sends domids: the log said "xl destroy 10" and nothing else, though the
    # journal names the domain (a domid is reused: it reads as another domain later)
    from tui.actions.log_screen import journal_text
    entries = [{"outcome": "ok", "time": "2026-11-28T15:15:56.704Z", "user": "root",
                "host": "lab", "argv": ["xl", "destroy", "10"], "exit_code": 0,
                "duration_s": 0.3, "verb": "destroy", "domain": "[red]x\x1b"},
               {"outcome": "refused", "time": "2026-11-28T15:16:00.000Z", "user": "root",
                "host": "lab", "argv": ["xl", "pause", "web1"], "verb": "pause",
                "domain": "web1", "message": "read-only"}]
    lines = journal_text(entries, []).plain.splitlines()
    assert "xl destroy 10  ([red]x\\x1b)  exit 0  0.3 s" in lines[-1]  # (made visible)
    assert lines[1].endswith("  xl pause web1")  # (named already: not twice)


async def test_console_without_a_terminal_says_so_and_is_journaled() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("c")
        await wait_until(pilot, lambda: app.console_outcomes)
    assert "run xltop in a terminal" in app.console_outcomes[0].message
    assert [(e["verb"], e["outcome"]) for e in app.journal.read()] == [("console", "failed")]


async def test_bindings_are_listed_in_help_and_rebindable(tmp_path: Path) -> None:
    app, host, rec = lab_app()
    app.set_keymap({"domain.pause": "f9"})
    async with app.run_test(size=SIZE) as pilot:
        ids = set(all_binding_ids(app))
        assert {"domain.pause", "domain.save", "domain.console", "domain.vcpu_pin",
                "domain.create", "domain.menu", "app.action_log"} <= ids
        await select_domain(pilot, app, H, "web1")
        await pilot.press("p")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_dropped_connection_is_outcome_unknown_and_re_polls() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        poller = app.members[0].poller
        refreshes: list[float] = []
        real_refresh = poller.refresh_now

        def counted() -> None:
            refreshes.append(time.monotonic())
            real_refresh()

        poller.refresh_now = counted  # type: ignore[method-assign]
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(rec.inner, SimRunner)
        rec.inner.set_unreachable("Connection reset by peer")  # the link drops
        await confirm(pilot, app)
        result = app.last_result
        assert result is not None and result.outcome == "unknown" and result.exit_code is None
        assert "outcome unknown (re-polling xenlab)" in result.message
        assert app.notes[-1].severity == "warning" and refreshes
        rec.inner.set_unreachable(None)
        await wait_until(pilot, lambda: snap(app, H).status.value == "ok"
                         and value(app, H, "web1", "state.paused") is False,
                         what="the host answers again: the truth comes from the poll")
    assert app.journal.read()[-1]["outcome"] == "unknown"


async def test_per_host_read_only_follows_the_cursor() -> None:
    hosts = make_fleet(2, 4, seed=0)
    recs = {h.name: Recorder(SimRunner(h)) for h in hosts}
    configs = demo_configs(list(recs))
    ro = configs[1].name
    configs[1] = replace(configs[1], read_only=True)
    app = make_app(FAST, configs, dict(recs), render_gap_s=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(c.name) for c in configs))
        rw_dom = next(d for d in snap(app, configs[0].name).domains if not d.is_dom0)
        ro_dom = next(d for d in snap(app, ro).domains if not d.is_dom0)
        await select_domain(pilot, app, ro, ro_dom.name)
        assert app.action_state("pause") is None
        await pilot.press("p")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        assert f"host {ro} is read-only" in app.notes[-1].message
        await select_domain(pilot, app, configs[0].name, rw_dom.name)
        assert app.action_state("pause") is True
        assert app.screen.active_bindings["a"].enabled
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
    assert [a for a in recs[ro].sent if a[:1] == ("xl",) and a[1:2] in (("pause",),
                                                                       ("unpause",))] == []


@pytest.mark.parametrize(("kind", "severity"), [
    ("in-use", "warning"), ("domain-gone", "warning"), ("no-console", "warning"),
    ("connection-lost", "error"), ("detached", "information")])
async def test_console_outcomes_are_told_journaled_and_re_polled(
        monkeypatch: pytest.MonkeyPatch, kind: str, severity: str) -> None:
    """The flow around the bridge (the bridge itself: tests/test_console_bridge.py)."""
    from collectors.console import ConsoleOutcome
    from tui.actions import console_flow

    seen: list[tuple[str, ...]] = []

    async def fake_attach(runner: object, argv: tuple[str, ...], **kw: object) -> ConsoleOutcome:
        seen.append(tuple(argv))
        return ConsoleOutcome(kind, f"the {kind} message", 0)  # type: ignore[arg-type]

    monkeypatch.setattr(console_flow, "attach_console", fake_attach)
    app, host, rec = lab_app()
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        refreshes: list[int] = []
        poller = app.members[0].poller
        monkeypatch.setattr(poller, "refresh_now", lambda: refreshes.append(1))
        await pilot.press("c")
        await wait_until(pilot, lambda: app.console_outcomes)
        assert seen == [("xl", "console", "3")]
        note = app.notes[-1]
        assert (note.severity, note.message) == (severity, f"the {kind} message")
        assert note.title == "console of web1 on xenlab" and refreshes
    line = app.journal.read()[-1]
    assert (line["verb"], line["argv"]) == ("console", ["xl", "console", "3"])
    assert line["outcome"] == ("ok" if kind == "detached" else "failed")


async def test_a_fresh_form_shows_no_required_errors_until_typed_or_submitted() -> None:
    app, _host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "idle1")
        form = await open_form(pilot, app, "b")  # block-attach: no target yet
        assert form.plan is None and form.problems  # not runnable yet...
        error = form.query_one("#error-target", Static)
        assert "required" not in str(error.render())  # ...but not shouted at either
        assert "fill in the fields" in str(form.query_one("#form-command", Static).render())
        await fill(pilot, form, target="/srv/none.img")  # typed: its problem shows at once
        assert "/srv/none.img" in str(error.render())
        await fill(pilot, form, target="")  # typed, then emptied: now it is missing
        assert "required" in str(error.render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ActionForm))
        form = await open_form(pilot, app, "b")
        form.query_one("#form-submit", Button).press()  # Continue on the fresh form
        await settled(pilot, form)
        assert isinstance(app.screen, ActionForm)
        assert "required" in str(form.query_one("#error-target", Static).render())
        await pilot.press("escape")
    assert rec.xl("block-attach") == []


async def test_a_form_opens_over_no_old_toast() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        app.notify("libxl: error: an old failure", severity="error", timeout=30)
        await pilot.pause()
        assert app._notifications
        await open_form(pilot, app, "m")
        assert not app._notifications  # it would have covered the form's command line


async def test_the_palette_runs_an_action_on_the_selected_domain() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        await palette_pick(pilot, "set memory")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm))
        form = top(app, ActionForm)
        assert form.spec.id == "mem_set" and form.target.name == "db1"


async def test_a_palette_action_where_no_domain_is_selected_says_so() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "db1")
        app.show_view("host")  # xl info and dmesg: no domain under any cursor
        await pilot.pause()
        await palette_pick(pilot, "destroy at once")
        await wait_until(pilot, lambda: bool(app.notes), what="a word on why not")
        assert app.notes[-1].message == ("no domain under the cursor in this view: pick one "
                                         "in the Domains view first")
        assert not isinstance(app.screen, ActionForm | ConfirmScreen)
    assert rec.xl("destroy") == []


async def test_read_only_palette_lists_no_actions_but_the_log() -> None:
    for read_only in (True, False):
        app, host, rec = lab_app(read_only=read_only)
        async with app.run_test(size=SIZE) as pilot:
            await select_domain(pilot, app, H, "db1")
            labels = [plain for plain, *_ in FleetCommands(app.screen)._static()]
        actions = [x for x in labels if x.startswith("Action: ")]
        assert "Action log" in labels
        assert (actions == []) is read_only, labels


async def test_the_detail_of_a_domain_that_goes_away_says_it_is_gone() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen
        table = detail.query_one("#detail-vcpus", KeyedTable)
        assert table.order  # its vCPUs
        assert (await rec.inner.run(["xl", "destroy", "web1"])).exit_code == 0
        await wait_until(pilot, lambda: detail.gone and not table.order, timeout=30,
                         what="web1 gone from the detail")
        assert table.empty_message == "no vCPUs: the domain is gone from its host"
        devices = detail.query_one("#detail-devices", KeyedTable)
        await wait_until(pilot, lambda: not devices.order, what="its devices gone")
        assert devices.empty_message == "no devices: the domain is gone from its host"
        header = str(detail.query_one("#detail-header").render())
        assert "(last known values; no actions)" in header and " up " not in header
        assert header.count("gone") == 1
        await pilot.press("m")  # an action key says why nothing runs
        await wait_until(pilot, lambda: any("web1 is gone from xenlab: no actions" in n.message
                                            for n in app._notifications), what="said")
        await pilot.press("right_square_bracket", "right_square_bracket")  # the config tab
        config = detail.query_one("#detail-config", Tree)
        await wait_until(pilot, lambda: [str(n.label) for n in config.root.children] == [
            "⚠ xl list -l: the domain is gone from its host"], what="config tab says it")


async def test_the_domain_under_the_cursor_going_away_is_said_with_where_the_cursor_is() -> None:
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        # another admin destroys it (not through xltop)
        assert (await rec.inner.run(["xl", "destroy", "web1"])).exit_code == 0
        await wait_until(pilot, lambda: dom(app, H, "web1") is None, timeout=30,
                         what="web1 gone from the polls")
        await wait_until(pilot, lambda: any("web1 is no longer on" in n.message
                                            for n in app._notifications), what="said")
        note = next(n for n in app._notifications if "web1 is no longer on" in n.message)
        table = app.screen.query_one("#domains-table", KeyedTable)
        now = table.cursor_key
        assert now is not None and note.message.endswith(
            f"the cursor is now on {now[1]} ({now[0]})")
        # a filter hiding the row is not a domain going away
        n = len(app._notifications)
        await pilot.press("slash", *"db1", "enter")
        await pilot.pause(0.3)
        assert not any("no longer on" in x.message for x in list(app._notifications)[n:])


async def test_the_footer_drops_the_actions_key_when_the_detail_domain_goes_away() -> None:
    # the footer's keys were refreshed on cursor moves only: a domain gone under its
    # detail screen kept "a Actions…" in the footer, a key that then did nothing
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_domain(pilot, app, H, "web1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainDetailScreen))
        detail = app.screen

        def footer_actions() -> list[str]:
            return [k.action for k in detail.query(FooterKey)]

        await wait_until(pilot, lambda: "actions_menu" in footer_actions(),
                         what="the actions key in the footer")
        await pilot.press("D")  # destroyed from its own detail screen
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await confirm(pilot, app, typed="web1")
        await wait_until(pilot, lambda: detail.gone, timeout=30, what="web1 gone")
        await wait_until(pilot, lambda: "actions_menu" not in footer_actions(),
                         what="the actions key gone from the footer with the domain")


async def test_an_action_key_with_nothing_under_the_cursor_says_so() -> None:
    # p in the Fleet view, or o under a filter that shows nothing, did nothing at all
    # (the keys were disabled bindings where nothing was a target; the help lists them
    # as working everywhere)
    app, hosts, recs = fleet_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all(app.store.host(h) is not None for h in hosts),
                         what="every host polled")
        app.show_view("fleet")  # hosts, no domain
        await pilot.pause()
        await pilot.press("p")
        await wait_until(pilot, lambda: bool(app.notes), what="a word on why not")
        assert app.notes[-1].message == ("no domain under the cursor in this view: pick one "
                                         "in the Domains view first")
        app.show_view("domains")
        await pilot.press("slash", *"nosuchdomain", "enter")
        await pilot.pause(0.3)
        await pilot.press("o")  # restore acts on a host: none under an empty filter
        await wait_until(pilot, lambda: len(app.notes) > 1, what="a word on why not")
        assert app.notes[-1].message == ("no host under the cursor in this view: pick one "
                                         "in the Fleet view first")
        n = len(app.notes)
        await pilot.press("question_mark")  # a key on a screen over the view acts on nothing
        await pilot.pause(0.2)
        await pilot.press("p")
        await pilot.pause(0.3)
        assert len(app.notes) == n and not isinstance(app.screen, ActionForm | ConfirmScreen)
    assert all(r.xl("pause") == [] and r.xl("restore") == [] for r in recs.values())


async def _save_idle1_with_progress(pilot: Pilot[Any], app: XlTopApp) -> None:
    await select_domain(pilot, app, H, "idle1")
    await submit(pilot, app, await open_form(pilot, app, "s"))
    await pilot.press("y")
    await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen), what="progress shown")


async def test_quit_while_an_action_runs_asks_first() -> None:
    # q quit at once while a save ran in the background: xltop stopped waiting and its
    # xl was cut off (killed locally), the journal saying only "outcome unknown"
    app, host, rec = lab_app()
    saving = rec.hold("save")
    async with app.run_test(size=SIZE) as pilot:
        await _save_idle1_with_progress(pilot, app)
        await pilot.press("escape")  # on in the background
        await wait_until(pilot, lambda: not isinstance(app.screen, ProgressScreen))
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen), what="asked")
        shown = str(app.screen.query_one("#quit-running", Static).render())
        assert "xl save -c 2 /var/lib/xen/save/idle1.chk" in shown and "idle1" in shown
        await pilot.press("enter")  # a stray Enter stays
        await wait_until(pilot, lambda: not isinstance(app.screen, QuitScreen))
        assert app.is_running
        saving.set()
        await wait_until(pilot, lambda: app.last_result is not None, timeout=30, what="saved")
        assert app.last_result is not None and app.last_result.ok
        # nothing running: q quits at once
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, what="quit")
    assert [e["outcome"] for e in app.journal.read()] == ["ok"]


async def test_quit_over_a_running_progress_screen_then_ctrl_q_twice_quits() -> None:
    app, host, rec = lab_app()
    saving = rec.hold("save")
    async with app.run_test(size=SIZE) as pilot:
        await _save_idle1_with_progress(pilot, app)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen), what="asked")
        # the save ends while the question is up; staying finds no stale progress screen
        saving.set()
        await wait_until(pilot, lambda: app.last_result is not None, timeout=30, what="saved")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ProgressScreen),
                         what="progress closed")
        form = await open_form(pilot, app, "s")
        await fill(pilot, form, path="/var/lib/xen/save/idle1-b.chk")
        rec.hold("save")  # the second save runs until xltop quits
        await submit(pilot, app, form)
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen), what="asked")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, what="quit anyway")


async def test_a_greyed_out_action_in_the_menu_says_why() -> None:
    # its key said only "not available for this domain"; the key itself outside the menu
    # says why (a CD needs an HVM guest), and so does the menu now
    app, host, rec = lab_app()
    async with app.run_test(size=SIZE) as pilot:
        menu = await open_action_menu(pilot, app, "db1")  # a PV guest
        await pilot.press("t")
        await pilot.pause(0.1)
        assert app.screen is menu
        hint = str(menu.query_one("#menu-hint", Static).render())
        assert hint == "Insert a CD (xl cd-insert, HVM): a CD drive needs an HVM guest; " \
                       "db1 is a pv guest", hint
    assert rec.xl("cd-insert") == []


async def test_progress_that_comes_as_its_screen_closes_is_dropped(
        caplog: pytest.LogCaptureFixture) -> None:
    # an xl line arriving while the hidden progress screen was being taken down raised
    # NoMatches in the progress callback (logged as "progress callback failed"), and
    # quitting while the save ran logged "save flow failed" (no screen left to compare)
    app, host, rec = lab_app()
    rec.hold("save")
    async with app.run_test(size=SIZE) as pilot:
        await _save_idle1_with_progress(pilot, app)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await pilot.press("escape")
        for _ in range(20):
            screen.show_progress()
            await asyncio.sleep(0)
        updates = screen.updates
        await pilot.pause(0.2)
        screen.show_progress()
        assert screen.updates == updates
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
