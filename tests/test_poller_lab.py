"""The live poller's XenStore watch on real Xen (the xenlab), over SSH. Skipped unless the
lab is running. Puts db1's memory target back and removes the node it writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from collectors import commands as cmd
from collectors.model import HostSnapshot, HostStatus
from collectors.poller import HostPoller, PollSettings
from collectors.transport.base import CommandResult
from collectors.transport.ssh import SshRunner
from tests.conftest import Lab
from tests.test_control_lab import lab_target

pytestmark = [pytest.mark.lab, pytest.mark.slow]


class CountingRunner(SshRunner):
    """The SSH runner, noting when a round trip reads the whole of XenStore."""

    xs_reads: list[float]

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        if cmd.XENSTORE_DOMAINS in [tuple(a) for a in argvs]:
            self.xs_reads.append(time.monotonic())
        return await super().run_batch(argvs, timeout=timeout)


async def test_watch_rereads_xenstore_for_an_outside_mem_set_not_for_guest_data(
        lab: Lab) -> None:
    runner = CountingRunner(lab_target(lab), name="lab")
    runner.xs_reads = []
    poller = HostPoller("lab", runner, PollSettings(interval_s=2.0))
    latest: list[HostSnapshot] = []

    async def follow() -> None:
        async for snap in poller.snapshots():
            latest.append(snap)

    async def until(pred, timeout: float) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not (latest and pred(latest[-1])):
            assert time.monotonic() < deadline, latest[-1] if latest else "no snapshot"
            await asyncio.sleep(0.2)

    async def sh(command: str) -> None:
        r = await asyncio.to_thread(lab.ssh, command)
        assert r.returncode == 0, r.stderr

    task = asyncio.create_task(follow())
    original: int | None = None
    node = None
    try:
        await until(lambda s: s.status is HostStatus.OK and s.domain("db1") is not None
                    and s.domain("db1").mem_target_kib is not None, 90)  # type: ignore[union-attr]
        snap = latest[-1]
        idle1, db1 = snap.domain("idle1"), snap.domain("db1")
        assert idle1 is not None and idle1.domid is not None and db1 is not None
        original = db1.mem_target_kib
        assert original is not None
        await asyncio.sleep(5)  # the watch is registered and its first firings are over
        reads = len(runner.xs_reads)
        # a guest agent's kind of write, under a node xltop does not read: no re-read
        node = f"/local/domain/{idle1.domid}/data/xltop-test"
        for i in range(3):
            await sh(f"xenstore-write {node} {i}")
        await asyncio.sleep(2)
        assert len(runner.xs_reads) == reads
        # xl mem-set from outside xltop: the watch fires, the new target shows unasked
        new = original - 8 * 1024
        await sh(f"xl mem-set db1 {new}k")
        await until(lambda s: s.domain("db1").mem_target_kib == new, 30)  # type: ignore[union-attr]
        assert 1 <= len(runner.xs_reads) - reads <= 2
    finally:
        task.cancel()
        await poller.close()
        await runner.close()
        if original is not None:
            await sh(f"xl mem-set db1 {original}k")
        if node is not None:
            await sh(f"xenstore-rm {node}")
