"""The front of an ``xl save`` file, built here byte by byte as xl_saverestore.c writes it,
and od's hex text of it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.parse.common import ParseError
from collectors.parse.od import parse_od_hex
from collectors.parse.xl_savefile import WRONG_MAGIC, XlSaveHeader, parse_xl_savefile
from collectors.sim.host_shell import od_text

MAGIC = b"Xen saved domain, xl format\n \0 \r"  # savefileheader_magic, its 32 bytes
DATA = Path(__file__).parent / "data" / "parse"
LAB_HEAD = DATA / "lab-xl-save-idle1-head.chk"  # the front of the lab's `xl save -c idle1`


def xl_config(name: str) -> bytes:
    """libxl's JSON domain config as xl stores it: yajl's beautified text and its NUL."""
    cfg = {"c_info": {"type": "pv", "name": name, "uuid": "1e2f0ad8-0000-4000-8000-0000000a0b0c"},
           "b_info": {"max_vcpus": 1, "max_memkb": 131072, "type.pv": {}}}
    return json.dumps(cfg, indent=4).encode() + b"\n\0"


def checkpoint(config: bytes, *, order: str = "<", flags: int = 0x3, optional_flags: int = 0,
               opt_len: int | None = None, stream: bytes = b"\x89\x00LibxlFmt") -> bytes:
    """A file as xl save writes it: magic, header, u32 config length and config, stream."""
    optional = struct.pack(order + "I", len(config)) + config
    header = struct.pack(order + "4I", 0x01020304, flags, optional_flags,
                         len(optional) if opt_len is None else opt_len)
    return MAGIC + header + optional + stream


@pytest.mark.parametrize("order", ["<", ">"])
def test_json_config_in_either_byte_order(order: str) -> None:
    config = xl_config("db1")
    got = parse_xl_savefile(checkpoint(config, order=order))
    assert got == XlSaveHeader(big_endian=order == ">", mandatory_flags=3, optional_flags=0,
                               optional_data_len=4 + len(config), config_len=len(config),
                               config_json=True, config_read=True, name="db1")
    assert got.unknown_flags == 0


def test_the_labs_checkpoint_of_idle1() -> None:
    data = LAB_HEAD.read_bytes()
    # what HostFacts.head gets: od's hex of the same bytes, as it came over ssh
    assert parse_od_hex((DATA / "lab-od-xl-save-idle1-head.out").read_text()) == data
    want = XlSaveHeader(big_endian=False, mandatory_flags=3, optional_flags=0,
                        optional_data_len=854, config_len=850, config_json=True,
                        config_read=True, name="idle1")
    assert parse_xl_savefile(data) == want
    assert parse_xl_savefile(data, whole_file=True) == want  # exactly header and config
    assert parse_xl_savefile(data[:600]) == XlSaveHeader(False, 3, 0, 854, 850, True, False,
                                                         None)


def test_header_bytes_are_read_at_their_offsets() -> None:
    data = checkpoint(xl_config("web1"))
    assert data[32:36] == b"\x04\x03\x02\x01" and data[36:40] == b"\x03\x00\x00\x00"
    assert parse_xl_savefile(data).optional_data_len == struct.unpack("<I", data[44:48])[0]


@pytest.mark.parametrize("text", [
    b'name = "old1"\nmemory = 128\n',
    b"# a very old xl's config file\nkernel = '/boot/vmlinuz'\nname='old1'\n",
    b'name = "first"\nvcpus = 2\n  name = "old1" # the last one counts\n',
])
def test_legacy_config_text_without_the_json_flag(text: str) -> None:
    got = parse_xl_savefile(checkpoint(text, flags=0x2))
    assert (got.config_json, got.name, got.config_len) == (False, "old1", len(text))


def test_legacy_config_escapes_and_no_name() -> None:
    got = parse_xl_savefile(checkpoint(b'name = "a\\"b\\\\c\\td"\n', flags=0))
    assert got.name == 'a"b\\c\td'
    assert parse_xl_savefile(checkpoint(b"memory = 128\n", flags=0)).name is None


@pytest.mark.parametrize("name", ["$(reboot)", "[red]x", "; rm -rf /", "evil\x1b[2Jname",
                                  "line1\nline2", "\u202eevil-rtl", 'quo"te\\'])
def test_hostile_names_come_through_as_plain_strings(name: str) -> None:
    assert parse_xl_savefile(checkpoint(xl_config(name))).name == name


def test_undecodable_bytes_in_a_name_are_replaced() -> None:
    config = xl_config("db\x01").replace(b"db\\u0001", b"db\xff")
    assert parse_xl_savefile(checkpoint(config)).name == "db\ufffd"


@pytest.mark.parametrize("data", [b"\0" * 100, b"hello", b"Xen saved domain, xm format\n"
                                  + b"\0" * 60, b"\x7fELF" + b"\0" * 200,
                                  b"Xen saved domain, xl format\n \0 \n" + b"\0" * 40])
def test_wrong_magic(data: bytes) -> None:
    with pytest.raises(ParseError) as ei:
        parse_xl_savefile(data)
    assert ei.value.reason == WRONG_MAGIC
    assert ei.value.reason == ("not an xl checkpoint (wrong magic): corrupt or for a "
                               "different tool?")


@pytest.mark.parametrize("size", [0, 10, 32, 40, 47])
def test_truncated_header(size: int) -> None:
    with pytest.raises(ParseError, match=f"truncated header: {size} bytes, xl's header has 48"):
        parse_xl_savefile(checkpoint(xl_config("db1"))[:size])


def test_config_longer_than_what_was_read_leaves_the_name_unknown() -> None:
    data = checkpoint(xl_config("db1"))
    got = parse_xl_savefile(data[:100])
    assert (got.config_len, got.config_read, got.name) == (len(xl_config("db1")), False, None)
    assert parse_xl_savefile(data[:50]).config_len is None  # not even its length
    with pytest.raises(ParseError, match="the file ends inside its config"):
        parse_xl_savefile(data[:100], whole_file=True)
    with pytest.raises(ParseError, match="the file ends before its config's length"):
        parse_xl_savefile(data[:50], whole_file=True)


def test_config_that_does_not_fit_its_optional_data() -> None:
    config = xl_config("db1")
    with pytest.raises(ParseError, match=r"Savefile truncated"):
        parse_xl_savefile(checkpoint(config, opt_len=len(config)))
    with pytest.raises(ParseError, match="cannot hold the config's length"):
        parse_xl_savefile(checkpoint(config, opt_len=3))


def test_no_config_stored() -> None:
    got = parse_xl_savefile(MAGIC + struct.pack("<4I", 0x01020304, 0x2, 0, 0) + b"stream")
    assert (got.config_len, got.config_read, got.name) == (None, True, None)


@pytest.mark.parametrize(("config", "reason"), [
    (b'{"c_info": {"name": "db1"}\n\0', "bad JSON in the config"),
    (b"[1, 2]\n\0", "the config is not a JSON object"),
    (b"\0", "bad JSON in the config: Expecting value"),
    (b"[" * 100_000 + b"\0", "unusable input"),
])
def test_bad_json(config: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as ei:
        parse_xl_savefile(checkpoint(config))
    assert ei.value.reason.startswith(reason)


def test_a_config_without_a_name() -> None:
    for config in (b'{"b_info": {}}\0', b'{"c_info": {"name": 7}}\0', b'{"c_info": []}\0'):
        got = parse_xl_savefile(checkpoint(config))
        assert got.config_read and got.name is None


def test_bad_byte_order_mark_and_unknown_flags() -> None:
    data = bytearray(checkpoint(xl_config("db1")))
    data[32:36] = b"\x01\x02\x03\x05"
    with pytest.raises(ParseError, match="byte order mark 0x01020305 is neither"):
        parse_xl_savefile(bytes(data))
    got = parse_xl_savefile(checkpoint(xl_config("db1"), flags=0x7))
    assert (got.unknown_flags, got.name) == (0x4, "db1")


def test_od_hex_round_trip() -> None:
    data = checkpoint(xl_config("db1")) + bytes(range(256))
    assert parse_od_hex(od_text(data)) == data
    assert parse_od_hex("") == b""
    assert parse_od_hex(" 58 65\n 6e\n") == b"Xen"  # any line width
    for garbage in (" 58 6\n", "od: x: No such file\n", " 58 zz\n", " 58 \u0665\u0665\n"):
        with pytest.raises(ParseError):
            parse_od_hex(garbage)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """The lab's bytes cut, overwritten or grown at random places."""
    data = bytearray(LAB_HEAD.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 3))
        if op == 0:
            del data[i:]
        elif op == 1:
            data[i: i + 4] = draw(st.binary(min_size=1, max_size=4))
        elif op == 2:
            data[i:i] = draw(st.binary(max_size=40))
        else:
            data[i: i + 1] = b""
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(damaged(), st.booleans())
def test_damaged_checkpoints_give_a_header_or_a_parse_error(data: bytes, whole: bool) -> None:
    try:
        got = parse_xl_savefile(data, whole_file=whole)
    except ParseError:
        return
    assert got.name is None or isinstance(got.name, str)
    if got.config_len is not None:
        assert got.config_read == (len(data) >= 52 + got.config_len)
    assert got.config_read or got.name is None
