"""Generate the screenshots: every view in the dark and light themes, from the simulated demo
fleet (fixed seed, frozen clock, so reruns give the same files), plus ``README.md`` here
with the images and a keys table generated from the bindings.

    .venv/bin/python screenshots/make_screenshots.py [--out DIR]

A new view (or a state of one worth showing) gets its screenshots by adding a
:class:`Shot` to :data:`SHOTS`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from collectors.config import Settings  # noqa: E402
from collectors.fleet import FleetMember  # noqa: E402
from collectors.poller import HostPoller, PollSettings  # noqa: E402
from collectors.sim.fleet import make_fleet, sim_runners  # noqa: E402
from tui.app import XlTopApp, make_app  # noqa: E402
from tui.demo import DEMO_START, DemoRecording, FakeClock, record_demo  # noqa: E402
from tui.help import help_sections  # noqa: E402

THEMES = ("xltop-dark", "xltop-light")
SIZE = (160, 42)


@dataclass(frozen=True, slots=True)
class Shot:
    name: str  # file name stem
    title: str
    view: str  # the mode to open (a tui.views.VIEWS id)
    press: Sequence[str] = ()  # keys to press before the screenshot
    size: tuple[int, int] = SIZE
    live: bool = False  # on-demand queries (XenStore, cpupools, config) answer from the sim
    domain: str | None = None  # open this domain's detail first


SHOTS: list[Shot] = [
    Shot("fleet", "Fleet: every host, and the fleet as one pool", "fleet"),
    Shot("domains", "Domains: every domain of every host, by CPU", "domains"),
    Shot("domains-filtered", "Domains: filtered (/ state:r host:prod), sorted by name", "domains",
         ("slash", *"state:r host:prod", "enter", "N")),
    Shot("help", "Help (?): every key", "fleet", ("question_mark",)),
    Shot("detail", "Domain detail (Enter): history charts, vCPUs, devices, config, XenStore, logs",
         "domains", live=True, domain="mq-02"),
    Shot("detail-devices", "Domain detail: devices and their rings (])", "domains",
         ("right_square_bracket",), live=True, domain="mq-02"),
    Shot("detail-config", "Domain detail: its config from xl list -l (] ])", "domains",
         ("right_square_bracket", "right_square_bracket"), live=True, domain="[red]x"),
    Shot("detail-logs", "Domain detail: xl's log of a crashed domain, from /var/log/xen ([)",
         "domains", ("left_square_bracket",), live=True, domain="build-03"),
    Shot("pinning", "vCPU pinning map: where every vCPU runs and may run ([ ] host)",
         "pinning", ("right_square_bracket", "down", "down", "right", "right")),
    Shot("rings", "Rings: every vif/vbd ring, fullest first", "rings"),
    Shot("xenstore", "XenStore: a lazy read-only tree", "xenstore",
         ("right_square_bracket", "down", "down", "down", "down", "enter", "down", "enter"),
         live=True),
    Shot("host", "Host: xl info, cpupools, where each number comes from, xl dmesg", "host",
         live=True),
]


def frozen_app(rec: DemoRecording, theme: str, view: str, live: bool = False) -> XlTopApp:
    return make_app(Settings(interval_s=2.0, theme=theme), rec.configs, poll=False,
                    clock=lambda: rec.end, preload=rec.snapshots, initial_view=view,
                    members=_sim_members(rec) if live else None)


def _sim_members(rec: DemoRecording) -> list[FleetMember]:
    """Runners on a simulated fleet built like the recording's (same seed, its clock), for
    the views' on-demand queries; the pollers are never started."""
    clock = FakeClock(rec.end)
    fleet = make_fleet(len(rec.configs), 8, 0, start=DEMO_START)
    sims = sim_runners(fleet, clock=clock, sleep=clock.sleep)
    return [FleetMember(c, sims[c.name], HostPoller(c.name, sims[c.name], PollSettings()))
            for c in rec.configs]


async def shoot(rec: DemoRecording, shot: Shot, theme: str, out: Path) -> Path:
    app = frozen_app(rec, theme, shot.view, shot.live)
    path = out / f"{shot.name}-{theme.removeprefix('xltop-')}.svg"
    async with app.run_test(size=shot.size) as pilot:
        await _settle(pilot)
        if shot.domain is not None:
            app.open_domain(next(k for k, d in app.store.domains() if d.name == shot.domain))
            await _settle(pilot)
        for key in shot.press:
            await pilot.press(key)
            await _settle(pilot)
        await _settle(pilot)
        app.save_screenshot(path.name, path=str(out))
    return path


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()  # on-demand queries
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def keys_table(app: XlTopApp) -> str:
    lines = ["| Where | Keys | Action | Binding id (for `[keys]` in the config) |",
             "|---|---|---|---|"]
    for section, rows in help_sections(app):
        for keys, desc, bid in rows:
            shown = keys.replace("|", "\\|")
            lines.append(f"| {section} | `{shown}` | {desc} | {f'`{bid}`' if bid else ''} |")
    return "\n".join(lines)


def update_main_readme(readme: Path, table: str) -> None:
    """Put the gallery and the keys table between the markers of the project's README."""
    begin, end = "<!-- screenshots -->", "<!-- /screenshots -->"
    text = readme.read_text(encoding="utf-8")
    if begin not in text:
        return
    gallery = ["## Screenshots", "",
               "Every view, dark and light, is in [screenshots/](screenshots/README.md) "
               "(generated from the demo fleet by `screenshots/make_screenshots.py`).", ""]
    for shot in SHOTS:
        if shot.name in README_SHOTS:
            gallery += [f"**{shot.title}**", "",
                        f"![{shot.name}](screenshots/{shot.name}-dark.svg)", ""]
    gallery += ["**Domains in the light theme**", "",
                "![domains, light](screenshots/domains-light.svg)", "",
                "## Keys", "", table, ""]
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end) if end in rest else ("", "", rest)
    readme.write_text(f"{head}{begin}\n{chr(10).join(gallery)}{end}{tail}", encoding="utf-8")


README_SHOTS = ("fleet", "domains", "detail", "pinning", "rings")


async def main(out: Path) -> None:
    rec = await record_demo(hosts=3, domains=8, seed=0)
    made = [await shoot(rec, shot, theme, out) for shot in SHOTS for theme in THEMES]
    app = frozen_app(rec, THEMES[0], "fleet")
    async with app.run_test(size=SIZE):
        table = keys_table(app)
    doc = ["# xltop screenshots", "",
           "Generated by `screenshots/make_screenshots.py` from the simulated demo fleet "
           "(`xltop --demo`, seed 0, frozen clock).", ""]
    for shot in SHOTS:
        doc += [f"## {shot.title}", ""]
        doc += [f"![{shot.name} ({t})]({shot.name}-{t.removeprefix('xltop-')}.svg)"
                for t in THEMES]
        doc.append("")
    doc += ["## Keys", "", table, ""]
    (out / "README.md").write_text("\n".join(doc), encoding="utf-8")
    if out == HERE:
        update_main_readme(ROOT / "README.md", table)
    for p in made:
        print(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    target = parser.parse_args().out
    os.environ["TZ"] = "UTC"  # the view bar shows local time
    time.tzset()
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
