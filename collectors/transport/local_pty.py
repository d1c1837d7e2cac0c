"""A local process on a fresh pseudo-terminal (pty.openpty + subprocess, event-loop I/O)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import signal
import struct
import sys
import termios

# Runs in the child between fork and the real exec: makes the pty slave (fd 0) the
# controlling terminal of the new session, so resizes deliver SIGWINCH, then execs argv.
_CTTY_SHIM = """\
import fcntl, os, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
try:
    os.execvp(sys.argv[1], sys.argv[1:])
except FileNotFoundError:
    sys.stderr.write(sys.argv[1] + ": command not found\\r\\n")
    os._exit(127)
except OSError as exc:
    sys.stderr.write(sys.argv[1] + ": " + (exc.strerror or str(exc)) + "\\r\\n")
    os._exit(126)
"""

_READ_CHUNK = 65536
_MAX_BUFFERED = 1 << 20


def set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class LocalPtySession:
    """Implements PtySession for a local child process."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int) -> None:
        self._proc = proc
        self._master = master
        self._loop = asyncio.get_running_loop()
        self._buf = bytearray()
        self._eof = False
        self._closed = False
        self._data = asyncio.Event()
        os.set_blocking(master, False)
        self._loop.add_reader(master, self._on_readable)

    @classmethod
    async def start(
        cls, argv: tuple[str, ...], *, term: str, cols: int, rows: int
    ) -> LocalPtySession:
        master, slave = pty.openpty()
        try:
            set_winsize(master, cols, rows)
            env = dict(os.environ, TERM=term)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-I", "-S", "-c", _CTTY_SHIM, *argv,
                stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # only the child holds the slave: its exit gives us EOF
        return cls(proc, master)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, _READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: every holder of the slave side has closed it
            if exc.errno not in (errno.EIO, errno.EBADF):
                raise
            data = b""
        if data:
            self._buf += data
            if len(self._buf) >= _MAX_BUFFERED:  # nobody reads: stop until they do
                self._loop.remove_reader(self._master)
        else:
            self._eof = True
            self._loop.remove_reader(self._master)
        self._data.set()

    async def read(self, n: int = _READ_CHUNK) -> bytes:
        while not self._buf and not self._eof and not self._closed:
            self._data.clear()
            await self._data.wait()
        if not self._buf:
            return b""
        paused = len(self._buf) >= _MAX_BUFFERED
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        if paused and not self._eof and not self._closed:
            self._loop.add_reader(self._master, self._on_readable)
        return chunk

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._closed:
            try:
                sent = os.write(self._master, view)
            except BlockingIOError:
                await self._writable()
                continue
            view = view[sent:]
        if view:
            raise OSError(errno.EIO, "terminal is closed")

    async def _writable(self) -> None:
        ready: asyncio.Future[None] = self._loop.create_future()

        def on_writable() -> None:
            if not ready.done():
                ready.set_result(None)

        self._loop.add_writer(self._master, on_writable)
        try:
            await ready
        finally:
            self._loop.remove_writer(self._master)

    def resize(self, cols: int, rows: int) -> None:
        if not self._closed:
            set_winsize(self._master, cols, rows)

    async def wait(self) -> int | None:
        rc = await self._proc.wait()
        return rc if rc >= 0 else None

    async def close(self, grace_s: float = 1.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._data.set()
        self._loop.remove_reader(self._master)
        os.close(self._master)  # hangs up the terminal: the session leader gets SIGHUP
        await end_process_group(self._proc, grace_s)


async def end_process_group(proc: asyncio.subprocess.Process, grace_s: float) -> None:
    """SIGTERM the child's process group, SIGKILL it if it is still there after grace_s."""
    if proc.returncode is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 0.05)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace_s)
    if proc.returncode is None:
        await proc.wait()
