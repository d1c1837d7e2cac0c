"""``xl console DOM`` on a simulated host: a busybox-like guest shell behind a PtySession.

Like xenconsole, it prints nothing on attach and detaches (exit 0) when a read from the
terminal is exactly the single byte Ctrl-] (0x1d); one console per domain at once (a second
fails, as xenconsole's lock file makes it). The guest echoes what is typed and
answers a few commands (``echo``, ``uname``, ``hostname``, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Callable

from collectors.sim.state import SimDomain, SimHost
from collectors.sim.xl_args import Io, XlExit, find_domain, getopt

DETACH = b"\x1d"
PROMPT = b"/ # "


class FinishedSession:
    """A terminal session whose process already ended (an error before attaching)."""

    def __init__(self, output: str, status: int) -> None:
        self._out = output.replace("\n", "\r\n").encode()
        self._status = status

    async def write(self, data: bytes) -> None:
        return None

    async def read(self, n: int = 65536) -> bytes:
        chunk, self._out = self._out[:n], self._out[n:]
        return chunk

    def resize(self, cols: int, rows: int) -> None:
        return None

    async def wait(self) -> int | None:
        return self._status

    async def close(self) -> None:
        self._out = b""


class GuestConsole:
    """An attached console: typed bytes go to the guest, its output comes back."""

    def __init__(self, host: SimHost, domid: int, advance: Callable[[], None],
                 cols: int, rows: int) -> None:
        self._host = host
        self._domid = domid
        self._advance = advance
        self._out = bytearray()
        self._line = bytearray()
        self._status: int | None = None
        self._ended = asyncio.Event()
        self._data = asyncio.Event()
        self.size = (cols, rows)
        host.console_locks.add(domid)

    def _domain(self) -> SimDomain | None:
        self._advance()
        return self._host.domains.get(self._domid)

    async def write(self, data: bytes) -> None:
        if self._ended.is_set():
            return
        if data == DETACH:
            self._finish(0)
            return
        d = self._domain()
        if d is None:
            self._finish(0)
            return
        if not d.active:
            return  # a paused or stopped guest reads nothing
        for b in data:
            self._key(d, b)
        self._wake()

    def _key(self, d: SimDomain, b: int) -> None:
        if b in (0x0D, 0x0A):
            self._out += b"\r\n"
            line = self._line.decode("utf-8", "replace")
            self._line.clear()
            self._out += self._answer(d, line)
            self._out += PROMPT
        elif b in (0x7F, 0x08):
            if self._line:
                del self._line[-1]
                self._out += b"\b \b"
        elif b == 0x03:
            self._line.clear()
            self._out += b"^C\r\n" + PROMPT
        elif b == 0x04 and not self._line:
            self._out += b"\r\n" + PROMPT  # the shell exits and init starts a new one
        elif b >= 0x20 or b == 0x09:
            self._line.append(b)
            self._out.append(b)
        else:  # the guest's tty echoes other control keys as ^X (ECHOCTL)
            self._out += b"^" + bytes([b + 0x40])

    def _answer(self, d: SimDomain, line: str) -> bytes:
        try:
            words = shlex.split(line)
        except ValueError:
            return b"sh: syntax error: unterminated quoted string\r\n"
        if not words:
            return b""
        cmd, args = words[0], words[1:]
        host = self._host
        if cmd == "echo":
            text = " ".join(args)
        elif cmd == "hostname":
            text = d.guest_hostname
        elif cmd == "uname":
            node = d.guest_hostname
            text = (f"Linux {node} {host.release} {host.kversion} x86_64 GNU/Linux"
                    if "-a" in args else "Linux")
        elif cmd == "pwd":
            text = "/"
        elif cmd == "whoami":
            text = "root"
        elif cmd == "ls":
            text = "bin   dev   init  lib   proc  sys   tmp"
        elif cmd in ("true", ":", "exit", "clear"):
            return b""
        elif cmd == "cat" and args == ["/proc/loadavg"]:
            text = "0.00 0.00 0.00 1/45 99"
        else:
            text = f"sh: {cmd}: not found"
        return text.encode("utf-8", "replace") + b"\r\n"

    def _wake(self) -> None:
        self._data.set()

    def _finish(self, status: int | None) -> None:
        if not self._ended.is_set():
            self._host.console_locks.discard(self._domid)
            self._status = status
            self._ended.set()
            self._wake()

    async def read(self, n: int = 65536) -> bytes:
        while True:
            if self._out:
                chunk = bytes(self._out[:n])
                del self._out[:n]
                return chunk
            if self._ended.is_set():
                return b""
            if self._domain() is None:
                self._finish(0)
                continue
            self._data.clear()
            with contextlib.suppress(TimeoutError):  # now and then: is the domain gone?
                await asyncio.wait_for(self._data.wait(), 0.25)

    def resize(self, cols: int, rows: int) -> None:
        self.size = (cols, rows)

    async def wait(self) -> int | None:
        await self._ended.wait()
        return self._status

    async def close(self) -> None:
        self._finish(None)


def open_console(
    host: SimHost, argv: list[str], advance: Callable[[], None], cols: int, rows: int
) -> GuestConsole | FinishedSession:
    """Start ``xl console ...`` (or anything else, which ends at once)."""
    if argv[:2] != ["xl", "console"]:
        name = argv[0] if argv else ""
        return FinishedSession(f"sh: 1: {name}: not found\n", 127)
    io = Io()
    try:
        domid = console_domid(host, io, argv[2:])
    except XlExit as exc:
        return FinishedSession("".join(io.out) + "".join(io.err), exc.code)
    return GuestConsole(host, domid, advance, cols, rows)


def console_domid(host: SimHost, io: Io, args: list[str]) -> int:
    """The domid ``xl console ARGS`` attaches to, or XlExit with xl's words for why not
    (the lab's, 2026-11-28: a type, a name, a domid that is not there)."""
    p = getopt(io, "console", args, "t:n:", {"type": ("t", True), "num": ("n", True)},
               required=1)
    kind = p.value("t")
    if kind is not None and kind not in ("pv", "serial", "vuart"):
        io.eprint("console type supported are: pv, serial, vuart\n")
        raise XlExit(1)
    domid = find_domain(io, host, p.args[0])
    if domid == 0:
        io.eprint("Can't specify Domain-0\n")
        raise XlExit(22)
    if domid not in host.domains:
        io.eprint("libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain "
                  f"type for domid={domid}\nUnable to attach console\n")
        raise XlExit(1)
    if domid in host.console_locks:  # xenconsole: err(errno, "Could not lock %s", ...)
        io.eprint(f"xenconsole: Could not lock /var/lock/xenconsole.{domid}: "
                  "Resource temporarily unavailable\n")
        raise XlExit(11)
    return domid


def cmd_console(host: SimHost, io: Io, argv: list[str]) -> int:
    """``xl console`` without a terminal (a batch): xl's refusals as on a terminal; a
    console that would attach needs one (the simulator's guests talk over a PtySession)."""
    console_domid(host, io, argv)
    io.eprint("xltop simulator: xl console needs a terminal (a PTY session)\n")
    return 1
