"""Views that show one host at a time (pinning map, XenStore, host): ``[`` and ``]`` step
through the hosts, and the command palette lists the hosts while such a view is on top."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

from collectors.model import HostId
from tui.store import FleetStore
from tui.styles import Palette
from tui.text import safe_text, visible
from tui.views.base import StoreView


def host_bindings(what: str) -> list[BindingType]:
    """The host-stepping keys; every per-host view lists them in its own BINDINGS (the help
    screen shows a view's own bindings only)."""
    return [
        Binding("right_square_bracket", "step_host(1)", "Next host", id="host.next",
                tooltip=f"show the {what} of the next host"),
        Binding("left_square_bracket", "step_host(-1)", "Prev host", id="host.prev",
                tooltip=f"show the {what} of the previous host"),
    ]


def host_title(store: FleetStore, palette: Palette, host: HostId) -> Text:
    """The host's name for a per-host view's header: in the host's accent, after its banner
    (``PROD``; ``PRODUCTION`` for a production host without one) as Fleet, Domains and the
    detail show it."""
    cfg = store.config(host)
    text = Text(end="")
    if cfg is not None and (cfg.banner or cfg.production):
        style = palette.banner.get(cfg.accent or "red", "")
        text.append_text(safe_text(f" {cfg.banner or 'PRODUCTION'} ", style=style))
        text.append(" ")
    accent = palette.accent.get(cfg.accent, "") if cfg is not None and cfg.accent else ""
    text.append_text(safe_text(host, style=accent or "bold", escaped_style=palette.escaped))
    return text


class HostChoices(Provider):
    """The hosts of the fleet, for the per-host view on top."""

    def _choices(self) -> list[tuple[str, Text, HostId]]:
        screen = self.screen
        if not isinstance(screen, PerHostView):
            return []
        out = []
        for host in screen.dash.store.hosts():
            label = Text(f"{screen.TITLE_WORD} of ", end="")
            label.append_text(safe_text(host, style="bold"))
            out.append((f"{screen.TITLE_WORD} of {visible(host)}", label, host))
        return out

    async def discover(self) -> Hits:
        screen = self.screen
        for _, label, host in self._choices():
            assert isinstance(screen, PerHostView)
            yield DiscoveryHit(label, partial(screen.show_host, host),
                               help=f"show this host in the {screen.TITLE_WORD.lower()}")

    async def search(self, query: str) -> Hits:
        screen = self.screen
        matcher = self.matcher(query)
        for plain, label, host in self._choices():
            assert isinstance(screen, PerHostView)
            score = matcher.match(plain)
            if score > 0:
                yield Hit(score, label, partial(screen.show_host, host), text=plain)


class PerHostView(StoreView):
    """A top-level view of one host; subclasses render ``self.host`` in ``update_view``."""

    TITLE_WORD: ClassVar[str] = "Host"
    COMMANDS = {HostChoices}

    def __init__(self) -> None:
        super().__init__()
        self.host: HostId | None = None

    def current_host(self) -> HostId | None:
        """The host shown: the one chosen, else the first that reported, else the first."""
        store = self.dash.store
        hosts = store.hosts()
        if self.host in hosts:
            return self.host
        chosen = next((h for h in hosts if store.host(h) is not None), None)
        self.host = chosen or (hosts[0] if hosts else None)
        if self.host is not None:
            self.host_changed()
        return self.host

    def selected_host(self) -> HostId | None:
        """The host shown (actions on a host act on it)."""
        return self.current_host()

    def show_host(self, host: HostId) -> None:
        if host not in self.dash.store.hosts():
            return
        changed = host != self.host
        self.host = host
        if changed:
            self.host_changed()
        self.sync(force=True)

    def follow(self, host: HostId, domid: int | None = None) -> None:
        """Show the host of what the view the user came from had under its cursor (a
        domain's, a host): pressing 3 on a domain of xen2 shows xen2's map, not the one
        this view showed last. ``domid``: that domain (subclasses may put a cursor on it)."""
        if host not in self.dash.store.hosts():
            return
        if self.ready:
            self.show_host(host)
        else:
            self.host = host  # (mounting renders it)

    def action_step_host(self, step: int) -> None:
        hosts = self.dash.store.hosts()
        if not hosts:
            return
        current = self.current_host()
        i = hosts.index(current) if current in hosts else -step
        self.show_host(hosts[(i + step) % len(hosts)])

    def host_changed(self) -> None:
        """The host shown changed (subclasses reset what they loaded for the old one)."""
