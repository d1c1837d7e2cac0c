"""The console bridge through a real pseudo-terminal (pexpect drives a driver script)."""

from __future__ import annotations

import asyncio
import os
import sys
import termios
from collections.abc import Iterator, Sequence
from pathlib import Path

import pexpect
import pytest

from collectors.console import attach_console, console_argv, domain_alive
from collectors.sim.fleet import make_lab_like_host, sim_runners
from collectors.transport.base import ConnectError, ConnectionLost

SCRIPTS = Path(__file__).parent / "console_scripts"
DRIVER = str(SCRIPTS / "bridge_driver.py")

pytestmark = pytest.mark.slow


def spawn(*args: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, [DRIVER, *args], timeout=15, dimensions=(24, 80),
                          env={**os.environ, "TERM": "xterm"})
    return child


def cooked(child: pexpect.spawn) -> bool:
    """The bridge's terminal is back in cooked mode (echo and canonical input on)."""
    lflag = termios.tcgetattr(child.child_fd)[3]
    return bool(lflag & termios.ICANON and lflag & termios.ECHO)


def test_echo_and_detach_three_times_in_a_row() -> None:
    child = spawn("local", "3", "shell", "alive")
    for i in range(3):
        child.expect(f"ATTACH {i}")
        child.expect_exact("/ # ")
        child.send("echo hel''lo\r")  # the typed line differs from the answer
        child.expect_exact("hel''lo")
        child.expect_exact("\r\nhel''lo\r\n")
        child.send("\x1d")
        child.expect(f"OUTCOME {i} detached: detached from the console")
    child.expect("DONE")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_terminal_is_raw_while_attached_and_restored_after() -> None:
    child = spawn("local", "1", "shell", "alive")
    child.expect_exact("/ # ")
    assert not cooked(child)  # raw: keystrokes go straight through
    child.send("\x03")  # Ctrl-C goes to the console, it does not kill the bridge
    child.send("\recho still\r")
    child.expect_exact("\r\nstill\r\n")
    child.send("\x1d")
    child.expect("OUTCOME 0 detached")
    assert cooked(child)  # restored before the driver printed the outcome
    child.expect("DONE")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_detach_when_the_remote_ignores_ctrl_bracket() -> None:
    child = spawn("local", "2", "stubborn", "alive")
    for i in range(2):
        child.expect_exact("/ # ")
        child.send("\x1d")
        child.expect(f"OUTCOME {i} detached")
    child.expect("DONE")


def test_resize_is_forwarded() -> None:
    child = spawn("local", "1", "shell", "alive")
    child.expect_exact("/ # ")
    child.send("size\r")
    child.expect_exact("80x24")
    child.setwinsize(40, 132)
    child.expect_exact("[size 132x40]")
    child.send("size\r")
    child.expect_exact("132x40")
    child.send("\x1d")
    child.expect("OUTCOME 0 detached")


def test_detach_byte_inside_typed_text_still_detaches() -> None:
    child = spawn("local", "1", "shell", "alive")
    child.expect_exact("/ # ")
    child.send("echo a\x1d")
    child.expect("OUTCOME 0 detached")
    child.expect("DONE")


@pytest.mark.parametrize(
    ("mode", "alive", "kind", "text"),
    [
        ("locked", "alive", "in-use", "the console is in use by another session (xenconsole: "
         "Could not lock /var/lock/xenconsole.2"),
        ("dom0", "alive", "no-console", "Domain-0 has no console"),
        ("dies", "gone", "domain-gone", "the domain died while attached"),
        ("dies", "alive", "ended", "the console closed"),
    ],
)
def test_clear_messages(mode: str, alive: str, kind: str, text: str) -> None:
    child = spawn("local", "1", mode, alive)
    if mode == "dies":
        child.expect_exact("/ # ")
        child.send("echo bye\r")
    child.expect(f"OUTCOME 0 {kind}: ")
    child.expect_exact(text)
    child.expect("DONE")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_simulated_console_three_times_in_a_row() -> None:
    """The bridge against SimRunner.open_pty (the demo fleet's consoles)."""
    child = spawn("sim", "3", "idle1")
    for i in range(3):
        child.expect(f"ATTACH {i}")
        child.send("echo hel''lo\r")
        child.expect_exact("\r\nhello\r\n")
        child.send("\x1d")
        child.expect(f"OUTCOME {i} detached: detached from the console")
    child.expect("DONE")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.parametrize(("domain", "kind", "text"), [
    ("Domain-0", "no-console", "Domain-0 has no console"),
    ("nosuch", "no-console", "nosuch is an invalid domain identifier"),
])
def test_simulated_console_errors(domain: str, kind: str, text: str) -> None:
    child = spawn("sim", "1", domain)
    child.expect(f"OUTCOME 0 {kind}: ")
    child.expect_exact(text)
    child.expect("DONE")


# --- in process, with pipes for the terminal --------------------------------------------


class Pipes:
    def __init__(self) -> None:
        self.in_r, self.in_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        os.set_blocking(self.out_r, False)
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.in_w, data)

    async def expect(self, data: bytes, timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while data not in self.seen:
            assert loop.time() < end, f"{data!r} not in {self.seen!r}"
            try:
                self.seen += os.read(self.out_r, 4096)
            except BlockingIOError:
                await asyncio.sleep(0.01)

    def close(self) -> None:
        for fd in (self.in_r, self.in_w, self.out_r, self.out_w):
            os.close(fd)


@pytest.fixture
def pipes() -> Iterator[Pipes]:
    p = Pipes()
    yield p
    p.close()


async def test_domain_destroyed_while_attached(pipes: Pipes) -> None:
    runner = sim_runners([make_lab_like_host()])["xenlab"]
    task = asyncio.create_task(attach_console(
        runner, console_argv("2"), stdin_fd=pipes.in_r, stdout_fd=pipes.out_w,
        alive=lambda: domain_alive(runner, "2")))
    pipes.type(b"echo hi\r")
    await pipes.expect(b"\r\nhi\r\n")
    assert (await runner.run(["xl", "destroy", "idle1"])).exit_code == 0
    outcome = await asyncio.wait_for(task, 5)
    assert (outcome.kind, outcome.message) == ("domain-gone", "the domain died while attached")


class LostSession:
    async def write(self, data: bytes) -> None:
        return None

    async def read(self, n: int = 65536) -> bytes:
        await asyncio.sleep(0.05)
        raise ConnectionLost("lab", "connection reset by peer")

    def resize(self, cols: int, rows: int) -> None:
        return None

    async def wait(self) -> int | None:
        return None

    async def close(self) -> None:
        return None


class LostRunner:
    async def open_pty(self, argv: Sequence[str], *, term: str, cols: int,
                       rows: int) -> LostSession:
        return LostSession()


class RefusingRunner:
    async def open_pty(self, argv: Sequence[str], *, term: str, cols: int,
                       rows: int) -> LostSession:
        raise ConnectError("lab", "no SSH answer from lab within 10 s")


async def test_connection_dropped_while_attached(pipes: Pipes) -> None:
    outcome = await attach_console(LostRunner(), console_argv("2"), stdin_fd=pipes.in_r,
                                   stdout_fd=pipes.out_w)
    assert outcome.kind == "connection-lost"
    assert outcome.message == "connection dropped while attached: connection reset by peer"
    outcome = await attach_console(RefusingRunner(), console_argv("2"), stdin_fd=pipes.in_r,
                                   stdout_fd=pipes.out_w)
    assert outcome.kind == "connection-lost" and "no SSH answer" in outcome.message


async def test_stdin_end_detaches(pipes: Pipes) -> None:
    runner = sim_runners([make_lab_like_host()])["xenlab"]
    os.close(pipes.in_w)
    pipes.in_w = os.open(os.devnull, os.O_RDONLY)  # keep close() balanced
    outcome = await asyncio.wait_for(attach_console(
        runner, console_argv("idle1"), stdin_fd=pipes.in_r, stdout_fd=pipes.out_w), 5)
    assert outcome.kind == "detached"
