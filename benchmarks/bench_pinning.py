"""The vCPU pinning map on a big host: 1 host × 256 pCPUs × 200 domains (~800 vCPUs).

    .venv/bin/python benchmarks/bench_pinning.py [--pcpus 256] [--domains 200] [--size 200x60]

Reports, in milliseconds:

* ``model``: building the map's data from a snapshot (marks are computed per visible row);
* ``first_paint``: from the key that opens the view to the first screen update showing it;
* ``cursor`` / ``cursor_right`` / ``scroll_8``: key → the screen updated with the moved
  cursor (p50, p99, max over the presses), ``scroll_8`` jumping 8 pCPUs so the grid scrolls;
* ``snapshot``: a new snapshot of the host → the screen updated (the rows re-rendered);
* ``rows_built``: grid rows turned into strips in all that (only visible rows are drawn);
* ``gc``: full (generation 2) collections during the run and their longest pause. The
  simulator and the recording live in the same process, so its heap is big; ``--gc-freeze``
  moves what exists after start-up out of the collector's way (``gc.freeze()``), as a
  long-running app can, to tell the map's own cost from the collector's pauses.
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
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events  # noqa: E402
from textual.keys import _character_to_key, _get_unicode_name_from_key  # noqa: E402

from tests.tui_views_support import big_host_recording, frozen_app  # noqa: E402
from tui.app import XlTopApp  # noqa: E402
from tui.pinning_model import build_model  # noqa: E402
from tui.views.pinning import PinningScreen  # noqa: E402
from tui.widgets.pinning_grid import PinningGrid  # noqa: E402


def send_key(app: XlTopApp, key: str) -> None:
    """A key as the terminal driver delivers it (no waiting for the app to go idle)."""
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


class Displays:
    """Times of the screen updates the app sends to the terminal."""

    def __init__(self, app: XlTopApp) -> None:
        self.times: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.times.append(time.perf_counter())
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    async def after(self, t0: float, done: Callable[[], bool], timeout: float = 10.0) -> float:
        """Milliseconds from ``t0`` to the first screen update after ``done()`` held."""
        end = t0 + timeout
        seen: float | None = None
        while time.perf_counter() < end:
            if seen is None and done():
                seen = time.perf_counter()
            if seen is not None:
                later = [t for t in self.times if t >= seen]
                if later:
                    return (later[0] - t0) * 1000
            await asyncio.sleep(0.0005)
        return timeout * 1000


def moved_from(grid: PinningGrid, before: tuple[int, int | None]) -> Callable[[], bool]:
    return lambda: (grid.cursor_row, grid.cursor_pcpu) != before


def showing(grid: PinningGrid, seq: int) -> Callable[[], bool]:
    return lambda: grid.model is not None and grid.model.seq == seq


def stats(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    return {"n": len(s), "p50": round(s[len(s) // 2], 2),
            "p99": round(s[min(len(s) - 1, round(0.99 * (len(s) - 1)))], 2),
            "max": round(s[-1], 2)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    rec, _host = await big_host_recording(args.pcpus, args.domains)
    snap = rec.snapshots[-1]
    record_s = time.perf_counter() - t0
    model_ms = []
    for _ in range(20):
        t = time.perf_counter()
        build_model(snap)
        model_ms.append((time.perf_counter() - t) * 1000)
    width, height = (int(v) for v in args.size.split("x"))
    pauses: list[float] = []
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(on_gc)
    app = frozen_app(rec, "fleet", render_gap_s=0.0)  # no repaint throttle: the cost itself
    out: dict[str, Any] = {"pcpus": snap.info.nr_cpus if snap.info else None,
                           "domains": len(snap.domains), "vcpus": len(snap.vcpus),
                           "size": args.size, "record_s": round(record_s, 1),
                           "model_ms": stats(model_ms)}
    async with app.run_test(size=(width, height)) as pilot:
        await pilot.pause()
        displays = Displays(app)
        t = time.perf_counter()
        send_key(app, "3")

        def shown() -> bool:
            s = app.screen
            return isinstance(s, PinningScreen) and s.ready and s.grid.model is not None

        out["first_paint_ms"] = round(await displays.after(t, shown), 2)
        await pilot.pause(0.2)
        if args.gc_freeze:  # start-up is over
            gc.collect()
            gc.freeze()
        pauses.clear()
        screen = app.screen
        assert isinstance(screen, PinningScreen)
        grid = screen.grid
        for name, key, count in (("cursor_down", "down", 100), ("scroll_8", "shift+right", 25),
                                 ("cursor_right", "right", 50), ("cursor_up", "up", 50)):
            samples = []
            for _ in range(count):
                before = (grid.cursor_row, grid.cursor_pcpu)
                t = time.perf_counter()
                send_key(app, key)
                samples.append(await displays.after(t, moved_from(grid, before)))
                await asyncio.sleep(0.005)
            out[f"{name}_ms"] = stats(samples)
        # a new snapshot of the host in which every vCPU moved to the next pCPU
        samples = []
        pcpus = grid.model.pcpus if grid.model else 1
        for i in range(10):
            moved = tuple(replace(v, cpu=None if v.cpu is None else (v.cpu + i + 1) % pcpus)
                          for v in snap.vcpus)
            new = replace(snap, vcpus=moved, seq=100 + i, time=snap.time + 100 + i)
            t = time.perf_counter()
            app.deliver(new)
            samples.append(await displays.after(t, showing(grid, new.seq)))
            await asyncio.sleep(0.05)
        out["snapshot_ms"] = stats(samples)
        out["rows_built"] = grid.rows_built
    gc.callbacks.remove(on_gc)
    out["gc"] = {"frozen": args.gc_freeze, "full_collections": len(pauses),
                 "longest_pause_ms": round(max(pauses), 1) if pauses else 0.0}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--pcpus", type=int, default=256)
    p.add_argument("--domains", type=int, default=200)
    p.add_argument("--size", default="200x60")
    p.add_argument("--gc-freeze", action="store_true",
                   help="gc.freeze() after start-up (see the module docstring)")
    r = asyncio.run(run(p.parse_args()))
    print(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
