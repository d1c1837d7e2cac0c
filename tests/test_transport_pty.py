"""open_pty on both runners: a real shell on a real pseudo-terminal, resized live."""

from __future__ import annotations

import asyncio
import re

import pytest

from collectors.transport.local import LocalRunner
from collectors.transport.pty import PtyRunner, PtySession
from collectors.transport.ssh import SshRunner
from tests.sshd import SshEnv

pytest_plugins = ["tests.sshd"]  # the client_key and ssh_env fixtures

pytestmark = pytest.mark.slow


async def _read_until(session: PtySession, pattern: bytes, timeout: float = 5.0) -> bytes:
    """Terminal output up to and including the first match of ``pattern``."""
    buf = b""
    async with asyncio.timeout(timeout):
        while not re.search(pattern, buf):
            chunk = await session.read(4096)
            if not chunk:
                raise AssertionError(f"EOF before {pattern!r}; got {buf!r}")
            buf += chunk
    return buf


async def _exercise(runner: PtyRunner) -> None:
    session = await runner.open_pty(["sh"], term="xterm-256color", cols=80, rows=24)
    assert isinstance(session, PtySession)
    try:
        await session.write(b"echo hi\n")
        # the terminal echoes what was typed ("echo hi"); the output "hi" follows a prompt
        await _read_until(session, rb"(?<!echo )hi\r\n")
        await session.write(b"stty size; echo T=$TERM; echo x$((40+2))\n")
        out = await _read_until(session, rb"x42\r\n")
        assert b"24 80\r\n" in out and b"T=xterm-256color\r\n" in out
        session.resize(100, 30)
        await session.write(b"stty size; echo y$((40+2))\n")
        assert b"30 100\r\n" in await _read_until(session, rb"y42\r\n")
        await session.write(b"exit 3\n")
        assert await asyncio.wait_for(session.wait(), 5) == 3
    finally:
        await session.close()


async def test_local_pty() -> None:
    runner = LocalRunner()
    await _exercise(runner)
    await runner.close()


async def test_ssh_pty(ssh_env: SshEnv) -> None:
    runner = SshRunner(ssh_env.target())
    try:
        await _exercise(runner)
    finally:
        await runner.close()


async def test_local_pty_gets_sigwinch_as_controlling_terminal() -> None:
    runner = LocalRunner()
    session = await runner.open_pty(
        ["sh", "-c", "trap 'stty size' WINCH; echo ready; while :; do sleep 0.05; done"],
        term="vt100", cols=80, rows=24,
    )
    try:
        await _read_until(session, rb"ready\r\n")
        session.resize(132, 43)
        assert b"43 132" in await _read_until(session, rb"43 132")
    finally:
        await session.close()
        await runner.close()


async def test_close_ends_the_process_and_read_hits_eof() -> None:
    runner = LocalRunner()
    session = await runner.open_pty(["sleep", "30"], term="xterm", cols=80, rows=24)
    await asyncio.sleep(0.3)  # let it start
    await runner.close()  # closes open terminals too
    assert await asyncio.wait_for(session.wait(), 5) is None  # hung up (SIGHUP)
    assert await session.read() == b""


async def test_missing_program_on_local_pty() -> None:
    runner = LocalRunner()
    session = await runner.open_pty(["no-such-console"], term="xterm", cols=80, rows=24)
    out = await _read_until(session, rb"command not found")
    assert b"no-such-console: command not found" in out
    assert await session.wait() == 127
    await session.close()


@pytest.mark.parametrize(
    ("term", "cols", "rows"), [("", 80, 24), ("xterm; rm", 80, 24), ("xterm", 0, 24),
                               ("xterm", 80, 10**6), ("x\n", 80, 24)]
)
async def test_bad_terminal_requests_are_refused(term: str, cols: int, rows: int) -> None:
    with pytest.raises(ValueError):
        await LocalRunner().open_pty(["sh"], term=term, cols=cols, rows=rows)
