"""``xenstore-ls`` output: flat (``-f``: ``/full/path = "value"``) or indented, with or
without ``-p`` permissions.

Values are escaped by xenstore's ``sanitise_value``: printable ASCII except ``\\`` as is
(``"`` is *not* escaped), ``\\t \\n \\r \\\\``, bytes below 8 as ``\\ooo``, others as
``\\xHH``. A node whose value cannot be read prints ``name:``. The indented form cuts
values that would pass the width (80 when piped, the terminal's columns - 2 on a tty) and
ends them with ``\\..."``; the visible part is kept (there is no flag: compare with
``-f`` output, which is not cut when piped). On a terminal ``-f`` output is cut too:
xenstore-ls sets the width to the columns - 2 after reading its options, and do_ls counts
only the value against it, never the path. Permissions follow the value: ``   (n0,r3)`` in the
flat form, `` . . . .  (n0)`` in the indented form (none when they could not be read).

The indented form names nodes relative to the path that was listed, which the output does
not repeat: ``xenstore-ls /local/domain/1`` gives ``/memory/target`` unless that path is
passed as ``root``. The flat form (``-f``) always has full paths.

Xen 3.x clients printed values raw (``xsls``, then ``do_ls`` before ``sanitise_value``): a
value holding a newline runs onto the following lines of the indented form, up to the line
that closes its quote. Such a value is taken verbatim. ``xsls`` (3.0) cut a value longer
than ``151 - len(name)`` to ``148 - len(name)`` characters and ``..."``.
"""

from __future__ import annotations

import re

from collectors.parse.common import ParseError, lines_of
from collectors.parse.guard import parse_errors
from collectors.parse.noise import SkippedNoise, is_tool_log_line

SOURCE = "xenstore-ls"

_PERM_LIST = r"\((?:[nrwb]-?[0-9]+)(?:,[nrwb]-?[0-9]+)*\)"  # "%c%i": an id past INT_MAX reads < 0
_PERMS = re.compile(rf'"[ \t.]*{_PERM_LIST}$')
_NO_PERMS = re.compile(r'"[ \t.]*$')  # -p, but the permissions could not be read (stderr)
_NODE = re.compile(r"[^\s/]+")
_PERMS_ONLY = re.compile(rf"\s*{_PERM_LIST}")
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # stands for no byte
_SIMPLE = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
_PIPE_WIDTH = 80  # xenstore-ls's width when stdout is not a terminal
# the older xenstore-ls (xsls.c) took 16 columns off the width for -p's permissions;
# 4.17's does not (the lab cuts at 80 with -p too)
_XSLS_PERMS_WIDTH = _PIPE_WIDTH - 16
_XSLS_CUT = 151  # xsls (3.0): len(name) + len(value) of a cut value, "..." included
# a whole node line of the indented form (with or without -p)
_NODE_LINE = re.compile(rf' *[^\s/]+ = ".*"(?:[ \t.]*{_PERM_LIST})?')


def unescape_value(s: str) -> str:
    """Undo xenstore's escaping. Bytes that are not UTF-8 become U+FFFD."""
    if "\\" not in s:
        return s
    if _LONE_SURROGATE.search(s):  # (text decoded with surrogateescape keeps its bytes)
        s = _LONE_SURROGATE.sub("\ufffd", s)
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(s):
        out += s[pos : m.start()].encode("utf-8", "surrogateescape")
        esc = m.group()[1:]
        if esc[0] == "x" and len(esc) == 3:
            out.append(int(esc[1:], 16))
        elif esc[0] in "01234567":
            out.append(int(esc, 8) & 0xFF)
        else:
            out += _SIMPLE.get(esc, esc).encode("utf-8", "surrogateescape")
        pos = m.end()
    out += s[pos:].encode("utf-8", "surrogateescape")
    if s.endswith("\\") and (len(s) - len(s.rstrip("\\"))) % 2:
        out = out[:-1]  # a lone trailing backslash (value cut inside an escape)
    return out.decode("utf-8", "replace")


def _strip_cut_escape(s: str) -> str:
    """Drop an escape sequence cut off by the width limit (``ab\\x0`` → ``ab``)."""
    m = re.search(r"\\(?:x[0-9a-fA-F]?|[0-7]{0,2})$", s)
    if m is not None:
        before = s[: m.start()]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:
            return before
    return s


def _split_value(body: str, perms: bool) -> tuple[str, str] | None:
    """(node, escaped value) from ``node = "value"[perms]``; None if the shape is wrong."""
    eq = body.find(' = "')
    if eq <= 0:
        return None
    node = body[:eq]
    rest = body[eq + 4 :]
    if perms:
        m = _PERMS.search(rest) or _NO_PERMS.search(rest)
        if m is None:
            return None
        rest = rest[: m.start() + 1]
    if not rest.endswith('"'):
        return None
    return node, rest[:-1]


def _decode(value: str, shown: int = 0, name_len: int = -1000,
            widths: tuple[int, ...] = (_PIPE_WIDTH,)) -> str:
    """Unescape, keeping the visible part of a value cut with ``\\...``.

    The ``\\`` of the marker is unpaired (every real backslash is printed doubled); a cut
    that split a ``\\\\`` pair is recognised by the line being exactly one past the
    width up to the closing quote (-p permissions follow it; the flat form is not cut
    when piped: on a terminal parse_xenstore_ls compares its cut values' lengths).
    ``shown`` is the indented line's length up to the closing quote (0: flat form): before
    values were escaped (Xen 3.x/4.0) a cut ended in a bare ``..."`` exactly at the width,
    where an uncut value without escapes never reaches (``name = "value"`` + 3 ≤ width).
    ``name_len`` (indented form) finds xsls's cut, which ignores the indentation.
    ``widths``: the piped widths the output may have been cut at (two with -p).
    """
    if shown in widths and value.endswith("...") and "\\" not in value:
        return value[:-3]
    if name_len + len(value) == _XSLS_CUT and value.endswith("..."):
        return value[:-3]  # xsls: raw, so no escape to undo
    if value.endswith("\\...") and (_cut_marker(value) or shown - 1 in widths):
        return _visible(value)
    return unescape_value(value)


def _cut_marker(value: str) -> bool:
    """Whether a value ending in ``\\...`` surely was cut: the marker's backslash is
    unpaired. If not, it was cut inside a ``\\\\`` pair or is a backslash and "..." """
    head = value[:-4]
    return (len(head) - len(head.rstrip("\\"))) % 2 == 0


def _visible(value: str) -> str:
    """The unescaped visible part of a value cut with ``\\...``."""
    return unescape_value(_strip_cut_escape(value[:-4]))


@parse_errors(SOURCE)
def parse_xenstore_ls(text: str, root: str = "") -> dict[str, str]:
    """Full path → unescaped value for ``xenstore-ls [-f] [-p] [path]`` output.

    In the indented form, paths are rebuilt from the indentation (one space per level)
    under ``root`` (the path that was listed; ``""`` or ``"/"`` for the whole store).
    Unreadable nodes (``name:``) are left out.
    """
    lines = list(lines_of(text))
    data = [(i, no, raw) for i, (no, raw) in enumerate(lines) if raw.strip()]
    # -p or not: decide once so a value that merely ends like "(n0)" survives
    # (lines that close no quote are left out: the first line of a raw multi-line value)
    valued = [raw.rstrip() for _, _, raw in data if ' = "' in raw]
    valued = [v for v in valued if v.endswith(('"', ")"))] or valued
    # (most: a node removed between its read and its permissions read ends without them)
    perms = 2 * sum(1 for v in valued if _PERMS.search(v)) > len(valued)
    widths = (_PIPE_WIDTH, _XSLS_PERMS_WIDTH) if perms else (_PIPE_WIDTH,)
    base = root.rstrip("/")
    stack: list[str] = []  # indented form: names of the ancestors of the next line
    out: dict[str, str] = {}
    cut_at: set[int] = set()  # line lengths of the surely cut values (the width + 1)
    unsure: list[tuple[str, str, int]] = []  # (path, value, length) of the others
    # -f on a terminal: every cut value shows the same number of characters (do_ls does
    # not count the path), so the lengths of the values, not of the lines, are compared
    flat_cut_at: set[int] = set()
    flat_unsure: list[tuple[str, str]] = []
    prev_unreadable = False
    joined_up_to = -1  # index of the last line taken into a raw multi-line value
    noise = SkippedNoise()
    unreadable_seen = False  # a flat "path:" (no value): a node, if not a listed one
    for i, no, raw in data:
        if i <= joined_up_to:
            continue
        line = raw.rstrip()
        if prev_unreadable and perms and _PERMS_ONLY.fullmatch(line):
            prev_unreadable = False  # "name:" then its permissions on their own line
            continue
        prev_unreadable = False
        if line.startswith("/"):  # flat
            if line.endswith(":") and ' = "' not in line:
                prev_unreadable = unreadable_seen = True
                continue
            kv = _split_value(line, perms)
            if kv is None:
                if is_tool_log_line(line):
                    noise.skip(no, raw)
                    continue
                raise ParseError(SOURCE, no, raw, 'expected /path = "value"')
            value = kv[1]
            if value.endswith("\\..."):  # -f on a terminal: cut like the indented form
                if _cut_marker(value):
                    flat_cut_at.add(len(value))
                else:
                    flat_unsure.append((kv[0], value))
            out[kv[0]] = _decode(value)
            continue
        lead = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:lead]:  # indentation a pager or unexpand made TABs: 8 columns each
            line = line[:lead].expandtabs(8) + line[lead:]
        depth = len(line) - len(line.lstrip(" "))
        body = line[depth:]
        if ' = "' not in body and body.endswith(":") and " " not in body[:-1]:
            if depth > len(stack):
                raise ParseError(SOURCE, no, raw, "indentation skips a level")
            del stack[depth:]
            stack.append(body[:-1])
            prev_unreadable = True
            continue
        kv = _split_value(body, perms)
        multi = False
        if kv is None and depth <= len(stack):
            joined = _raw_multiline(lines, i, body, perms)
            if joined is not None:
                kv, joined_up_to = joined
                multi = True
        if kv is None or not _NODE.fullmatch(kv[0]) or depth > len(stack):
            if is_tool_log_line(line):  # (a node name holds no ':' or ' ')
                noise.skip(no, raw)
                continue
            why = 'expected name = "value"' if depth <= len(stack) else "indentation skips a level"
            raise ParseError(SOURCE, no, raw, why)
        name, value = kv
        del stack[depth:]
        stack.append(name)
        path = base + "/" + "/".join(stack)
        if multi:
            out[path] = value
            continue
        shown = depth + len(name) + len(value) + 5  # ' = "' and the closing quote
        if value.endswith("\\..."):
            if _cut_marker(value):
                cut_at.add(shown)
            else:
                unsure.append((path, value, shown))
        out[path] = _decode(value, shown, len(name), widths)
    for path, value, shown in unsure:  # cut as long as a sure cut: a terminal's width
        if shown in cut_at:
            out[path] = _visible(value)
    for path, value in flat_unsure:
        if len(value) in flat_cut_at:
            out[path] = _visible(value)
    noise.refuse_if_alone(SOURCE, bool(out) or bool(stack) or unreadable_seen, "node")
    return out


def _raw_multiline(
    lines: list[tuple[int, str]], i: int, body: str, perms: bool
) -> tuple[tuple[str, str], int] | None:
    """((node, value), index of its last line) for a raw value holding newlines (3.x),
    which opens on line ``i`` and closes its quote on a later line; None if none does
    before a line that is a whole node line itself."""
    eq = body.find(' = "')
    if eq <= 0 or not _NODE.fullmatch(body[:eq]):
        return None
    for j in range(i + 1, len(lines)):
        nxt = lines[j][1].rstrip()
        if _NODE_LINE.fullmatch(nxt):
            return None
        if _PERMS.search(nxt) if perms else nxt.endswith('"'):
            text = "\n".join([body, *(raw for _, raw in lines[i + 1 : j]), nxt])
            kv = _split_value(text, perms)
            return None if kv is None else (kv, j)
    return None
