"""SshRunner against the real Xen 4.17 lab (skipped unless ../shared/xenlab is running)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from collectors.commands import (
    DOM0_PROC,
    DOM0_SAMPLE_END,
    MOUNT_DEBUGFS,
    RING_FILES,
    XL_INFO,
    XL_VCPU_LIST,
    dom0_stream,
)
from collectors.families import parse_result
from collectors.model import NetIfCounters
from collectors.parse.rings import RingDump
from collectors.transport.base import BatchTimeout, CommandResult
from collectors.transport.ssh import SshRunner
from collectors.transport.ssh_target import SshTarget

XENLAB = Path("/work/shared/xenlab/xenlab")

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab_target() -> SshTarget:
    if not XENLAB.exists():
        pytest.skip("no xenlab")
    try:
        status = subprocess.run([XENLAB, "status"], capture_output=True, text=True, timeout=30)
        env = subprocess.run([XENLAB, "env"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"xenlab not usable: {exc}")
    if not status.stdout.startswith("running"):
        pytest.skip(f"xenlab is not running: {status.stdout.strip()}")
    values = dict(line.split("=", 1) for line in env.stdout.splitlines() if "=" in line)
    return SshTarget(
        host=values["XENLAB_SSH_HOST"],
        port=int(values["XENLAB_SSH_PORT"]),
        user=values["XENLAB_SSH_USER"],
        key=values["XENLAB_SSH_KEY"],
        known_hosts=values["XENLAB_KNOWN_HOSTS"],
        ssh_config="/dev/null",
        connect_timeout=30,
        command_timeout=60,
    )


async def test_xl_list_and_a_batch_in_one_round_trip(lab_target: SshTarget) -> None:
    r = SshRunner(lab_target)
    try:
        listing = await r.run(["xl", "list"])
        assert listing.ok, listing.stderr
        names = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line.strip()]
        assert listing.stdout.split()[:2] == ["Name", "ID"]
        assert "Domain-0" in names and {"web1", "db1", "idle1"} <= set(names)
        info, vcpus = await r.run_batch([XL_INFO, XL_VCPU_LIST])
        # one round trip: both results come from the same channel, timed together
        assert info.duration_s == vcpus.duration_s
        # the link's latency (channel open and exec), a part of the round trip
        assert r.last_rtt_s is not None and 0 < r.last_rtt_s < info.duration_s
        assert info.ok and vcpus.ok, (info.stderr, vcpus.stderr)
        assert any(line.startswith("xen_version") for line in info.stdout.splitlines())
        assert vcpus.stdout.split()[:3] == ["Name", "ID", "VCPU"]
        assert "Domain-0" in vcpus.stdout and info.argv == XL_INFO
        canary = "/tmp/xltop-transport-canary"
        failing = await r.run(["xl", "domid", f"no-such-domain-$(touch {canary})"])
        assert failing.exit_code != 0  # the name arrived literally...
        assert (await r.run(["test", "-e", canary])).exit_code == 1  # ...and ran nothing
    finally:
        await r.close()


async def test_a_batch_cut_short_on_dom0_keeps_what_finished(lab_target: SshTarget) -> None:
    """Real Dom0's sh (dash) and OpenSSH: a command that hangs ends the round trip after
    the timeout and is stopped, xl info, which ended before it, still counts, and the
    connection stays."""
    r = SshRunner(lab_target)
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        with pytest.raises(BatchTimeout,
                           match=r"sleep 600 did not finish within 8 s \(stopped\)") as cut:
            await r.run_batch([XL_INFO, ["sleep", "600"], XL_VCPU_LIST], timeout=8.0)
        assert loop.time() - started < 40
        info, hung, vcpus = cut.value.results
        assert hung is None and vcpus is None
        assert info is not None and info.ok and "xen_version" in info.stdout
        assert info.ended_early_s is not None and info.ended_early_s >= 7.0
        assert (await r.run(["xl", "list"])).ok
        # nothing of it is left running in Dom0
        assert (await r.run(["pgrep", "-f", "sleep 600"])).exit_code == 1
    finally:
        await r.run(["pkill", "-x", "-f", "sleep 600"])
        await r.close()


async def test_the_dom0_stream_samples_every_second_and_ends_with_its_channel(
    lab_target: SshTarget,
) -> None:
    """commands.dom0_stream(1, rings=True) on real Dom0 (Debian: its perl reader): samples
    parse, come about once per second, hold the same rings as a RING_FILES round trip, and
    the reader is gone from Dom0 soon after xltop closes the channel."""
    r = SshRunner(lab_target)
    try:
        await r.run(list(MOUNT_DEBUGFS))
        stream = await r.stream(dom0_stream(1, rings=True))
        samples: list[list[str]] = []
        cur: list[str] = []
        arrived: list[float] = []
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(20):
            while len(samples) < 3:
                line = await stream.readline(timeout=None)
                assert line is not None, await stream.stderr_text()
                if line != DOM0_SAMPLE_END:
                    cur.append(line)
                else:
                    samples.append(cur)
                    arrived.append(loop.time())
                    cur = []
        ps = await r.run(["ps", "-eo", "args"])
        readers = [line for line in ps.stdout.splitlines() if "/proc/net/dev" in line]
        assert any(line.startswith("perl -e") for line in readers), readers
        await stream.close()
        trip = cast(RingDump, parse_result("lab", "rings", await r.run(list(RING_FILES))))
        for sample in samples:
            cut = next(i for i, line in enumerate(sample) if line.startswith("==> "))
            load, ifaces = cast(tuple[Any, list[NetIfCounters]], parse_result(
                "lab", "dom0", CommandResult(DOM0_PROC, 0, "\n".join(sample[:cut]) + "\n",
                                             "", 0.0)))
            assert len(load) == 3
            names = {i.name for i in ifaces}
            assert "lo" in names and any(n.startswith("vif") for n in names), names
            dump = cast(RingDump, parse_result("lab", "rings", CommandResult(
                RING_FILES, 0, "".join(line + "\n" for line in sample[cut:]), "", 0.0)))
            assert not dump.errors, dump.errors
            # the guests' vifs (web1: 1, db1: 2) and vbds, as a round trip reads them
            assert set(dump.netback) == set(trip.netback) and len(dump.netback) >= 3
            assert set(dump.blkback) == set(trip.blkback) and dump.blkback
            for queues in dump.netback.values():
                assert all(q.tx is not None and q.tx.nr_ents for q in queues), queues
            assert all("oo_req" in v for v in dump.blkback.values())
        gaps = [b - a for a, b in zip(arrived, arrived[1:], strict=False)]
        assert all(0.5 < g < 3.0 for g in gaps), gaps
        # the channel's end stops the reader (STOP_WITH_CHANNEL): no perl or sh loop left
        for _ in range(20):
            ps = await r.run(["ps", "-eo", "args"])
            if not any("/proc/net/dev" in line for line in ps.stdout.splitlines()):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"the Dom0 reader outlived its channel:\n{ps.stdout}")
    finally:
        await r.close()


async def test_the_dom0_stream_brings_rings_with_every_kth_sample_on_real_dom0(
    lab_target: SshTarget,
) -> None:
    """dom0_stream(1, rings=True, rings_every=2) on real Dom0 (the Rings view of a big
    fleet): every sample has /proc's counters, samples 0, 2, 4 the netback ring files."""
    r = SshRunner(lab_target)
    try:
        await r.run(list(MOUNT_DEBUGFS))
        stream = await r.stream(dom0_stream(1, rings=True, rings_every=2))
        samples: list[list[str]] = [[]]
        async with asyncio.timeout(20):
            while len(samples) <= 5:
                line = await stream.readline(timeout=None)
                assert line is not None, await stream.stderr_text()
                if line == DOM0_SAMPLE_END:
                    samples.append([])
                else:
                    samples[-1].append(line)
        await stream.close()
        with_rings = [i for i, s in enumerate(samples[:5])
                      if any(ln.startswith("==> /sys/kernel/debug/xen-netback/") for ln in s)]
        assert with_rings == [0, 2, 4], [len(s) for s in samples]
        for sample in samples[:5]:
            cut = next((i for i, ln in enumerate(sample) if ln.startswith("==> ")), len(sample))
            load, ifaces = cast(tuple[Any, list[NetIfCounters]], parse_result(
                "lab", "dom0", CommandResult(DOM0_PROC, 0, "\n".join(sample[:cut]) + "\n",
                                             "", 0.0)))
            assert len(load) == 3 and any(i.name.startswith("vif") for i in ifaces)
    finally:
        await r.close()
