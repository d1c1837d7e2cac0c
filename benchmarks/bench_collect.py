"""CPU cost of one collection tick on a big simulated fleet (target: < 50 ms CPU).

100 simulated hosts × 50 domains. Every host first gets one complete poll (xl list,
vcpu-list, info, XenStore, rings) as in real life, then each tick hands every host a new
``xentop -b`` frame as the bytes a stream delivers. What is timed is xltop's side of a
tick, the path a live stream takes: bytes into lines (LineBuffer.pop_lines, as the SSH and
local streams' readlines), the frame assembler, the merge into Domain/VCpu/Device objects
with rates, and building the HostSnapshot — for all hosts. Hosts whose guests are on Open
vSwitch (xentop sees no vifs there) also get their Dom0 sample (/proc/loadavg and
/proc/net/dev, as the Dom0 stream brings it) parsed and merged each tick, as they do live
(``--no-dom0`` leaves it out). The simulator's own rendering
of the frames (the "Dom0 side") is timed separately and excluded. The garbage collector
is set up as xltop sets it up (collectors.fleet.tune_gc); ``--default-gc`` keeps
CPython's defaults.

Run: ``.venv/bin/python benchmarks/bench_collect.py [--hosts 100] [--domains 50] [--ticks 15]
[--interval 1] [--no-dom0] [--stages] [--profile N]`` (``--stages`` adds each stage's
median CPU per tick; ``--profile`` prints cProfile's top N functions).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors import commands as cmd  # noqa: E402
from collectors.fleet import tune_gc  # noqa: E402
from collectors.parse.xentop import XentopFrameAssembler  # noqa: E402
from collectors.poller import HostPoller, PollSettings  # noqa: E402
from collectors.sim import evolve  # noqa: E402
from collectors.sim.fleet import make_fleet  # noqa: E402
from collectors.sim.render_xentop import XentopOptions, XentopSampler  # noqa: E402
from collectors.sim.runner import Dom0ProcStream, SimRunner  # noqa: E402
from collectors.transport.lines import LineBuffer  # noqa: E402


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("--ticks", type=int, default=15)
    ap.add_argument("--default-gc", action="store_true", help="do not tune the GC as xltop does")
    ap.add_argument("--interval", type=int, default=2, help="seconds between frames")
    ap.add_argument("--no-dom0", action="store_true",
                    help="leave out the Open vSwitch hosts' Dom0 samples")
    ap.add_argument("--stages", action="store_true",
                    help="also report each stage's median CPU per tick")
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="cProfile the timed part and print the top N functions")
    args = ap.parse_args()

    t0 = 1_800_000_000.0
    clock = [t0]
    fleet = make_fleet(hosts=args.hosts, domains=args.domains, seed=1, start=t0)
    pollers = []
    for host in fleet:
        # the simulated hosts' latencies and command durations take no real time here
        runner = SimRunner(host, clock=lambda: clock[0], sleep=_no_wait)
        poller = HostPoller(host.name, runner, PollSettings(interval_s=float(args.interval)),
                            clock=lambda: clock[0], monotonic=lambda: clock[0])
        await poller.poll_once()
        dom0 = (Dom0ProcStream(runner, args.interval, rings=False)
                if poller._ovs_like() and not args.no_dom0 else None)
        pollers.append((host, poller, XentopSampler(), XentopFrameAssembler(), dom0))
    if not args.default_gc:
        tune_gc()
    n_dom = sum(len(s.domains) for s in [p.snapshot() for _, p, _, _, _ in pollers])
    n_ovs = sum(d is not None for *_, d in pollers)
    opts = XentopOptions(delay=args.interval, full_name=True)
    prof = cProfile.Profile() if args.profile else None

    collect_ms: list[float] = []
    render_ms: list[float] = []
    stage_ms: dict[str, list[float]] = {}
    stage_t = [0.0]

    def stage(name: str) -> None:  # CPU since the last call, added to ``name`` this tick
        if args.stages:
            t = time.process_time()
            stage_ms.setdefault(name, [0.0])[-1] += (t - stage_t[0]) * 1000
            stage_t[0] = t
    for _ in range(args.ticks):
        clock[0] += args.interval
        r0 = time.process_time()
        chunks = []
        for host, _, sampler, _, dom0 in pollers:
            evolve.advance(host, clock[0])
            text = "\n".join(dom0._sample()[0]) + "\n" if dom0 is not None else ""
            chunks.append((sampler.frame(host, opts).encode(), text.encode()))
        r1 = time.process_time()
        if prof is not None:
            prof.enable()
        for times in stage_ms.values():
            times.append(0.0)
        stage_t[0] = time.process_time()
        for (_, poller, _, asm, _), (chunk, sample) in zip(pollers, chunks, strict=True):
            buf = LineBuffer()
            buf.feed(chunk)
            lines = buf.pop_lines()
            stage("bytes into lines")
            frames = asm.feed_lines(lines)
            last = asm.flush()
            stage("xentop lines into rows")
            for done in (*frames, *([last] if last is not None else [])):
                poller._on_frame(done)
            stage("frame into the poll state")
            if sample:  # as _read_dom0_samples hands a sample over
                buf.feed(sample)
                lines = buf.pop_lines()
                assert lines[-1] == cmd.DOM0_SAMPLE_END
                await poller._take_dom0_sample(lines[:-1], args.interval, False)
                stage("Dom0 sample parsed")
            poller.snapshot()
            stage("snapshot (merge, rates)")
        if prof is not None:
            prof.disable()
        r2 = time.process_time()
        render_ms.append((r1 - r0) * 1000)
        collect_ms.append((r2 - r1) * 1000)
    gc_note = "CPython defaults" if args.default_gc else "tuned as xltop tunes it"
    print(f"fleet: {args.hosts} hosts, {n_dom} domains (incl. Domain-0s), {n_ovs} hosts "
          f"with a Dom0 sample per tick; GC {gc_note}")
    print(f"xltop collection per tick: median {statistics.median(collect_ms):.1f} ms CPU, "
          f"min {min(collect_ms):.1f}, max {max(collect_ms):.1f} over {args.ticks} ticks "
          f"(target < 50 ms)")
    for name, times in stage_ms.items():
        print(f"  {name}: median {statistics.median(times):.1f} ms")
    print(f"simulator rendering per tick (excluded): median {statistics.median(render_ms):.1f} ms")
    ref0 = time.process_time()
    sum(range(10**6))
    ref_ms = (time.process_time() - ref0) * 1000
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
    print(f"machine reference: sum(range(10**6)) takes {ref_ms:.1f} ms CPU")


if __name__ == "__main__":
    asyncio.run(main())
