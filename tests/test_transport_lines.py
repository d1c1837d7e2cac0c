"""Bytes to lines: the buffer under every SSH and local stream."""

from __future__ import annotations

import asyncio

import pytest

from collectors.transport.lines import ChunkedLineReader, LineBuffer


def test_pop_lines_gives_every_complete_line_and_keeps_the_partial_one() -> None:
    buf = LineBuffer()
    buf.feed(b"one\ntwo\nthr")
    assert buf.pop_lines() == ["one", "two"]
    assert buf.pop_lines() == []
    buf.feed(b"ee\n\nfour")
    assert buf.pop_lines() == ["three", ""]
    assert buf.pop_rest() == "four" and buf.pop_rest() is None


def test_pop_lines_decodes_across_chunk_boundaries_and_replaces_garbage() -> None:
    buf = LineBuffer()
    word = "Größe".encode()
    buf.feed(word[:3])  # a UTF-8 sequence cut in two by the transport
    assert buf.pop_lines() == []
    buf.feed(word[3:] + b"\n\xff\xfe bad\n")
    assert buf.pop_lines() == ["Größe", "\ufffd\ufffd bad"]


def test_pop_lines_cuts_an_overlong_line_like_pop_line() -> None:
    data = b"0123456789abcdef0\nok\n"
    buf, one_by_one = LineBuffer(max_line=8), LineBuffer(max_line=8)
    buf.feed(data)
    one_by_one.feed(data)
    out: list[str] = []
    while lines := buf.pop_lines():
        out += lines
    assert out == ["01234567", "89abcdef", "0", "ok"]  # never more than 8 bytes at once
    assert out == [one_by_one.pop_line() for _ in out]


async def test_readlines_returns_what_is_there_and_waits_for_more() -> None:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    reader = ChunkedLineReader(queue.get)
    queue.put_nowait(b"a\nb\nc")
    assert await reader.readlines(1) == ["a", "b"]
    with pytest.raises(TimeoutError):
        await reader.readlines(0.05)  # "c" is not a line yet
    queue.put_nowait(b"\nd\n")
    assert await reader.readline(1) == "c"  # the two calls share one buffer
    assert await reader.readlines(1) == ["d"]
    queue.put_nowait(b"tail")
    queue.put_nowait(b"")
    assert await reader.readlines(1) == ["tail"]
    assert await reader.readlines(1) is None and reader.at_eof
