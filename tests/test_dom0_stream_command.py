"""commands.dom0_stream run by a real /bin/sh, with and without perl on the PATH: both
branches give the same samples (DOM0_PROC's output, then DOM0_SAMPLE_END) every interval.
(No Xen here, so no ring files: the lab test reads them.)"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any, cast

import pytest

from collectors import commands as cmd
from collectors.families import parse_result
from collectors.model import NetIfCounters
from collectors.transport.base import CommandResult

pytestmark = pytest.mark.skipif(not Path("/proc/net/dev").exists(), reason="needs Linux /proc")


async def _samples(path: str, count: int, rings: bool) -> tuple[list[str], float]:
    """The first ``count`` samples of the stream, and how long they took."""
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", cmd.dom0_stream(1, rings=rings)[2], stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PATH": path})
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    samples: list[str] = []
    cur: list[str] = []
    try:
        async with asyncio.timeout(15):
            while len(samples) < count:
                line = (await proc.stdout.readline()).decode()
                assert line, "the stream ended"
                if line.rstrip("\n") != cmd.DOM0_SAMPLE_END:
                    cur.append(line)
                else:
                    samples.append("".join(cur))
                    cur = []
    finally:
        proc.kill()
        await proc.wait()
    return samples, loop.time() - t0


def _parsed(text: str) -> tuple[Any, list[NetIfCounters]]:
    return cast(tuple[Any, list[NetIfCounters]],
                parse_result("local", "dom0", CommandResult(cmd.DOM0_PROC, 0, text, "", 0.0)))


@pytest.mark.parametrize("rings", [False, True])
@pytest.mark.parametrize("with_perl", [True, False])
async def test_both_branches_sample_dom0_every_interval(
    tmp_path: Path, with_perl: bool, rings: bool
) -> None:
    tools = {"cat", "sleep", "head"} | ({"perl"} if with_perl else set())
    for tool in tools:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"no {tool} here")
        (tmp_path / tool).symlink_to(found)
    samples, took = await _samples(str(tmp_path), 3, rings)
    assert 1.5 < took < 6.0, took  # at once, then one a second
    names = {i.name for i in _parsed(samples[0])[1]}
    assert "lo" in names
    for text in samples:
        load, ifaces = _parsed(text)
        assert len(load) == 3 and {i.name for i in ifaces} == names


async def test_without_cat_or_perl_the_stream_ends(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", cmd.dom0_stream(1)[2], stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PATH": str(tmp_path)})
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode != 0 and out == b"" and b"cat" in err


@pytest.mark.parametrize("with_perl", [True, False])
async def test_rings_every_k_come_with_the_first_sample_and_every_kth_after(
    tmp_path: Path, with_perl: bool
) -> None:
    # the ring globs point at files made here (no Xen), and the period is shortened; the
    # rest is the real script, run by the real sh or perl
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in {"cat", "sleep", "head"} | ({"perl"} if with_perl else set()):
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"no {tool} here")
        (tools / tool).symlink_to(found)
    for q in (0, 1):
        (tmp_path / f"io_ring_q{q}").write_text(f"queue {q}\n")
    script = (cmd.dom0_stream(1, rings=True, rings_every=3)[2]
              .replace(cmd._RING_GLOBS, f"{tmp_path}/io_ring_q*")
              .replace("sleep 1 }", "select(undef, undef, undef, 0.1) }")
              .replace("sleep 1;", "sleep 0.1;"))
    proc = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", script, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PATH": str(tools)})
    assert proc.stdout is not None
    samples: list[list[str]] = [[]]
    try:
        async with asyncio.timeout(15):
            while len(samples) <= 7:
                raw = await proc.stdout.readline()
                assert raw, "the stream ended"
                line = raw.decode().rstrip("\n")
                if line == cmd.DOM0_SAMPLE_END:
                    samples.append([])
                else:
                    samples[-1].append(line)
    finally:
        proc.kill()
        await proc.wait()
    with_rings = [i for i, s in enumerate(samples[:7])
                  if f"==> {tmp_path}/io_ring_q1 <==" in s]
    assert with_rings == [0, 3, 6]
    for sample in samples[:7]:
        cut = next((i for i, line in enumerate(sample) if line.startswith("==> ")), len(sample))
        load, ifaces = _parsed("\n".join(sample[:cut]) + "\n")
        assert len(load) == 3 and "lo" in {i.name for i in ifaces}
