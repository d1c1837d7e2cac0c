"""A deterministic demo fleet for snapshot tests, screenshots and benchmarks.

The simulator runs on a fake clock and the real pollers collect a few rounds from it with
``poll_once``; the same seed gives byte-identical snapshots, so a screenshot of an app fed
with them (and given the same frozen clock) is the same SVG every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collectors.config import HostConfig
from collectors.model import HostSnapshot
from collectors.poller import HostPoller, PollSettings
from collectors.transport.base import Runner

DEMO_START = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


class FakeClock:
    """Wall and monotonic time that only move when told to (or when the simulator sleeps)."""

    def __init__(self, start: float = DEMO_START) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def demo_configs(names: Sequence[str]) -> list[HostConfig]:
    """Host configs for simulated hosts: ``*prod*`` hosts are production, red, "PROD"."""
    out = []
    for i, name in enumerate(names):
        prod = "prod" in name
        out.append(HostConfig(
            name=name, target=f"demo:{i}", group="prod" if prod else "lab", tags=("demo",),
            production=prod, accent="red" if prod else None, banner="PROD" if prod else None,
        ))
    return out


@dataclass(frozen=True, slots=True)
class DemoRecording:
    configs: list[HostConfig]
    snapshots: list[HostSnapshot]  # every host's snapshot of every round, in order
    end: float  # the clock after the last round: freeze the app's clock here


async def record_demo(
    hosts: int = 3, domains: int = 8, seed: int = 0, *, rounds: int = 6,
    interval_s: float = 2.0, start: float = DEMO_START,
    unreachable: Mapping[str, str] | None = None,
) -> DemoRecording:
    """Collect ``rounds`` rounds from a simulated fleet with a fake clock; hosts named in
    ``unreachable`` stop answering (with that reason) before the last round."""
    from collectors.sim.fleet import make_fleet, sim_runners

    clock = FakeClock(start)
    monotonic = FakeClock(1000.0)
    fleet = make_fleet(hosts, domains, seed, start=start)
    sims = sim_runners(fleet, clock=clock, sleep=clock.sleep)
    runners: dict[str, Runner] = dict(sims)
    pollers = [HostPoller(name, r, PollSettings(interval_s=interval_s), clock=clock,
                          monotonic=monotonic) for name, r in runners.items()]
    snaps: list[HostSnapshot] = []
    for i in range(rounds):
        if i == rounds - 1:
            for name, reason in (unreachable or {}).items():
                sims[name].set_unreachable(reason)
        for p in pollers:
            snaps.append(await p.poll_once())
        clock.t += interval_s
        monotonic.t += interval_s
    for p in pollers:
        await p.close()
    return DemoRecording(demo_configs(list(runners)), snaps, clock.t)
