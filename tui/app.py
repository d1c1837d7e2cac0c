"""The xltop dashboard: a thin App that wires settings, themes, views and one poll worker
per host. Views live in :mod:`tui.views` (one Textual mode each); data lives in
:class:`tui.store.FleetStore`; poll workers leave snapshots in an inbox (newest per host)
and one :class:`~tui.messages.SnapshotsArrived` message per burst tells the app to drain it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import ClassVar, cast

from textual import on
from textual.app import App, ScreenStackError, UnknownModeError
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen

from collectors.config import HostConfig, Settings
from collectors.fleet import FleetMember, build_fleet, close_fleet
from collectors.journal import Journal, default_journal_path
from collectors.model import Domain, HostId, HostSnapshot, HostStatus
from collectors.transport.base import Runner
from themes import DEFAULT_THEME, MONO_THEME, THEME_PREFIX, load_themes, resolve_theme
from tui import ui_memory, views
from tui.actions.app_actions import ActionsApp
from tui.commands import FleetCommands, ThemeCommands
from tui.format import plural
from tui.help import HelpScreen, keymap_problems, usable_keymap
from tui.host_access import set_fleet_ring_demand, sync_vcpu_demand
from tui.messages import SnapshotsArrived
from tui.ring_watch import RingWatch
from tui.store import DEFAULT_HISTORY, DomainKey, FleetStore
from tui.styles import Palette
from tui.text import visible
from tui.ui_memory import UiMemory
from tui.views import VIEWS, load_class, view
from tui.views.base import StoreView
from tui.views.per_host import PerHostView

Clock = Callable[[], float]


def _view_bindings() -> list[BindingType]:
    # not in the footer: the view bar at the top shows them with their keys (and clicks),
    # which leaves the footer room for ? Help and q Quit on a 120-column terminal
    return [Binding(v.key, f"show_view({v.id!r})", v.title, id=f"view.{v.id}", show=False)
            for v in VIEWS]


class XlTopApp(ActionsApp):  # actions on domains: tui/actions
    CSS_PATH = "app.tcss"
    TITLE = "xltop"
    COMMANDS = App.COMMANDS | {FleetCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        *_view_bindings(),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+t", "next_theme", "Theme", id="app.next_theme", show=False),
        Binding("ctrl+r", "refresh_now", "Re-poll", id="app.refresh", show=False),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        settings: Settings,
        hosts: Sequence[HostConfig],
        members: Sequence[FleetMember],
        *,
        clock: Clock = time.time,
        history: int = DEFAULT_HISTORY,
        render_gap_s: float | None = None,
        poll: bool = True,
        initial_view: str | None = None,
        preload: Sequence[HostSnapshot] = (),
        memory_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        # the theme and sort of the last run (None: tests and tools remember nothing)
        self.memory_path = memory_path
        self.memory = ui_memory.load(memory_path) if memory_path else UiMemory()
        if hosts and all(h.is_demo for h in hosts):
            self.journal = Journal(default_journal_path(demo=True))
        self.store = FleetStore(hosts, history=history)
        self.ring_watch = RingWatch()
        for snap in preload:
            self.store.apply(snap)
        self.members = list(members)
        self.clock = clock
        self.poll = poll
        # hosts report at their own pace: repaint at most once per poll interval (0.25-1 s),
        # as xentop does (keys repaint at once; at 1 s and 5,000 domains every repaint is
        # ~20 ms of the loop)
        self.render_gap_s = (min(1.0, max(0.25, settings.interval_s))
                             if render_gap_s is None else render_gap_s)
        # newest undelivered snapshot per host; a burst of them costs one message through
        # Textual's pump, not one per snapshot (100 hosts: 100 messages a second)
        self._inbox: dict[HostId, HostSnapshot] = {}
        self._inbox_signalled = False
        self._sync_pending = False
        self._last_sync = 0.0
        self._sync_cost = 0.0
        self.initial_view = initial_view or ("fleet" if len(hosts) > 1 else "domains")
        user_dirs = [settings.config_path.parent / "themes"] if settings.config_path else []
        themes, self.theme_errors = load_themes(user_dirs)
        for t in themes.values():
            self.register_theme(t)
        self.xltop_themes = sorted(themes)
        self.palette = Palette.from_variables(dict(themes[DEFAULT_THEME].variables))
        for spec in VIEWS:
            self.add_mode(spec.id, partial(_screen_factory, spec.screen))
        self.set_keymap(usable_keymap(settings.keys))

    # --- Dashboard protocol (what views use) ---------------------------------------------

    def now(self) -> float:
        return self.clock()

    def show_view(self, view_id: str, filter_text: str | None = None) -> None:
        spec = view(view_id)
        if spec is None:
            return
        origin = self._selection() if view_id != self.current_mode else None
        self.switch_mode(view_id)
        base = self.screen_stack[0]
        if origin is not None and isinstance(base, PerHostView):
            base.follow(*origin)  # the host (and domain) the user was on, not the last one
        set_fleet_ring_demand(self, spec.wants_rings)
        sync_vcpu_demand(self)  # the pinning map: its host's vCPUs; other views: none
        if filter_text is not None and hasattr(base, "set_filter"):
            base.set_filter(filter_text)

    def _selection(self) -> tuple[HostId, int | None] | None:
        """The host, and domain id, under the cursor of the view on top (under any dialog
        or palette): a domain's, else a host's (the Fleet view, a per-host view)."""
        screen = next((s for s in reversed(self.screen_stack)
                       if not isinstance(s, ModalScreen)), None)
        if screen is None:
            return None
        try:
            pick = getattr(screen, "selected_domain", None)
            d = pick() if callable(pick) else None
            if isinstance(d, Domain):
                return d.host, d.domid
            pick = getattr(screen, "selected_host", None)
            host = pick() if callable(pick) else None
        except NoMatches:  # (its widgets not mounted yet)
            return None
        return (host, None) if isinstance(host, str) else None

    def open_domain(self, key: DomainKey, tab: str | None = None) -> None:
        """The domain's detail, on ``tab`` (a pane id such as "tab-devices") if given."""
        path = views.DOMAIN_DETAIL_SCREEN
        if path is None:
            self.notify("The domain detail view is not available yet.", severity="warning")
            return
        factory = cast(Callable[..., Screen[None]], load_class(path))
        self.push_screen(factory(key, tab) if tab else factory(key))

    def jump_to_domain(self, key: DomainKey) -> None:
        self.show_view("domains")
        base = self.screen_stack[0]
        if hasattr(base, "focus_domain"):
            base.focus_domain(key)

    def jump_to_host(self, host: HostId) -> None:
        self.show_view("fleet")
        base = self.screen_stack[0]
        if hasattr(base, "focus_host"):
            base.focus_host(host)

    def set_theme(self, name: str) -> None:
        self.theme = name

    def search_themes(self) -> None:
        """The palette's "Theme" command: xltop's themes, not Textual's."""
        self.push_screen(CommandPalette(providers=[ThemeCommands],
                                        placeholder="Search for themes…"))

    def selected_domain(self) -> Domain | None:
        """The domain under the cursor of the current view, if it has one (for actions)."""
        pick = getattr(self.screen, "selected_domain", None)
        result = pick() if callable(pick) else None
        return result if isinstance(result, Domain) else None

    # --- lifecycle -------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Textual's own themes lack xltop's variables: borrow them from the default theme
        theme = self.get_theme(DEFAULT_THEME)
        return dict(theme.variables) if theme else {}

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.theme = self._initial_theme()
        self.switch_mode(self.initial_view)
        for error in self.theme_errors:
            self.notify(visible(error), title="theme skipped", severity="warning",
                        markup=False)
        where = self.settings.config_path
        for problem in keymap_problems(self, self.settings.keys):
            self.notify(visible(problem), severity="warning", timeout=15,
                        title=f"key bindings in {visible(str(where))}" if where else "key bindings",
                        markup=False)  # ([keys] is text, not markup)
        self.set_interval(1.0, self._tick)
        if self.poll:
            for m in self.members:
                self.run_worker(self._follow(m), group="poll", name=f"poll:{m.config.name}",
                                exit_on_error=False)

    def _initial_theme(self) -> str:
        wanted = self.settings.theme
        if "NO_COLOR" in os.environ and wanted == DEFAULT_THEME:
            return MONO_THEME
        remembered = self.memory.theme
        if not self.settings.theme_chosen and remembered is not None:
            found = resolve_theme(remembered, self.xltop_themes)
            if found is not None:
                return found
        found = resolve_theme(wanted, self.xltop_themes)  # (not Textual's: no xltop colours)
        if found is not None:
            return found
        ours = ", ".join(sorted(n.removeprefix(THEME_PREFIX) for n in self.xltop_themes))
        self.notify(f"unknown theme {visible(wanted)!r}; using {DEFAULT_THEME} (themes: {ours})",
                    severity="warning", markup=False)  # ('[/x]' is a name, not markup)
        return DEFAULT_THEME

    async def on_unmount(self) -> None:
        await close_fleet(self.members)
        if self.memory_path is not None:
            ui_memory.save(self.memory_path, replace(self.memory, theme=self.theme))

    # --- snapshots ---------------------------------------------------------------------------

    async def _follow(self, member: FleetMember) -> None:
        """The poll worker of one host: every snapshot goes to the inbox."""
        host = member.config.name
        last: HostSnapshot | None = None
        try:
            async for snap in member.poller.snapshots():
                last = snap
                self.deliver(snap)
        except Exception as e:  # noqa: BLE001 - a collector bug must not stop the dashboard
            self.deliver(HostSnapshot(host=host, time=self.now(), status=HostStatus.ERROR,
                                      message=f"collector stopped: {e!r}",
                                      seq=(last.seq + 1) if last else 1))

    def deliver(self, snap: HostSnapshot) -> None:
        """Hand a snapshot to the app (poll workers, replays, tests): it replaces any
        undelivered one of its host, and the app is told once per burst."""
        self._inbox[snap.host] = snap
        if not self._inbox_signalled:
            self._inbox_signalled = self.post_message(SnapshotsArrived())

    @on(SnapshotsArrived)
    def _drain_inbox(self, _message: SnapshotsArrived) -> None:
        self._inbox_signalled = False
        batch, self._inbox = self._inbox, {}
        changed = False
        for snap in batch.values():
            changed = self.store.apply(snap) or changed
        if changed:
            self._schedule_sync()

    def _schedule_sync(self) -> None:
        if self._sync_pending:
            return
        self._sync_pending = True
        # never spend more than ~10% of the loop re-rendering: a view that takes 30 ms to
        # render (5,000 domains) is refreshed at most every 0.3 s, whatever the gap
        gap = max(self.render_gap_s, 10 * self._sync_cost)
        delay = max(0.0, self._last_sync + gap - time.monotonic())
        self.set_timer(max(delay, 0.01), self.sync_view)

    def sync_view(self) -> None:
        """Render the visible view from the store (hidden views wait until shown)."""
        self._sync_pending = False
        start = self._last_sync = time.monotonic()
        shown = self._visible_view()
        if shown is not None:
            shown.sync()
            self._sync_cost = time.monotonic() - start
        # what the keys act on may change without a cursor move (the domain of a detail
        # screen gone, or back; a PV guest turned HVM by a re-create): the footer follows
        self._update_bindings()

    def _tick(self) -> None:
        """Once a second: what depends on the clock only (ages, the clock itself)."""
        shown = self._visible_view()
        if shown is not None:
            shown.tick()

    def _visible_view(self) -> StoreView | None:
        if not self.is_running:
            return None
        try:
            screen = self.screen
        except (ScreenStackError, UnknownModeError):
            return None  # starting up or shutting down
        return screen if isinstance(screen, StoreView) and screen.ready else None

    def _theme_changed(self, _theme: object) -> None:
        self.palette = Palette.from_variables(self.theme_variables)
        for screen in self.screen_stack:
            if isinstance(screen, StoreView) and screen.ready:
                screen.sync(force=True)

    # --- actions ---------------------------------------------------------------------------

    def action_show_view(self, view_id: str) -> None:
        self.show_view(view_id)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_next_theme(self) -> None:
        names = self.xltop_themes
        i = names.index(self.theme) + 1 if self.theme in names else 0
        self.theme = names[i % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_refresh_now(self) -> None:
        for m in self.members:
            m.poller.refresh_now()
        n = len(self.members)
        self.notify(f"asking {plural(n, 'host')} again now (every source)",
                    title="Re-poll", timeout=2, markup=False)


def _screen_factory(path: str) -> Screen[None]:
    return load_class(path)()


def make_app(
    settings: Settings,
    hosts: Sequence[HostConfig],
    runners: dict[str, Runner] | None = None,
    *,
    members: Sequence[FleetMember] | None = None,
    memory_path: Path | None = None,
    clock: Clock = time.time,
    history: int = DEFAULT_HISTORY,
    render_gap_s: float | None = None,
    poll: bool = True,
    initial_view: str | None = None,
    preload: Sequence[HostSnapshot] = (),
) -> XlTopApp:
    """The one way to build the dashboard (CLI, tests, screenshots, benchmarks).

    ``members`` replaces the pollers built from ``hosts`` and ``runners``; ``poll=False``
    starts no worker (snapshots then come only from ``preload`` and
    :meth:`XlTopApp.deliver`), which with a frozen ``clock`` makes the screen deterministic.
    """
    if members is None:
        members = build_fleet(hosts, settings, runners, clock=clock) if poll else []
    return XlTopApp(settings, hosts, members, clock=clock, history=history,
                    render_gap_s=render_gap_s, poll=poll, initial_view=initial_view,
                    preload=preload, memory_path=memory_path)


def run_app(settings: Settings, hosts: Sequence[HostConfig],
            runners: dict[str, Runner] | None = None) -> int:
    app = make_app(settings, hosts, runners, memory_path=ui_memory.default_path())
    result = app.run()
    if isinstance(result, int):
        return result
    return app.return_code or 0  # non-zero after a crash, never a quiet success

