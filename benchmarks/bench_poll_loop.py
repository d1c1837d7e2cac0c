"""The collectors alone, live: every host's poller on one event loop, as in the app.

    .venv/bin/python benchmarks/bench_poll_loop.py [--hosts 100] [--domains 50] [--seconds 30]

The simulated fleet runs in its own process (``collectors.sim.server``), so what is
measured in this process is what real hosts over SSH would cost: reading the answers,
parsing, merging into snapshots. Reports this process's CPU per second, the longest
event-loop stalls (a 10 ms sleep probe: how late it woke), peak RSS, snapshots per second,
and the simulator process's own CPU. ``--in-process`` uses in-process SimRunners instead
(the simulator's CPU and stalls are then counted here too).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402

from benchmarks.loop_probe import CpuMeter, GcMeter, LoopLagProbe, process_cpu  # noqa: E402
from collectors.config import HostConfig, Settings  # noqa: E402
from collectors.fleet import FleetMember, build_fleet, close_fleet  # noqa: E402
from collectors.model import HostSnapshot  # noqa: E402
from collectors.sim.fleet import make_fleet, sim_runners  # noqa: E402
from collectors.sim.process_runner import SimProcess  # noqa: E402
from collectors.transport.base import Runner  # noqa: E402


class CollectorCpuMeter(CpuMeter):
    """The collectors' CPU by stage (merge, xentop frames, slow families, transport)."""

    def install(self) -> None:
        from collectors import poller
        from collectors.parse.xentop import XentopFrameAssembler
        from collectors.poller import HostPoller

        self.patch("snapshot merge", HostPoller, "snapshot")
        self.patch("xentop frames", HostPoller, "_on_frame")
        self.patch("xentop frames", XentopFrameAssembler, "feed")
        self.patch("xentop frames", XentopFrameAssembler, "flush")
        self.patch("slow families", HostPoller, "_absorb")
        self.patch("slow families", poller, "parse_result")
        self.patch("transport (sim pipe)", SimProcess, "_dispatch")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    meter = CollectorCpuMeter()
    if args.breakdown:
        meter.install()
    sim: SimProcess | None = None
    runners: dict[str, Runner]
    if args.in_process:
        runners = dict(sim_runners(make_fleet(args.hosts, args.domains, seed=0)))
    else:
        sim = SimProcess(args.hosts, args.domains, seed=0)
        runners = dict(sim.runners())
    configs = [HostConfig(name=n, target=f"demo:{i}") for i, n in enumerate(runners)]
    members = build_fleet(configs, Settings(interval_s=args.interval), runners)
    latest: dict[str, HostSnapshot] = {}
    count = [0]

    async def follow(m: FleetMember) -> None:
        async for snap in m.poller.snapshots():
            latest[m.config.name] = snap
            count[0] += 1

    if args.debug_stalls:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = args.debug_stalls / 1000
    probe = LoopLagProbe()
    proc = psutil.Process()
    t_start = time.monotonic()
    tasks = [asyncio.create_task(follow(m)) for m in members]
    probe.start()
    want = args.hosts * args.domains
    while time.monotonic() - t_start < 120:
        await asyncio.sleep(0.2)
        have = sum(len(s.domains) for s in latest.values())
        if have >= want and all(s.vcpus for s in latest.values()) and len(latest) == args.hosts:
            break
    warmup = time.monotonic() - t_start
    startup_lag = probe.summary()
    gc.collect()
    await asyncio.sleep(0.05)  # the probe's wait that spans the collection ends first
    gcm = GcMeter()
    gcm.start()
    sim_proc = psutil.Process(sim.pid) if sim is not None and sim.pid else None
    sim_cpu0 = process_cpu(sim_proc)
    probe.reset()
    count[0] = 0
    prof = cProfile.Profile() if args.profile else None
    if prof is not None:
        prof.enable()
    buckets0 = dict(meter.cpu)
    cpu0, wall0 = time.process_time(), time.monotonic()
    per_s: list[float] = []
    rss: list[int] = []
    last = cpu0
    while time.monotonic() - wall0 < args.seconds:
        await asyncio.sleep(1.0)
        now = time.process_time()
        per_s.append(now - last)
        last = now
        rss.append(proc.memory_info().rss)
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    if prof is not None:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats(args.profile).print_stats(45)
    sim_cpu = process_cpu(sim_proc) - sim_cpu0
    parts = {k: round((v - buckets0[k]) / wall, 3) for k, v in meter.cpu.items()}
    snaps = count[0]
    lag = probe.summary()
    gcm.stop()
    await probe.stop()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await close_fleet(members)
    domains = sum(len(s.domains) for s in latest.values())
    vcpus = sum(len(s.vcpus) for s in latest.values())
    return {
        "hosts": args.hosts, "domains": domains, "vcpus": vcpus,
        "simulator": "in-process" if args.in_process else "separate process",
        "interval_s": args.interval, "seconds": round(wall, 1), "warmup_s": round(warmup, 1),
        "cpu_avg": round(cpu / wall, 3),
        "cpu_per_s_p50": round(statistics.median(per_s), 3),
        "cpu_per_s_max": round(max(per_s), 3),
        "sim_process_cpu_avg": round(sim_cpu / wall, 3) if sim_proc is not None else None,
        "rss_peak_mb": round(max(rss) / 2**20, 1),
        "snapshots_per_s": round(snaps / wall, 1),
        "loop_lag_ms": lag,
        "startup_loop_lag_ms": startup_lag,
        "gc_pauses": gcm.summary(),
        **({"cpu_by_part": parts} if parts else {}),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=100)
    p.add_argument("--domains", type=int, default=50)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--in-process", action="store_true", help="simulator in this process")
    p.add_argument("--breakdown", action="store_true",
                   help="split this process's CPU by part (wrapping adds a little)")
    p.add_argument("--debug-stalls", type=float, metavar="MS", default=0.0,
                   help="asyncio debug mode: log every callback that runs longer than MS")
    p.add_argument("--profile", metavar="SORT", choices=("tottime", "cumtime"),
                   help="profile the measured window (to stderr), sorted by SORT")
    r = asyncio.run(run(p.parse_args()))
    print(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
