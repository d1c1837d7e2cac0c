"""The ``?`` screen: every key binding, generated from the BINDINGS of the app, of every
registered view and of the tables (after the user's keymap), plus the filter syntax."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, key_to_character
from textual.widgets import Static

from tui import domain_filter, views
from tui.keymap import keys_of
from tui.styles import MARK, STATE_SYMBOLS, STATUS_SYMBOLS
from tui.views import VIEWS, load_class
from tui.views.base import StoreView
from tui.widgets.key_scroll import KeyScroll
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.once_modal import OnceModal
from tui.widgets.stable_footer import StableFooter
from tui.widgets.store_tree import KeyTree

Row = tuple[str, str, str]  # keys, description, binding id


def binding_rows(app: App[Any], bindings: BindingsMap) -> list[Row]:
    """One row per action: its keys (after the user's keymap), description and id."""
    bmap = bindings.copy()
    keymap = getattr(app, "_keymap", {})
    if keymap:
        bmap.apply_keymap(keymap)
    grouped: dict[tuple[str, str], tuple[list[str], str]] = {}
    for key_bindings in bmap.key_to_bindings.values():
        for b in key_bindings:
            if b.system:
                continue
            keys, bid = grouped.setdefault((b.action, b.description), ([], b.id or ""))
            if b.id and not bid:
                grouped[(b.action, b.description)] = (keys, b.id)
            shown = app.get_key_display(b)
            if shown not in keys:
                keys.append(shown)
    return [(" ".join(keys), desc or action, bid)
            for (action, desc), (keys, bid) in grouped.items()]


def _map(node_cls: type[DOMNode]) -> BindingsMap:
    return node_cls._merged_bindings or BindingsMap()


def help_sections(app: App[Any]) -> list[tuple[str, list[Row]]]:
    sections: list[tuple[str, list[Row]]] = [("Everywhere", binding_rows(app, app._bindings))]
    common = [b for bs in _map(StoreView).key_to_bindings.values() for b in bs]
    for spec in VIEWS:
        cls = load_class(spec.screen)
        # the view's bindings, its intermediate base classes' included, not every screen's
        own = BindingsMap.from_keys({
            key: kept for key, bs in _map(cls).key_to_bindings.items()
            if (kept := [b for b in bs if b not in common])
        })
        sections.append((f"{spec.title} view", binding_rows(app, own)))
    if views.DOMAIN_DETAIL_SCREEN:
        detail = load_class(views.DOMAIN_DETAIL_SCREEN)
        sections.append(("Domain detail (Enter on a domain)", binding_rows(app, _map(detail))))
    sections.append(("In tables", binding_rows(app, _map(KeyedTable))))
    sections.append(("In trees (XenStore, config)", binding_rows(app, _map(KeyTree))))
    return sections


def help_text(app: App[Any]) -> Text:
    text = Text(end="")
    for title, rows in help_sections(app):
        text.append(f"{title}\n", style="bold underline")
        width = max((len(k) for k, _, _ in rows), default=4)
        for keys, desc, bid in rows:
            text.append(f"  {keys:<{width}}  ", style="bold")
            text.append(desc)
            if bid:
                text.append(f"  [{bid}]", style="dim")
            text.append("\n")
        text.append("\n")
    text.append("Symbols\n", style="bold underline")
    text.append("  domains  " + "  ".join(f"{sym} {state}" for state, sym in STATE_SYMBOLS.items())
                + "\n")
    text.append("  hosts    " + "  ".join(f"{sym} {status}"
                                          for status, sym in STATUS_SYMBOLS.items()) + "\n")
    text.append(f"  {MARK} marked: space marks a domain, * every one shown, u none; then p, d, "
                "R or D acts on all of them (one confirmation listing every command)\n\n")
    text.append("Filter (/) syntax\n", style="bold underline")
    doc = (domain_filter.__doc__ or "").split("\n\n", 1)[-1]
    text.append(doc.replace("``", "").strip() + "\n\n")
    text.append("Keys can be changed in the config file: [keys] \"binding.id\" = \"key\".\n",
                style="dim")
    text.append("Mouse: click a row to select it, a header to sort, double-click to open.\n",
                style="dim")
    return text


class HelpScreen(OnceModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90%;
        height: 90%;
        background: $surface;
        border: round $primary;
        border-title-color: $primary;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        box = KeyScroll()
        box.border_title = "xltop keys"
        with box:
            yield Static(help_text(self.app), id="help-text")
        yield StableFooter()

    def on_mount(self) -> None:
        self.query_one(KeyScroll).focus()


def keymap_problems(app: App[Any], keymap: Mapping[str, str]) -> list[str]:
    """What is wrong with the user's ``[keys]``: ids no binding has, and keys given to a
    binding that another one on the same screen already answers to."""
    problems: list[str] = []
    unknown = sorted(set(keymap) - set(all_binding_ids(app)))
    if unknown:
        problems.append(f"[keys]: no binding called {', '.join(unknown)} (? lists the ids)")
    unmatched = [f"{bid} = {key!r}" for bid, keys in sorted(keymap.items())
                 for key in keys_of(keys) if not key_name_ok(key)]
    if unmatched:  # Textual takes any string and the binding silently answers to nothing
        problems.append(f"[keys]: not a key name: {', '.join(unmatched)} "
                        "(a character, or a name like f5, pageup, ctrl+x)")
    sections = dict(help_sections(app))
    shared = [*sections.pop("Everywhere", []), *sections.pop("In tables", [])]
    clashes: dict[str, set[str]] = {}
    for rows in sections.values() or [[]]:
        by_key: dict[str, set[str]] = {}
        for keys, _, bid in [*shared, *rows]:
            for key in keys.split() if bid else ():
                by_key.setdefault(key, set()).add(bid)
        for key, ids in by_key.items():
            if len(ids) > 1 and ids & set(keymap):
                clashes.setdefault(key, set()).update(ids)
    if clashes:
        said = "; ".join(f"{k} ({', '.join(sorted(ids))})" for k, ids in sorted(clashes.items()))
        problems.append(f"[keys]: one key for two bindings: {said}")
    lost = sorted({f"{b.id} ({b.key})" for b in _clashed(app, keymap)})
    if lost:  # a key given to one binding that another already had: Textual drops the other
        problems.append(f"[keys]: these bindings lost their key to another one: "
                        f"{', '.join(lost)}")
    return problems


def usable_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """``keymap`` without the key names no key press matches (reported by
    :func:`keymap_problems`): a binding given only such names keeps its default key."""
    out: dict[str, str] = {}
    for bid, value in keymap.items():
        keys = [k for k in keys_of(value) if key_name_ok(k)]
        if keys:
            out[bid] = ",".join(keys)
    return out


_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(k.value for k in Keys)


def key_name_ok(key: str) -> bool:
    """Whether a key press can ever match ``key``: a character or a named key (``f5``,
    ``pageup``, ``plus``), after optional modifiers (``ctrl+shift+up``)."""
    *mods, base = key.split("+") if key != "+" else ["+"]
    if any(m not in _MODIFIERS for m in mods) or len(set(mods)) < len(mods):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    if base in _NAMED_KEYS or base in REPLACED_KEYS:
        return True
    char = key_to_character(base) if base.islower() else None  # "full_stop", not "Escape"
    return char is not None and char.isprintable()


def _clashed(app: App[Any], keymap: Mapping[str, str]) -> set[Binding]:
    """Bindings (not in ``keymap``) whose key ``keymap`` gives to another binding of the
    same map: applying it drops them (everywhere, and in each view)."""
    maps = [_map(type(app)), _map(StoreView), _map(KeyedTable), _map(KeyTree)]
    maps += [_map(load_class(spec.screen)) for spec in VIEWS]
    out: set[Binding] = set()
    for bindings in maps:
        declared = [b for bs in bindings.key_to_bindings.values() for b in bs]
        taken = {k for b in declared if b.id and b.id in keymap for k in keys_of(keymap[b.id])}
        out |= {b for b in declared if b.id and b.id not in keymap and b.key in taken}
    return out


def all_binding_ids(app: App[Any]) -> Iterable[str]:
    for _, rows in help_sections(app):
        for _, _, bid in rows:
            if bid:
                yield bid

