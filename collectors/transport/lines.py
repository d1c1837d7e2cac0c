"""Turning a byte stream into text lines, shared by the local and SSH line streams."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NamedTuple, cast

MAX_LINE_BYTES = 1 << 20
"""A line longer than this is cut into pieces of this size (a runaway host can't eat memory)."""
MAX_OUTPUT_BYTES = 64 << 20
"""A command's stdout or stderr beyond this is not read: the command fails instead
(``xenstore-ls -f`` of a thousand domains is a few tens of MiB)."""
_READ_SIZE = 1 << 20


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class LineBuffer:
    """Bytes in, complete lines out (UTF-8, undecodable bytes replaced)."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_line

    def feed(self, data: bytes) -> None:
        self._buf += data

    def pop_line(self) -> str | None:
        """The next complete line without its newline, or None if there is none yet."""
        end = self._buf.find(b"\n", 0, self._max + 1)
        if end < 0:
            if len(self._buf) < self._max:
                return None
            piece = bytes(self._buf[: self._max])
            del self._buf[: self._max]
            return decode(piece)
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        return decode(line)

    def pop_lines(self) -> list[str]:
        """Every complete line buffered (decoded in one go), oldest first; [] if none."""
        end = self._buf.rfind(b"\n")
        if end < 0 or end > self._max:  # none, or one may be too long: one at a time
            line = self.pop_line()
            return [] if line is None else [line]
        lines = decode(bytes(self._buf[:end])).split("\n")
        del self._buf[: end + 1]
        return lines

    def pop_rest(self) -> str | None:
        """At end of stream: the unterminated last line, or None when nothing is left."""
        if not self._buf:
            return None
        rest = decode(bytes(self._buf))
        self._buf.clear()
        return rest


class ChunkedLineReader:
    """readline() with a timeout over a ``read_chunk()`` coroutine (b"" at EOF).

    ``read_chunk`` must be safe to cancel (asyncio and asyncssh readers are: unread data
    stays buffered), because a timeout cancels it.
    """

    def __init__(self, read_chunk: Callable[[], Awaitable[bytes]]) -> None:
        self._read_chunk = read_chunk
        self._lines = LineBuffer()
        self._eof = False

    @property
    def at_eof(self) -> bool:
        return self._eof

    async def readline(self, timeout: float | None = None) -> str | None:
        deadline = _deadline(timeout)
        while (line := self._lines.pop_line()) is None:
            if self._eof:
                return self._lines.pop_rest()
            await self._fill(deadline)
        return line

    async def readlines(self, timeout: float | None = None) -> list[str] | None:
        """Every complete line available, waiting (like :meth:`readline`) for at least one;
        None at end of stream."""
        deadline = _deadline(timeout)
        while not (lines := self._lines.pop_lines()):
            if self._eof:
                rest = self._lines.pop_rest()
                return None if rest is None else [rest]
            await self._fill(deadline)
        return lines

    async def _fill(self, deadline: float | None) -> None:
        if deadline is None:
            data = await self._read_chunk()
        else:
            async with asyncio.timeout_at(deadline):
                data = await self._read_chunk()
        if data:
            self._lines.feed(data)
        else:
            self._eof = True


async def read_to_end(*reads: Callable[[int], Awaitable[bytes]],
                      cap: int = MAX_OUTPUT_BYTES) -> list[bytes] | None:
    """Every pipe read to its end, all at once (a full pipe never stalls the other);
    None once one brings more than ``cap`` bytes (the reads stop there)."""
    tasks = [asyncio.ensure_future(_read_capped(read, cap)) for read in reads]
    try:
        for done in asyncio.as_completed(tasks):
            if await done is None:
                return None
        return [cast(bytes, t.result()) for t in tasks]  # all done, none None
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Marked(NamedTuple):
    """What :func:`read_while_marked` read."""

    out: bytes
    err: bytes
    cut_s: float | None  # None: both pipes read to their end; else how long before the
    # cut the last mark came
    overflow: bool = False  # cut because a pipe brought more than the cap


async def read_while_marked(
    out: Callable[[int], Awaitable[bytes]], err: Callable[[int], Awaitable[bytes]],
    mark: bytes, idle_s: float, cap: int = MAX_OUTPUT_BYTES,
) -> Marked:
    """Both pipes to their end as :func:`read_to_end`, unless ``idle_s`` seconds pass
    without a new ``mark`` on ``out`` (a batch's command markers: one command ran that
    long), or a pipe brings more than ``cap`` bytes (one command printed that much): then
    what came up to each pipe's last mark line (the commands that ended keep their
    output; the one that ran is not kept, however much it printed)."""
    loop = asyncio.get_running_loop()
    bufs = (bytearray(), bytearray())
    moved = asyncio.Event()
    tasks = [asyncio.ensure_future(_read_capped(read, cap, buf, moved))
             for read, buf in zip((out, err), bufs, strict=True)]
    scanned, marked = 0, loop.time()
    try:
        while True:
            overflow = any(t.done() and t.result() is None for t in tasks)  # (its error)
            if overflow and _has_mark(bufs[0], mark, scanned):
                marked = loop.time()
            if overflow:
                return Marked(_through_last_mark(bufs[0], mark), _through_last_mark(bufs[1], mark),
                              loop.time() - marked, overflow=True)
            pending = [t for t in tasks if not t.done()]
            if not pending:
                return Marked(bytes(bufs[0]), bytes(bufs[1]), None)
            moved.clear()
            waiter = asyncio.ensure_future(moved.wait())
            try:
                await asyncio.wait([*pending, waiter],
                                   timeout=max(0.0, marked + idle_s - loop.time()),
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if _has_mark(bufs[0], mark, scanned):
                marked = loop.time()
            scanned = len(bufs[0])
            if loop.time() >= marked + idle_s and any(not t.done() for t in tasks):
                return Marked(bytes(bufs[0]), bytes(bufs[1]), loop.time() - marked)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _has_mark(buf: bytearray, mark: bytes, scanned: int) -> bool:
    """Whether ``mark`` is in ``buf`` beyond its first ``scanned`` bytes (or across)."""
    return buf.find(mark, max(0, scanned - len(mark) + 1)) >= 0


def _through_last_mark(buf: bytearray, mark: bytes) -> bytes:
    """``buf`` up to the end of its last line holding ``mark`` (b"" without one)."""
    at = buf.rfind(mark)
    if at < 0:
        return b""
    end = buf.find(b"\n", at)
    return bytes(buf[: end + 1 if end >= 0 else at])


async def _read_capped(read: Callable[[int], Awaitable[bytes]], cap: int,
                       buf: bytearray | None = None,
                       moved: asyncio.Event | None = None) -> bytes | None:
    """One pipe to its end (into ``buf``, setting ``moved`` at each chunk, when given)."""
    buf = bytearray() if buf is None else buf
    while data := await read(_READ_SIZE):
        buf += data
        if moved is not None:
            moved.set()
        if len(buf) > cap:
            return None
    return bytes(buf)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else asyncio.get_running_loop().time() + timeout


class TailBuffer:
    """Keeps the last ``limit`` bytes written (a stream's stderr)."""

    def __init__(self, limit: int = 64 * 1024) -> None:
        self._buf = bytearray()
        self._limit = limit

    def write(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) > self._limit:
            del self._buf[: len(self._buf) - self._limit]

    def text(self) -> str:
        return decode(bytes(self._buf))
