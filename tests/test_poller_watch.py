"""What makes a poller re-read XenStore (and xl list) between cadences: watch events for
nodes xltop reads (settled, spaced), domains coming or going, names xl does not know."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import replace

import pytest

from collectors import commands as cmd
from collectors import poller as poller_mod
from collectors.config import Cadence
from collectors.model import Domain, HostStatus
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner
from collectors.topology import xenstore_change_matters
from collectors.transport.base import CommandResult, ConnectError, LineStream

SETTINGS = PollSettings(interval_s=1.0, cadence=Cadence(vcpus_s=30, info_s=30, rings_s=30,
                                                        xenstore_s=300, dom0_s=30))


@pytest.mark.parametrize(("path", "matters"), [
    ("/local/domain", True),
    ("/local/domain/3", True),  # a domain's subtree removed
    ("/local/domain/3/name", True),
    ("/local/domain/3/memory", True),
    ("/local/domain/3/memory/target", True),
    ("/local/domain/3/cpu/1/availability", True),
    ("/local/domain/3/device", True),
    ("/local/domain/3/device/vif/0/state", True),
    ("/local/domain/3/device/vbd/51712/ring-ref", True),
    ("/local/domain/0/backend", True),
    ("/local/domain/0/backend/vif/3/0/state", True),
    ("/local/domain/0/backend/qdisk/3/51712/state", True),
    ("/local/domain/3/data/meminfo_free", False),  # a guest agent's writes
    ("/local/domain/3/data", False),
    ("/local/domain/3/control/feature-poweroff", False),
    ("/local/domain/3/attr/vif/0/ipv4/0", False),
    ("/local/domain/3/memory/videoram", False),
    ("/local/domain/3/device/vkbd/0/state", False),
    ("/local/domain/0/backend/console/3/0/state", False),
    ("/local/domain/3/drivers/0", False),
    ("/vm/1b0c-9a", True),  # not a shape it knows: re-read to be safe
    ("garbage \x1b[2J", True),
])
def test_which_changes_matter(path: str, matters: bool) -> None:
    assert xenstore_change_matters(path) is matters


class PushStream:
    """A xenstore-watch stream whose lines the test pushes."""

    def __init__(self) -> None:
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()

    async def readline(self, timeout: float | None = None) -> str | None:
        return await asyncio.wait_for(self.lines.get(), timeout)

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        line = await self.readline(timeout)
        return None if line is None else [line]

    @property
    def exit_code(self) -> int | None:
        return None

    async def stderr_text(self) -> str:
        return ""

    async def close(self) -> None:
        self.lines.put_nowait(None)


class WatchedRunner(SimRunner):
    """A simulated host whose watch the test drives; it notes when XenStore is read."""

    def __init__(self, index: int = 0, *, short_names: bool = False) -> None:
        super().__init__(make_fleet(hosts=index + 1, domains=4, seed=0)[index])
        self.watch = PushStream()
        self.short_names = short_names
        self.xs_reads: list[float] = []
        self.xl_reads: list[float] = []

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        batch, now = [tuple(a) for a in argvs], time.monotonic()
        if cmd.XENSTORE_DOMAINS in batch:
            self.xs_reads.append(now)
        if cmd.XL_LIST in batch:
            self.xl_reads.append(now)
        return await super().run_batch(argvs, timeout=timeout)

    async def stream(self, argv: Sequence[str]) -> LineStream:
        if tuple(argv) == cmd.XENSTORE_WATCH:
            return self.watch
        if self.short_names and "xentop" in argv:  # an old xentop: names cut to 10
            argv = [a for a in argv if a != "-f"]
        return await super().stream(argv)


async def _wait(pred, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_watch_events_reread_xenstore_settled_spaced_and_only_when_they_matter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poller_mod, "XS_SETTLE_S", 0.3)
    monkeypatch.setattr(poller_mod, "XS_MIN_GAP_S", 1.5)
    runner = WatchedRunner()
    poller = HostPoller(runner.host, runner, SETTINGS)
    snaps = poller.snapshots()
    try:
        first = await asyncio.wait_for(anext(snaps), 15)
        await _wait(lambda: len(runner.xs_reads) == 1)
        assert first.status is not HostStatus.ERROR
        for key in cmd.XENSTORE_WATCH[1:]:  # every watch fires once at start
            runner.watch.lines.put_nowait(key)
        # a guest agent writing its data/ every few hundred ms: no re-read
        for _ in range(5):
            runner.watch.lines.put_nowait("/local/domain/1/data/meminfo_free")
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        assert len(runner.xs_reads) == 1
        # a burst (a vif attached): one re-read, once it has settled
        burst = time.monotonic()
        for leaf in ("frontend", "backend", "state", "mac", "state"):
            runner.watch.lines.put_nowait(f"/local/domain/0/backend/vif/1/1/{leaf}")
        await _wait(lambda: len(runner.xs_reads) == 2)
        assert runner.xs_reads[1] - burst >= 0.3
        # more changes right after: the next re-read waits for the gap
        runner.watch.lines.put_nowait("/local/domain/1/memory/target")
        await _wait(lambda: len(runner.xs_reads) == 3)
        assert runner.xs_reads[2] - runner.xs_reads[1] >= 1.5
        await asyncio.sleep(0.5)
        assert len(runner.xs_reads) == 3
        # a domain coming or going: no settling, but the gap holds (a host creating and
        # destroying domains all day costs one read per gap); xl list comes with it
        await asyncio.sleep(1.6)
        runner.watch.lines.put_nowait("@releaseDomain")
        t = time.monotonic()
        await _wait(lambda: len(runner.xs_reads) == 4)
        assert runner.xs_reads[3] - t < 0.3
        assert runner.xl_reads[-1] == runner.xs_reads[3]
        runner.watch.lines.put_nowait("@introduceDomain")
        await _wait(lambda: len(runner.xs_reads) == 5)
        assert runner.xs_reads[4] - runner.xs_reads[3] >= 1.5
    finally:
        await snaps.aclose()
        await poller.close()


async def test_a_domain_created_comes_with_its_uptime_not_at_the_next_info_cadence() -> None:
    """A domain created (or rebooted: xl's daemon creates it again, a new domid) showed
    its domid at once and its uptime as unknown until the next xl info/uptime, 120 s by
    default (30 s here): xl uptime now comes with the xl list a domain's arrival asks."""
    runner = WatchedRunner()
    poller = HostPoller(runner.host, runner, SETTINGS)
    snaps = poller.snapshots()
    try:
        snap = await asyncio.wait_for(anext(snaps), 15)
        while not (snap.info and snap.domains and all(d.uptime_s is not None
                                                      for d in snap.domains)):
            snap = await asyncio.wait_for(anext(snaps), 15)
        for key in cmd.XENSTORE_WATCH[1:]:  # every watch fires once at start
            runner.watch.lines.put_nowait(key)
        guest = next(d for d in snap.domains if not d.is_dom0 and d.state.running)
        runner.sim.next_domid = 100  # as Xen does: a new domid, not the one just freed
        for argv in (["xl", "destroy", guest.name],
                     ["xl", "create", f"/etc/xen/{guest.name}.cfg"]):
            res = await runner.run(argv)
            assert res.exit_code == 0, res.stderr
        runner.watch.lines.put_nowait("@introduceDomain")

        async def created() -> Domain:
            async for s in snaps:
                d = s.domain(guest.name)
                if d is not None and d.domid == 100 and d.uptime_s is not None:
                    return d
            raise AssertionError("snapshots ended")

        again = await asyncio.wait_for(created(), 10)  # (the info cadence: 30 s)
        assert again.uptime_s is not None and again.uptime_s < 15
    finally:
        await snaps.aclose()
        await poller.close()


async def test_a_name_xl_does_not_list_is_looked_up_once_not_every_frame() -> None:
    runner = WatchedRunner(1, short_names=True)  # a-very-long-domain-… shows as a-very-lon
    poller = HostPoller(runner.host, runner, SETTINGS)
    snaps = poller.snapshots()
    try:
        snap = await anext(snaps)
        while poller._st.frames_seen < 6:
            snap = await asyncio.wait_for(anext(snaps), 15)
        # the cut name is matched to xl's
        assert snap.domain("a-very-long-domain-name-that-pushes-columns-x") is not None
        # the first poll, then one look-up for the names xentop cut: not one per frame
        assert len(runner.xl_reads) <= 2, runner.xl_reads
        assert len(runner.xs_reads) <= 2, runner.xs_reads
    finally:
        await snaps.aclose()
        await poller.close()


class NoConfigRunner(WatchedRunner):
    """A host where xl keeps no config for one domain (another toolstack built it)."""

    def __init__(self) -> None:
        super().__init__()
        self.long_reads = 0

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        results = await super().run_batch(argvs, timeout=timeout)
        out = []
        for r in results:
            if r.argv == cmd.XL_LIST_LONG:
                self.long_reads += 1
                configs = [c for c in json.loads(r.stdout) if c["domid"] != 1]
                r = replace(r, stdout=json.dumps(configs, indent=4))
            out.append(r)
        return out


async def test_a_domain_without_a_config_is_asked_about_once() -> None:
    runner = NoConfigRunner()
    settings = replace(SETTINGS, use_stream=False)  # a round trip every interval
    poller = HostPoller(runner.host, runner, settings)
    snaps = poller.snapshots()
    try:
        while len(runner.xl_reads) < 5:
            snap = await asyncio.wait_for(anext(snaps), 15)
        assert snap.domain("Domain-0") is not None
        assert runner.long_reads == 1
    finally:
        await snaps.aclose()
        await poller.close()


class ReopenedWatchRunner(WatchedRunner):
    """Each xenstore-watch opened fires its keys and ends (a link that keeps dropping), or
    is refused while ``refuse`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.opens: list[float] = []
        self.refuse = False

    async def stream(self, argv: Sequence[str]) -> LineStream:
        if tuple(argv) != cmd.XENSTORE_WATCH:
            return await super().stream(argv)
        self.opens.append(time.monotonic())
        if self.refuse:
            raise ConnectError(self.host, "connection refused")
        watch = PushStream()
        for key in [*cmd.XENSTORE_WATCH[1:], None]:
            watch.lines.put_nowait(key)
        return watch


async def test_the_watch_backs_off_like_the_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poller_mod, "WATCH_BACKOFF_S", 0.1)
    runner = ReopenedWatchRunner()
    poller = HostPoller(runner.host, runner, SETTINGS)
    try:
        poller.start()
        # a watch that worked and was cut is reopened after the first backoff each time,
        # not after one doubled each time (0.1 + 0.2 + ... + 3.2 s for 6)
        await _wait(lambda: len(runner.opens) >= 6, timeout=4.0)
    finally:
        await poller.close()
    # refused, it waits out its backoff; unless the host answers again (^r here)
    monkeypatch.setattr(poller_mod, "WATCH_BACKOFF_S", 60.0)
    runner = ReopenedWatchRunner()
    runner.refuse = True
    poller = HostPoller(runner.host, runner, SETTINGS)
    try:
        poller.start()
        await _wait(lambda: len(runner.opens) == 1)
        runner.refuse = False
        await asyncio.sleep(0.5)
        assert len(runner.opens) == 1
        poller.refresh_now()
        await _wait(lambda: len(runner.opens) == 2, timeout=2.0)
    finally:
        await poller.close()
