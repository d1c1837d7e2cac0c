"""``xltop parse KIND [FILE]``: run one parser on captured output and print JSON.

Reads FILE (or stdin when FILE is absent or ``-``), prints the parsed records as JSON
(indent 2) and exits 0; a ParseError prints ``xltop parse: <message>`` on stderr and
exits 1 (so does a result holding NaN or an infinity, which is not JSON: the parsers make
none); an unknown kind prints the usage on stderr and exits 2. Input bytes that are not
UTF-8 become U+FFFD; a capture that starts with a byte-order mark (saved on Windows: UTF-8
with a BOM, or UTF-16 as PowerShell's ``>`` writes it) is read in the encoding it names.
``xenstore-ls`` output of a subtree without ``-f`` gives paths relative to the listed path,
under ``/`` (the output does not say what was listed).
Also runnable as ``python -m collectors.parse.cli KIND [FILE]``.
"""

from __future__ import annotations

import codecs
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from collectors.parse.common import ParseError
from collectors.parse.procfs import parse_proc_net_dev
from collectors.parse.rings import parse_blkback_statistics, parse_netback_io_ring, parse_ring_dump
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_devices import parse_block_list, parse_network_list
from collectors.parse.xl_info import parse_cpupool_list, parse_xl_info, parse_xl_uptime
from collectors.parse.xl_list import parse_xl_list, parse_xl_list_long
from collectors.parse.xl_vcpu import parse_xl_vcpu_list
from collectors.stdout import write_json, write_or_say


class _Record(Protocol):
    def to_json(self) -> object: ...


def _rows(parse: Callable[[str], Sequence[_Record]]) -> Callable[[str], object]:
    def run(text: str) -> object:
        return [r.to_json() for r in parse(text)]

    return run


def _xentop(text: str) -> object:
    return {"frames": [[d.to_json() for d in frame] for frame in parse_xentop(text)]}


def _netback(text: str) -> object:
    dump = parse_ring_dump(text)
    if dump.has_netback or dump.blkback:
        return dump.to_json()
    return parse_netback_io_ring(text).to_json()  # one io_ring_qN file on its own


def _blkback(text: str) -> object:
    dump = parse_ring_dump(text)
    if dump.blkback:
        return dump.to_json()
    counters = parse_blkback_statistics(text)
    if not counters and text.strip():  # (lines without a colon are skipped as listings)
        raise ParseError("blkback statistics", None, None, "no 'name: value' counter line")
    return counters


def _ring_dump(text: str) -> object:
    dump = parse_ring_dump(text)
    # nothing read: not a dump
    if not (dump.has_netback or dump.blkback) and dump.errors:
        raise ParseError("ring dump", None, None, dump.errors[0])
    return dump.to_json()


def _proc_net_dev(text: str) -> object:
    return [
        {
            "name": i.name,
            "rx_bytes": i.rx_bytes,
            "tx_bytes": i.tx_bytes,
            "rx_packets": i.rx_packets,
            "tx_packets": i.tx_packets,
            "rx_errs": i.rx_errs,
            "tx_errs": i.tx_errs,
            "rx_drop": i.rx_drop,
            "tx_drop": i.tx_drop,
        }
        for i in parse_proc_net_dev(text)
    ]


KINDS: dict[str, Callable[[str], object]] = {
    "xl-list": _rows(parse_xl_list),
    "xl-vcpu-list": _rows(parse_xl_vcpu_list),
    "xentop": _xentop,
    "xl-info": parse_xl_info,
    "xenstore-ls": parse_xenstore_ls,
    "xm-list": _rows(parse_xl_list),
    "xm-vcpu-list": _rows(parse_xl_vcpu_list),
    "xm-info": parse_xl_info,
    "xl-list-l": _rows(parse_xl_list_long),
    "xl-uptime": _rows(parse_xl_uptime),
    "xl-cpupool-list": _rows(parse_cpupool_list),
    "xl-network-list": _rows(parse_network_list),
    "xl-block-list": _rows(parse_block_list),
    "netback": _netback,
    "blkback": _blkback,
    "ring-dump": _ring_dump,
    "proc-net-dev": _proc_net_dev,
}

USAGE = "usage: xltop parse KIND [FILE]\n  KIND: " + ", ".join(KINDS) + "\n"


def parse_to_json(kind: str, text: str) -> object:
    """The JSON-ready value for ``text`` parsed as ``kind``. Raises KeyError, ParseError."""
    return KINDS[kind](text)


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(data: bytes) -> str:
    """UTF-8 (bytes that are not become U+FFFD), or what a leading byte-order mark names."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    return data.decode("utf-8", "replace")


def _read(path: str | None, stdin: TextIO | None) -> str:
    if path is None or path == "-":
        if stdin is None:  # (<&-)
            raise OSError("stdin is closed")
        data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    return _decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    if args[:1] == ["parse"]:
        args = args[1:]
    if args[:1] in (["-h"], ["--help"]):
        return _print(USAGE)
    if not 1 <= len(args) <= 2 or args[0] not in KINDS:
        if args and args[0] not in KINDS:
            sys.stderr.write(f"xltop parse: unknown kind {args[0]!r}\n")
        sys.stderr.write(USAGE)
        return 2
    try:
        text = _read(args[1] if len(args) == 2 else None, sys.stdin)
    except OSError as e:
        sys.stderr.write(f"xltop parse: {e}\n")
        return 1
    try:
        value = parse_to_json(args[0], text)
    except ParseError as e:
        if args[0].startswith("xm-") and e.source.startswith("xl "):  # the same parser
            e = ParseError("xm " + e.source[3:], e.line_no, e.line, e.reason)
        sys.stderr.write(f"xltop parse: {e}\n")
        return 1
    try:
        # allow_nan=False: NaN/Infinity are not JSON (the parsers never make them; if one
        # ever did, this refuses to print it rather than print what no JSON reader takes)
        return write_json(_print, value, indent=2, allow_nan=False)
    except ValueError as e:
        sys.stderr.write(f"xltop parse: {args[0]}: {e}\n")
        return 1


def _print(text: str) -> int:
    """Write ``text`` to stdout: the exit code."""
    return 0 if write_or_say(text, "xltop parse: cannot write the output") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
