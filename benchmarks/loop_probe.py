"""Measuring tools shared by the benchmarks: a loop-lag probe (how long the event loop was
kept from running a ready callback), a GC pause meter, CPU by bucket, a process's CPU."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import psutil


class LoopLagProbe:
    """Sleeps ``period_s`` over and over; every wake-up later than asked is a stall.

    The lateness of a wake-up is how long the loop was busy with other callbacks when
    this one was due (give or take one period). On a shared machine the process may also
    just not have had a core: the CPU the loop's thread used during the same wait
    (``busy``) tells the two apart. ``lag`` is what a keypress would feel; ``busy`` is
    what the code itself is responsible for.
    """

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.lags_ms: list[float] = []
        self.busy_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-lag-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def reset(self) -> None:
        self.lags_ms.clear()
        self.busy_ms.clear()

    async def _run(self) -> None:
        while True:
            t0, c0 = time.perf_counter(), time.thread_time()
            await asyncio.sleep(self.period_s)
            self.lags_ms.append(max(0.0, (time.perf_counter() - t0 - self.period_s) * 1000))
            self.busy_ms.append((time.thread_time() - c0) * 1000)

    def summary(self) -> dict[str, object]:
        return {"lag": _stats(self.lags_ms), "busy": _stats(self.busy_ms)}


def _stats(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    if not s:
        return {}

    def pct(p: float) -> float:
        return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 1)

    return {"p50": pct(50), "p99": pct(99), "p999": pct(99.9), "max": round(s[-1], 1),
            "over_50ms": sum(1 for v in s if v > 50)}


class GcMeter:
    """Garbage-collector pauses by generation (count, total and longest, in ms)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._t0) * 1000)

    def start(self) -> None:
        import gc

        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        import gc

        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def reset(self) -> None:
        for v in self.pauses.values():
            v.clear()

    def summary(self) -> dict[str, dict[str, float]]:
        return {f"gen{g}": {"n": len(v), "total_ms": round(sum(v), 1),
                            "max_ms": round(max(v), 1) if v else 0.0}
                for g, v in self.pauses.items()}


class CpuMeter:
    """CPU spent inside wrapped synchronous functions, by bucket (each thread on its own:
    the collectors parse big outputs on a worker thread).

    A call nested in another wrapped call counts once, for the outer bucket.
    """

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._local = threading.local()

    def wrap(self, bucket: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.cpu.setdefault(bucket, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            local = self._local
            if getattr(local, "depth", 0):
                return fn(*args, **kwargs)
            local.depth = 1
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[bucket] += time.thread_time() - t0
                local.depth = 0

        return timed

    def patch(self, bucket: str, owner: Any, name: str) -> None:
        setattr(owner, name, self.wrap(bucket, getattr(owner, name)))


def process_cpu(p: psutil.Process | None) -> float:
    """User + system CPU seconds of a process (0 when there is none or it is gone)."""
    if p is None:
        return 0.0
    try:
        t = p.cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)
