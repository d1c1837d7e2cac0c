"""Untrusted text (domain names, XenStore values, error messages) made safe to display.

Everything a host tells us may be hostile: a guest can name itself ``[red]x``,
``[@click=app.quit]``, ``\\x1b]0;pwned\\x07`` or hide a right-to-left override in it.
The rules here:

* untrusted strings become :class:`rich.text.Text` objects, never markup strings, so
  ``[...]`` is shown as typed and never interpreted;
* control characters (C0, DEL, C1), bidi controls, zero-width and other invisible
  format characters, line/paragraph separators and lone surrogates are replaced by a
  visible escape (``\\x1b``, ``\\u202e``) in the ``escaped`` style, so an operator sees
  that something odd is in the name instead of having the terminal obey it.
"""

from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from rich.text import Text

from collectors.visible import escape_char, is_unsafe_char, visible

__all__ = ["escape_char", "is_unsafe_char", "safe_text", "visible"]


def safe_text(
    value: object | None,
    *,
    style: str | Style = "",
    escaped_style: str | Style = "reverse",
    placeholder: str = "-",
) -> Text:
    """A Text that shows ``value`` literally; unsafe characters as styled escapes.

    ``None`` becomes ``placeholder`` (unknown is ``-``, never an empty or made-up value).
    """
    if value is None:
        return Text(placeholder, style=style, end="")
    return _safe_text(str(value), style, escaped_style).copy()


@lru_cache(maxsize=8192)
def _safe_text(s: str, style: str | Style, escaped_style: str | Style) -> Text:
    text = Text(style=style, end="", no_wrap=True)
    if not any(is_unsafe_char(c) for c in s):
        text.append(s)
        return text
    run: list[str] = []
    for ch in s:
        if is_unsafe_char(ch):
            if run:
                text.append("".join(run))
                run.clear()
            text.append(escape_char(ch), style=escaped_style)
        else:
            run.append(ch)
    if run:
        text.append("".join(run))
    return text
