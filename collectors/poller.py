"""Per-host collection: a cheap xentop stream for the per-tick counters, one batched round
trip for everything slower, and snapshots merged from whatever is newest.

Three tasks per host, all on the caller's event loop:

* the **stream** task keeps ``xentop -b -d N -f`` running over one channel and
  turns its output into frames (libxenstat: ~46 ms of Dom0 CPU per tick, against ~1 s for
  re-spawning xl, xentop and xenstore-ls every tick);
* the **slow** task runs, in one batch per round trip, whatever is due: ``xl list -v`` and
  ``xl vcpu-list`` (every ``cadence.vcpus_s``), ``xl info``/``xl uptime``, the ring files,
  XenStore (when ``xenstore-watch`` fires), ``xl list -l`` (when new domids appear);
* the **watch** task keeps ``xenstore-watch`` open so device and memory changes trigger a
  XenStore re-read instead of polling it (settled, at most one per few seconds; writes to
  nodes xltop does not read, e.g. a guest agent's ``data/``, trigger none);
* on Open vSwitch hosts (xentop sees no vifs), and while a view watches the rings, the
  **dom0** task keeps Dom0's ``/proc/net/dev`` (and the ring files) coming every interval
  over one channel (``commands.dom0_stream``): a long-lived reader costs Dom0 next to
  nothing, a round trip per tick (the fallback while the stream is down) ~5 × xentop.

At fleet scale (a hundred hosts on one event loop) no host may hold the loop for long:
each host has a *phase* that staggers its stream start and its slow rounds, so hosts
started together never parse together; outputs over :data:`THREAD_PARSE_BYTES` are parsed
on one worker thread (the loop keeps turning), the slow families are taken in one at a
time with a yield in between, and a huge xentop frame yields every few hundred lines.

:meth:`HostPoller.snapshots` merges the newest data into a HostSnapshot whenever something
new arrived (or every interval), so one slow host never delays another and polls never
overlap. Errors become host status, never exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import re
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import cast

from collectors import commands as cmd
from collectors.assemble import Inputs, Merger, same_domains
from collectors.config import VCPU_DEMAND_S, Cadence
from collectors.families import parse_result, rings_error
from collectors.model import (
    DeviceKind,
    HostId,
    HostSnapshot,
    HostStatus,
    NetIfCounters,
)
from collectors.parse import xl_info
from collectors.parse.common import ParseError
from collectors.parse.procfs import NetDevReader
from collectors.parse.records import updater
from collectors.parse.rings import RingDump
from collectors.parse.xentop import XentopDomain, XentopFrameAssembler
from collectors.parse.xl_info import host_info_from
from collectors.parse.xl_list import (
    XlDomainConfig,
    XlListRow,
)
from collectors.parse.xl_vcpu import VcpuRow
from collectors.poll_state import PollState, host_status, source_notes
from collectors.topology import Topology, xenstore_change_matters
from collectors.transport.base import (
    BatchCut,
    CommandResult,
    ConnectError,
    ConnectionLost,
    LineStream,
    Runner,
    TransportError,
)
from collectors.transport.lines import MAX_OUTPUT_BYTES

_log = logging.getLogger(__name__)
# a collection loop restarted after a bug is cleared of it after this many quiet intervals
CRASH_CLEAR_INTERVALS = 3
QUIET_S = 0.15  # xentop writes a whole frame at once; this much silence ends a frame
# an xentop stream open this long without a frame is restarted (its host would be stale)
STALL_INTERVALS, STALL_SLACK_S = 3, 2.0
MAX_BACKOFF_S = 60.0
# XenStore re-reads a watch asks for: after this much quiet, at most one per gap
XS_SETTLE_S = 0.5
XS_MIN_GAP_S = 3.0
DOMAIN_EVENTS = frozenset({"@introduceDomain", "@releaseDomain"})
# what a domain coming or going makes the poller read at once: its domid (xl list), vCPUs,
# devices, and its uptime (xl uptime rides with xl info): a domain created (or rebooted:
# a new domid) had no uptime until the next info cadence, 120 s
DOMAIN_CAME = ("xenstore", "xl", "vcpus", "info")
WATCH_BACKOFF_S = 5.0  # a xenstore-watch that failed to open is tried again after this
ASK_AGAIN_S = 30.0  # a name xentop shows and xl list did not, looked up again after this
DOM0_STREAM_TRIES = 3  # Dom0 streams in a row that gave no sample before giving up on it
# (a stream cut short by the host's link going away does not count: it comes back with it)
DOM0_SAMPLE_MAX_CHARS = MAX_OUTPUT_BYTES  # a Dom0 sample (with ring files) is far smaller
# Outputs bigger than this are parsed on a worker thread (xenstore-ls of a 50-domain host
# is ~600 KiB and ~70 ms of parsing): the event loop keeps running, at worst sharing the
# GIL in 5 ms slices, instead of stalling for the whole parse. One thread, so parses never
# compete with each other for the GIL, only with the loop.
THREAD_PARSE_BYTES = 32 * 1024
YIELD_EVERY_LINES = 256  # a 1,000-domain xentop frame gives the loop a turn now and then
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xltop-parse")
_with_frame = updater(Inputs, ("frame", "frame_t", "frame_has_cpu_pct", "prev_frame_names"))
_with_dom0 = updater(Inputs, ("dom0_load", "dom0_ifaces", "dom0_t", "dom0_source"))


@dataclass(frozen=True, slots=True)
class PollSettings:
    interval_s: float = 2.0
    cadence: Cadence = Cadence()
    command_timeout_s: float = 30.0
    mount_debugfs: bool = True
    local_dom0: bool = False  # read Dom0's counters with psutil instead of over the runner
    use_stream: bool = True


class HostPoller:
    def __init__(
        self,
        host: HostId,
        runner: Runner,
        settings: PollSettings = PollSettings(),
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        phase: float | None = None,
    ) -> None:
        self.host = host
        self.runner = runner
        self.settings = settings
        self._clock = clock
        self._mono = monotonic
        self._merger = Merger(host)
        self._net_dev = NetDevReader()  # Dom0's /proc/net/dev, sample after sample
        self._st = PollState()
        self._changed = asyncio.Event()
        self._wake_slow = asyncio.Event()
        self._link_back = asyncio.Event()  # pulsed when the host answers again (or on ^r)
        self._stream_frames = 0  # frames of the current xentop stream
        self._vifs_memo: tuple[Topology | None, bool] = (None, True)  # topology → any vif?
        # clear while a Dom0 read started by a frame is on its way (Open vSwitch hosts)
        self._dom0_for_frame = asyncio.Event()
        self._dom0_for_frame.set()
        self._dom0_wanted = asyncio.Event()  # an OVS-like frame, or rings on demand
        self._dom0_live_until = 0.0  # monotonic: the Dom0 stream's samples are fresh till then
        self._rings_live_until = 0.0  # the same for the rings it brings
        self._dom0_samples = 0  # samples the Dom0 stream delivered
        self._rings_streamable = False  # the last round-trip ring read had no error
        self._due: dict[str, float] = {}
        self._forced: set[str] = set()
        self._late: set[str] = set()  # families whose command last timed out: run them last
        self._xs_taken = -math.inf  # when XenStore was last read (monotonic)
        self._rings_demand = False
        self._rings_every = 1  # on demand, rings come with every this many Dom0 samples
        self._vcpus_demand = False
        self._tasks: list[asyncio.Task[None]] = []
        # set once the first round trip of every slow family (xl, XenStore...) is over,
        # answered or not: from then on a snapshot is as complete as the host allows
        self.first_round = asyncio.Event()
        # set by the xentop stream's first frame, or its first failure (then domains come
        # from xl list): the per-tick counters are in a snapshot, or will not be soon
        self.first_frame = asyncio.Event()
        self._seq = 0
        self._closed = False
        # Where in each cadence this host's work falls, in [0, 1): the xentop stream starts
        # phase × interval late and the slow families' first re-read comes up to half a
        # cadence early, so a hundred hosts started together never parse all at once.
        self.phase = host_phase(host) if phase is None else phase % 1.0
        self._phased = False
        # names in the last xl list, by the object they came from
        self._known: tuple[object, frozenset[str]] = (None, frozenset())
        self._asked: dict[str, float] = {}  # names not in xl list → when they were looked up
        self._neither = False  # neither xl nor xm found (both were 127)
        self._configs_asked: set[int] = set()  # domids xl list -l was asked for

    # --- public ------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Re-read everything on the next round trip (after an action, or on request);
        streams waiting out a backoff try again at once."""
        self._forced |= {"xl", "vcpus", "xenstore", "rings", "info", "dom0"}
        self._wake_slow.set()
        self._pulse_link_back()

    def _pulse_link_back(self) -> None:
        self._link_back.set()  # wakes every waiter now; later waits wait again
        self._link_back.clear()

    async def _backoff(self, backoff: float) -> bool:
        """Sleep ``backoff`` with jitter, or less if the host answers again meanwhile;
        True when woken early (the caller starts its backoff over)."""
        return await _set_within(self._link_back, backoff * (0.8 + 0.4 * random.random()))

    def set_demand(self, *, rings: bool | None = None, vcpus: bool | None = None,
                   rings_every: int = 1) -> None:
        """What the views on screen want faster; None leaves a family as it is.

        ``rings``: read rings every ``rings_every`` ticks (a view of a big fleet's rings
        spreads its reads). ``vcpus``: read ``xl vcpu-list`` every max(interval,
        VCPU_DEMAND_S), at once if the last read is older than that.
        """
        if rings is not None:
            self._rings_every = max(1, rings_every) if rings else 1
            if rings and not self._rings_demand:
                # every tick from now on, not from the next slow re-read
                for f in ("rings", "dom0"):
                    self._due[f] = min(self._due.get(f, 0.0), self._mono())
            self._rings_demand = rings
            if rings:
                self._wake_slow.set()
                if self._rings_streamable:
                    self._dom0_wanted.set()
        if vcpus is not None and vcpus != self._vcpus_demand:
            self._vcpus_demand = vcpus
            self._reschedule_vcpus()

    def start(self) -> None:
        """Start collecting (idempotent); :meth:`snapshot` merges what has come in."""
        if self._tasks:
            return
        loops: list[tuple[str, Callable[[], Awaitable[None]]]] = [("slow", self._slow_loop)]
        if self.settings.use_stream:
            loops += [("xentop", self._stream_loop), ("watch", self._watch_loop)]
            if not self.settings.local_dom0:
                loops.append(("dom0", self._dom0_loop))
        for name, loop in loops:
            self._tasks.append(asyncio.create_task(self._supervised(name, loop),
                                                   name=f"{name}:{self.host}"))

    async def snapshots(self) -> AsyncIterator[HostSnapshot]:
        """Snapshots forever: after new data arrives, at most every interval/2."""
        self.start()
        interval = self.settings.interval_s
        last = -1e9
        try:
            while True:
                wait = max(0.0, last + interval / 2 - self._mono())
                if wait:
                    await asyncio.sleep(wait)
                if (await _set_within(self._changed, interval)
                        and not self._dom0_for_frame.is_set()):  # one snapshot: frame + Dom0
                    await _set_within(self._dom0_for_frame, min(interval / 2, 1.0))
                self._changed.clear()
                last = self._mono()
                yield self.snapshot()
        finally:
            await self._stop_tasks()

    async def poll_once(self) -> HostSnapshot:
        """One complete collection without streams (for ``--once``): about 1-2 s."""
        families = ["xl", "vcpus", "info", "xenstore", "rings", "dom0"]
        toolstack = self._st.toolstack
        # xentop needs a second of its own; run it beside the batch, not after it
        await asyncio.gather(self._run_families(families), self._run_families(["xentop_once"]))
        if self._xm_next(toolstack):  # no xl: the same families from xm, in their order
            again = [f for f in families if f in self._forced]
            self._forced.difference_update(again)
            await self._run_families(again)
        await self._read_configs()
        return self.snapshot()

    def snapshot(self) -> HostSnapshot:
        """Merge the newest data into a snapshot now."""
        now = self._clock()
        st = self._st
        inp = st.inputs
        total_mib = st.info.total_memory_mib if st.info else None
        total_kib = total_mib * 1024 if total_mib else None
        domains = self._merger.domains(inp, now, total_kib)
        dom0 = self._merger.dom0(inp)
        devices = self._merger.devices(inp)
        vcpus = self._merger.vcpus(inp.vcpu_rows, self._st.vcpus_mono)
        status, message, age = self._status(now)
        self._seq += 1
        return HostSnapshot(
            host=self.host,
            time=now,
            status=status,
            message=message,
            data_age_s=age,
            latency_s=st.latency_s,
            info=st.info,
            domains=domains,
            vcpus=vcpus,
            devices=devices,
            dom0=dom0,
            sources=self._sources(),
            seq=self._seq,
            vcpus_t=st.vcpus_t,
        )

    async def close(self) -> None:
        self._closed = True
        await self._stop_tasks()

    async def _stop_tasks(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()

    # --- tasks -------------------------------------------------------------------------

    async def _supervised(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run one collection loop; a bug in it (an exception it does not expect) becomes
        the host's error status, logged, and the loop starts again after a backoff. The
        error is cleared once the new loop has run for a while without failing."""
        backoff = 1.0
        while not self._closed:
            task = asyncio.ensure_future(loop())
            try:
                if self._st.crashed.get(name) is not None:
                    done, _ = await asyncio.wait({task}, timeout=CRASH_CLEAR_INTERVALS
                                                 * self.settings.interval_s)
                    if not done:  # it runs well again: said no more, a later bug backs off anew
                        self._st.crashed.pop(name, None)
                        self._changed.set()
                        backoff = 1.0
                await task
                if self._st.crashed.pop(name, None) is not None:  # (ended on its own)
                    self._changed.set()
                return
            except asyncio.CancelledError:
                task.cancel()  # (asyncio.wait does not pass a cancellation on)
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                raise
            except Exception as e:  # noqa: BLE001 - a bug must not stop the host's collection
                _log.exception("%s: the %s loop failed", self.host, name)
                self._st.crashed[name] = (
                    f"xltop internal error in the {name} loop ({type(e).__name__}: "
                    f"{_first_line(str(e))}); restarting it")
                self._changed.set()
                await asyncio.sleep(backoff * (0.8 + 0.4 * random.random()))
                backoff = min(MAX_BACKOFF_S, backoff * 2)

    async def _slow_loop(self) -> None:
        backoff = 1.0
        while not self._closed:
            families = self._due_families()
            if families:
                toolstack = self._st.toolstack
                ok = await self._run_families(families)
                if "dom0" in families:
                    self._dom0_for_frame.set()
                if ok:
                    await self._read_configs()
                if self._xm_next(toolstack):
                    continue  # ask xm at once: the round is not over until it answered
                self.first_round.set()
                self._changed.set()
                if self._st.unreachable:
                    # back off while the host is down; fail fast in between
                    await self._sleep_or_wake(backoff * (0.8 + 0.4 * random.random()))
                    backoff = min(MAX_BACKOFF_S, backoff * 2)
                    self._forced |= {"xl", "vcpus", "info", "xenstore", "rings", "dom0"}
                    continue
                backoff = 1.0
            await self._sleep_or_wake(self._next_due_in())

    async def _sleep_or_wake(self, delay: float) -> None:
        if delay <= 0:
            return
        await _set_within(self._wake_slow, delay)
        self._wake_slow.clear()

    async def _stream_loop(self) -> None:
        backoff = 1.0
        interval = max(1, round(self.settings.interval_s))
        full_names = True
        if self.phase:
            await asyncio.sleep(self.phase * self.settings.interval_s)
        while not self._closed:
            stream: LineStream | None = None
            frames_before = self._st.frames_seen
            try:
                stream = await self.runner.stream(cmd.xentop_stream(interval,
                                                                    full_names=full_names))
                got_frame = await self._read_frames(
                    stream, stall_s=STALL_INTERVALS * interval + STALL_SLACK_S)
                code = stream.exit_code
                err = (await stream.stderr_text()).strip()
                if not got_frame:
                    if full_names and "invalid option" in err:
                        full_names = False  # an xentop without -f: names cut to 10 chars
                        continue
                    self._st.stream_error = _first_line(err) or f"xentop exited ({code})"
                    self.first_frame.set()
                    self._changed.set()
                else:
                    backoff = 1.0
                    self._st.stream_error = f"xentop stream ended ({code}); restarting"
            except TransportError as e:
                self._st.stream_error = f"xentop stream: {e.message}"
                self.first_frame.set()
                self._changed.set()
            except _StreamStalled as e:
                # (a hung libxenstat, or garbage without end): restart it, and until its
                # frames come back domains come from xl list every interval, not in a minute
                self._st.stream_error = str(e)
                self.first_frame.set()
                if self._st.frames_seen != frames_before:  # it worked for a while
                    backoff = 1.0
                self._due["xl"] = min(self._due.get("xl", 0.0), self._mono())
                self._wake_slow.set()
                self._changed.set()
            finally:
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.close()
            woken = await self._backoff(backoff)
            backoff = 1.0 if woken else min(MAX_BACKOFF_S, backoff * 2)

    async def _read_frames(self, stream: LineStream, stall_s: float | None = None) -> bool:
        """Frames until the stream ends (whether any came); with ``stall_s``, raises
        _StreamStalled once that long passes without a frame (the stream is left open)."""
        asm = XentopFrameAssembler()
        got = False
        self._stream_frames = 0  # a new xentop: its first frame's CPU(%) is 0.0, unknown
        loop = asyncio.get_running_loop()
        stall_at = None if stall_s is None else loop.time() + stall_s
        seen = self._st.frames_seen
        old_error = None  # the last garbage line before the last frame
        while True:
            if stall_at is not None and self._st.frames_seen != seen:
                seen = self._st.frames_seen
                stall_at = loop.time() + cast(float, stall_s)
                old_error = asm.errors[-1] if asm.errors else None
            wait = None if stall_at is None else stall_at - loop.time()
            if wait is not None and wait <= 0:
                garbage = asm.errors[-1] if asm.errors else None
                why = f" ({garbage})" if garbage is not None and garbage is not old_error else ""
                raise _StreamStalled(f"xentop printed no frame for {stall_s:g} s{why}; "
                                     "restarting it")
            try:
                # quiet ends a frame only while one is pending; otherwise wait for the next
                lines = await stream.readlines(
                    timeout=min(QUIET_S, wait or QUIET_S) if asm.pending else wait)
            except TimeoutError:
                lines = []
            if not lines:  # quiet, or the end of the stream (None)
                frame = asm.flush()
                if frame is not None:
                    self._on_frame(frame)
                    got = True
                if lines is None:
                    return got
                continue
            for i in range(0, len(lines), YIELD_EVERY_LINES):
                if i:
                    await asyncio.sleep(0)
                for frame in asm.feed_lines(lines[i : i + YIELD_EVERY_LINES]):
                    self._on_frame(frame)
                    got = True

    def _on_frame(self, frame: Sequence[XentopDomain]) -> None:
        st = self._st
        inp = st.inputs
        names = frozenset([d.name for d in frame])
        frame = tuple(frame)
        st.frames_seen += 1
        self._stream_frames += 1
        st.inputs = _with_frame(inp, frame, self._clock(), self._stream_frames > 1,
                                same_domains(inp.frame or (), frame))
        st.last_frame_mono = self._mono()
        st.stream_error = None
        self.first_frame.set()
        rows = inp.xl_rows
        if rows is not self._known[0]:
            self._known = (rows, frozenset([r.name for r in rows or ()]))
        if self._ovs_like():
            # Open vSwitch: domains' net counters are Dom0's. Streamed (_dom0_loop), or
            # else read for this frame now (rates of the same moment, one snapshot for both)
            self._dom0_wanted.set()
            if not self._dom0_streaming():
                self._forced.add("dom0")
                self._dom0_for_frame.clear()
                self._wake_slow.set()
        if rows is not None and not names <= self._known[1]:
            # a domain appeared: learn its domid now rather than at the next cadence; once
            # per name and ASK_AGAIN_S (a name xl never lists, e.g. one an old xentop cut to
            # 10 characters, must not cost a whole re-read every frame)
            now, asked = self._mono(), self._asked
            new = [n for n in names - self._known[1]
                   if now - asked.get(n, -math.inf) >= ASK_AGAIN_S]
            if new:
                self._asked = {n: t for n, t in asked.items() if n in names}
                self._asked.update(dict.fromkeys(new, now))
                self._xenstore_soon(DOMAIN_CAME, settle=0.0)
        self._changed.set()

    async def _dom0_loop(self) -> None:
        """Dom0's counters (and rings on demand) as a stream while _wants_dom0_stream."""
        backoff, fails = 1.0, 0
        interval = max(1, round(self.settings.interval_s))
        while not self._closed and fails < DOM0_STREAM_TRIES:
            await self._dom0_wanted.wait()
            if not self._wants_dom0_stream():
                self._dom0_wanted.clear()
                continue
            rings = self._streams_rings()
            every = self._rings_every if rings else 1
            stream: LineStream | None = None
            before = self._dom0_samples
            link_down = False
            try:
                stream = await self.runner.stream(
                    cmd.dom0_stream(interval, rings=rings, rings_every=every))
                await self._read_dom0_samples(stream, interval, rings, every)
            except (ConnectError, ConnectionLost):
                link_down = True  # the host's link, not the stream: no strike against it
            except (TransportError, TimeoutError):
                pass  # the round trips take over, and report the host's state
            finally:
                self._dom0_live_until = self._rings_live_until = 0.0
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.close()
            got = self._dom0_samples > before
            fails = 0 if got else fails if link_down else fails + 1
            if not self._wants_dom0_stream():
                self._dom0_wanted.clear()  # neither OVS-like nor rings on demand now
                backoff = 1.0
                continue
            if got and self._stream_outdated(rings, every):
                continue  # the rings demand changed: the other stream at once
            woken = await self._backoff(backoff)
            backoff = 1.0 if got or woken else min(MAX_BACKOFF_S, backoff * 2)

    def _wants_dom0_stream(self) -> bool:
        return self._ovs_like() or self._streams_rings()

    def _streams_rings(self) -> bool:
        return self._rings_demand and self._rings_streamable

    def _stream_outdated(self, rings: bool, every: int) -> bool:
        """Whether a Dom0 stream started with (rings, every) no longer brings what is wanted."""
        return rings != self._streams_rings() or (rings and every != self._rings_every)

    async def _read_dom0_samples(self, stream: LineStream, interval: int, rings: bool,
                                 every: int = 1) -> None:
        """Take each sample (lines up to DOM0_SAMPLE_END) in, until the stream ends, stalls
        (TimeoutError) or what it should bring changed."""
        lines: list[str] = []
        held = 0  # characters of the sample so far
        index = 0
        while (chunk := await stream.readlines(timeout=3 * interval + 5)) is not None:
            for line in chunk:
                if line.rstrip("\r") != cmd.DOM0_SAMPLE_END:
                    lines.append(line)
                    held += len(line)
                    if held > DOM0_SAMPLE_MAX_CHARS:  # garbage, not a sample: drop the stream
                        argv = cmd.dom0_stream(interval, rings=rings, rings_every=every)
                        self._st.errors["dom0"] = (
                            f"{' '.join(argv)}: more than {DOM0_SAMPLE_MAX_CHARS >> 20} MiB "
                            "without the end of a sample; stream dropped")
                        return
                    continue
                sample, lines, held = lines, [], 0
                if not await self._take_dom0_sample(sample, interval, rings, every, index):
                    return
                index += 1
            if not self._wants_dom0_stream() or self._stream_outdated(rings, every):
                return

    async def _take_dom0_sample(self, sample: list[str], interval: int, rings: bool,
                                every: int = 1, index: int = 0) -> bool:
        """Sample number ``index`` of a Dom0 stream into the state (with ``rings``, the
        first and every ``every``-th bring the ring files); False when its rings show
        streaming them fails."""
        with_rings = rings and index % every == 0
        cut = len(sample)  # the ring files follow /proc's, from their first "==> path <=="
        if with_rings:
            cut = next((i for i, line in enumerate(sample) if line.startswith("==> ")), cut)
        now = self._clock()
        try:
            proc = await self._parse("dom0", CommandResult(
                cmd.DOM0_PROC, 0, "\n".join(sample[:cut]) + "\n", "", 0.0))
            self._take_dom0(proc, now, f"/proc/loadavg and /proc/net/dev every {interval}s "
                            "over the host connection")
            self._st.errors.pop("dom0", None)
        except ParseError as e:
            argv = cmd.dom0_stream(interval, rings=rings, rings_every=every)
            self._st.errors["dom0"] = f"{' '.join(argv)}: {e}"
            return True
        self._dom0_samples += 1
        live = self._mono() + 2 * interval + 1
        self._dom0_live_until = live
        self._dom0_for_frame.set()
        if with_rings:
            dump = cast(RingDump, await self._parse("rings", CommandResult(
                cmd.RING_FILES, 0, "".join(line + "\n" for line in sample[cut:]), "", 0.0)))
            if not dump.has_netback and self._has_vifs():
                self._rings_streamable = False  # debugfs gone? a round trip will say
                return False
            self._st.inputs = replace(self._st.inputs, rings=dump, rings_t=now,
                                      rings_error=None)
            self._rings_live_until = live + 2 * interval * (every - 1)  # till the next + slack
        return True

    def _dom0_streaming(self) -> bool:
        return self._dom0_live_until > self._mono()

    def _rings_streaming(self) -> bool:
        return self._rings_live_until > self._mono()

    async def _watch_loop(self) -> None:
        backoff = WATCH_BACKOFF_S
        while not self._closed:
            stream: LineStream | None = None
            initial = len(cmd.XENSTORE_WATCH) - 1  # every watch fires once at start
            try:
                stream = await self.runner.stream(cmd.XENSTORE_WATCH)
                while True:
                    line = await stream.readline(timeout=None)
                    if line is None:
                        break
                    if initial > 0:
                        initial -= 1
                        continue
                    if line in DOMAIN_EVENTS:  # a domain came or went: xl too, unsettled
                        self._xenstore_soon(DOMAIN_CAME, settle=0.0)
                    elif xenstore_change_matters(line):
                        self._xenstore_soon(("xenstore",), settle=XS_SETTLE_S)
            except TransportError:
                pass
            finally:
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.close()
            # as the other streams: back with the host, and from the start after a watch
            # that worked (its keys all fired) was cut
            woken = await self._backoff(backoff)
            worked = initial == 0
            backoff = WATCH_BACKOFF_S if woken or worked else min(MAX_BACKOFF_S * 5, backoff * 2)

    def _xenstore_soon(self, families: Sequence[str], settle: float) -> None:
        """A XenStore re-read (with ``families``) once a burst of writes (a device attach)
        has settled, and never sooner than XS_MIN_GAP_S after the last: a busy store, or a
        host creating and destroying domains all day, costs Dom0 one ``xenstore-ls`` per
        gap, not one per write."""
        at = max(self._mono() + settle, self._xs_taken + XS_MIN_GAP_S)
        for f in families:
            if f not in self._forced and at < self._due.get(f, math.inf):
                self._due[f] = at
        self._wake_slow.set()

    # --- scheduling --------------------------------------------------------------------

    def _periods(self) -> dict[str, float]:
        c = self.settings.cadence
        st = self._st
        stream_ok = st.last_frame_mono is not None and (
            self._mono() - st.last_frame_mono < 3 * self.settings.interval_s + 2
        )
        periods = {
            "xl": self.settings.interval_s if not stream_ok else c.vcpus_s,
            "vcpus": self._vcpus_period(),
            "info": c.info_s,
            "xenstore": c.xenstore_s,
            "rings": c.rings_s if self._rings_streaming()
            else self.settings.interval_s * self._rings_every if self._rings_demand
            else c.rings_s,
            # on Open vSwitch hosts Dom0's counters are streamed, or else each frame asks
            # for a read (_on_frame); this is the fallback when frames stop
            "dom0": c.dom0_s if self._dom0_streaming()
            else self.settings.interval_s if self._rings_demand
            else 2 * self.settings.interval_s if self._ovs_like() else c.dom0_s,
        }
        return periods

    def _due_families(self) -> list[str]:
        now = self._mono()
        periods = self._periods()
        due = [f for f, p in periods.items() if f in self._forced or self._due.get(f, 0.0) <= now]
        if due:
            # pull in whatever would be due soon, so the slow families share round trips
            # (at most half a period early: vcpus on demand must not come every tick)
            soon = min(5.0, 1.5 * self.settings.interval_s)
            due += [f for f, p in periods.items()
                    if f not in due and self._due.get(f, 0.0) <= now + min(soon, p / 2)]
        self._forced.clear()
        if "xenstore" in due:
            self._xs_taken = now
        shift = 0.0
        if not self._phased:
            self._phased = True
            c = self.settings.cadence
            shift = 0.5 * self.phase * min(c.vcpus_s, c.rings_s)
        for f in due:
            # the same shift for every family keeps their multiples sharing round trips
            self._due[f] = now + periods[f] - (shift if periods[f] > 2 * shift else 0.0)
        return due

    def _vcpus_period(self) -> float:
        c = self.settings.cadence.vcpus_s
        return min(c, max(self.settings.interval_s, VCPU_DEMAND_S)) if self._vcpus_demand else c

    def _reschedule_vcpus(self) -> None:
        """vcpu-list's next read after a change of demand: one period after the last good
        read, at once when demand starts on older data; back to the slow cadence after."""
        now = self._mono()
        last = self._st.vcpus_mono
        if self._vcpus_demand:
            due = now if last is None else last + self._vcpus_period()
            if due <= now:
                self._forced.add("vcpus")
            self._due["vcpus"] = min(due, self._due.get("vcpus", due))
        elif last is not None:
            self._due["vcpus"] = max(last + self._vcpus_period(), self._due.get("vcpus", 0.0))
        self._wake_slow.set()  # the slow loop re-plans its sleep

    def _next_due_in(self) -> float:
        now = self._mono()
        return max(0.05, min((t for t in self._due.values()), default=now + 1.0) - now)

    def _ovs_like(self) -> bool:
        """xentop sees no vifs (Open vSwitch) while XenStore lists some: read /proc/net/dev."""
        inp = self._st.inputs
        if inp.frame is None or inp.topology is None:
            return False
        if not self._has_vifs():
            return False
        # Domain-0's row is left out: with no Linux bridge at all, libxenstat files every
        # vif's counters under Domain-0 (xen-toolstack-formats.md), guests still show 0
        return not any(x.nets for x in inp.frame if x.name != "Domain-0")

    async def _read_configs(self) -> None:
        """``xl list -l`` when a domid has no config yet, once per domid: a domain xl keeps
        no config for (one another toolstack built) must not cost a read per round trip."""
        st = self._st
        if st.toolstack != "xl" or not st.inputs.xl_rows:
            return
        ids = {r.domid for r in st.inputs.xl_rows if r.domid is not None}
        missing = ids - set(st.inputs.configs) - self._configs_asked
        self._configs_asked = (self._configs_asked & ids) | missing
        if missing and not await self._run_families(["configs"]):
            self._configs_asked -= missing  # not answered: ask again next time

    # --- one round trip ------------------------------------------------------------------

    async def _run_families(self, families: Sequence[str]) -> bool:
        st = self._st
        if "dom0" in families and self.settings.local_dom0:
            self._read_local_dom0()
        plan = cmd.family_argvs(families, xm=self._st.toolstack == "xm",
                                local_dom0=self.settings.local_dom0)
        if not plan:
            return True
        if self._late:  # a command that hung before goes after the others (stable sort)
            plan.sort(key=lambda step: step[0] in self._late)
        cut: BatchCut | None = None
        results: Sequence[CommandResult | None]
        try:
            results = await self.runner.run_batch(
                [argv for _, argv in plan], timeout=self.settings.command_timeout_s
            )
        except BatchCut as e:  # the commands before the one that hung (or printed too
            # much) still count
            cut, results = e, e.results
        except ConnectError as e:
            st.unreachable = e.message
            return False
        except TransportError as e:
            st.unreachable = None
            st.batch_error = e.message
            return False
        if st.unreachable is not None:
            self._pulse_link_back()  # the streams need not wait out their backoff
        st.unreachable = None
        st.batch_error = None
        mono = self._mono()
        now = self._clock()
        # the link's latency as the runner measured it (not the commands' run time)
        st.latency_s = getattr(self.runner, "last_rtt_s", None)
        if cut is None:
            st.last_batch_ok_t = now
        else:
            self._cut_short(cut, [family for family, _ in plan])
        retry_rings = False
        for (family, _), res in zip(plan, results, strict=True):
            if res is None:
                continue
            self._late.discard(family)
            early = res.ended_early_s or 0.0  # each output dated when its command ended
            try:
                parsed = await self._parse(family, res)
                retry_rings |= self._absorb(family, res, now - early, mono - early, parsed)
                st.errors.pop(family, None)
            except ParseError as e:
                st.errors[family] = f"{' '.join(res.argv)}: {e}"
            await asyncio.sleep(0)  # one family at a time: other hosts' frames go between
        if retry_rings:
            await self._run_families(["mount", "rings"])
        return True

    def _cut_short(self, cut: BatchCut, families: list[str]) -> None:
        """A round trip stopped at a command that did not finish in time (or printed more
        than is read): that family reports it and runs last from now on; those that did not
        run are asked again."""
        missing = [f for f, res in zip(families, cut.results, strict=True) if res is None]
        if missing:
            self._st.errors[missing[0]] = cut.message
            self._late.add(missing[0])
            self._forced |= set(missing[1:]) & set(self._periods())

    async def _parse(self, family: str, res: CommandResult) -> object:
        """The result's text parsed (big outputs on the parse thread); None if unused."""
        if len(res.stdout) < THREAD_PARSE_BYTES:
            return parse_result(self.host, family, res, self._net_dev)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_PARSER, parse_result, self.host, family, res,
                                          self._net_dev)

    def _absorb(
        self, family: str, res: CommandResult, now: float, mono: float, parsed: object
    ) -> bool:
        """Take one command's result, which ended at ``now`` (wall clock; ``mono`` on the
        monotonic clock), into the state. Returns True to retry the rings."""
        st = self._st
        inp = st.inputs
        if family == "xl":
            if res.exit_code == 127 and not _sudo_missing(res.stderr):
                self._no_toolstack(res)
            self._check(res, "domains")
            self._neither = False
            st.inputs = replace(inp, xl_rows=cast(tuple[XlListRow, ...], parsed), xl_t=now)
        elif family == "vcpus":
            self._check(res, "vcpus")
            st.inputs = replace(inp, vcpu_rows=cast(tuple[VcpuRow, ...], parsed))
            st.vcpus_t, st.vcpus_mono = now, mono
        elif family == "info":
            self._check(res, "info")
            st.info = host_info_from(cast(dict[str, str], parsed), toolstack=st.toolstack)
        elif family == "uptime":
            if res.ok:
                ups = {u.domid: (u.uptime_s, now) for u in cast(list[xl_info.UptimeRow], parsed)
                       if u.domid is not None and u.uptime_s is not None}
                st.inputs = replace(inp, uptimes=ups)
        elif family == "xenstore":
            self._check(res, "xenstore")
            st.inputs = replace(inp, topology=cast(Topology, parsed))
        elif family == "configs":
            if res.ok:
                cfgs: dict[int, XlDomainConfig] = {
                    c.domid: c for c in cast(list[XlDomainConfig], parsed)}
                st.inputs = replace(inp, configs=cfgs)
        elif family == "rings":
            dump = cast(RingDump, parsed)
            err = rings_error(res.stderr, has_vifs=self._has_vifs())
            if err and self.settings.mount_debugfs and not st.debugfs_mount_tried:
                st.debugfs_mount_tried = True
                return True
            st.inputs = replace(inp, rings=dump, rings_t=now, rings_error=err)
            # a clean read: while a view watches the rings, the Dom0 stream can bring them
            self._rings_streamable = err is None and (dump.has_netback
                                                        or not self._has_vifs())
            if self._streams_rings():
                self._dom0_wanted.set()
        elif family == "dom0":
            if res.ok:
                self._take_dom0(parsed, now, "/proc/loadavg and /proc/net/dev over the host "
                                "connection")
        elif family == "xentop_once":
            self._check(res, "xentop")
            frames = cast(list[list[XentopDomain]], parsed)
            if frames:
                st.frames_seen = len(frames)
                prev = frames[-2] if len(frames) > 1 else []
                if prev:
                    # prime the counters with the first iteration (one second earlier)
                    self._merger.domains(
                        replace(st.inputs, frame=tuple(prev), frame_t=now - 1.0), now - 1.0, None
                    )
                st.inputs = replace(
                    st.inputs,
                    frame=tuple(frames[-1]),
                    frame_t=now,
                    frame_has_cpu_pct=len(frames) > 1,
                    prev_frame_names=same_domains(prev, frames[-1]),
                )
                st.last_frame_mono = mono
        return False

    def _take_dom0(self, parsed: object, now: float, source: str) -> None:
        load, ifaces = cast(tuple[tuple[float, float, float] | None,
                                  tuple[NetIfCounters, ...]], parsed)
        self._st.inputs = _with_dom0(self._st.inputs, load, ifaces, now, source)

    def _xm_next(self, before: str) -> bool:
        """Whether the round just run found no ``xl`` and turned to ``xm`` (still untried)."""
        return before == "xl" and self._st.toolstack == "xm" and not self._neither

    def _no_toolstack(self, res: CommandResult) -> None:
        """``xl`` not found: an xm-era host, try ``xm`` now. ``xm`` not found either: not a
        Dom0 (or neither on PATH), said as such rather than as xm's 127; xl is tried first
        again next time, in case either appears."""
        st = self._st
        if st.toolstack == "xl" and not self._neither:
            st.toolstack = "xm"
            self._forced |= {"xl", "vcpus", "info"}
            self._wake_slow.set()
            return
        self._neither = True
        st.toolstack = "xm" if st.toolstack == "xl" else "xl"  # the other one next time
        detail = _first_line(res.stderr) or "not found"
        raise ParseError("domains", None, None,
                         f"neither xl nor xm runs on this host: is it a Xen Dom0? ({detail})")

    def _check(self, res: CommandResult, what: str) -> None:
        if res.exit_code != 0:
            detail = _first_line(res.stderr) or _first_line(res.stdout) or "no output"
            raise ParseError(what, None, None, f"exit {res.exit_code}: {detail}")

    def _has_vifs(self) -> bool:
        """Whether XenStore lists any vif (True before it was read); once per read."""
        topo = self._st.inputs.topology
        if self._vifs_memo[0] is not topo:
            self._vifs_memo = (topo, topo is None or any(d.kind is DeviceKind.VIF
                                                         for d in topo.devices))
        return self._vifs_memo[1]

    def _read_local_dom0(self) -> None:
        import psutil  # local only; remote hosts are read over their runner

        counters = psutil.net_io_counters(pernic=True)
        ifaces = tuple(
            NetIfCounters(
                name=n, rx_bytes=c.bytes_recv, tx_bytes=c.bytes_sent, rx_packets=c.packets_recv,
                tx_packets=c.packets_sent, rx_errs=c.errin, tx_errs=c.errout, rx_drop=c.dropin,
                tx_drop=c.dropout,
            )
            for n, c in sorted(counters.items())
        )
        self._st.inputs = replace(
            self._st.inputs,
            dom0_load=psutil.getloadavg(),
            dom0_ifaces=ifaces,
            dom0_t=self._clock(),
            dom0_source="psutil (local host)",
        )

    # --- status --------------------------------------------------------------------------

    def _status(self, now: float) -> tuple[HostStatus, str | None, float | None]:
        return host_status(self._st, now, self.settings.interval_s)

    def _sources(self) -> dict[str, str]:
        return source_notes(self._st, self._vcpus_period())


class _StreamStalled(Exception):
    """A stream that stays open without bringing what it should (the message says so)."""


def host_phase(host: HostId) -> float:
    """A host's default phase in [0, 1): stable across runs, spread over host names."""
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) / 2**32


async def _set_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set, at most ``seconds``; whether it was (a pulsed event,
    set and at once cleared, counts: its waiters were woken)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


_SUDO_NOT_FOUND = re.compile(r"(^|[\s:])sudo: (command )?not found", re.MULTILINE)


def _sudo_missing(stderr: str) -> bool:
    """Whether a 127 says that sudo is missing (``sudo = true`` on a host without it), not
    xl (an xm-era host): that host is not xm's."""
    return bool(_SUDO_NOT_FOUND.search(stderr))
