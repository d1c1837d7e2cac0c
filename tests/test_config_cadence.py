"""The default cadences keep Dom0's cost low: the periodic families share one round trip.

Every round trip costs Dom0 an sshd channel, a shell and a process per command (~0.3 s of
Dom0 CPU per round trip in the lab, against ~47 ms per tick of a running xentop stream), so
the default schedule is checked by driving the poller's own due planning with a fake clock.
"""

from __future__ import annotations

from collections import Counter

from collectors.config import Cadence
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_lab_like_host, sim_runners

PERIODIC = ("xl", "vcpus", "rings", "dom0", "info")


def _plan_one_hour(settings: PollSettings, first_round_s: float) -> tuple[int, Counter[str]]:
    """Round trips and family runs in the hour after a slow first round (the first full read
    with xenstore-ls and xl list -l takes ~30 s in the lab), with the xentop stream healthy."""
    t = [0.0]
    host = make_lab_like_host()
    runner = sim_runners([host])[host.name]
    p = HostPoller("lab", runner, settings, monotonic=lambda: t[0], phase=0.38)
    p._st.last_frame_mono = 0.0
    assert p._due_families()  # the first round reads everything
    t[0] = first_round_s
    rounds = 0
    runs: Counter[str] = Counter()
    while t[0] < 120.0 + 3600.0:
        p._st.last_frame_mono = t[0]  # a frame every tick
        due = p._due_families()
        if due and t[0] >= 120.0:
            rounds += 1
            runs.update(due)
        t[0] += 0.25
    return rounds, runs


def test_default_periodic_families_share_one_period() -> None:
    c = Cadence()
    assert c.vcpus_s == c.rings_s == c.dom0_s
    for slower in (c.info_s, c.xenstore_s):
        assert slower % c.vcpus_s == 0


def test_default_schedule_is_one_round_trip_a_minute_at_2s_and_1s() -> None:
    for interval in (2.0, 1.0):
        rounds, runs = _plan_one_hour(PollSettings(interval_s=interval), first_round_s=30.0)
        assert rounds <= 61, (interval, rounds, runs)
        # no family lost: each still runs at its own cadence
        for f in ("xl", "vcpus", "rings", "dom0"):
            assert 59 <= runs[f] <= 61, (interval, f, runs)
        assert 29 <= runs["info"] <= 31, (interval, runs)
        assert runs["xenstore"] <= 7


def test_the_old_cadences_needed_three_round_trips_a_minute() -> None:
    """What the tuning removed (guards the measure itself: it can tell the two apart)."""
    old = Cadence(vcpus_s=30.0, info_s=120.0, rings_s=30.0, xenstore_s=600.0, dom0_s=60.0)
    rounds, _ = _plan_one_hour(PollSettings(interval_s=2.0, cadence=old), first_round_s=30.0)
    assert rounds >= 150
