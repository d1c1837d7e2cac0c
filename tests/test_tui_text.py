"""Hostile text: markup, escape sequences, control and bidi characters stay literal."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from tui.text import escape_char, is_unsafe_char, safe_text, visible

HOSTILE = [
    "[red]x",
    "[@click=app.quit]boom[/]",
    "[b]bold[/b]",
    "$(reboot)",
    "; rm -rf /",
    "`id`",
    ":smile:",
]


def render_plain(text: Text) -> str:
    console = Console(width=200, color_system=None, legacy_windows=False)
    with console.capture() as cap:
        console.print(text, end="")
    return cap.get()


@pytest.mark.parametrize("name", HOSTILE)
def test_markup_and_shell_syntax_are_shown_as_typed(name: str) -> None:
    t = safe_text(name)
    assert isinstance(t, Text)
    assert t.plain == name
    assert t.spans == []  # nothing was interpreted into styles
    assert render_plain(t) == name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("x\x1b]0;pwned\x07y", "x\\x1b]0;pwned\\x07y"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("ab\u200bc", "ab\\u200bc"),
        ("line1\nline2", "line1\\nline2"),
        ("tab\there", "tab\\there"),
        ("cr\rx", "cr\\rx"),
        ("del\x7fx", "del\\x7fx"),
        ("c1\x9bx", "c1\\x9bx"),
        ("iso\u2066x\u2069", "iso\\u2066x\\u2069"),
        ("sep\u2028x", "sep\\u2028x"),
        ("tag\U000e0041x", "tag\\U000e0041x"),
    ],
)
def test_control_and_bidi_characters_become_visible_escapes(raw: str, shown: str) -> None:
    t = safe_text(raw, escaped_style="reverse")
    assert t.plain == shown
    assert visible(raw) == shown
    out = render_plain(t)
    assert out == shown
    assert not any(is_unsafe_char(c) for c in out)
    # the escapes are styled, so they cannot be confused with a literal backslash
    styled = {t.plain[s.start:s.end] for s in t.spans}
    assert styled and all(s.startswith("\\") for s in styled)


def test_plain_unicode_names_are_untouched() -> None:
    for name in ("web-01", "données", "数据库", "db_01.prod", "Domain-0"):
        assert safe_text(name).plain == name
        assert safe_text(name).spans == []


def test_none_is_a_dash_never_empty() -> None:
    assert safe_text(None).plain == "-"
    assert safe_text(None, placeholder="").plain == ""


def test_escape_char_forms() -> None:
    assert escape_char("\x00") == "\\x00"
    assert escape_char("\u202e") == "\\u202e"
    assert escape_char("\n") == "\\n"


def test_results_are_independent_copies() -> None:
    a = safe_text("same")
    a.stylize("bold")
    assert safe_text("same").spans == []


def test_a_long_xl_error_toast_leads_with_its_first_error_line() -> None:
    from tui.actions.text import toast_text

    lines = ["Loading new save file /var/lib/xen/save/api-02.chk (new xl fmt info 0x3/0x0/1234)",
             " Savefile contains xl domain config in JSON format",
             "Parsing config from <saved>",
             'libxl: error: libxl_create.c:700:libxl__domain_make: Domain with name "api-02" '
             "already exists.",
             *[f"libxl: error: consequence {i}" for i in range(12)],
             "Failed to restore domain"]
    shown = toast_text("\n".join(lines)).split("\n")
    assert shown[0] == lines[3] and shown[1] == "… 17 lines in all: L shows them"
    assert shown[2:] == lines[-4:] and len(shown) == 6
    assert toast_text("xl: one line\n") == "xl: one line\n"


def test_the_action_log_shows_the_output_tail_of_every_outcome() -> None:
    from collectors.journal import JournalEntry, stderr_tail
    from tui.actions.log_screen import journal_text

    out = "\n".join(f"Saving line {i}" for i in range(12))
    ok = JournalEntry(host="h", argv=("xl", "save", "3", "/x"), outcome="ok",
                      stderr_tail=stderr_tail(out))
    said = "libxl: error: one\nlibxl: error: two"
    failed = JournalEntry(host="h", argv=("xl", "pause", "3"), outcome="failed",
                          stderr_tail=stderr_tail(said), message=said)
    quiet = JournalEntry(host="h", argv=("xl", "unpause", "3"), outcome="ok")
    shown = journal_text([quiet.to_json(), failed.to_json(), ok.to_json()], []).plain
    for i in range(12):  # all of them, as the toast said ("12 lines in all: L shows them")
        assert f"      Saving line {i}\n" in shown
    assert shown.count("libxl: error: one") == 1 and shown.count("libxl: error: two") == 1
    # xl printed nothing: nothing under the entry (the oldest, shown last)
    assert shown.endswith("xl unpause 3\n")


def test_a_toast_says_how_much_of_a_long_output_the_log_keeps() -> None:
    from collectors.journal import STDERR_TAIL_LINES
    from tui.actions.text import toast_text

    n = STDERR_TAIL_LINES + 5
    shown = toast_text("\n".join(f"line {i}" for i in range(n))).split("\n")
    assert shown[0] == f"… {n} lines in all: L shows the last {STDERR_TAIL_LINES}"
