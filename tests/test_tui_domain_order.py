"""The Domains view's fast, cached sort gives exactly sort_keys' order, and reuses it only
while the rows and their sorted values are unchanged."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from collectors.model import Domain, DomainState
from tui.store import DomainKey, domain_keys
from tui.views.domain_columns import DOMAIN_COLUMNS, sort_keys
from tui.views.domains import DomainOrder

Rows = list[tuple[DomainKey, Domain]]


def random_rows(rng: random.Random, hosts: int = 6, per_host: int = 12) -> Rows:
    """Hosts in a shuffled order, repeated names, repeated and unknown values, Dom0s."""
    rows: Rows = []
    host_names = [f"h{i}" for i in range(hosts)]
    rng.shuffle(host_names)
    for host in host_names:
        doms = [Domain(host=host, domid=0, name="Domain-0", cpu_pct=rng.choice([None, 3.0]))]
        for j in range(per_host):
            doms.append(Domain(
                host=host,
                domid=rng.choice([j + 1, 0, None]) if j == 5 else j + 1,  # a second "Dom0"
                name=rng.choice(["web", "db", "Web", "x"]) + str(rng.randint(0, 3)),
                cpu_pct=rng.choice([None, 0.0, 5.0, 5.0, rng.uniform(0, 400)]),
                mem_kib=rng.choice([None, 1024, 2048]),
                mem_max_unlimited=rng.random() < 0.2,
                mem_max_kib=rng.choice([None, 4096]),
                state=rng.choice([DomainState(running=True), DomainState(paused=True),
                                  DomainState(blocked=True)]),
            ))
        rng.shuffle(doms)
        rows.extend(zip(domain_keys(doms), doms, strict=True))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_same_order_as_sort_keys_for_every_column_and_direction(seed: int) -> None:
    rng = random.Random(seed)
    rows = random_rows(rng)
    order = DomainOrder()
    for col in DOMAIN_COLUMNS:
        for reverse in (False, True):
            for dom0_first in (True, False):
                want = sort_keys(rows, col.key, reverse, dom0_first=dom0_first)
                got = order.order(rows, col.key, reverse, dom0_first=dom0_first)
                assert got == want, (col.key, reverse, dom0_first)


def test_follows_changed_values_and_changed_rows() -> None:
    rng = random.Random(99)
    rows = random_rows(rng)
    order = DomainOrder()
    first = order.order(rows, "cpu", True, dom0_first=True)
    assert first == sort_keys(rows, "cpu", True, dom0_first=True)
    # the same rows again: the same order
    assert order.order(list(rows), "cpu", True, dom0_first=True) == first
    # new values, same keys: re-sorted
    moved = [(k, replace(d, cpu_pct=None if d.cpu_pct is None else 400 - d.cpu_pct))
             for k, d in rows]
    got = order.order(moved, "cpu", True, dom0_first=True)
    assert got == sort_keys(moved, "cpu", True, dom0_first=True) and got != first
    # a domain becomes Dom0 (domid 0): it moves to the top
    k, d = moved[3]
    promoted = [*moved[:3], (k, replace(d, domid=0)), *moved[4:]]
    assert (order.order(promoted, "cpu", True, dom0_first=True)
            == sort_keys(promoted, "cpu", True, dom0_first=True))
    # rows gone and rows added (the presort is redone)
    fewer = promoted[5:] + random_rows(random.Random(7), hosts=1)
    assert (order.order(fewer, "name", False, dom0_first=False)
            == sort_keys(fewer, "name", False, dom0_first=False))
    assert order.order([], "cpu", True, dom0_first=True) == []
    one = fewer[:1]
    assert order.order(one, "cpu", False, dom0_first=True) == [one[0][0]]


def test_dom0s_lead_in_the_chosen_order() -> None:
    doms = [Domain(host="a", domid=0, name="Domain-0", cpu_pct=1.0),
            Domain(host="a", domid=3, name="web", cpu_pct=50.0),
            Domain(host="b", domid=0, name="Domain-0", cpu_pct=9.0),
            Domain(host="c", domid=0, name="Domain-0", cpu_pct=None),
            Domain(host="b", domid=2, name="db", cpu_pct=0.5)]
    rows = list(zip(domain_keys(doms), doms, strict=True))
    name = {k: f"{d.host}/{d.name}" for k, d in rows}
    for reverse, want in ((True, ["b/Domain-0", "a/Domain-0", "c/Domain-0", "a/web", "b/db"]),
                          (False, ["a/Domain-0", "b/Domain-0", "c/Domain-0", "b/db", "a/web"])):
        for sort in (sort_keys, DomainOrder().order):
            assert [name[k] for k in sort(rows, "cpu", reverse, dom0_first=True)] == want
