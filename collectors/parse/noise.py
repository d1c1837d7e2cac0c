"""Recognise tool log lines that end up mixed into a command's stdout (``2>&1``, wrappers).

libxl logs as ``libxl: <level>: <file>:<line>:<function>: <message>`` (optionally prefixed
by ``xl -T``'s ``YYYY-MM-DD HH:MM:SS TZ [pid] ``); libxc, xencall and friends use the same
``<lib>: <level>: `` shape. Parsers skip such lines only after the line failed to parse as
data, so a domain named like a log line still parses as a domain. The same goes for the
hypervisor's console lines — ``(XEN) …``, and a guest's ``(d3) …`` — that a serial console
interleaves with a command's output.
"""

from __future__ import annotations

import re

from collectors.parse.common import ParseError

_LEVELS = "debug|verbose|detail|progress|info|notice|warning|warn|error|critical"

_LOG_LINE = re.compile(
    r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)? \[\d+\] )?"  # xl -T prefix
    r"(?:[A-Za-z_][\w.-]*: )?"  # libxl: / xc: / xencall: ...
    rf"(?:{_LEVELS}|{_LEVELS.upper()}|Warning|Error): ",
)
_OTHER = re.compile(
    r"(?:WARNING|Warning|ERROR|Error)[:! ]"  # xl's own warnings, Debian's wrapper's
    r"|libxl_\w+ failed\.?$"  # xl: "libxl_get_cpu_topology failed."
    r"|\S+\.py:\d+: \w*Warning: "  # xm's Python warnings (DeprecationWarning, ...)
    r"|Parsing config from "  # xl create/restore chatter
    r"|Loading new save file "
    r"|xm \S+ .* is deprecated"
    r"|\S+ is an invalid domain identifier"  # xl block-list/network-list of an unknown name
    r"|\((?:XEN|d\d+(?:v\d+)?)\)(?:[ \[]|$)"  # the hypervisor's console (xl dmesg's lines)
)


def is_tool_log_line(line: str) -> bool:
    """True for a libxl/libxc/xl diagnostic line (not data)."""
    s = line.lstrip()
    return bool(_LOG_LINE.match(s) or _OTHER.match(s))


class SkippedNoise:
    """The first tool message a parser skipped. An output holding nothing else is not the
    command's output (xl's "is an invalid domain identifier" alone is no empty list):
    unknown is not "no domains"."""

    __slots__ = ("line", "no")

    def __init__(self) -> None:
        self.no = 0
        self.line: str | None = None

    def skip(self, no: int, line: str) -> None:
        if self.line is None:
            self.no, self.line = no, line

    def refuse_if_alone(self, source: str, found_anything: bool, what: str) -> None:
        """ParseError at the first skipped message when nothing else was found."""
        if not found_anything and self.line is not None:
            raise ParseError(source, self.no, self.line,
                             f"only tools' messages here, no {what}")
