"""The store's all-domains list (reused per host between snapshots) and the history's
sample counter that views compare to know a sparkline changed."""

from __future__ import annotations

from dataclasses import replace

from collectors.model import Domain
from tests.tui_fakes import host_configs, make_snapshot
from tui.store import DomainHistory, FleetStore


def test_domains_lists_every_host_in_config_order_and_reuses_unchanged_hosts() -> None:
    store = FleetStore(host_configs(3))
    for h in (2, 0, 1):
        store.apply(make_snapshot(h, 0, domains=3))
    rows = store.domains()
    assert [k[0] for k, _ in rows] == ["xen-prod-1"] * 3 + ["xen-lab-2"] * 3 + ["xen-lab-3"] * 3
    assert all(store.domain(k) is d for k, d in rows)
    store.apply(make_snapshot(1, 1, domains=2))  # one host changes
    again = store.domains()
    assert len(again) == 8
    assert again[:3] == rows[:3] and all(a is b for a, b in zip(again[:3], rows[:3], strict=True))
    assert [d.cpu_time_s for _, d in again[3:5]] == [1001.0, 101.0]  # the new tick's data


def test_a_host_repeating_a_name_and_domid_gets_one_row_per_key() -> None:
    store = FleetStore(host_configs(1))
    snap = make_snapshot(0, 0, domains=2)
    twin = snap.domains[1]
    store.apply(replace(snap, domains=(*snap.domains, twin, replace(twin, cpu_pct=1.0))))
    keys = [k for k, _ in store.domains()]
    assert len(keys) == len(set(keys)) == 3  # name, then name + domid (twice: one row)
    last = store.domain(keys[-1])
    assert last is not None and last.cpu_pct == 1.0  # the last record of the key wins


def test_history_counts_the_samples_it_took() -> None:
    h = DomainHistory(2)
    d = Domain(host="h", domid=1, name="a", cpu_pct=1.0, mem_kib=None)
    assert h.appended == 0
    assert h.append(1.0, d) and h.appended == 1
    assert not h.append(1.0, d) and h.appended == 1  # the same data time: no sample
    for t in (2.0, 3.0, 4.0):
        h.append(t, replace(d, cpu_pct=t))
    assert h.appended == 4 and len(h) == 2  # counts on past the ring's capacity
    assert h.series("cpu_pct") == [3.0, 4.0]
    mem = h.series("mem_kib")
    assert all(v != v for v in mem)  # unknown is NaN, never 0
