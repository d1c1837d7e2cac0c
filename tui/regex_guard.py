"""Which regexes typed into the filter can run away, judged from their shape.

Python's ``re`` cannot be interrupted, and a nested repeat (``(a+)+$``, ``(a|aa)*$``) can
backtrack for ages on one name. Such terms go to the ``regex`` module with a timeout,
which costs about ten times as much per search; the rest keep ``re``'s speed.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

# counted repeats are compiled out in full by the regex module ("x{10000000}": seconds
# and gigabytes): the product of a term's counts is kept below this
MAX_REPEATS = 100_000
_COUNTS = re.compile(r"\{\s*([0-9]*)\s*(?:,\s*([0-9]*)\s*)?\}")
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_UNBOUNDED_AT_MOST = 2  # ".*x.*y" is fine; ".*.*.*.*z" is polynomial of a high degree


def repeats(term: str) -> int:
    """An upper bound of what the counted repeats ``{n}``/``{n,m}`` in ``term`` expand to
    (their counts multiplied, nested or not)."""
    product = 1
    for low, high in _COUNTS.findall(term):
        if max(len(low), len(high)) > 9:  # (a count of a billion or more)
            return MAX_REPEATS + 1
        product *= max(1, int(low or 0), int(high or 0))
        if product > MAX_REPEATS:
            break
    return product


def may_backtrack(term: str) -> bool:
    """True unless ``term`` is a regex ``re`` parses with no repeat or alternation inside
    a repeat, no back-reference and at most two unbounded repeats: the shapes whose search
    of a short name is bounded."""
    try:
        items = sre_parse.parse(term, re.IGNORECASE)
    except Exception:  # (a syntax only the regex module takes, or none at all)
        return True
    unbounded = 0

    def risky(items: Any, in_repeat: bool) -> bool:
        nonlocal unbounded
        for op, av in items:
            if op in _REPEATS:
                if in_repeat:
                    return True
                if av[1] == sre.MAXREPEAT:
                    unbounded += 1
                if risky(av[2], av[1] > 1):
                    return True
            elif op == sre.BRANCH:
                if in_repeat or any(risky(alt, False) for alt in av[1]):
                    return True
            elif op == sre.SUBPATTERN:
                if risky(av[-1], in_repeat):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                if risky(av[1], in_repeat):
                    return True
            elif op == sre.ATOMIC_GROUP:
                if risky(av, in_repeat):
                    return True
            elif op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
                return True
        return False

    return risky(items, False) or unbounded > _UNBOUNDED_AT_MOST
