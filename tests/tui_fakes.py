"""Synthetic snapshots and pollers for TUI tests that must not depend on the simulator's
timing: every value is a pure function of (host index, domain index, tick)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from textual.pilot import Pilot

from collectors.config import HostConfig, Settings
from collectors.fleet import FleetMember
from collectors.model import (
    Dom0View,
    Domain,
    DomainState,
    DomainType,
    HostInfo,
    HostSnapshot,
    HostStatus,
)

T0 = 1_700_000_000.0
STATES = (
    DomainState(running=True),
    DomainState(blocked=True),
    DomainState(blocked=True),
    DomainState(paused=True),
    DomainState(shutdown=True, crashed=True, shutdown_reason="crash"),
)


def host_name(i: int) -> str:
    return f"xen-{'prod' if i == 0 else 'lab'}-{i + 1}"


def host_configs(n: int) -> list[HostConfig]:
    out = []
    for i in range(n):
        prod = i == 0
        out.append(HostConfig(name=host_name(i), target=f"demo:{i}",
                              group="prod" if prod else "lab", tags=("demo",),
                              production=prod, accent="red" if prod else None,
                              banner="PROD" if prod else None))
    return out


def make_domain(host: str, h: int, j: int, tick: int, name: str | None = None) -> Domain:
    if j == 0:
        return Domain(host=host, domid=0, name="Domain-0", type=DomainType.PV,
                      state=DomainState(running=True), cpu_time_s=1000.0 + tick,
                      cpu_pct=5.0 + h, mem_kib=4 * 1024 * 1024, mem_max_unlimited=True,
                      mem_pct=6.2, vcpus_online=4, vcpus_max=4, uptime_s=86400.0 + tick)
    cpu = float((h * 37 + j * 13 + tick * 7) % 100)
    return Domain(
        host=host, domid=j + 10 * h, name=name or f"vm-{h}-{j:02d}",
        uuid=f"00000000-0000-4000-8000-{h:06d}{j:06d}",
        type=(DomainType.PV, DomainType.HVM, DomainType.PVH)[j % 3],
        state=STATES[j % len(STATES)], cpu_time_s=100.0 * j + tick, cpu_pct=cpu,
        mem_kib=(j + 1) * 256 * 1024, mem_max_kib=(j + 1) * 512 * 1024,
        mem_pct=round((j + 1) * 0.4, 1), vcpus_online=1 + j % 4, vcpus_max=4,
        net_tx_rate=1000.0 * j + tick, net_rx_rate=500.0 * j,
        vbd_rd_rate=2048.0 * j, vbd_wr_rate=None if j % 5 == 0 else 4096.0 * j,
        vbd_oo=j % 3, uptime_s=3600.0 * j + tick,
    )


def make_snapshot(h: int, tick: int, domains: int = 6, *, status: HostStatus = HostStatus.OK,
                  message: str | None = None, names: dict[int, str] | None = None,
                  t0: float = T0, interval: float = 1.0) -> HostSnapshot:
    host = host_name(h)
    doms = tuple(make_domain(host, h, j, tick, (names or {}).get(j)) for j in range(domains))
    return HostSnapshot(
        host=host, time=t0 + tick * interval, status=status, message=message,
        data_age_s=0.2, latency_s=0.012 + h / 1000,
        info=HostInfo(hostname=host, xen_version="4.17.3", nr_cpus=16, scheduler="credit2",
                      total_memory_mib=65536, free_memory_mib=20000 - 1000 * h),
        domains=doms, dom0=Dom0View(load=(0.5 + h, 0.4, 0.3)), seq=tick + 1,
    )


@dataclass
class FakePoller:
    """Stands in for HostPoller: yields what a test pushes, records calls."""

    host: str
    queue: asyncio.Queue[HostSnapshot] = field(default_factory=asyncio.Queue)
    demand: list[bool] = field(default_factory=list)  # rings
    rings_every: list[int] = field(default_factory=list)  # with each rings demand
    vcpu_demand: list[bool] = field(default_factory=list)
    refreshes: int = 0
    closed: bool = False

    def push(self, snap: HostSnapshot) -> None:
        self.queue.put_nowait(snap)

    async def snapshots(self) -> AsyncIterator[HostSnapshot]:
        while True:
            yield await self.queue.get()

    def refresh_now(self) -> None:
        self.refreshes += 1

    def set_demand(self, *, rings: bool | None = None, vcpus: bool | None = None,
                   rings_every: int = 1) -> None:
        if rings is not None:
            self.demand.append(rings)
            self.rings_every.append(rings_every)
        if vcpus is not None:
            self.vcpu_demand.append(vcpus)

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeRunner:
    host: str
    closed: bool = False

    async def close(self) -> None:
        self.closed = True


def fake_members(hosts: list[HostConfig]) -> list[FleetMember]:
    return [FleetMember(h, FakeRunner(h.name), FakePoller(h.name))  # type: ignore[arg-type]
            for h in hosts]


def settings(**kw: object) -> Settings:
    return Settings(interval_s=1.0, **kw)  # type: ignore[arg-type]


async def wait_until(pilot: Pilot[Any], cond: Callable[[], bool], timeout: float = 10.0,
                     *, step: float = 0.01) -> None:
    """Let the app run until ``cond()`` holds; AssertionError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await pilot.pause(step)


async def palette_pick(pilot: Pilot[Any], query: str) -> None:
    """Open the command palette, type ``query`` and run the first match (Enter)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    await pilot.pause(0.5)  # the palette searches in a worker
    await pilot.press("enter")
