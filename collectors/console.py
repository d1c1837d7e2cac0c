"""Bridge the local terminal to ``xl console DOMAIN`` on a host's pseudo-terminal.

The local tty goes into raw mode; keystrokes go to the remote PTY, its output to stdout;
SIGWINCH forwards the new size. Ctrl-] (0x1d) detaches: it is sent alone (xenconsole
exits when it reads it alone) and, if the remote does not end within a grace period,
the session is closed locally. The terminal is always restored. The TUI calls
:func:`attach_console` inside ``App.suspend()``; ``xltop do HOST DOM console`` calls it
directly.

xenconsole prints nothing when it attaches, and fails at once when it cannot (another
session holds the console's lock, Domain-0, no console): what the remote prints in its
first ``settle_s`` is held back, and only if it is still running then is the console taken
as attached (``on_attached`` is called, the held output shown). A console that ended before
never reaches the terminal raw: its outcome's message quotes what it said.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import termios
import tty
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from collectors.transport.base import Runner, TransportError
from collectors.transport.pty import PtyRunner, PtySession

DETACH = b"\x1d"  # Ctrl-]
ConsoleEnd = Literal[
    "detached", "ended", "in-use", "no-console", "domain-gone", "connection-lost", "failed"
]
_TAIL_BYTES = 8192


@dataclass(frozen=True, slots=True)
class ConsoleOutcome:
    kind: ConsoleEnd
    message: str
    exit_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind in ("detached", "ended")


def console_argv(target: str) -> tuple[str, ...]:
    return ("xl", "console", target)


async def domain_alive(runner: Runner, target: str) -> bool | None:
    """Whether ``xl list TARGET`` still finds the domain (None when the host can't say)."""
    try:
        r = await runner.run(("xl", "list", target), timeout=15)
    except TransportError:
        return None
    return r.exit_code == 0


async def attach_console(
    runner: PtyRunner,
    argv: Sequence[str],
    *,
    stdin_fd: int = 0,
    stdout_fd: int = 1,
    term: str | None = None,
    alive: Callable[[], Awaitable[bool | None]] | None = None,
    detach_grace_s: float = 1.5,
    on_attached: Callable[[], None] | None = None,
    settle_s: float = 0.5,
) -> ConsoleOutcome:
    """Attach until Ctrl-] or the console ends; never raises for the remote's behaviour.

    ``on_attached`` is called (on the terminal, in raw mode) once the console is attached:
    the remote still runs ``settle_s`` after it started; never when it ended before."""
    loop = asyncio.get_running_loop()
    cols, rows = terminal_size(stdout_fd)
    try:
        session = await runner.open_pty(
            tuple(argv), term=term or _term(), cols=cols, rows=rows
        )
    except TransportError as e:
        return ConsoleOutcome("connection-lost", f"cannot open the console: {e.message}")
    except (OSError, ValueError) as e:
        return ConsoleOutcome("failed", f"cannot open the console: {e}")

    bridge = _Bridge(session, stdin_fd, stdout_fd, on_attached)
    try:
        loop.add_reader(stdin_fd, bridge.on_stdin)
    except (OSError, ValueError) as e:  # a regular file or a closed fd cannot be watched
        with contextlib.suppress(TransportError, OSError):
            await session.close()
        return ConsoleOutcome("failed", f"cannot read keystrokes from fd {stdin_fd}: {e}")
    saved = _raw(stdin_fd)
    restore_winch = _on_winch(loop, lambda: bridge.resize())
    out_task = asyncio.create_task(bridge.pump_output())
    in_task = asyncio.create_task(bridge.pump_input())
    settled = loop.call_later(settle_s, bridge.go_live)
    try:
        detach_wait = asyncio.create_task(bridge.detach.wait())
        await asyncio.wait({out_task, detach_wait}, return_when=asyncio.FIRST_COMPLETED)
        detach_wait.cancel()
        if bridge.detach.is_set() and not out_task.done():
            with contextlib.suppress(TimeoutError):  # give xenconsole time to exit on its own
                await asyncio.wait_for(asyncio.shield(out_task), detach_grace_s)
    finally:
        settled.cancel()
        loop.remove_reader(stdin_fd)
        restore_winch()
        _restore(stdin_fd, saved)
        in_task.cancel()
        if not out_task.done():
            out_task.cancel()
        await asyncio.gather(in_task, out_task, return_exceptions=True)
    outcome = await _outcome(bridge, session, out_task, alive)
    if not bridge.live and outcome.ok and bridge.held:  # (detached at once: not lost)
        with contextlib.suppress(OSError):
            _write_all(stdout_fd, bytes(bridge.held))
    return outcome


class _Bridge:
    def __init__(self, session: PtySession, stdin_fd: int, stdout_fd: int,
                 on_attached: Callable[[], None] | None = None) -> None:
        self.session = session
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.on_attached = on_attached
        self.detach = asyncio.Event()
        self.keys: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.tail = bytearray()
        self.held = bytearray()  # the output before the console is taken as attached
        self.live = False
        self.ended = False
        self.lost: TransportError | None = None

    def go_live(self) -> None:
        """The remote still runs after the settle time: it attached."""
        if self.live or self.ended:
            return
        self.live = True
        if self.on_attached is not None:
            self.on_attached()
        held, self.held = bytes(self.held), bytearray()
        if held:
            with contextlib.suppress(OSError):
                _write_all(self.stdout_fd, held)

    def on_stdin(self) -> None:
        try:
            data = os.read(self.stdin_fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # end of input: nothing more can be typed, so leave
            asyncio.get_running_loop().remove_reader(self.stdin_fd)
            self.keys.put_nowait(None)
            return
        self.keys.put_nowait(data)

    async def pump_input(self) -> None:
        while True:
            data = await self.keys.get()
            try:
                if data is None or DETACH in data:
                    before = b"" if data is None else data.split(DETACH, 1)[0]
                    if before:
                        await self.session.write(before)
                    await self.session.write(DETACH)  # alone, as xenconsole wants it
                    self.detach.set()
                    return
                await self.session.write(data)
            except TransportError as e:
                self.lost = e
                self.detach.set()
                return
            except OSError:  # the console is already gone; the output side will tell why
                return

    async def pump_output(self) -> None:
        while True:
            try:
                data = await self.session.read()
            except TransportError as e:
                self.lost = e
                return
            if not data:
                self.ended = True
                return
            self.tail += data
            del self.tail[:-_TAIL_BYTES]
            if not self.live:
                self.held += data
                continue
            await asyncio.to_thread(_write_all, self.stdout_fd, data)

    def resize(self) -> None:
        cols, rows = terminal_size(self.stdout_fd)
        with contextlib.suppress(OSError, TransportError, ValueError):
            self.session.resize(cols, rows)


async def _outcome(
    bridge: _Bridge,
    session: PtySession,
    out_task: asyncio.Task[None],
    alive: Callable[[], Awaitable[bool | None]] | None,
) -> ConsoleOutcome:
    ended = out_task.done() and not out_task.cancelled()
    code: int | None = None
    if ended:
        with contextlib.suppress(TimeoutError, TransportError, OSError):
            code = await asyncio.wait_for(session.wait(), 2.0)
    with contextlib.suppress(TransportError, OSError):
        await session.close()
    text = bytes(bridge.tail).decode("utf-8", "replace")
    # (ended before it attached: its words were never shown, so the message has them all)
    said = _last_line(text) if bridge.live else _all_lines(text)
    if bridge.lost is not None:
        return ConsoleOutcome("connection-lost",
                              f"connection dropped while attached: {bridge.lost.message}", code)
    if "Could not lock" in text:
        return ConsoleOutcome("in-use", f"the console is in use by another session ({said})",
                              code)
    if "Can't specify Domain-0" in text or code == 22:
        return ConsoleOutcome("no-console", "Domain-0 has no console to attach (xl: "
                              f"{said or 'exit 22'})", code)
    if bridge.detach.is_set():
        return ConsoleOutcome("detached", "detached from the console", code)
    if "Unable to attach console" in text or "invalid domain identifier" in text:
        return ConsoleOutcome("no-console", f"no console to attach: {said}", code)
    if alive is not None and await alive() is False:
        return ConsoleOutcome("domain-gone", "the domain died while attached", code)
    if code not in (0, None):
        return ConsoleOutcome("failed", f"xl console exited with {code}: {said}", code)
    return ConsoleOutcome("ended", "the console closed", code)


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.replace("\r", "\n").split("\n") if ln.strip()]


def _last_line(text: str) -> str:
    lines = _lines(text)
    return lines[-1][:300] if lines else ""


def _all_lines(text: str) -> str:
    joined = "; ".join(_lines(text))
    return joined if len(joined) <= 600 else joined[:599] + "…"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:  # someone made the tty non-blocking: wait until it drains
            select.select([], [fd], [], 1.0)
            continue
        view = view[n:]


def terminal_size(fd: int) -> tuple[int, int]:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 80, 24
    return max(1, size.columns), max(1, size.lines)


def _term() -> str:
    t = os.environ.get("TERM", "")
    return t if t and t != "dumb" else "xterm"


_TermAttrs = list[Any]  # termios.tcgetattr's list


def _raw(fd: int) -> _TermAttrs | None:
    if not os.isatty(fd):
        return None
    saved: _TermAttrs = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    return saved


def _restore(fd: int, saved: _TermAttrs | None) -> None:
    if saved is not None:
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _on_winch(loop: asyncio.AbstractEventLoop, cb: Callable[[], None]) -> Callable[[], None]:
    """Call ``cb`` on the loop at every SIGWINCH; returns how to put the old handler back."""
    try:
        previous = signal.getsignal(signal.SIGWINCH)
        signal.signal(signal.SIGWINCH, lambda _s, _f: loop.call_soon_threadsafe(cb))
    except ValueError:  # not the main thread: no resize forwarding
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGWINCH, previous if previous is not None else signal.SIG_DFL)

    return restore
