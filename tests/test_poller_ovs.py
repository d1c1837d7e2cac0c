"""Open vSwitch hosts end to end: the simulated OVS host's xentop shows no vifs, so the
poller streams Dom0's /proc/net/dev every tick (or reads it with each frame when it cannot)
and domains get their net numbers from it."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from collectors import commands as cmd
from collectors import poller as poller_mod
from collectors.families import parse_result
from collectors.model import HostSnapshot, NetIfCounters
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import ListStream, SimRunner
from collectors.transport.base import CommandResult, ConnectError

OVS_HOST = 3  # hosts 3, 5, 7, ... of the simulated fleet use an OVS bridge


async def _two_polls(index: int) -> tuple[HostPoller, list[dict[str, object]]]:
    sim = make_fleet(hosts=index + 1, domains=6, seed=0)[index]
    poller = HostPoller(sim.name, SimRunner(sim), PollSettings(interval_s=2.0), phase=0.0)
    await poller.poll_once()
    await asyncio.sleep(1.1)  # the simulator's counters move with the clock
    snap = await poller.poll_once()
    rows = [{"name": d.name, "nets": d.nets, "source": d.net_source,
             "rx": d.net_rx_rate, "tx": d.net_tx_rate}
            for d in snap.domains if d.name != "Domain-0" and d.state.running]
    return poller, rows


async def test_ovs_host_reads_dom0_every_tick_and_fills_domain_rates() -> None:
    poller, rows = await _two_polls(OVS_HOST)
    assert poller._ovs_like()
    assert poller._periods()["dom0"] == 4.0  # a fallback: each frame asks for a read
    with_vifs = [r for r in rows if r["nets"]]
    assert with_vifs, rows
    assert all(r["source"] == "dom0 /proc/net/dev" for r in with_vifs), with_vifs
    assert any((r["rx"] or 0) > 0 or (r["tx"] or 0) > 0 for r in with_vifs), with_vifs


async def test_bridge_host_keeps_xentop_numbers_and_the_slow_dom0_cadence() -> None:
    poller, rows = await _two_polls(0)
    assert not poller._ovs_like()
    assert poller._periods()["dom0"] == poller.settings.cadence.dom0_s
    assert {r["source"] for r in rows if r["nets"]} == {"xentop"}


def _record_streams(runner: SimRunner) -> list[tuple[str, ...]]:
    """The argv of every stream the runner is asked for from now on."""
    streams: list[tuple[str, ...]] = []
    real_stream = runner.stream

    async def stream(argv):  # type: ignore[no-untyped-def]
        streams.append(tuple(argv))
        return await real_stream(argv)

    runner.stream = stream  # type: ignore[method-assign]
    return streams


async def _follow_ovs_host(
    runner: SimRunner, frames: int
) -> tuple[HostPoller, list[HostSnapshot], list[float]]:
    """Snapshots of an OVS host until ``frames`` xentop frames came, and the times of the
    round trips that read /proc/net/dev."""
    batches: list[float] = []
    real_batch = runner.run_batch

    async def run_batch(argvs, **kw):  # type: ignore[no-untyped-def]
        if any("/proc/net/dev" in " ".join(a) for a in argvs):
            batches.append(asyncio.get_running_loop().time())
        return await real_batch(argvs, **kw)

    runner.run_batch = run_batch  # type: ignore[method-assign]
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0), phase=0.0)
    snaps = []
    async with asyncio.timeout(30):
        async for snap in poller.snapshots():
            snaps.append(snap)
            if poller._st.frames_seen >= frames:
                break
    return poller, snaps, batches


async def test_an_ovs_host_streams_dom0_counters_instead_of_a_round_trip_per_frame() -> None:
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    runner = SimRunner(sim)
    streams = _record_streams(runner)
    poller, snaps, batches = await _follow_ovs_host(runner, 6)
    frames = poller._st.frames_seen
    assert poller._ovs_like()
    assert cmd.dom0_stream(1) in streams
    # the first frame may ask for one read before the stream's first sample is in; then
    # nothing: the stream brings every sample
    assert len(batches) <= 2, (frames, batches)
    assert poller._dom0_samples >= frames - 2, (poller._dom0_samples, frames)
    assert len(snaps) <= frames + 2, (len(snaps), frames)  # one snapshot per frame
    last = [d for d in snaps[-1].domains if d.nets and d.name != "Domain-0"]
    assert last and all(d.net_source == "dom0 /proc/net/dev" for d in last)
    assert any((d.net_rx_rate or 0) > 0 for d in last), last
    assert "every 1s" in (snaps[-1].sources.get("dom0") or ""), snaps[-1].sources


async def test_without_the_dom0_stream_each_frame_brings_its_dom0_read_and_one_snapshot() -> None:
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    runner = SimRunner(sim)
    real_stream = runner.stream

    async def stream(argv):  # type: ignore[no-untyped-def]
        if tuple(argv) == cmd.dom0_stream(1):  # e.g. a Dom0 whose sh lacks the loop
            return ListStream([], 2, "sh: 1: Syntax error\n")
        return await real_stream(argv)

    runner.stream = stream  # type: ignore[method-assign]
    poller, snaps, batches = await _follow_ovs_host(runner, 5)
    frames = poller._st.frames_seen
    assert poller._dom0_samples == 0
    # after the first frame, every frame triggered a Dom0 read ...
    assert frames - 1 <= len(batches) <= frames + 2, (frames, batches)
    # ... that went out with it: about one snapshot per frame, not two
    assert len(snaps) <= frames + 2, (len(snaps), frames)
    last = [d for d in snaps[-1].domains if d.nets and d.name != "Domain-0"]
    assert last and all(d.net_source == "dom0 /proc/net/dev" for d in last)
    assert "every" not in (snaps[-1].sources.get("dom0") or "")


async def test_the_simulated_dom0_stream_gives_a_parsable_sample_every_interval() -> None:
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    stream = await SimRunner(sim).stream(cmd.dom0_stream(1))
    lines: list[str] = []
    async with asyncio.timeout(10):
        while lines.count(cmd.DOM0_SAMPLE_END) < 2:
            got = await stream.readlines(timeout=None)
            assert got is not None
            lines += got
    await stream.close()
    first = lines[: lines.index(cmd.DOM0_SAMPLE_END)]
    load, ifaces = cast(tuple[Any, list[NetIfCounters]], parse_result(
        sim.name, "dom0", CommandResult(cmd.DOM0_PROC, 0, "\n".join(first) + "\n", "", 0.0)))
    assert load is not None and len(load) == 3
    assert any(i.name.startswith("vif") for i in ifaces)
    # any other sh -c loop is not something the simulated host runs
    other = await SimRunner(sim).stream(("sh", "-c", "while cat /etc/shadow; do sleep 1; done"))
    assert await other.readlines(timeout=1) is None and other.exit_code == 127


async def test_rings_on_demand_come_with_the_dom0_stream_after_one_clean_round_trip() -> None:
    sim = make_fleet(hosts=1, domains=4, seed=0)[0]  # a Linux-bridge host: no stream needed
    runner = SimRunner(sim)
    streams = _record_streams(runner)
    ring_trips: list[float] = []
    real_batch = runner.run_batch

    async def run_batch(argvs, **kw):  # type: ignore[no-untyped-def]
        if cmd.RING_FILES in [tuple(a) for a in argvs]:
            ring_trips.append(asyncio.get_running_loop().time())
        return await real_batch(argvs, **kw)

    runner.run_batch = run_batch  # type: ignore[method-assign]
    poller = HostPoller(sim.name, runner, PollSettings(interval_s=1.0), phase=0.0)
    ring_times: list[float] = []
    streamed_rings_at = None
    async with asyncio.timeout(40):
        async for snap in poller.snapshots():
            if poller._st.frames_seen == 2:
                poller.set_demand(rings=True)
            if poller._st.inputs.rings_t is not None:
                ring_times.append(poller._st.inputs.rings_t)
            if streamed_rings_at is None and poller._st.frames_seen >= 9:
                streamed_rings_at = (snap, len(ring_trips), poller._rings_streaming())
                poller.set_demand(rings=False)  # no demand any more: the stream ends
            if streamed_rings_at and not poller._dom0_wanted.is_set():
                break
    assert streamed_rings_at is not None
    snap, trips, streaming = streamed_rings_at
    assert not poller._ovs_like()
    assert cmd.dom0_stream(1) not in streams  # nothing streamed before the demand
    assert cmd.dom0_stream(1, rings=True) in streams
    # the first read on demand is a round trip (it checks debugfs); then the stream: not a
    # round trip per frame
    assert 1 <= trips <= 4, ring_trips
    assert streaming
    fresh = sorted(set(ring_times))
    assert len(fresh) >= 5, fresh  # rings newer about every second
    vifs = [d for d in snap.devices if d.kind.value == "vif"]
    assert vifs and all(d.rings for d in vifs), vifs
    assert all((d.ring_source or "").startswith("netback debugfs") for d in vifs)
    # a bridge host with no demand needs no stream: it was closed
    assert not poller._rings_streaming() and not poller._dom0_streaming()


async def test_the_dom0_stream_outlives_a_link_outage(monkeypatch: Any) -> None:
    # more failed opens in a row than DOM0_STREAM_TRIES, all because the link was down:
    # when it is back, the stream is taken up again (a broken stream command, by
    # contrast, is given up after DOM0_STREAM_TRIES: the test above)
    monkeypatch.setattr(poller_mod, "MAX_BACKOFF_S", 0.05)
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    runner = SimRunner(sim)
    real_stream = runner.stream
    refused: list[str] = []

    async def stream(argv):  # type: ignore[no-untyped-def]
        if tuple(argv) == cmd.dom0_stream(1) and len(refused) < poller_mod.DOM0_STREAM_TRIES + 2:
            refused.append(sim.name)
            raise ConnectError(sim.name, "connection refused")
        return await real_stream(argv)

    runner.stream = stream  # type: ignore[method-assign]
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0), phase=0.0)
    async with asyncio.timeout(30):
        async for _ in poller.snapshots():
            if poller._dom0_samples >= 2:
                break
    await poller.close()
    assert len(refused) == poller_mod.DOM0_STREAM_TRIES + 2


async def test_rings_demanded_every_k_ticks_come_with_every_kth_dom0_sample() -> None:
    # a view of a big fleet's rings asks each host for them every few ticks: one stream
    # still brings Dom0's counters every tick, and the ring files with every 3rd sample
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    runner = SimRunner(sim)
    streams = _record_streams(runner)
    poller = HostPoller(sim.name, runner, PollSettings(interval_s=1.0), phase=0.0)
    rings_t: dict[float, int] = {}  # each ring read → Dom0 samples the stream had brought
    demanded = False
    async with asyncio.timeout(40):
        async for _ in poller.snapshots():
            inp = poller._st.inputs
            if not demanded and poller._st.frames_seen >= 2:
                poller.set_demand(rings=True, rings_every=3)
                demanded = True
            elif demanded and poller._rings_streaming() and inp.rings_t is not None:
                rings_t.setdefault(inp.rings_t, poller._dom0_samples)
            if len(rings_t) >= 6:
                break
    assert poller._ovs_like()
    assert cmd.dom0_stream(1, rings=True, rings_every=3) in streams
    assert cmd.dom0_stream(1, rings=True) not in streams
    # (the first on demand is a round trip, and one more may be due before the stream's
    # rings are in)
    ring_times = sorted(rings_t)[-4:]
    gaps = [b - a for a, b in zip(ring_times, ring_times[1:], strict=False)]
    # every 3rd sample of 1 s (a loaded box may coalesce two readings into one snapshot,
    # so a gap can be 6 s, never 4 or 5)
    steps = [round(g / 3) for g in gaps]
    assert all(k >= 1 and abs(g - 3 * k) < 0.5 for g, k in zip(gaps, steps, strict=True)), \
        sorted(rings_t)
    # and Dom0's counters with every sample in between (seen at snapshot times: ±1)
    counts = [rings_t[t] for t in ring_times]
    assert all(3 * k - 1 <= b - a <= 3 * k + 1
               for a, b, k in zip(counts, counts[1:], steps, strict=False)), counts
    # rings stay "streamed" between their samples: no round trip fills the gaps
    assert poller._periods()["rings"] == poller.settings.cadence.rings_s
    poller.set_demand(rings=False)
    assert poller._rings_every == 1


class _EndlessStream:
    """A Dom0 stream gone mad: lines without an end of sample, for ever."""

    def __init__(self) -> None:
        self.served = 0
        self.closed = False

    async def readline(self, timeout: float | None = None) -> str | None:
        raise AssertionError("the poller reads Dom0 samples in chunks")

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        await asyncio.sleep(0)
        self.served += 100
        return ["vif9.0: " + "7 " * 50] * 100

    @property
    def exit_code(self) -> int | None:
        return None

    async def stderr_text(self) -> str:
        return ""

    async def close(self) -> None:
        self.closed = True


async def test_a_dom0_sample_that_never_ends_is_dropped_not_hoarded(monkeypatch: Any) -> None:
    monkeypatch.setattr(poller_mod, "DOM0_SAMPLE_MAX_CHARS", 1 << 20)
    sim = make_fleet(hosts=OVS_HOST + 1, domains=4, seed=0)[OVS_HOST]
    runner = SimRunner(sim)
    endless: list[_EndlessStream] = []
    real_stream = runner.stream

    async def stream(argv):  # type: ignore[no-untyped-def]
        if tuple(argv) == cmd.dom0_stream(1):
            endless.append(_EndlessStream())
            return endless[-1]
        return await real_stream(argv)

    runner.stream = stream  # type: ignore[method-assign]
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0), phase=0.0)
    async with asyncio.timeout(30):
        async for snap in poller.snapshots():
            if endless and endless[0].closed and "error:dom0" in snap.sources:
                break
    await poller.close()
    assert poller._dom0_samples == 0
    # read up to the limit (108 characters a line), then closed: not a line hoarded past it
    assert (1 << 20) / 108 <= endless[0].served <= (1 << 20) / 108 + 100
    assert "without the end of a sample; stream dropped" in snap.sources["error:dom0"]
    # the domains' numbers came from round trips meanwhile
    assert any(d.net_source == "dom0 /proc/net/dev" for d in snap.domains if d.nets)
