"""The dashboard under load: the real app, headless, polling a simulated fleet live.

    .venv/bin/python benchmarks/bench_dashboard.py                 # 100 hosts × 50 domains, 60 s
    .venv/bin/python benchmarks/bench_dashboard.py --hosts 1 --domains 200 --pcpus 256
    .venv/bin/python benchmarks/bench_dashboard.py --view fleet   # the Fleet view, no keys
    .venv/bin/python benchmarks/bench_dashboard.py --view rings   # all rings, spread over ticks

Reports, for the app's process, in the steady state (once every host's first reads,
XenStore's included, are in; the time and CPU that loading the fleet took are reported
beside them):

* CPU per 1-second tick (target: < 20 % of one core on average);
* peak RSS (target: < 300 MB);
* p50/p99 time from a keypress (sort, filter, cursor move) to the next screen update
  (target: p99 < 100 ms), pressing keys throughout the run in the Domains view;
* the snapshots the store took per second (fewer than hosts / interval means the
  simulator fell behind on a loaded machine, and the app had less to do: compare runs
  at the same rate);
* event-loop stalls: a 50 ms sleep probe's lateness (``lag``) and the CPU the loop's
  thread spent meanwhile (``busy``; lag without busy is the machine, not the app). The
  probe's own wake-ups are the app's CPU too: alone on a loop they cost ~2 % of a core at
  10 ms (``--probe-ms 10``), ~0.5 % at 50 ms; stalls that matter (> 50 ms) show either way.

By default the simulated fleet runs in its own process (``collectors.sim.server``) and
the app reaches it through ProcessSimRunners, as it would reach real hosts over SSH: every
number above is the app's alone (the simulator's CPU is shown beside it). With
``--in-process`` the simulator answers inside the app's process, as ``xltop --demo`` does
for small fleets; its CPU is then measured by timing its synchronous entry points and
subtracted (its event-loop work and memory cannot be, and are counted as the app's).
With ``--breakdown``, ``cpu_by_part`` splits the app's CPU (collectors' parsing and
merging, the store, the views, Textual painting); its wrappers cost a few percent.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402
from textual import events  # noqa: E402
from textual.keys import _character_to_key, _get_unicode_name_from_key  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.screen import Screen  # noqa: E402

from benchmarks.loop_probe import CpuMeter, GcMeter, LoopLagProbe, process_cpu  # noqa: E402
from collectors import poller  # noqa: E402
from collectors.config import Settings  # noqa: E402
from collectors.parse.xentop import XentopFrameAssembler  # noqa: E402
from collectors.poller import HostPoller  # noqa: E402
from collectors.sim import evolve, host_shell, render_xentop  # noqa: E402
from collectors.sim import runner as sim_runner  # noqa: E402
from collectors.sim.fleet import make_fleet, sim_runners  # noqa: E402
from collectors.sim.process_runner import SimProcess  # noqa: E402
from collectors.transport.base import Runner  # noqa: E402
from tui.app import XlTopApp, make_app  # noqa: E402
from tui.demo import demo_configs  # noqa: E402
from tui.store import FleetStore  # noqa: E402
from tui.views.base import StoreView  # noqa: E402
from tui.views.domains import DomainsScreen  # noqa: E402
from tui.widgets.keyed_table import KeyedTable  # noqa: E402

CPU_TARGET = 0.20
RSS_TARGET_MB = 300
KEY_P99_TARGET_MS = 100.0


class AppCpuMeter(CpuMeter):
    """The app's CPU by part: simulator (in process), collectors, store, views, paint."""

    def install(self, *, simulator: bool, parts: bool) -> None:
        self.cpu.setdefault("simulator", 0.0)
        if simulator:
            # the in-process simulator: host state evolution, rendering xentop/xl/XenStore
            self.patch("simulator", evolve, "advance")
            self.patch("simulator", sim_runner, "_safe_execute")
            self.patch("simulator", host_shell, "execute")
            self.patch("simulator", render_xentop.XentopSampler, "frame")
        if not parts:
            return
        # the collectors: parsing and merging into snapshots (the per-line wrappers cost a
        # few percent of a core themselves: only with --breakdown)
        for name in ("snapshot", "_on_frame", "_absorb"):
            self.patch("collectors", HostPoller, name)
        self.patch("collectors", poller, "parse_result")
        for name in ("feed", "feed_lines", "flush"):  # the poller feeds whole reads
            self.patch("collectors", XentopFrameAssembler, name)
        # the dashboard: store, views, and Textual painting the screen
        self.patch("store", FleetStore, "apply")
        self.patch("views", StoreView, "sync")
        self.patch("paint", Screen, "_compositor_refresh")
        self.patch("paint", Screen, "_refresh_layout")


class KeyMeter:
    """Keypress → the first screen update after the key's effect was rendered into the view.

    The effect is recognised by its result (the cursor row, the sort, the filter text
    changed) right after the view re-rendered, so a periodic refresh that happens to run
    between the key and its handler cannot make a key look faster than it is.
    """

    def __init__(self, app: XlTopApp) -> None:
        self.app = app
        self.displays: list[float] = []
        self.done = 0.0
        self.effect: Callable[[], bool] | None = None
        self.samples: dict[str, list[float]] = {"cursor": [], "sort": [], "filter": []}
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.displays.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]
        for cls, name in ((KeyedTable, "_set_cursor"), (DomainsScreen, "update_view")):
            setattr(cls, name, self._marking(getattr(cls, name)))

    def _marking(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        meter = self

        def marked(*args: Any, **kwargs: Any) -> Any:
            result = fn(*args, **kwargs)
            if meter.effect is not None and not meter.done and meter.effect():
                meter.done = time.perf_counter()
            return result

        return marked

    async def press(self, pilot: Pilot[Any], kind: str, key: str) -> None:
        screen = self.app.screen
        assert isinstance(screen, DomainsScreen)
        table = screen.table
        before = (table.cursor_row, screen.sort_column, screen.sort_reverse, screen.filter.text)

        def changed() -> bool:
            now = (table.cursor_row, screen.sort_column, screen.sort_reverse, screen.filter.text)
            return now != before

        self.done = 0.0
        self.effect = changed
        t0 = time.perf_counter()
        send_key(self.app, key)
        deadline = t0 + 5.0
        while time.perf_counter() < deadline:
            after = [t for t in self.displays if self.done and t >= self.done]
            if after:
                self.samples[kind].append((after[0] - t0) * 1000)
                break
            await asyncio.sleep(0.002)
        else:
            self.samples[kind].append(5000.0)
        self.effect = None


def send_key(app: XlTopApp, key: str) -> None:
    """Deliver a key the way the terminal driver does, without waiting for it (Pilot.press
    waits for the app to go idle, which a loaded app may not do for a while)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def started(app: Any, hosts: int) -> bool:
    """Whether every host's first reads of the slow families are in: ``xl info``, vCPUs and
    XenStore's devices. Until then the app is loading the fleet (each host's first XenStore
    read is spread over the first ~20 s); the steady state measured starts after it."""
    snaps = list(app.store.snapshots.values())
    return len(snaps) >= hosts and all(
        s.info is not None and s.vcpus and s.devices for s in snaps)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    meter = AppCpuMeter()
    meter.install(simulator=args.in_process, parts=args.breakdown)
    sim: SimProcess | None = None
    runners: dict[str, Runner]
    if args.in_process:
        fleet = make_fleet(args.hosts, args.domains, seed=0)
        if args.pcpus:
            for h in fleet:
                h.nr_cpus = args.pcpus
                for pool in h.pools:
                    pool.cpus = list(range(args.pcpus))
        runners = dict(sim_runners(fleet))
    else:
        sim = SimProcess(args.hosts, args.domains, seed=0, pcpus=args.pcpus)
        runners = dict(sim.runners())
    configs = demo_configs(list(runners))
    app = make_app(Settings(interval_s=args.interval), configs, runners)
    proc = psutil.Process()
    probe = LoopLagProbe(args.probe_ms / 1000)
    gcm = GcMeter()
    keys = KeyMeter(app)
    ticks: list[tuple[float, float]] = []  # (process CPU s, simulator CPU s) per second
    rss: list[int] = []
    if args.debug_stalls:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        loop.slow_callback_duration = args.debug_stalls / 1000
    cpu_start = time.process_time()
    async with app.run_test(size=(200, 60)) as pilot:
        probe.start()
        t_start = time.monotonic()
        await pilot.wait_for_scheduled_animations()
        for _ in range(300):  # every host has reported its domains (at most 60 s)
            if app.store.domain_count() >= args.hosts * args.domains:
                break
            await pilot.pause(0.2)
        warmup = time.monotonic() - t_start
        for _ in range(300):  # and every host's first slow reads are in (at most 60 s more)
            if started(app, args.hosts):
                break
            await pilot.pause(0.2)
        startup = time.monotonic() - t_start
        startup_cpu = time.process_time() - cpu_start
        await pilot.press({"domains": "2", "fleet": "1", "rings": "4"}[args.view])
        await pilot.pause(0.5)
        gc.collect()
        await asyncio.sleep(0.05)  # the probe's wait that spans the collection ends first
        startup_lag = probe.summary()
        probe.reset()
        gcm.start()
        sim_pid = sim.pid if sim is not None else None
        sim_proc = psutil.Process(sim_pid) if sim_pid else None
        sim_ext0 = process_cpu(sim_proc)
        buckets0 = dict(meter.cpu)
        cpu0, sim0, wall0 = time.process_time(), meter.cpu["simulator"], time.monotonic()
        version0 = app.store.version
        last = (cpu0, sim0)
        plan = ["cursor:down", "cursor:down", "sort:N", "cursor:up", "sort:I", "sort:P",
                "filter:/w", "filter:e", "filter:b", "filter:escape"]
        step = 0
        while time.monotonic() - wall0 < args.seconds:
            await asyncio.sleep(1.0)
            now = (time.process_time(), meter.cpu["simulator"])
            ticks.append((now[0] - last[0], now[1] - last[1]))
            last = now
            rss.append(proc.memory_info().rss)
            if args.view != "domains":
                continue  # the keys act on the Domains view
            kind, key = plan[step % len(plan)].split(":")
            step += 1
            if key == "/w":
                send_key(app, "slash")
                await asyncio.sleep(0.05)
                key = "w"
            if key == "escape":
                send_key(app, "escape")
                continue
            screen = app.screen
            if key == "up" and isinstance(screen, DomainsScreen) and not screen.table.cursor_row:
                key = "down"  # up on the first row changes nothing: it would time out
            await keys.press(pilot, kind, key)
        wall = time.monotonic() - wall0
        loop_lag = probe.summary()
        gcm.stop()
        sim_ext = process_cpu(sim_proc) - sim_ext0
        await pilot.pause(0.5)  # let the last key land before the app shuts down
        cpu, sim_cpu = time.process_time() - cpu0, meter.cpu["simulator"] - sim0
        buckets = {k: round((v - buckets0.get(k, 0.0)) / (time.monotonic() - wall0), 3)
                   for k, v in meter.cpu.items()}
        domains = app.store.domain_count()
        applied = app.store.version - version0
        vcpus = sum(len(h.vcpus) for h in app.store.snapshots.values())
        await probe.stop()
    per_tick = [c for c, _ in ticks]
    app_tick = [c - s for c, s in ticks]
    all_keys = [v for vs in keys.samples.values() for v in vs]
    return {
        "view": args.view, "hosts": args.hosts, "domains": domains, "vcpus": vcpus,
        "interval_s": args.interval, "seconds": round(wall, 1), "warmup_s": round(warmup, 1),
        "startup_s": round(startup, 1), "startup_cpu_s": round(startup_cpu, 1),
        "simulator": "in-process" if sim is None else f"separate process (pid {sim_pid})",
        "cpu_total_avg": round(cpu / wall, 3),
        "cpu_sim_avg": round((sim_cpu if sim is None else sim_ext) / wall, 3),
        "cpu_app_avg": round((cpu - sim_cpu) / wall, 3),
        # snapshots the store took per second (hosts / interval when the simulator keeps
        # up: on a loaded machine it may not, and the app then has less to do)
        "snapshots_per_s": round(applied / wall, 1),
        **({"cpu_by_part": {**buckets, "other (Textual, asyncio, messages)":
                            round((cpu - sum(v for v in buckets.values()) * wall) / wall, 3)}}
           if args.breakdown else {}),
        "cpu_app_tick_p95": round(pct(app_tick, 95), 3),
        "cpu_total_tick_p95": round(pct(per_tick, 95), 3),
        "rss_peak_mb": round(max(rss) / 2**20, 1) if rss else None,
        "key_ms": {k: {"n": len(v), "p50": round(pct(v, 50), 1), "p99": round(pct(v, 99), 1)}
                   for k, v in keys.samples.items()},
        "key_p99_ms": round(pct(all_keys, 99), 1),
        "key_max_ms": round(max(all_keys), 1) if all_keys else None,
        "loop_stall_ms": loop_lag,
        "startup_loop_stall_ms": startup_lag,
        "gc_pauses": gcm.summary(),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=100)
    p.add_argument("--domains", type=int, default=50)
    p.add_argument("--pcpus", type=int, default=0, help="override every host's pCPU count")
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--view", choices=("domains", "fleet", "rings"), default="domains",
                   help="the view shown while measuring (keys are pressed in Domains only)")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--probe-ms", type=float, default=50.0,
                   help="the loop-lag probe's sleep (its wake-ups cost the app CPU too)")
    p.add_argument("--debug-stalls", type=float, metavar="MS", default=0.0,
                   help="asyncio debug mode: log every callback that runs longer than MS")
    p.add_argument("--breakdown", action="store_true",
                   help="split the app's CPU by part (the wrappers add a few percent)")
    p.add_argument("--in-process", action="store_true",
                   help="run the simulator inside the app's process (as xltop --demo does)")
    args = p.parse_args()
    r = asyncio.run(run(args))
    print(json.dumps(r, indent=2))
    keys_ok = args.view != "domains" or r["key_p99_ms"] < KEY_P99_TARGET_MS
    ok = (r["cpu_app_avg"] < CPU_TARGET and (r["rss_peak_mb"] or 0) < RSS_TARGET_MB
          and keys_ok)
    sim_note = ("the simulator in its own process used" if not args.in_process
                else "with the in-process simulator")
    print(f"app CPU {r['cpu_app_avg']:.0%} of a core (target < {CPU_TARGET:.0%}; {sim_note} "
          f"{r['cpu_sim_avg']:.0%}), peak RSS {r['rss_peak_mb']} MB (target < "
          f"{RSS_TARGET_MB}), key p99 {r['key_p99_ms']} ms (target < {KEY_P99_TARGET_MS:g})"
          f": {'PASS' if ok else 'MISS'}; loading the fleet before that took "
          f"{r['startup_s']} s and {r['startup_cpu_s']} s of CPU")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
