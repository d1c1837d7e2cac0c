"""xenstore-ls parsing: flat and indented forms, permissions, escapes, cut values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xenstore import parse_xenstore_ls, unescape_value

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


@needs_fixtures
def test_lab_a_indented_and_flat_dumps_agree() -> None:
    indented = parse_xenstore_ls((FIX / "xen-4.17-lab-a" / "xenstore-ls.out").read_text())
    flat = parse_xenstore_ls((FIX / "xen-4.17-lab-a" / "xenstore-ls-f.out").read_text())
    assert indented == flat and len(flat) == 553
    assert flat["/libxl/1/device/vbd/51712/params"] == "/srv/xen/db1-a.img"
    assert flat["/@introduceDomain"] == ""


@needs_fixtures
def test_lab_backend_and_lab_b_values() -> None:
    be = parse_xenstore_ls((FIX / "xen-4.17-lab-a" / "xenstore-ls-backend.out").read_text())
    assert be["/local/domain/0/backend/vbd/1/51712/dev"] == "xvda"
    assert be["/local/domain/0/backend/vbd/1/51712/feature-max-indirect-segments"] == "256"
    b = parse_xenstore_ls((FIX / "xen-4.17-lab-b" / "xenstore-ls-f.out").read_text())
    assert len(b) == 620
    names = {v for k, v in b.items() if k.startswith("/local/domain/") and k.endswith("/name")}
    assert {"Domain-0", "db1", "idle1", "web1"} <= names


def test_lab_permissions_indented_under_a_root() -> None:
    d = parse_xenstore_ls(
        (DATA / "lab-xenstore-ls-p-domain3.out").read_text(), root="/local/domain/3"
    )
    assert d["/local/domain/3/name"] == "web1"
    assert d["/local/domain/3/vm"] == "/vm/a3508009-2a85-4cdf-ac1a-f186f1bed941"
    assert d["/local/domain/3/device/vif/0/queue-1/tx-ring-ref"] == "1034"
    assert d["/local/domain/3/attr"] == ""
    flat = parse_xenstore_ls((DATA / "lab-xenstore-ls-f-p-memory.out").read_text())
    assert flat == {
        "/local/domain/3/memory/static-max": "262144",
        "/local/domain/3/memory/target": "131072",
        "/local/domain/3/memory/videoram": "0",
    }
    slash = parse_xenstore_ls('name = "x"\n', root="/local/domain/3/")
    assert slash == {"/local/domain/3/name": "x"}


@pytest.mark.parametrize("form", ["ls", "lsp", "f", "fp"])
def test_lab_escapes_and_cut_values(form: str) -> None:
    d = parse_xenstore_ls(
        (DATA / f"lab-xenstore-ls-{form}-xltoptest.out").read_text(), root="/tool/xltoptest"
    )
    assert d["/tool/xltoptest/esc"] == 'tab\there\\back"quote'
    assert d["/tool/xltoptest/cutbs"] == "c" * 60 + "\\" * 5
    if form.startswith("f"):  # -f: never cut
        assert d["/tool/xltoptest/long"] == "a" * 100
        assert d["/tool/xltoptest/cutesc"] == "b" * 64 + "\x01" * 6
    else:  # the visible part, without the cut-off "\0" of "\001"
        assert d["/tool/xltoptest/long"] == "a" * 68
        assert d["/tool/xltoptest/cutesc"] == "b" * 64


def test_value_cut_inside_an_escape_pair_with_permissions() -> None:
    # piped (width 80): a value of 64 "c" then three backslashes (or TABs), escaped as
    # "\\\\" ("\\t"), under "cutpair" is cut after 65 escaped characters, inside a pair: the
    # visible part ends in an unpaired backslash before the "\\..." marker. Such a line is
    # 81 characters up to the closing quote, with -p too (where "  (n0)" follows the quote)
    line = 'cutpair = "' + "c" * 64 + "\\" + '\\..."'
    assert len(line) == 81
    for text in (line, line + "  (n0)", line + "  (b0,r3)"):
        assert parse_xenstore_ls(text + "\n", root="/t") == {"/t/cutpair": "c" * 64}

def test_unreadable_node_and_its_children() -> None:
    d = parse_xenstore_ls((DATA / "xenstore-ls-unreadable.out").read_text(), root="/local/domain/5")
    assert "/local/domain/5/secret" not in d
    assert d["/local/domain/5/secret/child"] == "visible"
    assert d["/local/domain/5/secret/deeper/leaf"] == "a\\bA\x01"
    assert d["/local/domain/5/name"] == "guest"
    flat = parse_xenstore_ls('/a = "1"\n/a/b:\n/a/c = "2"\n')
    assert flat == {"/a": "1", "/a/c": "2"}


def test_value_that_looks_like_permissions_without_p() -> None:
    d = parse_xenstore_ls('/x = "a" (n0)"\n/y = "plain"\n')
    assert d == {"/x": 'a" (n0)', "/y": "plain"}


def test_unescape() -> None:
    assert unescape_value(r"a\tb\nc\rd\\e") == "a\tb\nc\rd\\e"
    assert unescape_value(r"\000\007\x7f\x41") == "\x00\x07\x7fA"
    assert unescape_value(r"caf\xc3\xa9") == "café"
    assert unescape_value(r"\q") == "q"  # unknown escape: the letter (xenstore-write)
    assert unescape_value('say "hi"') == 'say "hi"'
    assert unescape_value("\\") == ""  # a lone backslash left by a cut


@pytest.mark.parametrize(
    ("text", "line_no"),
    [
        ('a = "1"\n   b = "2"\n', 2),  # skips a level
        ("/a = 1\n", 1),
        ("just words\n", 1),
        ('a b = "1"\n', 1),
    ],
)
def test_garbage(text: str, line_no: int) -> None:
    with pytest.raises(ParseError) as e:
        parse_xenstore_ls(text)
    assert e.value.line_no == line_no


def test_unescaped_cut_of_xen_3_x_keeps_the_visible_part() -> None:
    # Before values were escaped (Xen 3.x/4.0) do_ls cut a long value as
    # ' = "%.*s..."' with max_width - TAG_LEN(8) - linewid characters: the line is exactly 80
    # wide. An uncut value is printed only when linewid + len + 8 <= 80, so it never is.
    image = "(linux (kernel /boot/vmlinuz-2.6.18-xen) (args 'root=/dev/sda1 ro console=xvc0'))"
    cut = '  image = "%.*s..."' % (80 - 8 - len("  image"), image)  # noqa: UP031
    assert len(cut) == 80
    text = "\n".join(['vm = ""', ' 1234 = ""', cut, '  name = "guest..."', '  x = "a\\\\..."'])
    d = parse_xenstore_ls(text + "\n")
    assert d["/vm/1234/image"] == image[: 80 - 8 - 7]
    assert d["/vm/1234/name"] == "guest..."  # a real value ending in dots, not cut
    assert d["/vm/1234/x"] == "a\\..."  # escaped backslash, then dots: the 4.1+ form, uncut


def test_flat_values_with_equals_quotes_and_several_permissions_crlf() -> None:
    text = (
        '/local/domain/1/name = "web = "1""   (n0,r1)\r\n'
        '/local/domain/1/empty = ""   (n0)\r\n'
        '/local/domain/1/esc = "a\\x41\\001\\tb\\\\"   (b0,r5,w3)\r\n'
        '/vm/u/image = "(linux (args "root=/dev/xvda1 ro"))"   (n0)   \r\n'
    )
    assert parse_xenstore_ls(text) == {
        "/local/domain/1/name": 'web = "1"',
        "/local/domain/1/empty": "",
        "/local/domain/1/esc": "aA\x01\tb\\",
        "/vm/u/image": '(linux (args "root=/dev/xvda1 ro"))',
    }


def test_tool_log_lines_mixed_in_are_skipped() -> None:
    # 2>&1 of a wrapper: a "<lib>: <level>: ..." line can never be a node (XenStore node
    # names hold no ':' or ' '), in either form; it must not end the indented tree either
    log = "libxl: warning: libxl_utils.c:12:libxl_foo: Domain 3:something odd"
    flat = f'/local/domain/1/name = "g1"\n{log}\n/local/domain/1/domid = "1"\n'
    assert parse_xenstore_ls(flat) == {"/local/domain/1/name": "g1", "/local/domain/1/domid": "1"}
    tree = f'local = ""\n domain = ""\n  1 = ""\n   name = "g1"\n{log}\n   domid = "1"\n'
    assert parse_xenstore_ls(tree)["/local/domain/1/domid"] == "1"
    with pytest.raises(ParseError) as e:
        parse_xenstore_ls('/a = "x"\nnot a node\n')
    assert e.value.line_no == 2


def test_xen_3_x_raw_values_with_newlines_and_the_xsls_cut() -> None:
    # xsls / do_ls before sanitise_value printed ' = "%s"' of the raw value: a newline in it
    # runs onto the next lines (taken verbatim, backslashes too). xsls cut a value longer
    # than 151 - len(name) to '%.*s...' of 148 - len(name) characters, whatever the indent.
    image = "(linux (kernel /boot/vmlinuz-2.6.16-xen) (args 'root=/dev/sda1 ro')) " * 3
    cut = '  image = "%.*s..."' % (148 - len("image"), image)  # noqa: UP031 (the C format)
    text = "\n".join([
        'vm = ""', ' 1234 = ""', '  name = "guest1"',
        '  desc = "line one', "line two \\n", "", '  indented three"',
        cut, '  nl = "', '"', '  after = "1"',
    ])  # fmt: skip
    d = parse_xenstore_ls(text + "\n")
    assert d["/vm/1234/desc"] == "line one\nline two \\n\n\n  indented three"
    assert d["/vm/1234/image"] == image[:143]
    assert d["/vm/1234/nl"] == "\n"
    assert (d["/vm/1234/name"], d["/vm/1234/after"]) == ("guest1", "1")
    # with -p the value closes on the line that carries the permissions
    p = 'a = "x" . . . .  (n0)\nb = "two\nlines" . . .  (n0,r1)\nc = "y" . .  (n0)\n'
    assert parse_xenstore_ls(p) == {"/a": "x", "/b": "two\nlines", "/c": "y"}
    # a quote never closed before the next node line is still garbage, named at its line
    for bad in ('a = "1"\nb = "open\nc = "2"\n', 'a = "1"\nb = "open\nstill open\n'):
        with pytest.raises(ParseError) as e:
            parse_xenstore_ls(bad)
        assert e.value.line_no == 2


def _ls_line(
    depth: int, name: str, value: str, perms: str | None = None, width: int = 80, raw: int = 0
) -> str:
    """One line of do_ls (xenstore_client.c, 4.x), ``value`` already escaped (``raw``: its
    length before, if it differs): cut with ``\\..."`` past ``width`` (80 piped, columns - 2
    on a tty), ``-p`` padding to column 60."""
    line = " " * depth + name
    if width < len(line) + (raw or len(value)) + 8:
        return line + ' = "' + value[: width - 8 - len(line)] + '\\..."' + (
            f"  ({perms})" if perms else ""
        )
    line += f' = "{value}"'
    if perms is None:
        return line
    pad = "".join("." if i & 1 else " " for i in range(len(line) + 1, min(60, width)))
    return f"{line} {pad}  ({perms})"


def test_permissions_of_every_layout() -> None:
    # do_ls/xsls -p: " " + ". . ." up to column 60 + "  (perms)"; no padding after a cut
    # value or past column 60; perms are "<n|r|w|b><%i of the domid>", owner first, so a
    # chmod to an id above INT_MAX reads back negative; "name:" (unreadable) puts its
    # perms on the next line
    lines = [
        _ls_line(0, "memory", "", "n0"),
        _ls_line(1, "target", "524288", "n0,r1"),
        _ls_line(1, "long", "x" * 90, "b1"),
        _ls_line(0, "name", "guest1", "n1,r0,w4294967295"),
        _ls_line(0, "a" * 40, "y" * 20, "r-1"),
        "secret:",
        "  (n0)",
        _ls_line(0, "z", "", "n0,r1,r2,r3,r4,r5,r6,r7,r8,r9,r10,r11,r12,r13"),
    ]
    assert lines[0] == 'memory = ""  . . . . . . . . . . . . . . . . . . . . . . . .  (n0)'
    assert lines[2].endswith('xxx\\..."  (b1)') and lines[4].endswith('y"   (r-1)')
    d = parse_xenstore_ls("\n".join(lines) + "\n", root="/local/domain/1")
    assert d == {
        "/local/domain/1/memory": "",
        "/local/domain/1/memory/target": "524288",
        "/local/domain/1/memory/long": "x" * (80 - 8 - 5),
        "/local/domain/1/name": "guest1",
        "/local/domain/1/" + "a" * 40: "y" * 20,
        "/local/domain/1/z": "",
    }
    flat = '/local/domain/1/name = "guest1"   (n1,r0)\n/local/domain/1/x = "1"   (b-1)\n'
    assert parse_xenstore_ls(flat) == {"/local/domain/1/name": "guest1", "/local/domain/1/x": "1"}


def test_permissions_missing_on_one_line() -> None:
    # -p and a node removed between its read and its permissions read: do_ls has printed the
    # value and the padding, warns on stderr and ends the line without "(perms)"
    lines = [
        _ls_line(0, "a", "1", "n0"),
        _ls_line(0, "gone", "2", "n0").rsplit("  (", 1)[0],
        _ls_line(0, "b", "x...", "n0").rsplit("  (", 1)[0].rstrip(" ."),
        _ls_line(0, "c", "3", "n0,r1"),
    ]
    assert lines[1].endswith('"2" . . . . . . . . . . . . . . . . . . . . . . . . .')
    assert parse_xenstore_ls("\n".join(lines) + "\n") == {
        "/a": "1", "/gone": "2", "/b": "x...", "/c": "3",
    }  # fmt: skip


def test_values_cut_at_a_terminal_width() -> None:
    # on a tty do_ls cuts at columns - 2 (here 120 - 2): the line up to the closing quote is
    # 119 long. A cut inside a "\\\\" pair leaves an unpaired backslash before the "\\..."
    # marker, which alone reads like an escaped backslash and "..." (a real value); the
    # other cut lines of the output, one past the same width, tell it apart
    w = 118
    cut = _ls_line(0, "cutpair", "c" * (w - 16) + "\\\\" + "c" * 5, width=w, raw=w - 10)
    assert cut.endswith('c\\\\..."') and len(cut) == w + 1
    lines = [
        _ls_line(0, "long", "a" * 200, width=w),
        _ls_line(0, "esc", "b" * 105 + "\\001" * 3, width=w, raw=108),
        cut,
        _ls_line(0, "real", "dots\\\\...", width=w, raw=8),
        _ls_line(1, "child", "e" * 40, width=w),
    ]
    d = parse_xenstore_ls("\n".join(lines) + "\n", root="/t")
    assert d == {
        "/t/long": "a" * (w - 8 - 4),
        "/t/esc": "b" * 105,  # the "\\0" left of "\\001" dropped
        "/t/cutpair": "c" * (w - 16),
        "/t/real": "dots\\...",
        "/t/real/child": "e" * 40,
    }
    # alone (nothing to learn the width from) the ambiguous line is kept as printed
    assert parse_xenstore_ls(cut + "\n") == {"/cutpair": "c" * (w - 16) + "\\..."}


def _flat_tty_line(path: str, value: str, width: int, raw: int = 0, perms: str = "") -> str:
    """One line of ``xenstore-ls -f`` on a terminal (xenstore_client.c): main() sets the
    width to columns - 2 after reading the options, so -f's "no limit" is lost, and do_ls
    does not count the path (linewid stays 0): a value of more than width - 8 bytes is cut
    to width - 8 escaped characters and ``\\...``; ``-p`` gives ``   (perms)`` after an
    uncut value (one blank, no padding: desired_width is 0), ``  (perms)`` after a cut."""
    tail = f"  ({perms})" if perms else ""
    if width < (raw or len(value)) + 8:
        return f'{path} = "{value[: width - 8]}\\..."{tail}'
    return f'{path} = "{value}"' + (" " + tail if perms else "")


@pytest.mark.parametrize("perms", ["", "n0"])
def test_flat_values_cut_at_a_terminal_width(perms: str) -> None:
    # -f on a tty cuts too, at the same length for every path; a cut inside a "\\\\" pair
    # ends in "\\\\..." like a real backslash and dots: a sure cut of the same length
    # (its marker's backslash unpaired) tells it apart, as in the indented form
    w = 98
    p = "/local/domain/3/data"
    lines = [
        _flat_tty_line(f"{p}/long", "a" * 200, w, perms=perms),
        _flat_tty_line(f"{p}/cutpair", "c" * (w - 9) + "\\\\" + "c" * 5, w, raw=w - 3,
                       perms=perms),
        _flat_tty_line(f"{p}/real", "dots\\\\...", w, raw=8, perms=perms),
        _flat_tty_line(f"{p}/short", "x" * 10, w, perms=perms),
    ]
    assert lines[1].endswith('c\\\\..."' + (f"  ({perms})" if perms else ""))
    assert parse_xenstore_ls("\n".join(lines) + "\n") == {
        f"{p}/long": "a" * (w - 8),
        f"{p}/cutpair": "c" * (w - 9),
        f"{p}/real": "dots\\...",
        f"{p}/short": "x" * 10,
    }


def test_subtree_listings() -> None:
    # "xenstore-ls /local/domain/1": the indented form names nodes relative to the listed
    # path, which the output does not repeat: without root= they hang under "/" (as if the
    # listed node were the root); -f prints full paths, whatever was listed
    tree = 'memory = ""\n target = "524288"\ndevice = ""\n vbd = ""\n  51712 = ""\n' \
        '   state = "4"\nname = "guest1"\n'
    assert parse_xenstore_ls(tree) == {
        "/memory": "", "/memory/target": "524288", "/device": "", "/device/vbd": "",
        "/device/vbd/51712": "", "/device/vbd/51712/state": "4", "/name": "guest1",
    }  # fmt: skip
    rooted = parse_xenstore_ls(tree, root="/local/domain/1")
    assert rooted["/local/domain/1/device/vbd/51712/state"] == "4" and len(rooted) == 7
    flat = '/local/domain/1/memory = ""\n/local/domain/1/memory/target = "524288"\n'
    assert parse_xenstore_ls(flat) == parse_xenstore_ls(flat, root="/ignored") == {
        "/local/domain/1/memory": "", "/local/domain/1/memory/target": "524288",
    }  # fmt: skip


def test_non_utf8_bytes_in_values() -> None:
    # sanitise_value prints bytes >= 0x7f as \xHH: a byte sequence that is not UTF-8 becomes
    # U+FFFD, a valid one the character; Xen 3.x printed the raw bytes, which reach the
    # parser already decoded with errors="replace" (as the transports and the CLI read)
    text = '/a = "caf\\xe9"\n/b = "caf\\xc3\\xa9"\n/c = "\\xff\\xfe\\x00"\n'
    assert parse_xenstore_ls(text) == {"/a": "caf\ufffd", "/b": "café", "/c": "\ufffd\ufffd\x00"}
    raw = b'name = "caf\xe9 \xff"\n'.decode("utf-8", "replace")
    assert parse_xenstore_ls(raw) == {"/name": "caf\ufffd \ufffd"}
    # lone surrogates (text decoded with surrogateescape elsewhere) do not stop the parse
    assert parse_xenstore_ls('/a = "x\udce9\\x41"\n/b = "\ud800\\t"\n') == {
        "/a": "x\ufffdA", "/b": "\ufffd\t",
    }  # fmt: skip


@needs_fixtures
def test_lab_disks_are_not_cd_drives() -> None:
    from collectors.topology import topology_from_xenstore

    xs = parse_xenstore_ls((FIX / "xen-4.17-lab-a" / "xenstore-ls-f.out").read_text())
    vbds = [d for d in topology_from_xenstore("lab", xs).devices if d.kind.value == "vbd"]
    assert len(vbds) == 3 and all(d.cdrom is False for d in vbds)


def _unexpand(line: str) -> str:
    """``unexpand -a``: a run of 2+ blanks that ends on a tab stop becomes a TAB."""
    out, col, blanks = [], 0, 0
    for ch in line:
        col += 1
        if ch == " ":
            blanks += 1
            if col % 8 == 0:
                out.append("\t" if blanks > 1 else " ")
                blanks = 0
            continue
        out.append(" " * blanks + ch)
        blanks = 0
    return "".join(out) + " " * blanks


def _deep_listing() -> str:
    """-p lines at depths 0-9 with values ending either side of the padding's column 60."""
    return "\n".join(_ls_line(d, f"s{d}_{k}", "v" * k, "n0,r1")
                     for d in range(10) for k in (1, 40, 48, 52, 56)) + "\n"


@pytest.mark.parametrize(("listing", "root"), [
    (lambda: _deep_listing(), "/local/domain/1"),
    (lambda: (DATA / "lab-xenstore-ls-fp-xltoptest.out").read_text(), "/tool/xltoptest"),
])
def test_tabs_before_the_permissions(listing: Callable[[], str], root: str) -> None:
    # a listing that went through a pager or `unexpand` has TABs where the blanks were
    text = listing()
    tabbed = "\n".join(_unexpand(line) for line in text.splitlines()) + "\n"
    assert "\t" in tabbed and tabbed != text
    assert parse_xenstore_ls(tabbed, root=root) == parse_xenstore_ls(text, root=root)
    flat = '/local/domain/3/name = "guest1"\t  (n0,r3)\n/local/domain/3/x = "1"\t(n0)\n'
    assert parse_xenstore_ls(flat) == {"/local/domain/3/name": "guest1", "/local/domain/3/x": "1"}
