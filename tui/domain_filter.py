"""The Domains view's filter language (pure: no Textual).

Space-separated terms, all of which must match:

* ``web``            name or UUID contains ``web`` (case-insensitive)
* ``^db[0-9]+$``     a regular expression (any term with regex characters that compiles;
                     it matches as plain text too, so ``$(reboot)`` finds that name); one
                     that backtracks for too long (``(a|aa)+$``) is matched as text only
* ``state:p``        state by ``xl list`` flag letter (``r b p s c d``: any domain with
  that flag), or by the word the State column shows (``paused``, ``dying``,
  ``runnable``…); ``state:rb`` or ``state:r,b`` means either
* ``host:xen1``      host name contains ``xen1`` (``host:=xen1``: is exactly ``xen1``)
* ``type:hvm``       ``pv``, ``hvm`` or ``pvh``
* ``group:prod``     the host's group from the config; ``tag:rack1`` a host tag
* ``id:5``           domid
* ``name:web``       as a bare word (for a name that looks like a key: ``name:id:5``)
* ``!term``          negates any term

Values separated by commas are alternatives (``host:a,b``). An unknown value of
``state:``, ``type:`` or ``id:`` is named in a warning and the term's other values apply;
a term with none left matches no domain (never every domain).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from collectors.config import HostConfig
from collectors.model import Domain, DomainState, DomainType
from collectors.visible import visible
from tui.regex_guard import MAX_REPEATS, may_backtrack, repeats

Predicate = Callable[[Domain, HostConfig | None], bool]

_REGEX_CHARS = re.compile(r"[.^$*+?{}\[\]\\|()]")
REGEX_PASS_BUDGET_S = 0.25  # a regex term's time over all domains in one pass
_STATE_LETTERS = {
    "r": "running",
    "b": "blocked",
    "p": "paused",
    "s": "shutdown",
    "c": "crashed",
    "d": "dying",
}
_STATE_WORDS = frozenset(
    {"running", "blocked", "paused", "shutdown", "crashed", "dying", "runnable"}
)
_TYPES = frozenset(t.value for t in DomainType)
KEYS = ("state", "host", "type", "group", "tag", "id", "name")


class _Pattern:
    """A regex term whose shape may backtrack for ages (``(a|aa)+$`` on a long name; see
    tui.regex_guard), also matched as text. The filter runs on the UI loop: a term that
    spends more than REGEX_PASS_BUDGET_S in one pass over the domains is matched as text
    alone from then on, and says so."""

    __slots__ = ("_rx", "_needle", "term", "slow", "_left")

    def __init__(self, term: str, rx: regex.Pattern[str]) -> None:
        self.term, self._rx, self._needle = term, rx, term.lower()
        self.slow = False
        self._left = REGEX_PASS_BUDGET_S

    def start_pass(self) -> None:
        self._left = REGEX_PASS_BUDGET_S

    def __call__(self, d: Domain, h: HostConfig | None) -> bool:
        if self._needle in _shown(d.name):
            return True
        if self.slow:
            return False
        t0 = time.perf_counter()
        hit: object = None
        try:
            hit = self._rx.search(d.name, timeout=self._left)
            if not hit and d.uuid is not None:
                left = self._left - (time.perf_counter() - t0)
                hit = left > 0 and self._rx.search(d.uuid, timeout=left)
        except TimeoutError:
            hit = None
        self._left -= time.perf_counter() - t0
        if self._left <= 0:
            self.slow = True
        return bool(hit)


@dataclass(frozen=True, slots=True)
class DomainFilter:
    text: str
    predicates: tuple[Predicate, ...] = ()
    notes: tuple[str, ...] = ()  # problems found in the text; the filter still works
    patterns: tuple[_Pattern, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.predicates)

    @property
    def problems(self) -> tuple[str, ...]:
        """What to show the user: the notes, and each regex given up as too slow."""
        return self.notes + tuple(
            f"regex too slow, matched as text: {visible(p.term)}" for p in self.patterns
            if p.slow)

    def start_pass(self) -> None:
        """Before matching every domain: each regex term's time budget starts again."""
        for p in self.patterns:
            p.start_pass()

    def matches(self, d: Domain, host: HostConfig | None) -> bool:
        return all(p(d, host) for p in self.predicates)


def state_matches(state: DomainState, wanted: str) -> bool:
    """``wanted`` is a state word (the label shown), or one or more ``xl list`` flags."""
    w = wanted.lower()
    if w in _STATE_WORDS:
        return state.label == w
    if w and all(ch in _STATE_LETTERS for ch in w):
        return any(getattr(state, _STATE_LETTERS[ch]) for ch in w)
    return False


def parse_filter(text: str) -> DomainFilter:
    preds: list[Predicate] = []
    problems: list[str] = []
    patterns: list[_Pattern] = []
    for raw in text.split():
        negate = raw.startswith("!") and len(raw) > 1
        term = raw[1:] if negate else raw
        pred, problem = _term(term, patterns)
        if problem:
            problems.append(problem)
        if pred is None:
            continue
        preds.append(_negated(pred) if negate else pred)
    return DomainFilter(text, tuple(preds), tuple(problems), tuple(patterns))


def no_match_message(flt: DomainFilter, hosts: Iterable[str]) -> str:
    """What an empty result says: why, when a term alone explains it (a ``host:`` no host
    matches, a term with no valid value); a word that is part of a host's name rather than
    of a domain's gets the keyed term to use instead."""
    host_names = [h.lower() for h in hosts]
    terms = [raw for raw in flt.text.split() if not raw.startswith("!")]
    for raw in terms:
        key, sep, value = raw.partition(":")
        key = key.lower()
        if not (sep and key in KEYS):
            continue
        values = [v.lower() for v in value.split(",") if v]
        if key == "host" and values and not any(
                _host_name_matches(v, h) for v in values for h in host_names):
            return (f"no host matches {value!r} (host: matches part of a host's name, "
                    "host:= all of it)")
        pred, problem = _term(raw)
        if pred is _NOTHING and problem:
            return f"no domain matches: {problem}"
    for raw in terms:
        key, sep, _ = raw.partition(":")
        if sep and key.lower() in KEYS:
            continue
        if any(raw.lower() in h for h in host_names):
            return f"no domain matches; {raw!r} is in a host's name: try host:{raw}"
    return ("no domain matches (words match domain names and UUIDs; host:, state:, "
            "type:, group:, tag:, id: for the rest)")


def _negated(p: Predicate) -> Predicate:
    return lambda d, h: not p(d, h)


def _any(values: list[str], one: Callable[[str], Predicate]) -> Predicate:
    preds = [one(v) for v in values]
    if len(preds) == 1:
        return preds[0]
    return lambda d, h: any(p(d, h) for p in preds)


def _term(term: str, patterns: list[_Pattern] | None = None
          ) -> tuple[Predicate | None, str | None]:
    """A term's predicate and problem; its regexes are added to ``patterns``."""
    key, sep, value = term.partition(":")
    key = key.lower()
    if sep and key in KEYS:
        values = [v for v in value.split(",") if v]
        if not values:
            return None, f"{key}: needs a value"
        return _keyed(key, values, patterns)
    pred, problem = _text(term, patterns)
    if sep and key.isalpha() and problem is None:  # 'mem:>1G': say so, still match as text
        problem = (f"{key}: is not a filter key (keys: {' '.join(k + ':' for k in KEYS)}); "
                   f"matching {term!r} as text")
    return pred, problem


def _keyed(key: str, values: list[str], patterns: list[_Pattern] | None
           ) -> tuple[Predicate | None, str | None]:
    low = [v.lower() for v in values]
    if key == "state":
        good, problem = _known(low, lambda v: v in _STATE_WORDS
                               or all(c in _STATE_LETTERS for c in v),
                               "state", "r b p s c d or a word")
        if not good:
            return _NOTHING, problem
        return _any(good, lambda v: lambda d, h: state_matches(d.state, v)), problem
    if key == "host":
        return _any(low, _host_predicate), None
    if key == "type":
        good, problem = _known(low, lambda v: v in _TYPES, "type", "pv, hvm or pvh")
        if not good:
            return _NOTHING, problem
        return _any(good, lambda v: lambda d, h: d.type is not None and d.type.value == v), \
            problem
    if key == "group":
        return _any(
            low, lambda v: lambda d, h: h is not None and (h.group or "").lower() == v
        ), None
    if key == "tag":
        return _any(
            low, lambda v: lambda d, h: h is not None and v in (t.lower() for t in h.tags)
        ), None
    if key == "id":
        ids = {int(v) for v in values if v.isdigit()}  # (isdigit: int() takes ' 1_0')
        bad = [v for v in values if not v.isdigit()]
        problem = (f"id: {_listed(bad)} {'is' if len(bad) == 1 else 'are'} not "
                   f"{'a number' if len(bad) == 1 else 'numbers'}{_ignored(ids)}"
                   if bad else None)
        return (lambda d, h: d.domid in ids), problem
    return _text_values(values, patterns)  # name:


def _nothing(d: Domain, h: HostConfig | None) -> bool:
    return False


def _known(values: list[str], ok: Callable[[str], bool], what: str,
           use: str) -> tuple[list[str], str | None]:
    """The values ``ok`` takes, and the problem naming the others (None if none)."""
    good = [v for v in values if ok(v)]
    bad = [v for v in values if v not in good]
    if not bad:
        return good, None
    return good, (f"unknown {what}{'s' if len(bad) > 1 else ''} {_listed(bad)} (use {use})"
                  f"{_ignored(good)}")


_NOTHING: Predicate = _nothing  # a term with no valid value matches no domain (not all)


def _listed(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _ignored(valid: Iterable[object]) -> str:
    """The end of a problem with some of a term's values: what the term still does."""
    return ": ignored" if list(valid) else ": nothing matches"


def _host_predicate(v: str) -> Predicate:
    return lambda d, h: _host_name_matches(v, d.host.lower())


def _host_name_matches(v: str, host: str) -> bool:
    """``v`` (lower case) is in ``host`` (lower case), or is all of it as ``=host``."""
    return host == v[1:] if v.startswith("=") else v in host


def _text_values(values: list[str], patterns: list[_Pattern] | None
                 ) -> tuple[Predicate | None, str | None]:
    preds = []
    problem = None
    for v in values:
        p, why = _text(v, patterns)
        problem = problem or why
        if p is not None:
            preds.append(p)
    if not preds:
        return None, problem
    return (preds[0] if len(preds) == 1 else lambda d, h: any(p(d, h) for p in preds)), problem


def _shown(name: str) -> str:
    """The name as the screen shows it, lower-cased: control and bidi characters as their
    escapes (``evil\x1b[2Jname``), so what is seen can be typed."""
    return (name if name.isascii() and name.isprintable() else visible(name)).lower()


def _fast(term: str) -> re.Pattern[str] | None:
    try:
        return re.compile(term, re.IGNORECASE)
    except re.error:  # (e.g. a look-behind of no fixed width: the regex module takes it)
        return None


def _text(term: str, patterns: list[_Pattern] | None
          ) -> tuple[Predicate | None, str | None]:
    needle = term.lower()
    if _REGEX_CHARS.search(term):
        as_text: Predicate = lambda d, h: needle in _shown(d.name)  # noqa: E731
        if repeats(term) > MAX_REPEATS:
            return as_text, f"regex repeats too much, matched as text: {visible(term)}"
        fast = _fast(term) if not may_backtrack(term) else None
        if fast is not None:  # re's speed: a tenth of the guarded search's cost
            return lambda d, h: (needle in _shown(d.name) or bool(
                fast.search(d.name) or (d.uuid and fast.search(d.uuid)))), None
        try:
            rx = regex.compile(term, regex.IGNORECASE)
        except regex.error as e:
            return as_text, f"bad regex ({e}), matched as text: {visible(term)}"
        except (MemoryError, OverflowError, RecursionError):
            return as_text, f"regex too big, matched as text: {visible(term)}"
        # as text too: a name such as "$(reboot)" or "[red]x" is found by typing it
        pattern = _Pattern(term, rx)
        if patterns is not None:
            patterns.append(pattern)
        return pattern, None
    return lambda d, h: needle in _shown(d.name) or (d.uuid or "").lower().startswith(needle), None
