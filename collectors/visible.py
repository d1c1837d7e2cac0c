"""Untrusted text made visible: characters a terminal or a viewer would obey rather than
show (C0, DEL, C1, bidi and other format characters, line/paragraph separators, private
use, unassigned code points, lone surrogates) become escapes such as ``\\x1b`` or
``\\u202e``. The dashboard (tui.text) and the metrics exporter use the same rules."""

from __future__ import annotations

import unicodedata

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def is_unsafe_char(ch: str) -> bool:
    """True when ``ch`` could move the cursor, change terminal state or hide/reorder text."""
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def escape_char(ch: str) -> str:
    """The visible escape for one unsafe character: ``\\x1b``, ``\\u202e``, ``\\U000e0001``."""
    if ch in _NAMED:
        return _NAMED[ch]
    cp = ord(ch)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def visible(value: object) -> str:
    """A plain string with every unsafe character replaced by its escape (for logs, titles)."""
    s = str(value)
    if not any(is_unsafe_char(c) for c in s):
        return s
    return "".join(escape_char(c) if is_unsafe_char(c) else c for c in s)
