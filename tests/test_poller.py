"""The per-host poller on simulated hosts: streams, rates, status, refresh, isolation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from collectors import poller as poller_mod
from collectors.config import Cadence
from collectors.model import HostSnapshot, HostStatus
from collectors.poller import HostPoller, PollSettings
from collectors.sim import evolve, host_shell
from collectors.sim.fleet import make_fleet
from collectors.sim.render_xentop import XentopOptions, XentopSampler
from collectors.sim.render_xl import domain_uptime
from collectors.sim.runner import ListStream, SimRunner
from collectors.sim.state import SimHost
from collectors.transport.base import (
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    LineStream,
    OutputTooLarge,
)
from tests.sim_support import FakeClock

FAST = PollSettings(interval_s=1.0, cadence=Cadence(vcpus_s=2, info_s=5, rings_s=2,
                                                     xenstore_s=30, dom0_s=2))


def _runner(seed: int = 0, index: int = 0, **kw: float) -> SimRunner:
    return SimRunner(make_fleet(hosts=index + 1, domains=6, seed=seed)[index], **kw)


async def _take(poller: HostPoller, n: int, timeout: float = 15.0) -> list[HostSnapshot]:
    out: list[HostSnapshot] = []

    async def go() -> None:
        async for snap in poller.snapshots():
            out.append(snap)
            if len(out) >= n:
                return

    await asyncio.wait_for(go(), timeout)
    return out


async def _until(poller: HostPoller, pred, timeout: float = 15.0) -> HostSnapshot:  # type: ignore[no-untyped-def]
    async def go() -> HostSnapshot:
        async for snap in poller.snapshots():
            if pred(snap):
                return snap
        raise AssertionError("snapshots ended")

    return await asyncio.wait_for(go(), timeout)


async def test_snapshots_become_ok_with_domains_vcpus_devices_and_rates() -> None:
    runner = _runner()
    poller = HostPoller(runner.host, runner, FAST)
    snap = await _until(poller, lambda s: s.status is HostStatus.OK and s.vcpus and any(
        d.cpu_pct is not None for d in s.domains) and any(
        d.net_rx_rate is not None for d in s.domains))
    names = {d.name for d in snap.domains}
    assert "Domain-0" in names and len(names) >= 7
    assert all(d.domid is not None for d in snap.domains)
    dom0 = snap.domain("Domain-0")
    assert dom0 is not None and dom0.domid == 0 and dom0.cpu_pct is not None
    paused = [d for d in snap.domains if d.state.paused]
    assert paused and all(d.cpu_pct in (None, 0.0) for d in paused)
    assert snap.info is not None and snap.info.nr_cpus
    assert {v.domid for v in snap.vcpus} <= {d.domid for d in snap.domains}
    assert snap.devices and snap.latency_s is not None
    assert snap.sources["domains"].startswith("xentop")


async def test_first_sample_has_no_rates() -> None:
    runner = _runner()
    poller = HostPoller(runner.host, runner, FAST)
    first = (await _take(poller, 1))[0]
    assert all(d.cpu_pct is None and d.net_tx_rate is None for d in first.domains)


async def test_unreachable_host_is_a_status_and_recovers() -> None:
    runner = _runner()
    runner.set_unreachable("connection refused")
    poller = HostPoller(runner.host, runner, FAST)
    snap = await _until(poller, lambda s: s.status is HostStatus.UNREACHABLE)
    assert snap.message and "connection refused" in snap.message
    runner.set_unreachable(None)
    poller2 = HostPoller(runner.host, runner, FAST)
    ok = await _until(poller2, lambda s: s.status is HostStatus.OK)
    assert ok.domains


async def test_streams_come_back_with_the_host_not_after_their_backoff(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poller_mod.random, "random", lambda: 0.5)  # no jitter: 1, 2, 4 s...
    runner = _runner()
    refusals = asyncio.Queue[None]()
    real_stream = runner.stream

    async def stream(argv: Sequence[str]) -> LineStream:
        try:
            return await real_stream(argv)
        except ConnectError:
            if argv[0] == "xentop":
                refusals.put_nowait(None)
            raise

    runner.stream = stream  # type: ignore[method-assign]
    poller = HostPoller(runner.host, runner, FAST, phase=0.0)
    frames = asyncio.Event()

    async def follow() -> None:
        async for _ in poller.snapshots():
            frames.set()

    async def down_then_back(wake: Callable[[], None]) -> float:
        """The host drops and refuses until the xentop stream failed to reopen twice (it
        then waits 4 s), then answers: seconds from ``wake`` to the next frame."""
        runner.set_unreachable("connection refused")
        for _ in range(2):
            await asyncio.wait_for(refusals.get(), 10)
        runner.set_unreachable(None)
        seen = poller._st.frames_seen
        t0 = loop.time()
        wake()
        while poller._st.frames_seen == seen:
            frames.clear()
            await asyncio.wait_for(frames.wait(), 10)
        return loop.time() - t0

    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(follow())
    try:
        await asyncio.wait_for(frames.wait(), 10)
        assert await down_then_back(poller.refresh_now) < 2.0  # ^r: the streams too
        # the slow loop's own retry finding the host back wakes the streams as well
        assert await down_then_back(poller._wake_slow.set) < 2.0
    finally:
        task.cancel()
        await poller.close()


async def test_one_slow_host_never_delays_another() -> None:
    fast, slow = _runner(index=0), _runner(index=1)
    slow.set_latency(30.0)
    p_fast = HostPoller(fast.host, fast, FAST)
    p_slow = HostPoller(slow.host, slow, FAST)
    got: dict[str, list[HostSnapshot]] = {fast.host: [], slow.host: []}

    async def follow(p: HostPoller) -> None:
        async for s in p.snapshots():
            got[p.host].append(s)

    tasks = [asyncio.create_task(follow(p)) for p in (p_fast, p_slow)]
    await asyncio.sleep(5.0)
    for t in tasks:
        t.cancel()
    ok_fast = [s for s in got[fast.host] if s.status is HostStatus.OK]
    assert len(ok_fast) >= 3
    assert all(s.status is not HostStatus.OK or not s.vcpus for s in got[slow.host])


async def test_garbage_from_a_host_is_an_error_status_not_an_exception() -> None:
    runner = _runner()
    runner.set_garbage(True)
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0, use_stream=False))
    snap = await _until(poller, lambda s: s.status is HostStatus.ERROR)
    assert snap.message and "xl" in snap.message
    assert not snap.domains


async def test_refresh_now_shows_an_action_in_the_next_snapshot() -> None:
    runner = _runner()
    poller = HostPoller(runner.host, runner, PollSettings(
        interval_s=1.0, cadence=Cadence(vcpus_s=600, info_s=600, rings_s=600, xenstore_s=600,
                                        dom0_s=600)))
    snap = await _until(poller, lambda s: s.status is HostStatus.OK and s.vcpus)
    victim = next(d for d in snap.domains if d.state.blocked or d.state.running
                  if not d.is_dom0)
    res = await runner.run(["xl", "pause", victim.name])
    assert res.exit_code == 0, res.stderr
    poller.refresh_now()
    after = await _until(poller, lambda s: (d := s.domain(victim.name)) is not None
                         and d.state.paused, timeout=6.0)
    assert after.domain(victim.name) is not None


class _NoStream:
    """A runner whose xentop stream always fails: the poller falls back to xl list."""

    def __init__(self, inner: SimRunner) -> None:
        self.inner = inner

    @property
    def host(self) -> str:
        return self.inner.host

    async def run(self, argv: Sequence[str], **kw: object) -> object:
        return await self.inner.run(argv, **kw)  # type: ignore[arg-type]

    async def run_batch(self, argvs: Sequence[Sequence[str]], **kw: object) -> object:
        return await self.inner.run_batch(argvs, **kw)  # type: ignore[arg-type]

    async def stream(self, argv: Sequence[str]) -> LineStream:
        raise ConnectionLost(self.host, "channel refused")

    async def close(self) -> None:
        await self.inner.close()


async def test_without_xentop_domains_come_from_xl_list_with_cpu_from_time_deltas() -> None:
    runner = _NoStream(_runner())
    poller = HostPoller(runner.host, runner, FAST)  # type: ignore[arg-type]
    snap = await _until(poller, lambda s: any(d.cpu_pct for d in s.domains))
    assert "xl list" in snap.sources["domains"]
    assert snap.status is HostStatus.OK
    running = [d for d in snap.domains if d.cpu_pct]
    # xl prints CPU time to 0.1 s: over a 1 s interval that is ±10 points of quantisation
    assert all(0 < (d.cpu_pct or 0) <= 100 * (d.vcpus_online or 1) + 12 for d in running)


@pytest.mark.parametrize("seed", [0, 7])
async def test_poll_once_is_complete(seed: int) -> None:
    runner = _runner(seed=seed)
    snap = await HostPoller(runner.host, runner, FAST).poll_once()
    assert snap.status is HostStatus.OK, snap.message
    assert snap.vcpus and snap.devices and snap.info and snap.dom0
    assert any(d.type is not None for d in snap.domains)
    running = [d for d in snap.domains if d.state.running or d.state.blocked]
    assert running and all(d.net_tx_rate is not None for d in running if d.nets)


async def _polled_sim() -> tuple[SimHost, SimRunner, HostPoller]:
    """A simulated host of 6 domains and its poller, after one complete poll."""
    sim = make_fleet(hosts=1, domains=6, seed=0)[0]
    runner = SimRunner(sim)
    poller = HostPoller(runner.host, runner, FAST, phase=0.0)
    await poller.poll_once()
    return sim, runner, poller


def _xentop_lines(sim: SimHost, sampler: XentopSampler, frames: int = 1) -> list[str]:
    """``frames`` more seconds of the host, as one ``xentop -b -d 1 -f`` prints them."""
    lines: list[str] = []
    for _ in range(frames):
        evolve.advance(sim, sim.now + 1.0)
        lines += sampler.frame(sim, XentopOptions(delay=1, full_name=True)).splitlines()
    return lines


async def test_a_new_xentop_streams_first_frame_has_no_cpu_percent() -> None:
    # xentop prints CPU(%) 0.0 in its first iteration: after a reconnect, the new stream's
    # first frame must not show every domain at 0 % (unknown is not zero)
    sim, _, poller = await _polled_sim()

    def busy(snap: HostSnapshot) -> list[float | None]:
        return [d.cpu_pct for d in snap.domains if d.state.running and d.name != "Domain-0"]

    first = XentopSampler()
    assert await poller._read_frames(ListStream(_xentop_lines(sim, first, 2), 0, ""))
    assert busy(poller.snapshot()) and all(p is not None and p > 0
                                           for p in busy(poller.snapshot()))
    # the link dropped; a new xentop starts over
    assert await poller._read_frames(ListStream(_xentop_lines(sim, XentopSampler()), 0, ""))
    assert all(p is None for p in busy(poller.snapshot()))
    assert await poller._read_frames(ListStream(_xentop_lines(sim, XentopSampler(), 2), 0, ""))
    assert all(p is not None for p in busy(poller.snapshot()))  # its second frame: known


async def test_a_domain_restarted_between_two_xentop_frames_has_no_cpu_percent() -> None:
    # after a reboot the name comes back with a new domid; xentop finds no previous sample
    # of that domid and prints CPU(%) 0.0: unknown, not 0 % (the detail's CPU chart dropped
    # to 0 at every reboot); its next frame measures it
    sim, runner, poller = await _polled_sim()
    sampler = XentopSampler()
    name = "web-01"
    old = next(d.domid for d in sim.domains.values() if d.name == name)
    lines = _xentop_lines(sim, sampler, 3)
    assert host_shell.execute(sim, ["xl", "reboot", name]).exit_code == 0
    for _ in range(30):  # frames until the new domain is up (the old one's last included)
        lines += _xentop_lines(sim, sampler)
        new = next((d for d in sim.domains.values() if d.name == name), None)
        if new is not None and new.domid != old:
            break
    assert new is not None and new.domid != old

    def cpu(snap: HostSnapshot, who: str) -> float | None:
        return next(d.cpu_pct for d in snap.domains if d.name == who)

    after = _xentop_lines(sim, sampler)
    assert await poller._read_frames(ListStream(lines, 0, ""))
    snap = poller.snapshot()
    assert cpu(snap, name) is None
    assert cpu(snap, "Domain-0") is not None  # the others are measured
    again = HostPoller(runner.host, runner, FAST, phase=0.0)  # one more frame of that xentop
    await again.poll_once()
    assert await again._read_frames(ListStream(lines + after, 0, ""))
    assert (cpu(again.snapshot(), name) or 0) > 0


class _StallingXentop(SimRunner):
    """A Dom0 whose ``xentop -b`` prints one frame (or only garbage), then stays open
    printing nothing (a hung libxenstat, or a xenstored that stopped answering)."""

    def __init__(self, *args: Any, garbage: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.garbage = garbage
        self.streams = 0

    async def stream(self, argv: Sequence[str]) -> LineStream:
        if argv[0] != "xentop":
            return await super().stream(argv)
        self.streams += 1
        frame = (["Domain-0 0 1024 2 r----- 1.0 tr\x1b[2Jash"] if self.garbage else
                 (await super().run(["xentop", "-b", "-i", "1", "-f"])).stdout.splitlines())
        return _Stalled(frame, 0, "")


class _Stalled(ListStream):
    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        if lines := await super().readlines(timeout):
            return lines
        await asyncio.sleep(600 if timeout is None else timeout)
        raise TimeoutError


@pytest.mark.parametrize("garbage", [False, True])
async def test_a_stalled_xentop_stream_is_restarted_and_said(
    garbage: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An xentop that stays open printing nothing (or no frame) used to leave the host
    "stale: no new data" with its domains said to come from the xentop stream, never
    restarted, and xl list not read before its next minute."""
    monkeypatch.setattr(poller_mod, "STALL_INTERVALS", 0, raising=False)
    monkeypatch.setattr(poller_mod, "STALL_SLACK_S", 0.5, raising=False)
    runner = _StallingXentop(make_fleet(hosts=1, domains=6, seed=0)[0], garbage=garbage)
    poller = HostPoller(runner.host, runner, FAST, phase=0.0)
    said: list[str] = []
    xl_reads: set[float | None] = set()

    def seen(snap: HostSnapshot) -> bool:
        xl_reads.add(poller._st.inputs.xl_t)
        if "restarting" in snap.sources["domains"]:
            said.append(snap.sources["domains"])
        # restarted, and xl list read again at once (not in a minute) while it was down
        return bool(said) and runner.streams >= 2 and len(xl_reads - {None}) >= 2

    await _until(poller, seen, timeout=10)
    why = "xentop printed no frame for 0.5 s"
    if garbage:
        why += " (xentop line 1: not a xentop line: 'Domain-0 0 1024 2 r----- 1.0 tr\\x1b[2Jash')"
    assert said[0].endswith(f"{why}; restarting it)"), said[0]


class _BuggyXentop(SimRunner):
    """A runner whose xentop stream fails ``fails`` times with an exception no collector
    expects (a bug of ours, not a transport error), then works."""

    def __init__(self, *args: Any, fails: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fails = fails
        self.streams = 0

    async def stream(self, argv: Sequence[str]) -> LineStream:
        if argv[0] == "xentop":
            self.streams += 1
            if self.streams <= self.fails:
                raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")
        return await super().stream(argv)


async def test_a_bug_in_a_collection_loop_is_the_hosts_error_and_the_loop_restarts(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception in the xentop stream's loop ended its task for good,
    silently: no frames ever again, the host only "stale", its domains still said to come
    from the xentop stream."""
    monkeypatch.setattr(poller_mod, "CRASH_CLEAR_INTERVALS", 1.5, raising=False)
    runner = _BuggyXentop(make_fleet(hosts=1, domains=6, seed=0)[0], fails=1)
    poller = HostPoller(runner.host, runner, FAST, phase=0.0)
    statuses: list[tuple[HostStatus, str | None]] = []

    def seen(snap: HostSnapshot) -> bool:
        statuses.append((snap.status, snap.message))
        return runner.streams >= 2 and snap.status is HostStatus.OK and poller._st.frames_seen > 0

    snap = await _until(poller, seen, timeout=15)
    assert (HostStatus.ERROR, "xltop internal error in the xentop loop (TypeError: unsupported "
            "operand type(s) for +: 'int' and 'NoneType'); restarting it") in statuses
    assert snap.sources["domains"] == "xentop -b stream (libxenstat)"


class _SlowDom0(SimRunner):
    """A busy Dom0: every command takes a second, its output made at its end."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ran: dict[str, list[float]] = {}  # argv[:2] joined → when each of them ended

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        await self._sleep(1.0)
        res = await super().run(argv, timeout=timeout, input=input)
        self.ran.setdefault(" ".join(argv[:2]), []).append(self._clock())
        return res


async def test_vcpu_rates_use_when_vcpu_list_ran_whatever_else_shared_its_round_trip() -> None:
    # vcpu-list first in a round trip of five slow commands, then alone: dated at the ends
    # of the round trips, the first read would be 4 s late and every rate three times high
    clock = FakeClock(1_800_000_000.0)
    sim = make_fleet(hosts=1, domains=6, seed=0, start=clock.t)[0]
    runner = _SlowDom0(sim, clock=clock, sleep=clock.sleep)
    poller = HostPoller(runner.host, runner, FAST, clock=clock, monotonic=clock)
    assert await poller._run_families(["vcpus", "info", "xenstore", "rings"])
    before = {(v.domid, v.vcpu): v.time_s for v in poller.snapshot().vcpus}
    await clock.sleep(1.0)
    assert await poller._run_families(["vcpus"])
    ran = runner.ran["xl vcpu-list"]
    assert ran[1] - ran[0] == 6.0  # the true interval (the round trips ended 2 s apart)
    busy = [v for v in poller.snapshot().vcpus if v.time_s != before[(v.domid, v.vcpu)]]
    assert busy
    for v in busy:
        assert v.time_s is not None and v.cpu_pct is not None
        expected = 100 * (v.time_s - (before[(v.domid, v.vcpu)] or 0.0)) / 6.0
        assert v.cpu_pct == pytest.approx(expected, rel=1e-6), (v.domain, v.vcpu)


async def test_uptime_is_dated_when_xl_uptime_ran_not_when_the_round_trip_ended() -> None:
    # xl uptime prints seconds at the moment it runs; the poller dates them at the end of
    # the round trip, so the commands after it in one batch would make every uptime late
    clock = FakeClock(1_800_000_000.0)
    sim = make_fleet(hosts=1, domains=6, seed=0, start=clock.t)[0]
    runner = _SlowDom0(sim, clock=clock, sleep=clock.sleep)
    poller = HostPoller(runner.host, runner, FAST, clock=clock, monotonic=clock)
    assert await poller._run_families(["xl", "info", "xenstore", "rings", "dom0"])
    snap = poller.snapshot()
    ups = {d.name: d.uptime_s for d in snap.domains}
    truth = {d.name: domain_uptime(sim, d, clock.t) for d in sim.domains.values()}
    assert set(truth) <= set(ups)
    for name, up in ups.items():  # xl uptime prints whole seconds: up to 1 s short
        assert up is not None and truth[name] - 1.0 < up <= truth[name], name


class _HungVcpuList(SimRunner):
    """A Dom0 whose ``xl vcpu-list`` hangs (while ``hung``); the order commands ran in."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.hung = True
        self.ran: list[str] = []

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        self.ran.append(" ".join(argv[:2]))
        await self._sleep(0.5)
        if self.hung and list(argv[:2]) == ["xl", "vcpu-list"]:
            assert timeout is not None
            await self._sleep(timeout)
            raise CommandTimeout(self.host, f"command still running after {timeout:g} s")
        return await super().run(argv, timeout=timeout, input=input)


async def test_a_command_that_hangs_costs_only_its_own_family() -> None:
    clock = FakeClock(1_800_000_000.0)
    sim = make_fleet(hosts=1, domains=6, seed=0, start=clock.t)[0]
    runner = _HungVcpuList(sim, clock=clock, sleep=clock.sleep, latency_s=0.05)
    settings = replace(FAST, command_timeout_s=10.0)
    poller = HostPoller(runner.host, runner, settings, clock=clock, monotonic=clock)
    start = clock.t
    assert await poller._run_families(["xl", "vcpus", "info", "xenstore"])
    assert runner.ran == ["xl list", "xl vcpu-list"]  # one by one: the rest never ran
    assert clock.t == pytest.approx(start + 11.1)
    snap = poller.snapshot()
    # the host answered: its latency, not the 11 s the round trip took
    assert snap.latency_s == pytest.approx(0.05)
    # xl list's rows count, dated when it ended (not when the round trip gave up)
    assert {d.name for d in snap.domains} == {d.name for d in sim.domains.values()}
    assert poller._st.inputs.xl_t == pytest.approx(start + 0.55)
    assert snap.vcpus == ()
    assert snap.sources["error:vcpus"] == "xl vcpu-list: command still running after 10 s"
    # those that did not run are asked again at once; vcpu-list goes last from now on
    assert {"info", "xenstore"} <= poller._forced
    runner.ran.clear()
    assert await poller._run_families(["vcpus", "info", "xenstore"])
    assert runner.ran == ["xl info", "xenstore-ls -f", "xl uptime", "xl vcpu-list"]
    assert poller.snapshot().info is not None
    # once it answers again it is back in its place, and its error is gone
    runner.hung = False
    runner.ran.clear()
    assert await poller._run_families(["vcpus", "info"])
    assert runner.ran[-1] == "xl vcpu-list"  # (still last: its last run timed out)
    runner.ran.clear()
    assert await poller._run_families(["vcpus", "info"])
    assert runner.ran[0] == "xl vcpu-list"
    snap = poller.snapshot()
    assert snap.vcpus and "error:vcpus" not in snap.sources


class _FloodingXlInfo(SimRunner):
    """A Dom0 whose ``xl info`` prints without end (a runaway or hostile host)."""

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        if list(argv[:2]) == ["xl", "info"]:
            raise OutputTooLarge(self.host, "xl printed more than 64 MiB (not read)")
        return await super().run(argv, timeout=timeout, input=input)


async def test_a_command_that_prints_too_much_costs_only_its_own_family() -> None:
    """Garbage from a host loses nothing else: a flood from ``xl info`` used to fail its
    whole round trip at every try (no domids, vCPUs or XenStore for good), in words that
    named no command."""
    runner = _FloodingXlInfo(make_fleet(hosts=1, domains=6, seed=0)[0])
    poller = HostPoller(runner.host, runner, FAST)
    assert await poller._run_families(["xl", "info", "vcpus", "xenstore"])
    snap = poller.snapshot()
    assert snap.domains and all(d.domid is not None for d in snap.domains)
    assert snap.sources["error:info"] == "xl info: xl printed more than 64 MiB (not read)"
    assert snap.status is HostStatus.ERROR and snap.message == snap.sources["error:info"]
    # those after it are asked again at once; xl info goes last from now on
    assert {"vcpus", "xenstore"} <= poller._forced
    assert await poller._run_families(["vcpus", "xenstore", "info"])
    snap = poller.snapshot()
    assert snap.vcpus and snap.devices


class _NotFound(_NoStream):
    """A host where every command is "not found" (a 127), saying ``missing`` is."""

    def __init__(self, inner: SimRunner, missing: str) -> None:
        super().__init__(inner)
        self.said = f"sh: 1: {missing}: not found\n"

    async def run(self, argv: Sequence[str], **kw: object) -> object:
        return CommandResult(tuple(argv), 127, "", self.said, 0.01)

    async def run_batch(self, argvs: Sequence[Sequence[str]], **kw: object) -> object:
        return [CommandResult(tuple(a), 127, "", self.said, 0.01) for a in argvs]


async def test_a_missing_sudo_is_not_taken_for_an_xm_host() -> None:
    # sudo = true on a host without sudo: every command is a 127, as on a host without xl
    runner = _NotFound(_runner(), "sudo")
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0, use_stream=False))  # type: ignore[arg-type]
    await poller.poll_once()
    snap = await poller.poll_once()
    assert snap.status is HostStatus.ERROR and "sudo: not found" in (snap.message or "")
    assert poller._st.toolstack == "xl"


class _NoXen(_NotFound):
    """A host without xl and without xm (not a Dom0): each says its own 127."""

    async def run(self, argv: Sequence[str], **kw: object) -> object:
        return CommandResult(tuple(argv), 127, "", f"sh: 1: {argv[0]}: not found\n", 0.01)

    async def run_batch(self, argvs: Sequence[Sequence[str]], **kw: object) -> object:
        return [await self.run(a) for a in argvs]


async def test_a_host_with_neither_xl_nor_xm_says_so() -> None:
    # it said "xm list: domains: exit 127: xm: command not found" to a user of Xen 4.x
    # (and `xltop --once` said "xl list -v: domains: exit 127": xm was asked a round later)
    runner = _NoXen(_runner(), "xl")
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0, use_stream=False))  # type: ignore[arg-type]
    for _ in range(3):  # from the first poll on, whichever of the two was tried first
        snap = await poller.poll_once()
        assert snap.status is HostStatus.ERROR
        assert ": domains: neither xl nor xm runs on this host: is it a Xen Dom0? (sh: 1: x" \
            in (snap.message or ""), snap.message


async def test_the_first_round_of_a_live_poller_asks_xm_before_it_is_over() -> None:
    # the dashboard's first snapshot said "exit 127: xl: not found" for a round
    class _SlowNoXen(_NoXen):  # a round trip takes time, as over SSH
        async def run_batch(self, argvs: Sequence[Sequence[str]], **kw: object) -> object:
            await asyncio.sleep(0.2)
            return await super().run_batch(argvs, **kw)

    runner = _SlowNoXen(_runner(), "xl")
    poller = HostPoller(runner.host, runner, PollSettings(interval_s=1.0, use_stream=False))  # type: ignore[arg-type]
    poller.start()
    try:
        await asyncio.wait_for(poller.first_round.wait(), 10)
        snap = poller.snapshot()
    finally:
        await poller.close()
    assert "neither xl nor xm runs on this host" in (snap.message or ""), snap.message


async def test_a_restarted_loop_that_ends_on_its_own_clears_its_error() -> None:
    poller = HostPoller("h", _runner(), FAST, phase=0.0)
    runs: list[int] = []

    async def loop() -> None:  # a bug the first time, then it ends (as a Dom0 stream may)
        runs.append(1)
        if len(runs) == 1:
            raise KeyError("vif9.0")

    await asyncio.wait_for(poller._supervised("dom0", loop), 5)
    assert len(runs) == 2 and poller._st.crashed == {}


async def test_a_loop_that_ran_well_after_a_bug_backs_off_anew_at_the_next(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_mod, "CRASH_CLEAR_INTERVALS", 0.05)
    monkeypatch.setattr(poller_mod.random, "random", lambda: 0.5)  # no jitter: 1 s, 2 s, ...
    poller = HostPoller("h", _runner(), FAST, phase=0.0)
    runs: list[int] = []

    async def loop() -> None:  # fails, then runs well for a while and fails, then ends
        runs.append(1)
        if len(runs) == 2:
            await asyncio.sleep(0.2)
        if len(runs) <= 2:
            raise KeyError("vif9.0")

    loop_time = asyncio.get_running_loop().time
    t0 = loop_time()
    await asyncio.wait_for(poller._supervised("dom0", loop), 10)
    # 1 s after the first bug, and 1 s (not 2) after the second
    assert len(runs) == 3 and loop_time() - t0 < 2.6
