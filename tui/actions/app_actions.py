"""The dashboard's actions on the selected domain (or host): key bindings, their enabled
state, one control seam per host, running actions and what the user was told.

:class:`tui.app.XlTopApp` derives from :class:`ActionsApp`; the bindings are merged with
the app's own, so they show in the footer and on the ``?`` screen and can be rebound under
``[keys]`` by id (``domain.pause``, ``domain.save``, ...). Read-only mode disables the
bindings here *and* is refused by the control layer itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, ClassVar

from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import ModalScreen

from collectors.config import HostConfig, Settings, production_names
from collectors.console import ConsoleOutcome
from collectors.control.outcome import Progress
from collectors.control.policy import refusal
from collectors.control.seam import ActionResult, ControlSeam, Plan
from collectors.control.syntax import host_name_key
from collectors.fleet import FleetMember
from collectors.journal import Journal
from collectors.model import Device, Domain, HostId
from tui.actions.bulk import BULK_SPECS, BulkFlow
from tui.actions.console_flow import attach_flow
from tui.actions.flow import ActionFlow
from tui.actions.log_screen import ActionLogScreen
from tui.actions.menu import ActionMenu
from tui.actions.progress import ProgressScreen
from tui.actions.quit_screen import QuitScreen
from tui.actions.running import Note, RunningAction, busy_key, result_severity, result_title
from tui.actions.specs import SPECS, SPECS_BY_ID, ActionSpec
from tui.actions.target import Target
from tui.actions.text import target_header, toast_text, verbatim
from tui.keymap import keys_of
from tui.store import FleetStore
from tui.styles import MARK
from tui.text import visible

_log = logging.getLogger(__name__)
MENU_ID = "domain.menu"
LOG_ID = "app.action_log"
_TIMEOUTS = {"information": 6.0, "warning": 15.0, "error": 20.0}


def action_bindings() -> list[BindingType]:
    """One binding per action (listed on the ? screen and in the ``a`` menu); the footer
    shows only the menu, so the views' own keys, help and quit keep their place."""
    out: list[BindingType] = [
        Binding(s.key, f"act({s.id!r})", s.title, id=f"domain.{s.id}", show=False)
        for s in SPECS
    ]
    out.append(Binding("a", "actions_menu", "Actions…", id=MENU_ID,
                       tooltip="every action on the selected domain"))
    out.append(Binding("L", "action_log", "Action log", id=LOG_ID, show=False,
                       tooltip="actions running now and the journal's newest lines"))
    return out


class ActionsApp(App[int]):
    BINDINGS: ClassVar[list[BindingType]] = action_bindings()

    # set by XlTopApp
    store: FleetStore
    settings: Settings
    members: list[FleetMember]

    def __init__(self) -> None:
        super().__init__()
        self.journal = Journal()
        self.running: dict[tuple[HostId, str], RunningAction] = {}
        self.notes: list[Note] = []  # what the user was told, newest last
        self.console_outcomes: list[ConsoleOutcome] = []
        self._seams: dict[HostId, ControlSeam] = {}
        self._binding_state: tuple[bool | None, ...] = ()
        # the flow a key started, until its confirmation is answered: action keys wait for
        # it (D D opened a second confirmation: both came before the first one was up)
        self._opening: object | None = None

    # --- hosts, seams, targets ------------------------------------------------------------

    def member(self, host: HostId) -> FleetMember | None:
        return next((m for m in self.members if m.config.name == host), None)

    def seam_for(self, host: HostId) -> ControlSeam | None:
        """The host's control seam (one per host: it knows which domains are busy)."""
        seam = self._seams.get(host)
        if seam is None:
            m = self.member(host)
            if m is None:
                return None
            seam = ControlSeam(m.runner, m.config, self.settings, self.journal,
                               refresh=m.poller.refresh_now,
                               on_journal_error=lambda said: self.say(
                                   "warning", "action not journaled", said))
            self._seams[host] = seam
        return seam

    def host_config(self, host: HostId) -> HostConfig | None:
        m = self.member(host)
        return m.config if m is not None else self.store.config(host)

    def refusal(self, host: HostId) -> str | None:
        """Why actions on ``host`` are refused (read-only), or None."""
        cfg = self.host_config(host)
        if cfg is None:
            return f"unknown host {host}"
        return refusal(cfg, self.settings)

    def refresh_host(self, host: HostId) -> None:
        m = self.member(host)
        if m is not None:
            m.poller.refresh_now()

    def target(self, spec: ActionSpec, *, with_peers: bool = True) -> Target | None:
        """What ``spec`` would act on from the screen on top, or None. ``with_peers=False``
        leaves out the fleet's other hosts (a loop over the fleet; only migrate's form
        and request read them, not the enabled-state checks run at every cursor move)."""
        try:
            screen = self.screen
        except ScreenStackError:
            return None  # starting up or shutting down
        if isinstance(screen, ModalScreen):
            return None
        domain = _call(screen, "selected_domain")
        if not isinstance(domain, Domain):
            domain = None
        if spec.scope == "domain":
            if domain is None:
                return None
            host = domain.host
        else:
            host = domain.host if domain is not None else _call(screen, "selected_host")
            if not isinstance(host, str):
                hosts = self.store.hosts()
                host = hosts[0] if len(hosts) == 1 else None
            if host is None:
                return None
        snap = self.store.host(host)
        vcpu = pcpu = None
        device = None
        if domain is not None:
            picked = _call(screen, "selected_vcpu")
            if (isinstance(picked, tuple) and len(picked) == 3 and picked[0] == host
                    and picked[1] == domain.domid):
                vcpu = picked[2] if isinstance(picked[2], int) else None
                p = _call(screen, "selected_pcpu")
                pcpu = p if isinstance(p, int) else None
            dev = _call(screen, "selected_device")
            if isinstance(dev, Device) and dev.domid == domain.domid:
                device = dev
        if not with_peers:
            return Target(host, domain, snap, vcpu, pcpu, device)
        return Target(host, domain, snap, vcpu, pcpu, device, *self._peers(host))

    def _peers(self, host: str) -> tuple[tuple[str, ...], frozenset[str], dict[str, int]]:
        """Where this host's domains could migrate: the other hosts' names as their Dom0
        knows itself (``xl info`` host), which the host's own ssh may resolve; the names
        (that one, the configured name and target) of those marked production; and their
        free memory (KiB) by that name and the configured one."""
        names: list[str] = []
        production: set[str] = set()
        free: dict[str, int] = {}
        for other in self.store.hosts():
            if other == host:
                continue
            snap, cfg = self.store.host(other), self.store.config(other)
            info = snap.info if snap is not None else None
            own = info.hostname if info is not None else None
            if own:
                names.append(own)
            if cfg is not None and cfg.production:
                production.update(production_names([cfg])
                                  | ({host_name_key(own)} if own else set()))
            if info is not None and info.free_memory_mib is not None:
                for name in (other, own or other):
                    free[host_name_key(name)] = info.free_memory_mib * 1024
        return tuple(dict.fromkeys(names)), frozenset(production), free

    def busy_with(self, t: Target) -> str | None:
        """The verb of the action running on ``t``'s domain, if any."""
        d = t.domain
        if d is None:
            return None
        key = (t.host, str(d.domid) if d.domid is not None else d.name)
        running = self.running.get(key)
        return running.plan.verb if running is not None else None

    # --- enabled state ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # an action key is live wherever a view is on top: on a read-only host it says why
        # it is refused, and where nothing is under the cursor (p in the Fleet view, an
        # emptied filter) that there is nothing to act on, instead of doing nothing
        if action == "act" and parameters:
            return not self._modal_on_top()
        if action == "actions_menu":
            return self.action_state("pause") is not False
        return super().check_action(action, parameters)

    def action_state(self, spec_id: str) -> bool | None:
        """True: can run; None: shown disabled (read-only); False: hidden (nothing to act on)."""
        spec = SPECS_BY_ID.get(spec_id)
        t = self.target(spec, with_peers=False) if spec is not None else None
        if t is None or self.member(t.host) is None:
            return False
        if self.refusal(t.host) is not None or (spec is not None and spec.why_unfit(t)):
            return None
        return True

    def _modal_on_top(self) -> bool:
        try:
            return isinstance(self.screen, ModalScreen)
        except ScreenStackError:
            return True  # starting up or shutting down: no key acts

    def _update_bindings(self) -> None:
        if not self.screen_stack:  # a cursor message that arrived while the app closed
            return
        if self._modal_on_top():
            # a form or confirmation on top has no target: a state taken now would be
            # "nothing to act on", and the view's footer would keep its stale keys when
            # it comes back (a domain destroyed from its detail screen kept "a Actions…")
            return
        state = tuple(self.action_state(s.id) for s in SPECS)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def on_keyed_table_cursor_moved(self) -> None:
        self._update_bindings()  # a row on another (read-only?) host, or none

    def on_pinning_grid_cursor_moved(self) -> None:
        self._update_bindings()

    # --- the actions ------------------------------------------------------------------------

    def marked_domains(self) -> list[Domain]:
        """The domains marked in the view on top (space in the Domains view)."""
        try:
            screen = self.screen
        except ScreenStackError:
            return []
        if isinstance(screen, ModalScreen):
            return []
        marked = _call(screen, "marked_domains")
        return [d for d in marked if isinstance(d, Domain)] if isinstance(marked, list) else []

    def action_act(self, spec_id: str) -> None:
        spec = SPECS_BY_ID.get(spec_id)
        if spec is None or self._opening is not None:
            return
        marked = self.marked_domains() if spec.scope == "domain" and spec.id != "console" else []
        if marked:
            if spec.id not in BULK_SPECS:
                self.say("warning", spec.footer,
                         f"{spec.footer} acts on one domain at a time; {len(marked)} "
                         "marked (u unmarks them all)")
                return
            self._open(spec, BulkFlow(self, spec, marked))
            return
        t = self.target(spec)
        gone = _call(self.screen, "gone_message") if t is None and spec.scope == "domain" else None
        if isinstance(gone, str):  # a detail view kept open on a domain that went away
            self.say("warning", spec.footer, f"{gone}: no actions")
            return
        if t is None:  # a key or the palette where nothing is under the cursor
            where = ("pick one in the Domains view first" if spec.scope == "domain"
                     else "pick one in the Fleet view first")
            self.say("warning", spec.footer,
                     f"no {spec.scope} under the cursor in this view: {where}")
            return
        why = self.refusal(t.host)
        if why is not None:  # the seam refuses too; never rely on one guard
            self.say("warning", spec.footer, why)
            return
        why = spec.why_unfit(t)
        if why is not None:
            self.say("warning", spec.footer, why)
            return
        if spec.id == "console":
            self.run_worker(self._guarded(spec, attach_flow(self, t)), group="console",
                            exclusive=True)
            return
        self._open(spec, ActionFlow(self, spec, t))

    def _open(self, spec: ActionSpec, flow: ActionFlow | BulkFlow) -> None:
        self._opening = flow
        self.run_worker(self._guarded(spec, flow.run(), opening=flow), group="actions")

    def opened(self, flow: object) -> None:
        """``flow`` was answered (its confirmation): action keys start flows again."""
        if self._opening is flow:
            self._opening = None

    async def _guarded(self, spec: ActionSpec, flow: Awaitable[object],
                       opening: object | None = None) -> None:
        """A bug in a flow is reported, never a crash of the dashboard."""
        try:
            await flow
        except Exception as e:  # noqa: BLE001
            _log.exception("%s flow failed", spec.id)
            self.say("error", f"{spec.footer}: internal error", f"{type(e).__name__}: {e}")
        finally:
            self.opened(opening)  # (ended before its confirmation was answered)

    def action_actions_menu(self) -> None:
        t = self.target(SPECS_BY_ID["pause"])
        if t is None:
            return
        why = self.refusal(t.host)
        if why is not None:
            self.say("warning", "Actions", why)
            return
        keymap: dict[str, str] = dict(getattr(self, "_keymap", {}) or {})
        bound = {s.id: keys_of(keymap.get(f"domain.{s.id}", s.key)) for s in SPECS}
        keys = {sid: self.get_key_display(Binding(ks[0], "")) for sid, ks in bound.items()}
        hotkeys = {k: sid for sid, ks in bound.items() for k in ks if k}
        specs = [(s, self.action_state(s.id) is True) for s in SPECS]
        unfit = {s.id: reason for s, ok in specs if not ok and (reason := s.why_unfit(t))}

        def chosen(spec_id: str | None) -> None:
            if spec_id is not None:
                self.call_later(self.action_act, spec_id)

        header = target_header(t, "Act on")
        marked = self.marked_domains()
        if marked:  # (p, d, R, D act on every marked domain, not on the one above)
            bulk = " ".join(keys[s.id] for s in SPECS if s.id in BULK_SPECS)
            header.append(f"\n{MARK} {len(marked)} marked: {bulk} act on all of them")
        self.push_screen(ActionMenu(header, specs, keys, hotkeys, unfit), chosen)

    async def action_quit(self) -> None:
        """Quit, unless actions still run: then ask first (their xl would be cut off). A
        second quit over that question (ctrl+q) quits."""
        if self.running and not isinstance(self.screen, QuitScreen):
            def answer(quit_anyway: bool | None) -> None:
                if quit_anyway:
                    self.exit()

            self.push_screen(QuitScreen(list(self.running.values())), answer)
            return
        await super().action_quit()

    def action_action_log(self) -> None:
        if not isinstance(self.screen, ActionLogScreen):
            self.push_screen(ActionLogScreen(self.journal, self.running.values()))

    # --- running ------------------------------------------------------------------------------

    async def execute_plan(self, seam: ControlSeam, plan: Plan, typed: str | None,
                           *, report: bool = True) -> ActionResult | None:
        """Run a confirmed plan; long ones with a progress screen the user may hide.
        ``report=False`` leaves the notification to the caller (a bulk action's summary)."""
        key = busy_key(plan.host, plan)
        if key in self.running:
            self.say("warning", plan.verb, f"{plan.target}: a {self.running[key].plan.verb} "
                     "is still running")
            return None
        running = self.running[key] = RunningAction(plan)
        screen = ProgressScreen(running) if plan.long_running else None
        if screen is not None:
            self.push_screen(screen)

        def progress(p: Progress) -> None:
            running.update(p)
            if screen is not None and screen.is_attached:
                screen.show_progress()

        try:
            result = await seam.execute(plan, typed=typed, on_progress=progress)
        finally:
            del self.running[key]
            running.done = True
            if screen is not None and self.screen_stack[-1:] == [screen]:  # (none at exit)
                screen.dismiss(None)
        if report:
            self.report(result)
        return result

    def report(self, result: ActionResult) -> None:
        """The result as a notification: xl's own text, verbatim."""
        self.say(result_severity(result), result_title(result), result.message, result)

    def say(self, severity: str, title: str, message: str,
            result: ActionResult | None = None) -> None:
        self.notes.append(Note(severity, title, message, result))
        del self.notes[:-200]
        self.notify(verbatim(toast_text(message)) or "-", title=visible(title),
                    severity=severity,  # type: ignore[arg-type]
                    timeout=_TIMEOUTS.get(severity, 10.0), markup=False)

    @property
    def last_result(self) -> ActionResult | None:
        return next((n.result for n in reversed(self.notes) if n.result is not None), None)


def _call(obj: object, name: str) -> Any:
    """``obj.name()`` if the screen has it; None before its widgets are mounted."""
    fn = getattr(obj, name, None)
    try:
        return fn() if callable(fn) else None
    except NoMatches:
        return None
