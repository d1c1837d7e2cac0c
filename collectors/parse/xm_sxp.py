"""``xm list --long`` (``-l``): xend's domain records as s-expressions (Xen 3.x to 4.1).

xm prints every domain with ``PrettyPrint.prettyprint``: one balanced s-expression per
domain, broken over lines and indented by 4 spaces per level where it does not fit 80
columns::

    (domain
        (domid 0)
        (uuid 00000000-0000-0000-0000-000000000000)
        (vcpus 2)
        (name Domain-0)
        (cpus (() ()))
        (memory 3828)
        (cpu_time 1236.93836279)
        (online_vcpus 2)
        (image (linux (kernel ) (notes (SUSPEND_CANCEL 1))))
        (state r-----)
    )

An atom is printed as is when xend's ``sxp.atomp`` takes it (letters, digits and
``.-_:/~``; ``(bootloader )`` is the empty string), any other string as Python's
``repr`` (``'my vm'``, ``"it's"``, ``'\\xe9'``). xl's own SXP (``xl list -l`` of 4.1) is
another layout (TAB-indented, values raw, not balanced): see :mod:`collectors.parse.xl_sxp`.
"""

from __future__ import annotations

import re

from collectors.parse.common import ParseError
from collectors.parse.noise import is_tool_log_line

SOURCE = "xm list -l"
MAX_DEPTH = 64  # xend's records nest a few levels; deeper is garbage

Sexpr = str | list["Sexpr"]

# xend's reader (sxp.Parser): blanks separate, "(" and ")" delimit lists, a quote at a
# token's start opens a string (backslash escapes), an atom runs to a blank or separator
_TOKEN = re.compile(
    r"""(?P<sp>\s+)|(?P<open>\()|(?P<close>\))"""
    r"""|'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)"|(?P<atom>[^\s(){}<>\[\]!;'"][^\s(){}<>\[\]!;]*)""",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


def looks_like_xm_sxp(text: str) -> bool:
    """Whether the first line that is not tool chatter opens a ``(domain`` record with
    xm's layout (not xl's TAB-indented one)."""
    if "(domain" not in text:  # (every xl list table, every poll: no copy, no split)
        return False
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or is_tool_log_line(s):
            continue
        if not re.match(r"\(domain(?:\s|\(|$)", s):
            return False
        return not any(ln.startswith("\t(") for ln in lines[i + 1 : i + 3])
    return False


def _unescape(body: str) -> str:
    """A quoted string's text: Python 2's repr of a byte string escapes every byte past
    0x7e (``'caf\\xc3\\xa9'``), so the bytes are put back and read as UTF-8."""
    if "\\" not in body:
        return body
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        out += body[pos : m.start()].encode("utf-8", "surrogateescape")
        e = m.group(1)
        if e[0] == "x" and len(e) == 3:
            out.append(int(e[1:], 16))
        elif e[0] in "01234567":
            out.append(int(e, 8) & 0xFF)
        else:
            out += _SIMPLE.get(e, e).encode("utf-8", "surrogateescape")
        pos = m.end()
    out += body[pos:].encode("utf-8", "surrogateescape")
    return out.decode("utf-8", "replace")


def parse_sexprs(text: str) -> list[tuple[int, str, Sexpr]]:
    """Every top-level s-expression as (line number, line, value); tool log lines between
    them are skipped. A list is a Python list, an atom or string a str."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    out: list[tuple[int, str, Sexpr]] = []
    stack: list[list[Sexpr]] = []
    start_no = 0
    pos = 0
    line_no = 1
    while pos < len(text):
        if not stack:  # between records: a whole line of chatter may stand here
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            s = text[pos:end].strip()
            if s and not s.startswith("(") and is_tool_log_line(s):
                pos = end
                continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(SOURCE, line_no, lines[line_no - 1], "not an s-expression")
        kind = m.lastgroup
        if kind == "open":
            if len(stack) >= MAX_DEPTH:
                raise ParseError(SOURCE, line_no, lines[line_no - 1], "nested too deeply")
            if not stack:
                start_no = line_no
            stack.append([])
        elif kind == "close":
            if not stack:
                raise ParseError(SOURCE, line_no, lines[line_no - 1], "')' closes nothing")
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                out.append((start_no, lines[start_no - 1], done))
        elif kind is not None and kind != "sp":
            if not stack:
                raise ParseError(SOURCE, line_no, lines[line_no - 1],
                                 "an atom outside any (domain ...) record")
            value = m.group(kind)
            stack[-1].append(value if kind == "atom" else _unescape(value))
        line_no += m.group().count("\n")
        pos = m.end()
    if stack:
        raise ParseError(SOURCE, start_no, lines[start_no - 1], "the record never ends")
    return out


def child_value(record: list[Sexpr], key: str) -> str | None:
    """xend's ``sxp.child_value``: the first ``(key value ...)`` child's value, if an atom."""
    for kid in record[1:]:
        if isinstance(kid, list) and kid and kid[0] == key:
            value = kid[1] if len(kid) > 1 else None
            return value if isinstance(value, str) else None
    return None
