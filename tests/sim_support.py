"""Helpers for the simulator tests: fixtures on disk, a fake clock, the lab-b state."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from pathlib import Path

from collectors.parse.xl_list import XlListRow, parse_xl_list
from collectors.parse.xl_savefile import HEADER_LEN
from collectors.parse.xl_vcpu import VcpuRow, parse_xl_vcpu_list
from collectors.sim import host_shell, savefile
from collectors.sim.fleet import make_fleet, make_lab_like_host
from collectors.sim.runner import SimRunner
from collectors.sim.state import SimDomain, SimHost, file_bytes

FIXTURES = next(
    (p for p in (Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures",
                 Path("/work/shared/fixtures")) if p.is_dir()),
    Path("/work/shared/fixtures"),
)
LAB_A = FIXTURES / "xen-4.17-lab-a"
LAB_B = FIXTURES / "xen-4.17-lab-b"


@dataclass(frozen=True)
class Capture:
    out: str
    err: str
    rc: int


def fixture(lab: Path, name: str) -> Capture:
    return Capture(
        (lab / f"{name}.out").read_text(),
        (lab / f"{name}.err").read_text(),
        int((lab / f"{name}.rc").read_text().strip() or "0"),
    )


def after_rc_line(text: str) -> str:
    """The fixture's output after its capture script's ``rc=N`` line."""
    return text.split("\n", 1)[1]


class FakeClock:
    """An injected clock whose sleep advances it instantly."""

    def __init__(self, t: float) -> None:
        self.t = t
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)


def xl(host: SimHost, *args: str) -> host_shell.Answer:
    """Run a command on the host's current state (no time passes)."""
    return host_shell.execute(host, list(args))


def set_vcpus(d: SimDomain, *specs: tuple[int | None, str, float]) -> None:
    """Per vCPU: (pCPU or None when offline, state ``r``/``b``/``-``, seconds)."""
    for v, (cpu, state, secs) in zip(d.vcpus, specs, strict=True):
        v.online = cpu is not None
        v.cpu = cpu if cpu is not None else v.cpu
        v.running = state == "r"
        v.blocked = state == "b"
        v.time_ns = round(secs * 1e9)


def lab_b() -> SimHost:
    """The lab as in the lab-b captures (xl list, xl info ...)."""
    host = make_lab_like_host()
    dom0, db1, idle1, web1 = (host.domains[i] for i in range(4))
    set_vcpus(dom0, (0, "b", 60.0), (1, "r", 59.7))
    set_vcpus(db1, (1, "b", 4.2), (0, "b", 2.0))
    set_vcpus(idle1, (0, "b", 4.9))
    set_vcpus(web1, (1, "b", 5.0), (1, "b", 1.7))
    return host


def with_pages(content: str, store_mfn: int, console_mfn: int) -> str:
    """A checkpoint the simulator wrote, made to restore with these XenStore and console
    pages (a capture's) and otherwise the same."""
    data = file_bytes(content)
    end = HEADER_LEN + struct.unpack_from("<I", data, HEADER_LEN - 4)[0]
    spec, _ = savefile.load_stream(data[end:])
    config = data[HEADER_LEN + 4: end - 1].decode()
    return savefile.dump(spec, config, savefile.Pages(store_mfn, console_mfn))


DEMO_START = 1_800_000_000.0


class Demo:
    """One host of a demo fleet (``xltop --demo``: 3 hosts, 8 domains each; the seed the
    user saw the bugs with is 7), driven through its runner on a fake clock."""

    def __init__(self, host_name: str = "xen-lab-02", seed: int = 7) -> None:
        fleet = make_fleet(hosts=3, domains=8, seed=seed, start=DEMO_START)
        self.host: SimHost = next(h for h in fleet if h.name == host_name)
        self.clock = FakeClock(DEMO_START)
        self.runner = SimRunner(self.host, clock=self.clock, sleep=self.clock.sleep)

    def run(self, *argv: str) -> tuple[int, str, str]:
        res = asyncio.run(self.runner.run(list(argv)))
        return res.exit_code, res.stdout, res.stderr

    def ok(self, *argv: str) -> str:
        code, out, err = self.run(*argv)
        assert code == 0, (argv, err)
        return out

    def wait(self, seconds: float) -> None:
        self.clock.t += seconds

    def xl_list(self) -> dict[str, XlListRow]:
        return {r.name: r for r in parse_xl_list(self.ok("xl", "list"))}

    def vcpus(self) -> list[VcpuRow]:
        return parse_xl_vcpu_list(self.ok("xl", "vcpu-list"))
