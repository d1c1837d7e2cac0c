"""Colours come from theme variables only: no hex, rgb() or named colours in tui/."""

from __future__ import annotations

import re
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b")
# rgb()/hsl() with a literal number; a colour computed from theme values is fine
FUNC = re.compile(r"\b(?:rgba?|hsla?)\s*\(\s*\d", re.IGNORECASE)
NAMED = re.compile(
    r"\b(?:red|green|blue|yellow|magenta|cyan|white|black|orange|purple|grey|gray)\b"
)
TCSS_COLOUR_RULE = re.compile(r"^\s*(?:[\w-]*color|background|border[\w-]*|tint|outline)\s*:(.*)$")


def _files(pattern: str) -> list[Path]:
    return sorted(p for p in TUI.rglob(pattern) if "__pycache__" not in p.parts)


def test_there_is_something_to_check() -> None:
    assert _files("*.tcss") and len(_files("*.py")) > 5


def test_no_hex_or_rgb_literals_in_tcss_or_python() -> None:
    bad = []
    for p in _files("*.tcss") + _files("*.py"):
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if HEX.search(line) or FUNC.search(line):
                bad.append(f"{p.relative_to(TUI.parent)}:{n}: {line.strip()}")
    assert not bad, "colour literals:\n" + "\n".join(bad)


def test_tcss_colour_rules_use_variables() -> None:
    """Inline DEFAULT_CSS and .tcss files: every colour property is a $variable."""
    bad = []
    for p in _files("*.tcss") + _files("*.py"):
        for n, line in enumerate(p.read_text().splitlines(), 1):
            m = TCSS_COLOUR_RULE.match(line)
            if m and ";" in line and NAMED.search(m.group(1)):
                bad.append(f"{p.relative_to(TUI.parent)}:{n}: {line.strip()}")
    assert not bad, "named colours in CSS:\n" + "\n".join(bad)


def test_the_check_catches_literals() -> None:
    assert HEX.search("color: #ff0000;")
    assert FUNC.search("background: rgb(1, 2, 3);")
    m = TCSS_COLOUR_RULE.match("    color: red;")
    assert m and NAMED.search(m.group(1))
    assert not HEX.search("issue #12 and #fix")
    assert not FUNC.search('f"rgb({r},{g},{b})"')  # computed from the theme
