"""The front of an ``xl save`` checkpoint: xl's header and the domain config it stores, to
learn which domain a file holds before ``xl restore`` reads it (tools/xl/xl.h and
xl_saverestore.c, Xen 4.x).

    32 bytes   magic "Xen saved domain, xl format\\n \\0 \\r"
    4 x u32    byteorder 0x01020304, mandatory_flags, optional_flags, optional_data_len,
               in the byte order of the host that saved it (byteorder tells which)
    optional   u32 config_len, then config_len bytes: libxl's JSON domain config ending in
    data       a NUL (mandatory flag JSON), else the xl config file's text (very old xl)
    then libxl's stream: the domain's memory and state
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass

from collectors.parse.common import ParseError
from collectors.parse.guard import parse_errors

SOURCE = "checkpoint header"
MAGIC = b"Xen saved domain, xl format\n \0 \r"
BYTEORDER = 0x01020304
FLAG_JSON = 1 << 0  # XL_MANDATORY_FLAG_JSON: the config is libxl's JSON
FLAG_STREAM_V2 = 1 << 1  # XL_MANDATORY_FLAG_STREAMv2
KNOWN_FLAGS = FLAG_JSON | FLAG_STREAM_V2  # Xen 4.17's XL_MANDATORY_FLAG_ALL
HEADER_LEN = len(MAGIC) + 16
WRONG_MAGIC = "not an xl checkpoint (wrong magic): corrupt or for a different tool?"


@dataclass(frozen=True, slots=True)
class XlSaveHeader:
    """What the front of a checkpoint says."""

    big_endian: bool  # saved by a big-endian xl (a little-endian one refuses the file)
    mandatory_flags: int  # xl refuses a file with a flag it does not know
    optional_flags: int
    optional_data_len: int  # what xl prints as "info 0x3/0x0/<this>"
    config_len: int | None  # None: the file stores no config
    config_json: bool  # libxl's JSON config, else the xl config file's text
    config_read: bool  # the whole config was within the bytes given
    name: str | None  # c_info.name (``name = "..."``); None when unread or absent

    @property
    def unknown_flags(self) -> int:
        """Mandatory flags Xen 4.17's xl does not know ("need newer xl")."""
        return self.mandatory_flags & ~KNOWN_FLAGS


@parse_errors(SOURCE)
def parse_xl_savefile(data: bytes, *, whole_file: bool = False) -> XlSaveHeader:
    """Read the first bytes of a checkpoint; ``whole_file``: ``data`` is all the file has.

    A config longer than ``data`` leaves the name unknown (``config_read`` false); a header
    that is not xl's, or contradicts itself, is a ParseError.
    """
    if data[: len(MAGIC)] != MAGIC[: len(data)]:
        raise ParseError(SOURCE, None, None, WRONG_MAGIC)
    if len(data) < HEADER_LEN:
        raise ParseError(SOURCE, None, None, f"truncated header: {len(data)} bytes, "
                         f"xl's header has {HEADER_LEN}")
    order = _byte_order(data[len(MAGIC): len(MAGIC) + 4])
    _, mandatory, optional, opt_len = struct.unpack_from(order + "4I", data, len(MAGIC))
    big = order == ">"
    if opt_len == 0:  # no config stored: xl restore then needs a config file
        return XlSaveHeader(big, mandatory, optional, 0, None, False, True, None)
    if opt_len < 4:
        raise ParseError(SOURCE, None, None, f"optional data of {opt_len} bytes cannot hold "
                         "the config's length (xl: Savefile truncated)")
    available = len(data) - HEADER_LEN
    if available < 4:
        if whole_file:
            raise ParseError(SOURCE, None, None, "the file ends before its config's length")
        return XlSaveHeader(big, mandatory, optional, opt_len, None, False, False, None)
    (config_len,) = struct.unpack_from(order + "I", data, HEADER_LEN)
    if config_len > opt_len - 4:
        raise ParseError(SOURCE, None, None, f"a config of {config_len} bytes does not fit "
                         f"the optional data of {opt_len} (xl: Savefile truncated)")
    is_json = bool(mandatory & FLAG_JSON)
    start = HEADER_LEN + 4
    if start + config_len > len(data):
        if whole_file:
            raise ParseError(SOURCE, None, None, "the file ends inside its config")
        return XlSaveHeader(big, mandatory, optional, opt_len, config_len, is_json, False, None)
    config = data[start: start + config_len]
    name = _json_name(config) if is_json else config_file_name(config)
    return XlSaveHeader(big, mandatory, optional, opt_len, config_len, is_json, True, name)


def _byte_order(mark: bytes) -> str:
    """struct's byte order for the header's byteorder field."""
    for order in ("<", ">"):
        if struct.unpack(order + "I", mark)[0] == BYTEORDER:
            return order
    raise ParseError(SOURCE, None, None, f"byte order mark 0x{mark.hex()} is neither "
                     "01020304 nor 04030201: corrupt?")


def _json_name(config: bytes) -> str | None:
    """c_info.name of libxl's JSON config (read up to its NUL, as libxl does)."""
    text = config.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        line = text.split("\n")[e.lineno - 1]
        raise ParseError(SOURCE, e.lineno, line, f"bad JSON in the config: {e.msg}") from None
    if not isinstance(value, dict):
        raise ParseError(SOURCE, None, None, "the config is not a JSON object")
    c_info = value.get("c_info")
    name = c_info.get("name") if isinstance(c_info, dict) else None
    return name if isinstance(name, str) else None


# ``name = "..."`` or ``name = '...'`` at a line's start (libxlu's config syntax)
_CFG_NAME = re.compile(r"""^[ \t]*name[ \t]*=[ \t]*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""",
                       re.MULTILINE)
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def config_file_name(config: bytes) -> str | None:
    """The name an xl config file (``/etc/xen/NAME.cfg``, or a checkpoint's) sets: its last
    ``name =``, as libxlu keeps; libxlu's one-letter escapes are decoded, ``\\x`` and octal
    ones are left as they are."""
    text = config.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    found = _CFG_NAME.findall(text)
    if not found:
        return None
    quoted: str = found[-1]
    return re.sub(r"\\([^x0-7])", lambda m: _ESCAPES.get(m.group(1), m.group(1)),
                  quoted[1:-1])
