"""Fleet-scale behaviour of the collectors: spread phases, parsing off the event loop,
yielding inside big frames, fast record construction, GC settings."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from collectors import commands, poller
from collectors.assemble import Inputs, Merger
from collectors.config import Cadence, HostConfig, Settings
from collectors.fleet import GC_GEN0_THRESHOLD, build_fleet, tune_gc
from collectors.model import Device, DeviceKind, Domain, DomainState, NetIfCounters
from collectors.parse import xentop as xentop_parse
from collectors.parse.records import constructor, updater
from collectors.parse.rings import parse_netback_io_ring, parse_ring_dump, split_file_dump
from collectors.parse.xentop import XentopFrameAssembler, parse_xentop
from collectors.poller import HostPoller, PollSettings, host_phase
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from collectors.topology import Topology
from collectors.transport.base import CommandResult, LineStream, Runner

CADENCE = Cadence(vcpus_s=30, info_s=120, rings_s=30, xenstore_s=600, dom0_s=60)


class Mono:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _fleet(n: int, mono: Mono | None = None) -> list[HostPoller]:
    configs = [HostConfig(name=f"h{i:03d}", target=f"demo:{i}") for i in range(n)]
    runners: dict[str, Runner] = {c.name: SimRunner(make_fleet(1, 1, 0)[0]) for c in configs}
    members = build_fleet(configs, Settings(interval_s=1.0, cadence=CADENCE), runners)
    if mono is not None:
        for m in members:
            m.poller._mono = mono
    return [m.poller for m in members]


def test_phases_are_stable_and_spread_over_a_fleet() -> None:
    assert host_phase("xen-prod-01") == host_phase("xen-prod-01")
    assert all(0.0 <= host_phase(f"h{i}") < 1.0 for i in range(200))
    phases = sorted(p.phase for p in _fleet(100))
    gaps = [b - a for a, b in zip(phases, phases[1:], strict=False)] + [1 + phases[0] - phases[-1]]
    assert max(gaps) < 3 / 100  # no two hosts share a slot; no big hole either


def test_first_reread_comes_early_by_the_phase_with_cadences_kept_in_step() -> None:
    mono = Mono()
    (p,) = _fleet(1, mono)
    p.phase = 0.5
    assert set(p._due_families()) == {"xl", "vcpus", "info", "xenstore", "rings", "dom0"}
    shift = 0.5 * 0.5 * 30
    assert p._due["vcpus"] == p._due["rings"] == mono.t + 30 - shift
    assert p._due["dom0"] == mono.t + 60 - shift  # every other vcpus round, as before
    assert p._due["info"] == mono.t + 120 - shift
    assert p._due["xl"] == mono.t + 1.0  # per interval until the xentop stream is up
    mono.t = p._due["vcpus"]
    assert set(p._due_families()) == {"vcpus", "rings", "xl"}
    assert p._due["vcpus"] == mono.t + 30  # later rounds: the plain cadence


def test_a_fleet_started_together_does_not_reread_together() -> None:
    mono = Mono()
    pollers = _fleet(100, mono)
    for p in pollers:
        p._due_families()  # everyone's first round at the same moment
        p._st.last_frame_mono = mono.t  # streams up: xl follows the vcpus cadence
    per_second: list[int] = []
    start = mono.t
    while mono.t < start + 61:
        mono.t += 1.0
        for p in pollers:
            p._st.last_frame_mono = mono.t
        per_second.append(sum(1 for p in pollers if "vcpus" in p._due_families()))
    assert sum(per_second) >= 200  # every host re-read its vCPUs twice in a minute
    assert max(per_second) <= 12  # without phases all 100 land in the same second


async def test_the_xentop_stream_starts_phase_x_interval_late() -> None:
    opened: list[float] = []
    seen = asyncio.Event()
    runner = SimRunner(make_fleet(1, 2, 0)[0])
    real_stream = runner.stream

    async def stream(argv: Sequence[str]) -> LineStream:
        if argv[0] == "xentop":
            opened.append(loop.time())
            seen.set()
        return await real_stream(argv)

    runner.stream = stream  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    p = HostPoller(runner.host, runner, PollSettings(interval_s=1.0), phase=0.6)
    start = loop.time()
    p.start()
    try:
        await asyncio.wait_for(seen.wait(), 10)
    finally:
        await p.close()
    assert 0.55 <= opened[0] - start < 1.5


def _xenstore_text(domains: int) -> str:
    lines = []
    for d in range(1, domains + 1):
        base = f"/local/domain/{d}"
        lines += [f'{base} = ""', f'{base}/name = "guest-{d}"',
                  f'{base}/memory/target = "{d * 1024}"']
        lines += [f'{base}/data/key{k} = "value {k} of {d}"' for k in range(60)]
    return "\n".join(lines) + "\n"


async def test_big_outputs_are_parsed_on_the_parse_thread_while_the_loop_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = poller.parse_result

    def recording(host: str, family: str, res: CommandResult, *rest: Any) -> object:
        threads.append(threading.current_thread().name)
        return real(host, family, res, *rest)

    monkeypatch.setattr(poller, "parse_result", recording)
    runner = SimRunner(make_fleet(1, 1, 0)[0])
    p = HostPoller(runner.host, runner)
    big = CommandResult(commands.XENSTORE_DOMAINS, 0, _xenstore_text(600), "", 0.1)
    assert len(big.stdout) > poller.THREAD_PARSE_BYTES
    ticks = 0
    parsing = True

    async def ticker() -> None:
        nonlocal ticks
        while parsing:
            await asyncio.sleep(0.002)
            ticks += 1

    t = asyncio.create_task(ticker())
    topo = await p._parse("xenstore", big)
    parsing = False
    await t
    assert isinstance(topo, Topology) and len(topo.domains) == 600
    assert threads[-1].startswith("xltop-parse")
    assert ticks >= 3  # the loop kept turning while ~40,000 lines were parsed
    small = CommandResult(commands.XENSTORE_DOMAINS, 0, _xenstore_text(2), "", 0.1)
    await p._parse("xenstore", small)
    assert threads[-1] == threading.current_thread().name  # small ones: no thread hop


class _Lines:
    """A stream whose lines are all there at once (a 1,000-domain frame in one read)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    async def readline(self, timeout: float | None = None) -> str | None:
        return self.lines.pop(0) if self.lines else None

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        lines, self.lines = self.lines, []
        return lines or None

    @property
    def exit_code(self) -> int | None:
        return 0

    async def stderr_text(self) -> str:
        return ""

    async def close(self) -> None:
        return None


async def test_a_huge_frame_lets_other_tasks_run_while_it_is_read() -> None:
    header = ("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS "
              "NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")
    rows = [f"{f'g{i:05d}':>10} --b---        1    0.0    1048576    0.1    1049600       0.1"
            f"     1    1        0        0    1        0        0        0          0"
            f"          0    0" for i in range(2000)]
    runner = SimRunner(make_fleet(1, 1, 0)[0])
    p = HostPoller(runner.host, runner)
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await asyncio.sleep(0)
            ticks += 1

    t = asyncio.create_task(ticker())
    got = await p._read_frames(_Lines([header, *rows]))
    done = True
    await t
    assert got and p._st.inputs.frame is not None and len(p._st.inputs.frame) == 2000
    assert ticks >= len(rows) // poller.YIELD_EVERY_LINES - 1


def test_frame_assembler_says_when_a_frame_is_pending() -> None:
    asm = XentopFrameAssembler()
    assert not asm.pending
    asm.feed("      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS "
             "NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID")
    assert not asm.pending  # a header alone is no frame
    asm.feed("  Domain-0 -----r        1    0.0    1048576    0.1    1048576       0.1     1    0"
             "        0        0    0        0        0        0          0          0    0")
    assert asm.pending
    frame = asm.flush()
    assert frame is not None and frame[0].name == "Domain-0" and not asm.pending


def test_fast_constructors_build_the_same_records() -> None:
    make = constructor(Domain, ("host", "domid", "name", "cpu_pct", "state"))
    d = make("h", 3, "web", 12.5, DomainState(running=True))
    ref = Domain(host="h", domid=3, name="web", cpu_pct=12.5, state=DomainState(running=True))
    assert d == ref and hash(d.key) == hash(ref.key) and repr(d) == repr(ref)
    assert d.mem_kib is None and d.mem_max_unlimited is False  # defaults for the rest
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.name = "other"  # type: ignore[misc]
    dev = Device(host="h", domid=1, kind=DeviceKind.VIF, devid=0, name="vif1.0")
    upd = updater(Device, ("ring_source", "oo_req"))
    assert upd(dev, "here", 5) == dataclasses.replace(dev, ring_source="here", oo_req=5)
    with pytest.raises(TypeError):
        constructor(Domain, ("host", "nosuch"))
    with pytest.raises(TypeError):
        constructor(Domain, ("domid",))  # host and name have no defaults
    with pytest.raises(TypeError):
        updater(Device, ("rings", "rings"))


def test_fast_constructors_fall_back_where_the_layouts_differ() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Base:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Child(Base):  # inherited slots: no mutable twin of the same layout
        b: int = 2

    make = constructor(Child, ("a",))
    c = make(1)
    assert type(c) is Child and c == Child(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.a = 5  # type: ignore[misc]
    twin_made = constructor(Domain, ("host", "domid", "name"))("h", 4, "x")
    assert type(twin_made) is Domain and twin_made == Domain(host="h", domid=4, name="x")


def test_xentop_number_cache_converts_like_int_and_float_and_stays_bounded() -> None:
    cache = xentop_parse._Converted(float)
    assert cache["49.5"] == 49.5 and "49.5" in cache
    with pytest.raises(ValueError):
        cache["lots"]
    assert "lots" not in cache
    class Tiny(xentop_parse._Converted):
        LIMIT = 3

    small = Tiny(int)
    assert [small[str(i)] for i in range(10)] == list(range(10)) and len(small) == 3


def test_xentop_fast_rows_equal_the_general_path() -> None:
    text = (
        "      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS "
        "NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID\n"
        "       db1 --b---        -    0.0     131072    0.1     262144       0.2     2    1"
        "        -        -    1        0        0        0          0          0    0\n"
        "  Domain-0 -----r      123    4.5    1048576    0.8    1048576       0.8     2    0"
        "        0        0    0        0        0        0          0          0    0\n"
        "      web1 --b---       17    0.3     131072    0.1    no limit       n/a     2    1"
        "       12       34    1        0       56       78       9000       9100    0\n"
    )
    (frame,) = parse_xentop(text)
    db1, dom0, web1 = frame
    assert (dom0.cpu_s, dom0.cpu_pct, dom0.vcpus, dom0.ssid) == (123, 4.5, 2, 0)
    assert web1.maxmem_unlimited and web1.maxmem_k is None and web1.maxmem_pct is None
    assert (web1.vbd_rsect, web1.vbd_wsect) == (9000, 9100)
    assert db1.cpu_s is None and db1.nettx_k is None and db1.maxmem_k == 262144


def _merged_vbd_rate(merger: Merger, inp: Inputs) -> float | None:
    (dev,) = merger.devices(inp)
    return dev.oo_rate


def test_a_vbd_keeps_its_rate_when_devices_are_merged_again_between_ring_reads() -> None:
    vbd = Device(host="h", domid=1, kind=DeviceKind.VBD, devid=51712, name="xvda")
    topo = Topology({}, (vbd,))
    merger = Merger("h")
    dump1 = parse_ring_dump("==> /sys/bus/xen-backend/devices/vbd-1-51712/statistics/oo_req "
                            "<==\n10\n")
    dump2 = parse_ring_dump("==> /sys/bus/xen-backend/devices/vbd-1-51712/statistics/oo_req "
                            "<==\n40\n")
    inp = Inputs(topology=topo, rings=dump1, rings_t=100.0)
    assert _merged_vbd_rate(merger, inp) is None  # first sample: no rate
    inp = dataclasses.replace(inp, rings=dump2, rings_t=110.0)
    assert _merged_vbd_rate(merger, inp) == 3.0
    # Dom0's counters changed, the rings did not: the rate stays
    inp = dataclasses.replace(inp, dom0_t=111.0, dom0_ifaces=(NetIfCounters("eth0", 1, 2),))
    assert _merged_vbd_rate(merger, inp) == 3.0


def test_ring_dump_files_parse_as_they_do_alone() -> None:
    q0 = ("Queue 0\nTX: nr_ents 256\nreq prod 5 (0) cons 5 (0) event 6 (1)\n"
          "rsp prod 5 (base) pvt 5 (0) event 6 (1)\n\nRX: nr_ents 256\n"
          "req prod 300 (256) cons 44 (0) event 45 (1)\nrsp prod 44 (base) pvt 44 (0) event 45 "
          "(1)\n\nNAPI state: 10 NAPI weight: 64 TX queue len 0\n")
    nb = "/sys/kernel/debug/xen-netback"
    dump = (f"==> {nb}/vif2.0/io_ring_q0 <==\n{q0}\n==> {nb}/vif2.0/io_ring_q1 <==\nstale\n\n"
            f"==> {nb}/vif2.0/io_ring_q1 <==\n{q0.replace('Queue 0', 'Queue 1')}\n")
    parsed = parse_ring_dump(dump)
    assert parsed.errors == ()
    assert parsed.netback[(2, 0)] == (parse_netback_io_ring(q0),
                                      parse_netback_io_ring(q0.replace("Queue 0", "Queue 1")))
    files = split_file_dump(dump)
    assert list(files) == [f"{nb}/vif2.0/io_ring_q0", f"{nb}/vif2.0/io_ring_q1"]
    assert files[f"{nb}/vif2.0/io_ring_q1"].startswith("Queue 1")  # the last copy wins


def test_tune_gc_raises_the_young_threshold_and_is_idempotent() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        first = gc.get_threshold()
        tune_gc()
        assert gc.get_threshold() == first
        assert first[0] >= GC_GEN0_THRESHOLD and first[1] >= before[1]
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
