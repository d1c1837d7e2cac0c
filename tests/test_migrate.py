"""``xl migrate``: the simulator against the lab's captures, the control seam's checks and
argv, a migration across the simulated fleet, and ``xltop do``."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from collectors.config import HostConfig, Settings
from collectors.control import requests as rq
from collectors.control.argv import build_argv
from collectors.control.errors import ValidationFailed
from collectors.control.facts import HostFacts
from collectors.control.seam import ControlSeam
from collectors.control.validate import validate
from collectors.control.verbs import UsageError, parse_verb
from collectors.poller import HostPoller
from collectors.sim.fleet import make_fleet, make_lab_like_host, sim_runners
from tests.sim_support import xl

CAPTURES = Path(__file__).parent / "data" / "migrate"


def _numbers(text: str) -> str:
    """Domids, pids, mfns and config lengths differ from run to run: compare the words."""
    return re.sub(r"0x[0-9a-f]+|\d+", "N", text)


@pytest.mark.parametrize("stem", ["idle1-127.0.0.1", "idle1-nosuchhost", "nosuchdom-127.0.0.1",
                                  "idle1"])
def test_the_simulator_answers_as_the_lab_did(stem: str) -> None:
    host = make_lab_like_host()
    argv = shlex.split((CAPTURES / f"{stem}.cmd").read_text())
    got = xl(host, *argv)
    want_rc = int((CAPTURES / f"{stem}.rc").read_text())
    assert got.exit_code == want_rc
    assert got.stdout == (CAPTURES / f"{stem}.out").read_text()
    assert _numbers(got.stderr) == _numbers((CAPTURES / f"{stem}.err").read_text())


def test_a_local_migration_gives_a_new_domid_and_the_logs_say_so() -> None:
    host = make_lab_like_host()
    old = host.by_name("idle1")
    assert old is not None
    assert xl(host, "xl", "migrate", "-p", "idle1", "127.0.0.1").exit_code == 0
    new = host.by_name("idle1")
    assert new is not None and new.domid != old.domid and new.paused
    # as on the lab: the sender's daemon saw a suspend; the new domain was made as
    # idle1--incoming, and its daemon logs under that name
    log = host.files["/var/log/xen/xl-idle1.log"].splitlines()
    assert log[-3:] == [f"Domain {old.domid} has shut down, reason code 2 0x2",
                        "Domain has suspended.", "Done. Exiting now"]
    assert re.fullmatch(rf"Waiting for domain idle1--incoming \(domid {new.domid}\) to die "
                        r"\[pid \d+\]\n", host.files["/var/log/xen/xl-idle1--incoming.log"])
    assert "/var/log/xen/xl-idle1.log.1" not in host.files  # nothing rotated the old one
    # the sender took /vm/UUID (the same UUID) with it: xl uptime cannot tell, as on the lab
    up = xl(host, "xl", "uptime")
    assert "idle1" not in up.stdout and up.exit_code == 0
    assert up.stderr == ("libxl: error: libxl_domain.c:2231:libxl_vm_get_start_time: "
                         f"Domain {new.domid}:Can't get start time of domain\n")


def test_a_migration_moves_the_domain_to_the_other_simulated_host() -> None:
    a, b, _ = make_fleet(3, 6, 0, start=1_800_000_000.0)
    d = next(x for x in a.domains.values() if x.domid and not x.is_shutdown and not x.dying)
    name, mem = d.name, d.mem_kib
    res = xl(a, "xl", "migrate", name, f"root@{b.hostname}")
    assert res.exit_code == 0, res.stderr
    assert res.stderr.endswith("Migration successful.\n")
    assert a.by_name(name) is None
    moved = b.by_name(name)
    assert moved is not None and moved.mem_kib == mem and not moved.paused


@pytest.mark.parametrize("dest", ["$(reboot)", "a;b", "host name", "-oProxyCommand=x", "`id`",
                                  "a|b", "h\nx", "", "@host", "a'b"])
async def test_a_destination_that_sh_or_ssh_would_read_as_more_is_refused(dest: str) -> None:
    host = make_lab_like_host()
    runner = sim_runners([host])[host.name]
    snap = await HostPoller(host.name, runner).poll_once()
    with pytest.raises(ValidationFailed) as e:
        await validate(rq.Migrate(host.name, "web1", dest), snap, HostFacts(runner))
    assert any(p.field == "destination" for p in e.value.problems)


async def test_migrate_checks_argv_and_warns_of_a_local_migration() -> None:
    host = make_lab_like_host()
    runner = sim_runners([host])[host.name]
    snap = await HostPoller(host.name, runner).poll_once()
    web1 = snap.domain("web1")
    assert web1 is not None
    checked = await validate(rq.Migrate(host.name, "web1", " root@10.0.0.2 ", leave_paused=True),
                             snap, HostFacts(runner))
    assert build_argv(checked.request, checked.target) == (
        "xl", "migrate", "-p", str(web1.domid), "root@10.0.0.2")
    assert checked.warnings == ()
    local = await validate(rq.Migrate(host.name, "web1", "127.0.0.1"), snap, HostFacts(runner))
    assert any("local migration" in w for w in local.warnings)
    # a destination the fleet knows to have less free memory than the domain uses: said
    assert web1.mem_kib is not None
    short = await validate(rq.Migrate(host.name, "web1", "root@xen2",
                                      destination_free_kib=web1.mem_kib - 1024),
                           snap, HostFacts(runner))
    assert short.warnings == (
        f"xen2 has {(web1.mem_kib - 1024) // 1024} MiB free and web1 uses "
        f"{web1.mem_kib // 1024} MiB: xl migrate fails there unless its Dom0 can balloon "
        "down that much",)
    roomy = await validate(rq.Migrate(host.name, "web1", "xen2",
                                      destination_free_kib=web1.mem_kib),
                           snap, HostFacts(runner))
    assert roomy.warnings == ()
    with pytest.raises(ValidationFailed, match="not possible on Domain-0"):
        await validate(rq.Migrate(host.name, "Domain-0", "h2"), snap, HostFacts(runner))
    # what ssh would take for another host than meant, refused before the Dom0 tries it
    for dest, why in [("xen-lab-02:22", "ssh takes no :port"), ("root@h2:2222", "no :port"),
                      ("a..b", "not a host name"), ("-oProxyCommand=x", "must be")]:
        with pytest.raises(ValidationFailed, match=why):
            await validate(rq.Migrate(host.name, "web1", dest), snap, HostFacts(runner))
    for dest in ("fe80::1", "root@2001:db8::2", "xen2.example.com."):  # IPv6, an FQDN
        await validate(rq.Migrate(host.name, "web1", dest), snap, HostFacts(runner))


async def test_the_seam_migrates_across_the_fleet_and_the_next_polls_show_it(
        tmp_path: Path) -> None:
    from collectors.journal import Journal

    fleet = make_fleet(3, 6, 0, start=1_800_000_000.0)
    a, b = fleet[0], fleet[1]
    runners = sim_runners(fleet)
    pa, pb = HostPoller(a.name, runners[a.name]), HostPoller(b.name, runners[b.name])
    snap = await pa.poll_once()
    d = next(x for x in snap.domains if x.domid and x.state.label in ("running", "blocked"))
    journal = Journal(tmp_path / "journal.jsonl")
    seam = ControlSeam(runners[a.name], HostConfig(name=a.name, target="demo:0"), Settings(),
                       journal)
    plan = await seam.preview(rq.Migrate(a.name, d.name, b.hostname), snap)
    assert plan.long_running and plan.display == f"xl migrate {d.domid} {b.hostname}"
    result = await seam.execute(plan)
    assert result.outcome == "ok", result.message
    assert "Migration successful." in result.message
    assert (await pa.poll_once()).domain(d.name) is None
    arrived = (await pb.poll_once()).domain(d.name)
    assert arrived is not None and arrived.domid is not None
    entry = json.loads(journal.path.read_text().splitlines()[-1])
    assert (entry["verb"], entry["outcome"], entry["domain"]) == ("migrate", "ok", d.name)


def test_xltop_do_parses_migrate() -> None:
    req = parse_verb("h", "web1", "migrate", ["-p", "xen2"])
    assert req == rq.Migrate("h", "web1", "xen2", leave_paused=True)
    with pytest.raises(UsageError):
        parse_verb("h", "web1", "migrate", [])


# --- from the dashboard -----------------------------------------------------------------------


async def test_migrate_from_the_dashboard_to_a_host_picked_from_the_fleet() -> None:
    from tests.test_tui_actions import SIZE, fleet_app, journal
    from tests.tui_actions_support import (
        choices,
        confirm,
        dom,
        fill,
        open_form,
        pick,
        select_domain,
        settled,
        submit,
        wait_until,
    )
    from tests.tui_views_support import screen_text

    app, hosts, recs = fleet_app()
    src, dst = "xen-lab-02", "xen-prod-03"
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: all((s := app.store.host(h)) is not None and s.info
                                            for h in hosts), what="every host's xl info")
        await select_domain(pilot, app, src, "mq-02")
        d = dom(app, src, "mq-02")
        assert d is not None
        form = await open_form(pilot, app, "G")
        assert choices(form, "pick-destination") == ["xen-prod-01", "xen-prod-03"]
        await fill(pilot, form, destination="$(reboot)")
        assert "must be [user@]host" in str(form.query_one("#error-destination").render())
        assert form.plan is None
        pick(form, "pick-destination", dst)
        await settled(pilot, form)
        assert form.values() == {"destination": dst, "leave_paused": False}
        assert form.plan is not None and form.plan.display == f"xl migrate {d.domid} {dst}"
        # the destination's free memory, from the fleet's own snapshot of it, is compared
        free = app.store.host(dst).info.free_memory_mib  # type: ignore[union-attr]
        assert form.plan.request.destination_free_kib == free * 1024  # type: ignore[union-attr]
        screen = await submit(pilot, app, form)
        assert screen.typed_name  # into a production host: its name typed, as on one
        assert "xen-prod-03 is a production host" in screen_text(app)
        await confirm(pilot, app, typed="mq-02")
        await wait_until(pilot, lambda: dom(app, dst, "mq-02") is not None
                         and dom(app, src, "mq-02") is None, timeout=30, what="mq-02 moved")
    assert journal(app)[-1] == ("migrate", "ok")
    assert [a[:2] for a in recs[src].xl("migrate")] == [("xl", "migrate")]
    assert recs[dst].xl("migrate") == []


async def test_a_migration_into_a_production_host_needs_the_name_typed() -> None:
    from collectors.control.policy import Confirmation, confirmation

    host = make_lab_like_host()
    runner = sim_runners([host])[host.name]
    snap = await HostPoller(host.name, runner).poll_once()
    cfg = HostConfig(name=host.name, target="demo:0")
    plain = await validate(rq.Migrate(host.name, "web1", "xen2"), snap, HostFacts(runner))
    assert confirmation(plain, cfg).kind is Confirmation.YES_NO
    prod = await validate(rq.Migrate(host.name, "web1", "root@xen2", to_production=True), snap,
                          HostFacts(runner))
    rule = confirmation(prod, cfg)
    assert rule.kind is Confirmation.TYPED_NAME and rule.confirm_text == "web1"
    assert rule.reasons == ("root@xen2 is a production host",)


def test_a_paused_domain_is_migrated_paused_unless_unticked() -> None:
    """xl migrate resumes the domain at the destination without -p: a paused one's form
    starts with -p ticked and says what each choice does; a running one's without."""
    from collectors.model import Domain, DomainState
    from tui.actions.specs import SPECS_BY_ID
    from tui.actions.target import Target

    spec = SPECS_BY_ID["migrate"]
    for paused in (True, False):
        d = Domain(host="xen-a", domid=5, name="mq", state=DomainState(paused=paused))
        t = Target("xen-a", domain=d, peers=("xen-b",))
        assert spec.defaults(t) == {"leave_paused": paused}
        req = spec.build(t, {"destination": "xen-b", **spec.defaults(t)})
        assert build_argv(req, "5")[:3] == (("xl", "migrate", "-p") if paused
                                             else ("xl", "migrate", "5"))
        assert spec.info is not None
        assert ("with -p it stays paused there" in spec.info(t)) is paused
