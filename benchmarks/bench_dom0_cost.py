"""Dom0 CPU cost of xltop's collection against ``xentop -b -d 1`` alone, on the real lab.

Dom0's busy time (user+nice+system+irq+softirq jiffies from its /proc/stat) is read before
and after a window of N seconds in each scenario:

  idle      nothing of ours runs (baseline: Dom0's own background work)
  xentop    one SSH channel streaming ``xentop -b -d 1`` (what an operator runs today)
  xltop-1s  xltop's HostPoller at a 1 s interval (stream + batched slow families + watch)
  xltop-2s  the same at the default 2 s interval

Each scenario's cost is its busy time minus the idle median, per minute. Repeats R times
and reports medians. Needs the lab up (``xenlab up``); takes about 4 × R × N seconds.

Run: ``.venv/bin/python benchmarks/bench_dom0_cost.py [--seconds 60] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.config import Cadence  # noqa: E402
from collectors.poller import HostPoller, PollSettings  # noqa: E402
from collectors.transport.ssh import SshRunner  # noqa: E402
from collectors.transport.ssh_target import SshTarget  # noqa: E402

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
    if name == "xentop":
        stream = await runner.stream(["xentop", "-b", "-d", "1"])

        async def drain() -> None:
            while await stream.readline(timeout=None) is not None:
                pass

        task = asyncio.create_task(drain())
    elif name.startswith("xltop"):
        interval = 1.0 if name == "xltop-1s" else 2.0
        poller = HostPoller("lab", runner, PollSettings(interval_s=interval, cadence=Cadence()))

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


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settle", type=float, default=30.0,
                    help="seconds to wait before measuring (start-up is a one-off cost)")
    args = ap.parse_args()
    target = lab_target()
    probe = SshRunner(target, name="probe")
    names = ["idle", "xentop", "xltop-1s", "xltop-2s"]
    results: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.repeats):
        for n in names:
            t0 = time.monotonic()
            busy = await scenario(n, target, probe, args.seconds, args.settle)
            results[n].append(busy * 60.0 / args.seconds)
            print(f"run {r + 1} {n:9s}: Dom0 busy {busy:6.2f} s in {args.seconds:.0f} s "
                  f"({time.monotonic() - t0:.0f} s wall)", flush=True)
    await probe.close()
    idle = statistics.median(results["idle"])
    print(f"\nDom0 CPU per minute (median of {args.repeats}; idle baseline "
          f"{idle:.2f} s/min subtracted):")
    cost = {n: statistics.median(results[n]) - idle for n in names[1:]}
    for n, c in cost.items():
        print(f"  {n:9s} {c:6.2f} s/min" + (f"   = {c / cost['xentop']:.2f} × xentop -b -d 1"
                                             if n != "xentop" and cost["xentop"] > 0 else ""))


if __name__ == "__main__":
    asyncio.run(main())
