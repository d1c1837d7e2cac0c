"""``od -An -v -tx1``: a file's bytes as hex pairs, the way to read binary over a transport
that decodes output as UTF-8 (a NUL, a CR or a byte from 0x80 up would not survive it)."""

from __future__ import annotations

import re

from collectors.parse.common import ParseError, lines_of

SOURCE = "od"
_HEX_LINE = re.compile(r"(?:[ \t]*[0-9a-fA-F]{2})*[ \t]*")


def parse_od_hex(text: str) -> bytes:
    """The bytes ``od -An -v -tx1`` printed (16 a line for GNU od; any width is read)."""
    for no, line in lines_of(text):
        if _HEX_LINE.fullmatch(line) is None:
            raise ParseError(SOURCE, no, line, "not od's hex bytes")
    return bytes.fromhex(" ".join(text.split()))
