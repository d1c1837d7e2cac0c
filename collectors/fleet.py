"""A fleet: the hosts to watch, a runner and a poller for each, and one-shot collection."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from collectors.config import ConfigError, HostConfig, Settings
from collectors.model import FleetSnapshot, HostSnapshot, HostStatus
from collectors.poller import HostPoller, PollSettings
from collectors.transport.base import Runner

if TYPE_CHECKING:  # (asyncssh is imported only when an SSH host is asked for)
    from collectors.transport.ssh_target import SshTarget

# From this many simulated domains on, the demo fleet runs in its own process: the
# simulator's CPU and memory are then not the dashboard's, as with real hosts.
PROCESS_SIM_MIN_DOMAINS = 1_000


@dataclass(frozen=True, slots=True)
class DemoOptions:
    hosts: int = 3
    domains: int = 8
    seed: int = 0
    pcpus: int = 0  # every host's pCPUs (0: each host's own)
    process: bool | None = None  # simulator in its own process; None: for big fleets only


@dataclass(slots=True)
class FleetMember:
    config: HostConfig
    runner: Runner
    poller: HostPoller


def local_xen_available() -> bool:
    return shutil.which("xl") is not None or shutil.which("xm") is not None


def demo_host_configs(opts: DemoOptions) -> tuple[list[HostConfig], dict[str, Runner]]:
    """Simulated hosts (Xen 4.17 formats) and their runners (in this process, or in a
    simulator process for big fleets: see :data:`PROCESS_SIM_MIN_DOMAINS`)."""
    runners: dict[str, Runner]
    process = opts.process
    if process is None:
        process = opts.hosts * opts.domains >= PROCESS_SIM_MIN_DOMAINS
    if process:
        from collectors.sim.process_runner import SimProcess

        runners = dict(SimProcess(opts.hosts, opts.domains, opts.seed,
                                  pcpus=opts.pcpus).runners())
    else:
        from collectors.sim.fleet import make_fleet, set_pcpus, sim_runners

        fleet = make_fleet(hosts=opts.hosts, domains=opts.domains, seed=opts.seed)
        if opts.pcpus:
            set_pcpus(fleet, opts.pcpus)
        runners = dict(sim_runners(fleet))
    configs = []
    for i, name in enumerate(runners):
        prod = "prod" in name
        configs.append(
            HostConfig(
                name=name,
                target=f"demo:{i}",
                group="prod" if prod else "lab",
                tags=("demo",),
                production=prod,
                accent="red" if prod else None,
                banner="PROD" if prod else None,
            )
        )
    return configs, runners


def make_runner(hc: HostConfig, settings: Settings) -> Runner:
    if hc.is_local:
        from collectors.transport.local import LocalRunner

        return LocalRunner(hc.name, sudo=hc.sudo, command_timeout=settings.command_timeout_s)
    from collectors.transport.ssh import SshRunner

    return SshRunner(ssh_target(hc, settings), name=hc.name)


def check_targets(hosts: Sequence[HostConfig], settings: Settings) -> None:
    """Every host's target read as the runners will read it: a bad one (a port of 99999,
    ``user@``, an option for ssh) is a ConfigError naming the host, before anything starts."""
    for hc in hosts:
        if not hc.is_local:
            ssh_target(hc, settings)


def ssh_target(hc: HostConfig, settings: Settings) -> SshTarget:
    """The SSH target of a configured host (ConfigError when it cannot be one)."""
    from collectors.transport.ssh_target import HostKeyPolicy, parse_target

    try:
        target = parse_target(hc.target)
        for what, given, in_target in (("port", hc.port, target.port),
                                       ("user", hc.user, target.user)):
            if given is not None and in_target is not None and given != in_target:
                raise ValueError(f"{what} = {given!r} and the target's {in_target!r} "
                                 f"({hc.target}) disagree: give it once")
        policy = cast(HostKeyPolicy | None, hc.host_key_policy or target.host_key_policy)
        target = replace(
            target,
            user=hc.user or target.user,
            port=hc.port or target.port,
            key=hc.key or target.key,
            known_hosts=hc.known_hosts or target.known_hosts,
            host_key_policy=policy,
            sudo=hc.sudo,
            connect_timeout=settings.connect_timeout_s,
            command_timeout=settings.command_timeout_s,
        )
    except ValueError as e:
        raise ConfigError(f"host {hc.name!r}: {e}") from e
    return target


# CPython collects its youngest generation every 700 new container objects. A big fleet
# makes ~100,000 of them a second (records that live until the next tick), so with the
# default every snapshot survives a few collections, reaches the oldest generation, and a
# full collection of ~300,000 live objects (~0.2-0.5 s, the loop frozen) runs every few
# seconds. Collecting the young generation every 50,000 lets most records die young (they
# are freed by reference counting, not by the collector) and full collections become rare.
# Measured (bench_dashboard, 100 hosts x 50 domains, 60 s, loaded 2-core box, Python 3.11,
# medians of 2-3 runs; the pauses are wall time, so they include the box's contention):
#   700/10 (defaults) + freeze: ~20 full collections (max ~400 ms), app CPU 53%, key p99 500 ms
#   10,000/10: ~80 young (2.5-3.2 s in all, max ~120 ms) + 7 gen1 (max ~140 ms), CPU 43%,
#     key p99 87 ms
#   50,000/20: 6-9 young (0.6-0.8 s in all, max 125-183 ms), no gen1/full, CPU ~40%, key
#     p99 74 ms.
# A young collection costs ~35 ms at 10,000 and ~100 ms at 50,000 (not 5x: much of it does
# not scale with the threshold), so fewer, larger ones cost least; the long ones come ~1 per 8 s.
GC_GEN0_THRESHOLD = 50_000
GOLDEN = 0.6180339887498949
GC_GEN1_THRESHOLD = 20


def tune_gc() -> None:
    """Garbage-collector settings for a long-running collector process (idempotent).

    Objects that exist now (modules, classes, configuration) are moved out of the
    collector's sight for good (``gc.freeze``): they are never garbage.
    """
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, GC_GEN0_THRESHOLD), max(gen1, GC_GEN1_THRESHOLD), gen2)
    gc.freeze()


def build_fleet(
    hosts: Sequence[HostConfig],
    settings: Settings,
    runners: dict[str, Runner] | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> list[FleetMember]:
    tune_gc()
    runners = dict(runners or {})
    members: list[FleetMember] = []
    for hc in hosts:
        runner = runners.get(hc.name) or make_runner(hc, settings)
        ps = PollSettings(
            interval_s=settings.interval_s,
            cadence=settings.cadence,
            command_timeout_s=settings.command_timeout_s,
            mount_debugfs=hc.mount_debugfs,
            local_dom0=hc.is_local,
        )
        # host i's phase: i × the golden ratio (mod 1) spreads any number of hosts evenly
        phase = (len(members) * GOLDEN) % 1.0
        members.append(FleetMember(hc, runner, HostPoller(hc.name, runner, ps, clock=clock,
                                                          phase=phase)))
    return members


async def collect_once(members: Sequence[FleetMember], *, timeout_s: float = 60.0) -> FleetSnapshot:
    """Poll every host once, concurrently; a host that fails or hangs gets a status."""

    async def one(m: FleetMember) -> HostSnapshot:
        try:
            return await asyncio.wait_for(m.poller.poll_once(), timeout=timeout_s)
        except TimeoutError:
            return HostSnapshot(host=m.config.name, time=time.time(),
                                status=HostStatus.UNREACHABLE,
                                message=f"no answer within {timeout_s:.0f}s")

    snaps = await asyncio.gather(*(one(m) for m in members))
    return FleetSnapshot(time=time.time(), hosts=tuple(snaps))


async def close_fleet(members: Sequence[FleetMember]) -> None:
    for m in members:
        await m.poller.close()
        with contextlib.suppress(Exception):  # closing is best effort
            await m.runner.close()
