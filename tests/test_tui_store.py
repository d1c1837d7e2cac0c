"""The store: newest snapshot per host, bounded per-domain history, fleet totals."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from collectors.model import Domain, HostSnapshot, HostStatus
from tests.tui_fakes import T0, host_configs, host_name, make_snapshot
from themes import DEFAULT_THEME, load_themes
from tui.store import DomainHistory, FleetStore, domain_keys
from tui.styles import Palette
from tui.views.fleet import FLEET_COLUMNS, fleet_row, totals_text

PALETTE = Palette.from_variables(dict(load_themes([])[0][DEFAULT_THEME].variables))


def test_history_is_a_bounded_ring_in_time_order() -> None:
    h = DomainHistory(3)
    for t in range(5):
        h.append(float(t), Domain(host="h", domid=1, name="a", cpu_pct=float(t * 10)))
    assert len(h) == 3 and h.capacity == 3
    assert h.times() == [2.0, 3.0, 4.0]
    assert h.series("cpu_pct") == [20.0, 30.0, 40.0]
    assert h.series("cpu_pct", 2) == [30.0, 40.0]
    assert h.series("cpu_pct", 10) == [20.0, 30.0, 40.0]
    with pytest.raises(ValueError):
        DomainHistory(0)


def test_history_ignores_repeated_data_times() -> None:
    h = DomainHistory(10)
    d = Domain(host="h", domid=1, name="a", cpu_pct=5.0)
    assert h.append(100.0, d)
    assert not h.append(100.0, replace(d, cpu_pct=9.0))  # a stale host re-sends old data
    assert h.append(101.0, replace(d, cpu_pct=None))
    assert len(h) == 2
    cpu = h.series("cpu_pct")
    assert cpu[0] == 5.0 and math.isnan(cpu[1])


def test_apply_rejects_older_or_repeated_snapshots() -> None:
    store = FleetStore(host_configs(1))
    assert store.apply(make_snapshot(0, 2))
    v = store.version
    assert not store.apply(make_snapshot(0, 1))
    assert not store.apply(make_snapshot(0, 2))
    assert store.version == v
    assert store.host("xen-prod-1").seq == 3  # type: ignore[union-attr]


def test_history_grows_per_domain_and_is_bounded() -> None:
    store = FleetStore(host_configs(1), history=4)
    for t in range(6):
        store.apply(make_snapshot(0, t, domains=3))
    key = ("xen-prod-1", "vm-0-01", None)
    hist = store.history(key)
    assert hist is not None and len(hist) == 4
    assert hist.times() == [T0 + t - 0.2 for t in range(2, 6)]
    assert hist.series("cpu_pct", 2) == [41.0, 48.0]  # (13 + 7 × tick) % 100


def test_domains_that_vanish_from_an_ok_host_lose_their_history() -> None:
    store = FleetStore(host_configs(1))
    store.apply(make_snapshot(0, 0, domains=4))
    assert store.history(("xen-prod-1", "vm-0-03", None)) is not None
    store.apply(make_snapshot(0, 1, domains=3))
    assert store.history(("xen-prod-1", "vm-0-03", None)) is None
    # an unreachable host's empty answer does not wipe history
    store.apply(replace(make_snapshot(0, 2, domains=3), status=HostStatus.UNREACHABLE,
                        domains=()))
    assert store.history(("xen-prod-1", "vm-0-02", None)) is not None


def test_duplicate_names_get_distinct_keys() -> None:
    a = Domain(host="h", domid=3, name="web")
    b = Domain(host="h", domid=9, name="web")
    assert domain_keys([a, b]) == [("h", "web", None), ("h", "web", 9)]


def test_totals_pool_the_fleet() -> None:
    store = FleetStore(host_configs(3))
    store.apply(make_snapshot(0, 0, domains=5))
    store.apply(make_snapshot(1, 0, domains=5))
    # an unreachable host still counts with what was last known of it
    store.apply(make_snapshot(2, 0, domains=2, status=HostStatus.UNREACHABLE, message="refused"))
    t = store.totals()
    assert t.hosts == 3
    assert t.hosts_by_status == {"ok": 2, "unreachable": 1}
    assert t.pcpus == 48
    assert t.domains == 12
    assert t.mem_total_mib == 3 * 65536
    assert t.mem_free_mib == 20000 + 19000 + 18000
    assert sum(t.states.values()) == 12
    assert t.cpu_free == pytest.approx(48 - t.cpu_used)
    assert t.info_hosts == 3


def first_frame(h: int) -> HostSnapshot:
    """A host's snapshot before any CPU%: xentop's first frame has none."""
    snap = make_snapshot(h, 0)
    return replace(snap, domains=tuple(replace(d, cpu_pct=None) for d in snap.domains))


def test_cpu_used_is_unknown_before_any_cpu_percent_not_zero() -> None:
    # the Fleet view showed "Used 0.0" for each host and "used 0.0, free 48.0" for the
    # fleet until the second xentop frame: numbers it had not read
    store = FleetStore(host_configs(3))
    for h in range(3):
        store.apply(first_frame(h))
    ht = store.host_totals(host_name(0))
    assert ht is not None and ht.cpu_used is None
    t = store.totals()
    assert t.pcpus == 48 and t.cpu_used is None and t.cpu_free is None
    assert "pCPUs 48 (used -, free -)" in totals_text(store, PALETTE).plain
    snap = store.host(host_name(0))
    row = fleet_row(host_name(0), store.config(host_name(0)), snap, ht, T0, 1.0, PALETTE)
    used = [str(c) for c in row][[c.key for c in FLEET_COLUMNS].index("cpu_used")]
    assert used == "-"
    # one host with CPU%: the fleet's free pCPUs are still unknown (48 counted, 16 known)
    store.apply(make_snapshot(0, 1))
    assert store.totals().cpu_used is None
    for h in (1, 2):
        store.apply(make_snapshot(h, 1))
    t = store.totals()
    assert t.cpu_used is not None and t.cpu_used > 0
    assert t.cpu_free == pytest.approx(48 - t.cpu_used)
    assert f"(used {t.cpu_used:.1f}, free {t.cpu_free:.1f})" in totals_text(store,
                                                                             PALETTE).plain


def test_totals_say_how_many_hosts_they_are_of() -> None:
    store = FleetStore(host_configs(3))
    assert store.totals().info_hosts == 0
    assert "pCPUs -  vCPUs -  Mem -" in totals_text(store, PALETTE).plain
    store.apply(make_snapshot(0, 0))
    store.apply(replace(make_snapshot(1, 0), info=None))  # never answered xl info
    t = store.totals()
    assert (t.info_hosts, t.pcpus) == (1, 16)
    text = totals_text(store, PALETTE).plain
    assert text.startswith(" Fleet (1 of 3 hosts) pCPUs 16 ")


def test_unknown_host_snapshot_is_adopted() -> None:
    store = FleetStore([])
    store.apply(make_snapshot(0, 0))
    assert store.hosts() == ["xen-prod-1"]


def test_host_totals_follow_each_snapshot_without_keeping_the_old_one() -> None:
    import gc

    store = FleetStore(host_configs(1))
    old = make_snapshot(0, 0, domains=5)
    store.apply(old)
    first = store.host_totals(old.host)
    assert first is not None and sum(first.states.values()) == 5
    assert store.host_totals(old.host) is first  # made once per snapshot
    new = replace(make_snapshot(0, 1, domains=3), seq=old.seq + 1)
    store.apply(new)
    # nothing of the store's holds the replaced snapshot, though no view read the totals
    # since (the Domains view never does: 5,000 domains' worth at 100 hosts)
    holders = [r for r in gc.get_referrers(old) if r is not globals() and r is not locals()]
    assert not [r for r in holders if isinstance(r, tuple | dict | list)], holders
    second = store.host_totals(new.host)
    assert second is not None and sum(second.states.values()) == 3
