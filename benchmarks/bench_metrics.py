"""One ``xltop --serve-metrics`` scrape of a big simulated fleet: how many samples, how
big, and the CPU to render it and to gzip it.

Every host gets one complete poll (xl list, vcpu-list, info, XenStore, rings), then the
fleet's snapshots are rendered as a scrape renders them (with the exporter's counter
floor, over several scrapes).

Run: ``.venv/bin/python benchmarks/bench_metrics.py [--hosts 100] [--domains 50] [--scrapes 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.metrics import CounterFloor, render  # noqa: E402
from collectors.model import HostSnapshot  # noqa: E402
from collectors.poller import HostPoller, PollSettings  # noqa: E402
from collectors.sim.fleet import make_fleet  # noqa: E402
from collectors.sim.runner import SimRunner  # noqa: E402


async def snapshots(hosts: int, domains: int) -> list[HostSnapshot]:
    t0 = 1_800_000_000.0
    out = []
    for host in make_fleet(hosts=hosts, domains=domains, seed=1, start=t0):
        poller = HostPoller(host.name, SimRunner(host, clock=lambda: t0), PollSettings(),
                            clock=lambda: t0, monotonic=lambda: t0)
        out.append(await poller.poll_once())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("--scrapes", type=int, default=5)
    args = ap.parse_args()
    snaps = asyncio.run(snapshots(args.hosts, args.domains))
    floor = CounterFloor()
    times = []
    text = ""
    for _ in range(args.scrapes):
        t0 = time.process_time()
        text = render(snaps, floor)
        times.append((time.process_time() - t0) * 1000)
    t0 = time.process_time()
    packed = gzip.compress(text.encode(), 5)
    gzip_ms = (time.process_time() - t0) * 1000
    samples = sum(1 for line in text.splitlines() if not line.startswith("#"))
    print(f"fleet: {args.hosts} hosts, {sum(len(s.domains) for s in snaps)} domains")
    print(f"scrape: {samples} samples, {len(text) / 1e6:.1f} MB, {len(packed) / 1e6:.2f} MB "
          f"gzipped")
    print(f"render: median {statistics.median(times):.0f} ms CPU over {args.scrapes} scrapes "
          f"(min {min(times):.0f}); gzip {gzip_ms:.0f} ms")
    ref0 = time.process_time()
    sum(range(10**6))
    print(f"machine reference: sum(range(10**6)) takes {(time.process_time() - ref0) * 1000:.1f} "
          "ms CPU")


if __name__ == "__main__":
    main()
