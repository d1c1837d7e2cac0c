"""Dom0 CPU cost of xltop's collection against ``xentop -b -d 1`` alone, on the real lab.

Dom0's busy time (user+nice+system+irq+softirq jiffies from its /proc/stat) is read before
and after a window of N seconds in each scenario:

  idle      nothing of ours runs (baseline: Dom0's own background work)
  xentop    one SSH channel streaming ``xentop -b -d 1`` (what an operator runs today)
  xltop-1s  xltop's HostPoller at a 1 s interval (stream + batched slow families + watch)
  xltop-2s  the same at the default 2 s interval
  xltop-*-old  the same with the cadences before the issue-2 tuning (``--scenarios``)
  dom0-rt-1s      Dom0's /proc/net/dev read by a round trip every second (what an Open
                  vSwitch host cost per frame before the Dom0 stream; ``--scenarios``)
  dom0-stream-1s  the same counters from ``commands.dom0_stream(1)`` (``--scenarios``)
  rings-rt-1s     the ring files and /proc/net/dev by a round trip every second (what the
                  Rings view cost per tick before the Dom0 stream brought rings)
  rings-stream-1s the same from ``commands.dom0_stream(1, rings=True)``
  xltop-1s-rings  xltop-1s with the Rings view's demand on

Each scenario's cost is its busy time minus the idle median, per minute. Repeats R times
and reports medians. Needs the lab up (``xenlab up``); takes about
(2 + scenarios) × R × (N + settle) seconds.

Run: ``.venv/bin/python benchmarks/bench_dom0_cost.py [--seconds 60] [--repeats 3]``

``--breakdown`` instead measures where xltop's cost goes: each command's Dom0 CPU per run
(run back to back as a one-command batch, the way the poller sends it, over fixed windows
with the idle window subtracted), an empty batch (sshd + sh: the per-round-trip cost), the
xentop streams and an idle xenstore-watch. ``--schedule`` follows a HostPoller through a
recording runner and counts how often it runs each command per minute; multiply the two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors import commands as cmd  # noqa: E402
from collectors.config import Cadence  # noqa: E402
from collectors.poller import HostPoller, PollSettings  # noqa: E402
from collectors.transport.base import CommandResult, LineStream  # noqa: E402
from collectors.transport.ssh import SshRunner  # noqa: E402
from collectors.transport.ssh_target import SshTarget  # noqa: E402

# the defaults before the tuning of issue 2 (an -old scenario runs with them, for A/B)
OLD_CADENCE = Cadence(vcpus_s=30.0, info_s=120.0, rings_s=30.0, xenstore_s=600.0, dom0_s=60.0)
SCENARIOS = ("idle", "xentop", "xltop-1s", "xltop-2s", "xltop-1s-old", "xltop-2s-old",
             "dom0-rt-1s", "dom0-stream-1s", "rings-rt-1s", "rings-stream-1s",
             "xltop-1s-rings")

XENLAB = next((p for p in (Path(__file__).resolve().parents[2] / "shared/xenlab/xenlab",
                           Path("/work/shared/xenlab/xenlab")) if p.exists()), None)


def lab_target() -> SshTarget:
    if XENLAB is None:
        raise SystemExit("xenlab not found")
    env = subprocess.run([str(XENLAB), "env"], capture_output=True, text=True, check=True).stdout
    kv = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    return SshTarget(host=kv["XENLAB_SSH_HOST"], port=int(kv["XENLAB_SSH_PORT"]),
                     user=kv["XENLAB_SSH_USER"], key=kv["XENLAB_SSH_KEY"],
                     known_hosts=kv["XENLAB_KNOWN_HOSTS"], command_timeout=120)


async def busy_jiffies(probe: SshRunner) -> int:
    res = await probe.run(["head", "-n", "1", "/proc/stat"])
    f = res.stdout.split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in f[1:8])
    return user + nice + system + irq + softirq


async def scenario(
    name: str, target: SshTarget, probe: SshRunner, seconds: float, settle: float
) -> float:
    """Dom0 busy seconds during the window."""
    runner = SshRunner(target, name="bench")
    task: asyncio.Task[None] | None = None
    if name in ("xentop", "dom0-stream-1s", "rings-stream-1s"):
        stream = await runner.stream(["xentop", "-b", "-d", "1"] if name == "xentop"
                                     else cmd.dom0_stream(1, rings=name.startswith("rings")))

        async def drain() -> None:
            while await stream.readline(timeout=None) is not None:
                pass

        task = asyncio.create_task(drain())
    elif name in ("dom0-rt-1s", "rings-rt-1s"):
        batch = [cmd.DOM0_PROC] + ([cmd.RING_FILES] if name.startswith("rings") else [])

        async def every_second() -> None:
            while True:
                t0 = time.monotonic()
                await runner.run_batch(batch, timeout=60)
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))

        task = asyncio.create_task(every_second())
    elif name.startswith("xltop"):
        interval = 1.0 if name.startswith("xltop-1s") else 2.0
        cadence = OLD_CADENCE if name.endswith("-old") else Cadence()
        poller = HostPoller("lab", runner, PollSettings(interval_s=interval, cadence=cadence))
        if name.endswith("-rings"):
            poller.set_demand(rings=True)

        async def follow() -> None:
            async for _ in poller.snapshots():
                pass

        task = asyncio.create_task(follow())
    await asyncio.sleep(settle)  # steady state: past the connection and the first full poll
    j0 = await busy_jiffies(probe)
    await asyncio.sleep(seconds)
    j1 = await busy_jiffies(probe)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await runner.close()
    await asyncio.sleep(2.0)
    return (j1 - j0) / 100.0  # USER_HZ


class RecordingRunner:
    """A Runner that passes everything to an SshRunner and counts what the poller asks."""

    def __init__(self, inner: SshRunner) -> None:
        self.inner = inner
        self.batches = 0
        self.commands: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()

    @property
    def host(self) -> str:
        return self.inner.host

    def reset(self) -> None:
        self.batches = 0
        self.commands.clear()
        self.streams.clear()

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        self.batches += 1
        self.commands[" ".join(argv)] += 1
        return await self.inner.run(argv, timeout=timeout, input=input)

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        self.batches += 1
        for a in argvs:
            self.commands[" ".join(a)] += 1
        return await self.inner.run_batch(argvs, timeout=timeout)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        self.streams[" ".join(argv)] += 1
        return await self.inner.stream(argv)

    async def close(self) -> None:
        await self.inner.close()


# what the poller runs, by the name the breakdown reports
FAMILIES: dict[str, tuple[str, ...]] = {
    "batch of `true` (sshd channel + sh)": ("true",),
    "xl list -v": cmd.XL_LIST,
    "xl vcpu-list": cmd.XL_VCPU_LIST,
    "xl info": cmd.XL_INFO,
    "xl uptime": cmd.XL_UPTIME,
    "xenstore-ls -f /local/domain": cmd.XENSTORE_DOMAINS,
    "ring files (sh + head)": cmd.RING_FILES,
    "cat /proc/loadavg /proc/net/dev": cmd.DOM0_PROC,
    "xl list -l": cmd.XL_LIST_LONG,
}


async def window(probe: SshRunner, seconds: float) -> float:
    """Dom0 busy seconds over a fixed window (fixed, so the probe's own cost cancels out)."""
    j0 = await busy_jiffies(probe)
    await asyncio.sleep(seconds)
    j1 = await busy_jiffies(probe)
    return (j1 - j0) / 100.0


async def repeated(runner: SshRunner, argv: tuple[str, ...], probe: SshRunner,
                   seconds: float) -> tuple[float, int]:
    """Busy seconds in a window while ``argv`` runs back to back, and how many runs ended."""
    done = [0]

    async def loop() -> None:
        while True:
            await runner.run_batch([argv], timeout=120)
            done[0] += 1

    task = asyncio.create_task(loop())
    busy = await window(probe, seconds)
    n = done[0]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return busy, n


async def breakdown(target: SshTarget, probe: SshRunner, seconds: float) -> None:
    runner = SshRunner(target, name="bench")
    await runner.run(["true"])  # connected before any window
    idle = [await window(probe, seconds) for _ in range(2)]
    base = statistics.mean(idle)
    print(f"idle: {idle} s busy per {seconds:.0f} s window", flush=True)
    per_run: dict[str, float] = {}
    for name, argv in FAMILIES.items():
        busy, n = await repeated(runner, argv, probe, seconds)
        await asyncio.sleep(2.0)
        per_run[name] = (busy - base) / max(1, n)
        print(f"  {name:36s} {n:4d} runs  {1000 * per_run[name]:6.0f} ms Dom0 CPU per run "
              "(as a one-command batch)", flush=True)
    chan = per_run.pop("batch of `true` (sshd channel + sh)")
    print(f"  => per round trip (sshd + sh): {1000 * chan:.0f} ms; each command alone adds:")
    for name, c in per_run.items():
        print(f"     {name:36s} {1000 * (c - chan):6.0f} ms")
    for argv in (cmd.xentop_stream(1), cmd.xentop_stream(2), cmd.XENSTORE_WATCH):
        stream = await runner.stream(argv)
        lines = 0

        async def drain(s: LineStream = stream) -> int:
            nonlocal lines
            while await s.readline(timeout=None) is not None:
                lines += 1
            return lines

        task = asyncio.create_task(drain())
        await asyncio.sleep(3.0)
        busy = await window(probe, seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stream.close()
        await asyncio.sleep(2.0)
        print(f"  stream {' '.join(argv):40s} {60 * (busy - base) / seconds:5.2f} s/min "
              f"({lines} lines)", flush=True)
    await runner.close()


async def schedule(target: SshTarget, seconds: float, interval: float) -> None:
    """What a HostPoller at ``interval`` runs per minute in steady state."""
    rec = RecordingRunner(SshRunner(target, name="bench"))
    poller = HostPoller("lab", rec, PollSettings(interval_s=interval, cadence=Cadence()))
    snaps = 0

    async def follow() -> None:
        nonlocal snaps
        async for _ in poller.snapshots():
            snaps += 1

    task = asyncio.create_task(follow())
    await asyncio.sleep(30.0)
    rec.reset()
    snaps = 0
    await asyncio.sleep(seconds)
    per_min = 60.0 / seconds
    print(f"xltop at {interval:g} s, over {seconds:.0f} s: {rec.batches * per_min:.1f} round "
          f"trips/min, {snaps * per_min:.0f} snapshots/min; streams opened {dict(rec.streams)}")
    for c, n in rec.commands.most_common():
        print(f"  {n * per_min:6.2f}/min  {c[:90]}")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    await rec.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settle", type=float, default=30.0,
                    help="seconds to wait before measuring (start-up is a one-off cost)")
    ap.add_argument("--scenarios", default="xltop-1s,xltop-2s",
                    help="scenarios after idle and xentop: xltop-1s, xltop-2s, -old "
                    "variants with the pre-tuning cadences, dom0-rt-1s, dom0-stream-1s")
    ap.add_argument("--breakdown", action="store_true",
                    help="each command's Dom0 cost per run instead of the scenarios")
    ap.add_argument("--schedule", action="store_true",
                    help="count what the poller runs per minute instead of the scenarios")
    args = ap.parse_args()
    target = lab_target()
    probe = SshRunner(target, name="probe")
    if args.breakdown or args.schedule:
        if args.schedule:
            for interval in (2.0, 1.0):
                await schedule(target, args.seconds, interval)
        if args.breakdown:
            await breakdown(target, probe, args.seconds)
        await probe.close()
        return
    names = ["idle", "xentop", *args.scenarios.split(",")]
    if unknown := set(names) - set(SCENARIOS):
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    results: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.repeats):
        for n in names:
            t0 = time.monotonic()
            busy = await scenario(n, target, probe, args.seconds, args.settle)
            results[n].append(busy * 60.0 / args.seconds)
            print(f"run {r + 1} {n:12s}: Dom0 busy {busy:6.2f} s in {args.seconds:.0f} s "
                  f"({time.monotonic() - t0:.0f} s wall; this machine's load "
                  f"{os.getloadavg()[0]:.1f})", flush=True)
    await probe.close()
    idle = statistics.median(results["idle"])
    print(f"\nDom0 CPU per minute (median of {args.repeats}; idle baseline "
          f"{idle:.2f} s/min subtracted):")
    cost = {n: statistics.median(results[n]) - idle for n in names[1:]}
    for n, c in cost.items():
        print(f"  {n:12s} {c:6.2f} s/min" + (f"   = {c / cost['xentop']:.2f} × xentop -b -d 1"
                                              if n != "xentop" and cost["xentop"] > 0 else ""))
    # QEMU shares this machine's CPUs: other load slows the emulated Dom0 and inflates every
    # figure, so the ratio within each repeat (scenarios minutes apart) is the steadier one
    for n in names[2:]:
        ratios = [(x - i) / (t - i) for x, t, i in
                  zip(results[n], results["xentop"], results["idle"], strict=True) if t > i]
        print(f"  {n:12s} per-repeat ratios to xentop: "
              + ", ".join(f"{q:.2f}" for q in ratios)
              + (f" (median {statistics.median(ratios):.2f})" if ratios else ""))


if __name__ == "__main__":
    asyncio.run(main())
