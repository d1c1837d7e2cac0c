"""vCPUs on demand (HostPoller.set_demand(vcpus=...)): ``xl vcpu-list`` every
max(interval, VCPU_DEMAND_S) while a view shows vCPUs, the slow cadence otherwise, batched
with whatever else is due. Time is a fake monotonic clock; rounds are driven by hand like
the slow loop drives them, except for the tests of the loop itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from collectors import commands as cmd
from collectors.config import VCPU_DEMAND_S, Cadence
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from collectors.transport.base import CommandResult, LineStream

CADENCE = Cadence(vcpus_s=30.0, rings_s=30.0)  # vcpus 30 s, rings 30 s, dom0 60 s, info 120 s
SLOW = CADENCE.vcpus_s


class Mono:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Recorder:
    """A SimRunner that notes, for every batch, the fake time and the argvs it ran."""

    inner: SimRunner
    mono: Mono
    batches: list[tuple[float, list[tuple[str, ...]]]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.inner.host

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        return await self.inner.run(argv, timeout=timeout, input=input)

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        self.batches.append((self.mono.t, [tuple(a) for a in argvs]))
        return await self.inner.run_batch(argvs, timeout=timeout)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        return await self.inner.stream(argv)

    async def close(self) -> None:
        await self.inner.close()

    def vcpu_reads(self, since: float = 0.0) -> list[float]:
        return [t for t, argvs in self.batches if cmd.XL_VCPU_LIST in argvs and t >= since]


def _poller(index: int = 0, interval: float = 2.0, mono: Mono | None = None,
            **kw: bool) -> tuple[HostPoller, Recorder, Mono]:
    mono = mono or Mono()
    sim = make_fleet(hosts=index + 1, domains=4, seed=0)[index]
    rec = Recorder(SimRunner(sim), mono)
    settings = PollSettings(interval_s=interval, cadence=CADENCE, **kw)
    return HostPoller(sim.name, rec, settings, monotonic=mono, phase=0.0), rec, mono


async def _round(p: HostPoller) -> None:
    """One turn of the slow loop at the current fake time, the xentop stream up."""
    p._st.last_frame_mono = p._mono()
    families = p._due_families()
    if families:
        await p._run_families(families)


async def _run_for(pollers: Sequence[HostPoller], mono: Mono, seconds: float,
                   step: float = 1.0) -> None:
    end = mono.t + seconds
    while mono.t < end:
        for p in pollers:
            await _round(p)
        mono.t += step


def _gaps(times: Sequence[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


async def test_without_demand_vcpus_follow_the_slow_cadence() -> None:
    p, rec, mono = _poller()
    await _run_for([p], mono, 125)
    reads = rec.vcpu_reads()
    assert len(reads) == 5  # t = 0, 30, 60, 90, 120
    assert all(g >= SLOW - 3 for g in _gaps(reads))  # pulled in a little, never halved


async def test_demanded_vcpus_come_every_few_seconds_then_slow_again() -> None:
    p, rec, mono = _poller()
    await _run_for([p], mono, 10)  # first round reads everything; then nothing due
    p.set_demand(vcpus=True)
    on = mono.t
    await _run_for([p], mono, 60)
    during = rec.vcpu_reads(since=on)
    assert during[0] == on  # the data was 10 s old: read at once
    gaps = _gaps(during)
    # every max(interval, VCPU_DEMAND_S), at most half a period early to share a trip
    assert all(VCPU_DEMAND_S / 2 <= g <= VCPU_DEMAND_S for g in gaps), gaps
    assert 60 / VCPU_DEMAND_S <= len(during) <= 60 / (VCPU_DEMAND_S / 2) + 1
    snap = p.snapshot()
    assert snap.sources["vcpus"] == f"xl vcpu-list every {VCPU_DEMAND_S:g}s"

    p.set_demand(vcpus=False)
    off = mono.t
    last = during[-1]
    await _run_for([p], mono, 95)
    after = rec.vcpu_reads(since=off)
    assert after and after[0] >= last + SLOW - 3  # the next read is a slow period later
    assert all(g >= SLOW - 3 for g in _gaps(after))
    assert len(after) == 3
    assert p.snapshot().sources["vcpus"] == f"xl vcpu-list every {SLOW:g}s"


async def test_the_interval_wins_when_it_is_longer_than_the_demand_cadence() -> None:
    p, rec, mono = _poller(interval=10.0)
    await _round(p)
    p.set_demand(vcpus=True)
    start = mono.t
    await _run_for([p], mono, 61)
    reads = rec.vcpu_reads(since=start + 1)
    assert all(g >= 10.0 / 2 for g in _gaps(reads))
    assert 5 <= len(reads) <= 7


async def test_fresh_data_is_not_read_again_when_demand_starts() -> None:
    p, rec, mono = _poller()
    await _round(p)  # read at t0
    t0 = mono.t
    mono.t += 2.0
    p.set_demand(vcpus=True)
    assert "vcpus" not in p._due_families()  # 2 s old: younger than the demand period
    await _run_for([p], mono, 10)
    reads = rec.vcpu_reads(since=t0 + 0.5)
    assert reads and t0 + VCPU_DEMAND_S / 2 <= reads[0] <= t0 + VCPU_DEMAND_S


async def test_setting_the_same_demand_again_does_not_force_a_read() -> None:
    p, rec, mono = _poller()
    await _run_for([p], mono, 8)
    p.set_demand(vcpus=True)
    await _round(p)  # the immediate read
    n = len(rec.vcpu_reads())
    p.set_demand(vcpus=True)  # e.g. a view resumed: same demand
    p.set_demand(rings=False)
    assert "vcpus" not in p._due_families()
    assert len(rec.vcpu_reads()) == n


async def test_rings_and_vcpus_demand_are_set_independently_and_share_trips() -> None:
    p, rec, mono = _poller()
    await _round(p)
    p.set_demand(rings=True)
    p.set_demand(vcpus=True)  # leaves rings on
    assert p._periods()["rings"] == 2.0 and p._periods()["vcpus"] == VCPU_DEMAND_S
    p.set_demand(rings=False)  # leaves vcpus on
    assert p._periods()["rings"] == CADENCE.rings_s
    assert p._periods()["vcpus"] == VCPU_DEMAND_S
    p.set_demand(rings=True)
    before = len(rec.batches)
    await _run_for([p], mono, 40, step=2.0)
    batches = [argvs for _, argvs in rec.batches[before:]]
    with_vcpus = [b for b in batches if cmd.XL_VCPU_LIST in b]
    assert len(with_vcpus) >= 40 / VCPU_DEMAND_S
    assert len(with_vcpus) < len(batches)  # not every tick although rings are
    # one round trip per tick: vcpu-list rides along with the rings, never alone
    assert all(cmd.RING_FILES in b for b in with_vcpus)
    assert len(batches) == 20


async def test_only_the_demanded_host_reads_vcpus_often() -> None:
    mono = Mono()
    a, rec_a, _ = _poller(0, mono=mono)
    b, rec_b, _ = _poller(1, mono=mono)
    await _run_for([a, b], mono, 1)
    a.set_demand(vcpus=True)
    b.set_demand(vcpus=False)
    start = mono.t
    await _run_for([a, b], mono, 60)
    assert len(rec_a.vcpu_reads(since=start)) >= 60 / VCPU_DEMAND_S
    assert len(rec_b.vcpu_reads(since=start)) == 2  # t = 30, 60 after its first read
    # demand moves (the user switched host)
    a.set_demand(vcpus=False)
    b.set_demand(vcpus=True)
    moved = mono.t
    await _run_for([a, b], mono, 30)
    assert len(rec_b.vcpu_reads(since=moved)) >= 30 / VCPU_DEMAND_S
    assert len(rec_a.vcpu_reads(since=moved)) <= 1


async def test_a_failed_read_is_not_the_age_of_the_data() -> None:
    p, rec, mono = _poller()
    await _round(p)
    good = p.snapshot().vcpus_t
    assert good is not None
    rec.inner.set_garbage(True)
    mono.t += 31
    await _round(p)  # vcpu-list ran but gave garbage
    assert p.snapshot().vcpus_t == good
    assert "error:vcpus" in p.snapshot().sources
    rec.inner.set_garbage(False)
    mono.t += 1
    p.set_demand(vcpus=True)  # the last good read is 32 s old: read at once
    await _round(p)
    assert rec.vcpu_reads()[-1] == mono.t
    snap = p.snapshot()
    assert snap.vcpus_t is not None and snap.vcpus_t > good and snap.vcpus


# --- the slow loop itself (real asyncio waits, fake monotonic clock) ---------------------


async def _wait_for(pred: Callable[[], bool], timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if pred():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_demand_wakes_a_sleeping_slow_loop_for_an_immediate_read() -> None:
    p, rec, mono = _poller(use_stream=False)

    async def consume() -> None:
        async for _ in p.snapshots():
            pass

    task = asyncio.create_task(consume())
    try:
        await _wait_for(lambda: len(rec.vcpu_reads()) == 1)
        assert p.snapshot().vcpus_t is not None
        mono.t += 12  # the loop now sleeps toward the 30 s re-read
        await asyncio.sleep(0.2)
        assert len(rec.vcpu_reads()) == 1
        p.set_demand(vcpus=True)
        await _wait_for(lambda: len(rec.vcpu_reads()) == 2, timeout=1.0)
        assert rec.vcpu_reads()[-1] == mono.t
        p.set_demand(vcpus=False)  # turning it off reads nothing more
        await asyncio.sleep(0.3)
        assert len(rec.vcpu_reads()) == 2
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await p.close()


@pytest.mark.parametrize("wanted", [True, False])
async def test_demand_before_the_first_round_reads_once(wanted: bool) -> None:
    p, rec, mono = _poller()
    p.set_demand(vcpus=wanted)
    await _round(p)
    await _round(p)
    assert len(rec.vcpu_reads()) == 1
