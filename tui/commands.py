"""Command palette (ctrl+p): jump to a domain or a host by name, switch views and themes.

Domain and host names are untrusted: hits are built from :func:`tui.text.safe_text`, never
with ``Matcher.highlight`` (which parses its argument as Textual markup).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.actions.specs import SPECS
from tui.text import safe_text, visible
from tui.views import VIEWS

if TYPE_CHECKING:
    from collectors.model import Domain
    from tui.app import XlTopApp
    from tui.store import DomainKey

MAX_DOMAIN_HITS = 50


def _label(kind: str, name: str, where: str = "") -> Text:
    text = Text(f"{kind}: ", end="")
    text.append_text(safe_text(name, style="bold"))
    if where:
        text.append(f"  {where}", style="dim")
    return text


class FleetCommands(Provider):
    """Views, themes, hosts, groups and domains."""

    @property
    def xl(self) -> XlTopApp:
        return cast("XlTopApp", self.app)

    def _static(self) -> list[tuple[str, Text, Callable[[], object], str]]:
        app = self.xl
        items: list[tuple[str, Text, Callable[[], object], str]] = []
        for spec in VIEWS:
            items.append((f"View: {spec.title}", Text(f"View: {spec.title}"),
                          partial(app.show_view, spec.id), spec.description))
        for name, pick in theme_choices(app):
            items.append((f"Theme: {name}", Text(f"Theme: {name}"), pick,
                          "switch the colour theme"))
        items.append(("Help: keys", Text("Help: keys"), app.action_help, "every key binding"))
        for action in () if app.settings.read_only else SPECS:  # --read-only: none run
            items.append((f"Action: {action.title}", Text(f"Action: {action.title}"),
                          partial(app.action_act, action.id),
                          "on the domain selected" if action.scope == "domain"
                          else "on the selected host"))
        items.append(("Action log", Text("Action log"), app.action_action_log,
                      "what was run, from the journal"))
        return items

    async def discover(self) -> Hits:
        for _, label, cb, help_text in self._static():
            yield DiscoveryHit(label, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for plain, label, cb, help_text in self._static():
            score = matcher.match(plain)
            if score > 0:
                yield Hit(score, label, cb, text=plain, help=help_text)
        q = query.strip().lower()
        if not q:
            return
        # a name holding the query outranks every view/theme/action the matcher scores
        # (its fuzzy scores stay below 4 × the query's length); a name holding its letters
        # in order only is scored by the matcher, as those are
        top = 4.0 * len(q)
        app = self.xl
        store = app.store
        for host in store.hosts():
            if q in host.lower():
                score = top + (3 if host.lower() == q else 1)
                yield Hit(score, _label("Host", host), partial(app.jump_to_host, host),
                          text=f"Host: {visible(host)}", help="select it in the Fleet view")
                yield Hit(score - 0.05, _label("Domains of host", host),
                          partial(app.show_view, "domains", f"host:={host}"),
                          text=f"Domains of host: {visible(host)}")
        groups = sorted({c.group for c in store.configs.values() if c.group})
        for g in groups:
            if q in g.lower():
                yield Hit(top + 1, _label("Domains of group", g),
                          partial(app.show_view, "domains", f"group:{g}"),
                          text=f"Domains of group: {visible(g)}")
        hits = 0
        loose: list[tuple[float, DomainKey, Domain]] = []  # letters in order only
        for key, d in store.domains():
            name = d.name.lower()
            if q not in name:
                name = visible(d.name).lower()  # as shown: evil\x1b[2Jname
                if q not in name:
                    if len(loose) + hits < MAX_DOMAIN_HITS and _in_order(q, name):
                        loose.append((matcher.match(name), key, d))
                    continue
            score = top + (3 if name == q else 2 if name.startswith(q) else 1)
            yield self._domain_hit(score, key, d)
            hits += 1
            if hits >= MAX_DOMAIN_HITS:
                return
        for score, key, d in loose[:MAX_DOMAIN_HITS - hits]:  # "wb1" finds web1
            yield self._domain_hit(score or 1.0, key, d)

    def _domain_hit(self, score: float, key: DomainKey, d: Domain) -> Hit:
        return Hit(score, _label("Domain", d.name, f"on {visible(d.host)}"),
                   partial(self.xl.jump_to_domain, key),
                   text=f"Domain: {visible(d.name)} on {visible(d.host)}",
                   help="select it in the Domains view")


def _in_order(query: str, name: str) -> bool:
    """Every character of ``query`` (blanks aside) appears in ``name`` in that order."""
    rest = iter(name)
    return all(c in rest for c in query if not c.isspace())


def theme_choices(app: XlTopApp) -> list[tuple[str, Callable[[], object]]]:
    """Each theme the palette offers and how to switch to it: xltop's themes only
    (Textual's own lack the state, status and ring colours, and are not kept for the next
    run)."""
    return [(name, partial(app.set_theme, name)) for name in app.xltop_themes]


class ThemeCommands(Provider):
    """The palette's "Theme" command (see :func:`theme_choices`)."""

    async def discover(self) -> Hits:
        for name, cb in theme_choices(cast("XlTopApp", self.app)):
            yield DiscoveryHit(name, cb)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, cb in theme_choices(cast("XlTopApp", self.app)):
            score = matcher.match(name)
            if score > 0:  # (theme names are ours: no markup to fear in highlight)
                yield Hit(score, matcher.highlight(name), cb, text=name)
