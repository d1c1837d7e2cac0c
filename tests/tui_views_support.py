"""Helpers for the tests (and the benchmark) of the detail, pinning, rings, XenStore and host
views: a simulated fleet with live runners beside a frozen recording, a 256-pCPU host, a
runner that counts its calls, and the screen as plain text."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.config import HostConfig, Settings
from collectors.fleet import FleetMember
from collectors.model import CpuSet, HostSnapshot
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_fleet, sim_runners
from collectors.sim.state import SimHost
from collectors.transport.base import CommandResult, LineStream, Runner
from tests.tui_fakes import FakePoller
from tui.app import XlTopApp, make_app
from tui.demo import DEMO_START, DemoRecording, FakeClock, demo_configs


def screen_text(app: XlTopApp) -> str:
    """What the terminal shows, as plain text (styles dropped)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in s) for s in strips)


@dataclass
class CountingRunner:
    """Wraps a runner and records every call (argv lists) it forwards."""

    inner: Runner
    runs: list[tuple[str, ...]] = field(default_factory=list)
    batches: list[list[tuple[str, ...]]] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.inner.host

    @property
    def calls(self) -> int:
        return len(self.runs) + len(self.batches)

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        self.runs.append(tuple(argv))
        return await self.inner.run(argv, timeout=timeout, input=input)

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        self.batches.append([tuple(a) for a in argvs])
        return await self.inner.run_batch(argvs, timeout=timeout)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        return await self.inner.stream(argv)

    async def close(self) -> None:
        await self.inner.close()


def live_members(rec: DemoRecording, fleet: list[SimHost] | None = None,
                 counting: bool = False) -> list[FleetMember]:
    """Members whose runners answer from a fresh simulated fleet built like the recording's
    (same seed), and whose pollers do nothing (snapshots come from the recording)."""
    fleet = fleet or make_fleet(len(rec.configs), 8, 0, start=DEMO_START)
    clock = FakeClock(rec.end)
    sims = sim_runners(fleet, clock=clock, sleep=clock.sleep)
    out = []
    for c in rec.configs:
        runner: Runner = sims[c.name]
        if counting:
            runner = CountingRunner(runner)
        out.append(FleetMember(c, runner, FakePoller(c.name)))  # type: ignore[arg-type]
    return out


def frozen_app(rec: DemoRecording, view: str | None = None, *, theme: str = "xltop-dark",
               members: Sequence[FleetMember] | None = None, **kw: Any) -> XlTopApp:
    """The app on a recording with a frozen clock and no poll workers."""
    return make_app(Settings(interval_s=2.0, theme=theme), rec.configs, poll=False,
                    clock=lambda: rec.end, preload=rec.snapshots, initial_view=view,
                    members=members, **kw)


def big_host(pcpus: int = 256, domains: int = 200, seed: int = 0,
             start: float = DEMO_START) -> SimHost:
    """One simulated host with ``pcpus`` physical CPUs and ``domains`` guests: vCPUs spread
    over all pCPUs, every 7th domain hard-pinned to a block of 8 pCPUs, every 11th with a
    soft affinity narrower than its hard one."""
    host = make_fleet(1, domains, seed, start=start)[0]
    host.nr_cpus = pcpus
    for pool in host.pools:
        pool.cpus = list(range(pcpus))
    rng = random.Random(f"big-host:{seed}")
    for d in host.sorted_domains():
        block = rng.randrange(0, pcpus // 8) * 8
        for v in d.vcpus:
            v.cpu = rng.randrange(pcpus)
            if d.domid % 7 == 3:
                v.hard = CpuSet.of(range(block, block + 8))
                v.cpu = block + v.cpu % 8
            if d.domid % 11 == 5:
                v.soft = CpuSet.of(range(block, block + 4))
    return host


async def big_host_recording(pcpus: int = 256, domains: int = 200, seed: int = 0,
                             rounds: int = 2) -> tuple[DemoRecording, SimHost]:
    """A few polls of :func:`big_host` (fake clock), as a recording."""
    host = big_host(pcpus, domains, seed)
    clock = FakeClock(DEMO_START)
    runner = sim_runners([host], clock=clock, sleep=clock.sleep)[host.name]
    poller = HostPoller(host.name, runner, PollSettings(interval_s=2.0), clock=clock,
                        monotonic=FakeClock(1000.0))
    snaps: list[HostSnapshot] = []
    for _ in range(rounds):
        snaps.append(await poller.poll_once())
        clock.t += 2.0
    await poller.close()
    configs: list[HostConfig] = demo_configs([host.name])
    return DemoRecording(configs, snaps, clock.t), host
