"""Sorting the Domains table: any column, unknowns last both ways, Dom0 optionally first."""

from __future__ import annotations

from collectors.model import Domain, DomainState
from tui.store import DomainKey
from tui.views.domain_columns import DOMAIN_COLUMNS, sort_keys


def rows(*doms: Domain) -> list[tuple[DomainKey, Domain]]:
    return [((d.host, d.name, None), d) for d in doms]


D0 = Domain(host="b", domid=0, name="Domain-0", cpu_pct=1.0)
A = Domain(host="a", domid=1, name="alpha", cpu_pct=50.0, state=DomainState(running=True))
B = Domain(host="a", domid=2, name="beta", cpu_pct=None, state=DomainState(paused=True))
C = Domain(host="b", domid=3, name="gamma", cpu_pct=10.0, state=DomainState(blocked=True))


def names(keys: list[DomainKey]) -> list[str]:
    return [k[1] for k in keys]


def test_unknown_values_sort_last_in_both_directions() -> None:
    r = rows(A, B, C)
    assert names(sort_keys(r, "cpu", True, dom0_first=False)) == ["alpha", "gamma", "beta"]
    assert names(sort_keys(r, "cpu", False, dom0_first=False)) == ["gamma", "alpha", "beta"]


def test_dom0_first_overrides_the_sort() -> None:
    r = rows(A, B, C, D0)
    assert names(sort_keys(r, "cpu", True, dom0_first=True))[0] == "Domain-0"
    assert names(sort_keys(r, "cpu", True, dom0_first=False))[-2:] == ["Domain-0", "beta"]


def test_state_sort_puts_trouble_first() -> None:
    r = rows(A, B, C)
    assert names(sort_keys(r, "state", False, dom0_first=False)) == ["beta", "alpha", "gamma"]


def test_every_column_sorts_without_error() -> None:
    r = rows(A, B, C, D0)
    for col in DOMAIN_COLUMNS:
        for rev in (False, True):
            out = sort_keys(r, col.key, rev, dom0_first=False)
            assert sorted(out) == sorted(k for k, _ in r)


def test_ties_break_by_host_then_name() -> None:
    x = Domain(host="b", domid=4, name="x", cpu_pct=5.0)
    y = Domain(host="a", domid=5, name="y", cpu_pct=5.0)
    assert names(sort_keys(rows(x, y), "cpu", False, dom0_first=False)) == ["y", "x"]
