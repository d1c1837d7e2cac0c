"""Fuzz every parser: random text and mutated real outputs give a result or a ParseError.

No other exception may escape (IndexError, KeyError, a bare ValueError from int() on a
5000-digit number, RecursionError from deep JSON ...), and the streaming assembler never
raises at all: it records errors and goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.parse import (
    od,
    procfs,
    rings,
    xenstore,
    xentop,
    xl_devices,
    xl_info,
    xl_list,
    xl_savefile,
    xl_sched,
    xl_vcpu,
)
from collectors.parse.cli import KINDS, parse_to_json
from collectors.parse.common import ParseError

FIX = Path("/work/shared/fixtures")
DATA = Path(__file__).parent / "data" / "parse"

PARSERS: list[Callable[[str], object]] = [
    xl_list.parse_xl_list,
    xl_list.parse_xl_list_long,
    xl_vcpu.parse_xl_vcpu_list,
    xl_info.parse_xl_info,
    xl_info.parse_xl_uptime,
    xl_info.parse_cpupool_list,
    xl_devices.parse_network_list,
    xl_devices.parse_block_list,
    xl_sched.parse_sched_params,
    xentop.parse_xentop,
    xenstore.parse_xenstore_ls,
    lambda t: xenstore.parse_xenstore_ls(t, root="/local/domain/1"),
    xenstore.unescape_value,
    rings.split_file_dump,
    rings.parse_netback_io_ring,
    lambda t: rings.parse_netback_io_ring(t, queue=0),
    rings.parse_blkback_statistics,
    rings.parse_ring_dump,
    procfs.parse_proc_net_dev,
    procfs.parse_loadavg,
    procfs.parse_dom0_proc,
    xl_list.state_from_xl,
    xl_list.state_from_xentop,
    xl_vcpu.vcpu_state,
    xl_devices.vdev_to_devid,
    od.parse_od_hex,
    lambda t: xl_savefile.parse_xl_savefile(t.encode("utf-8", "surrogateescape")),
]

SAMPLES = sorted(
    p.read_text(errors="replace")
    for p in [*FIX.glob("*/*.out"), *DATA.glob("*.out")]
    if p.stat().st_size < 40_000
) or ["Name ID Mem VCPUs State Time(s)\nDomain-0 0 1024 2 r----- 1.0\n"]

# characters that matter to the formats: separators, signs, quotes, escapes, state letters
SHAPED = st.text(alphabet=' \t\r\n0123456789-.:/"\\()[]{},=abcdeprsNAMEVBDXnolimt%', max_size=400)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SAMPLES)).split("\n")
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 7))
        line = lines[i]
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, draw(st.text(max_size=80)))
        elif op == 2:
            j = draw(st.integers(0, len(line)))
            lines[i] = line[:j] + draw(SHAPED.filter(lambda s: len(s) < 12)) + line[j:]
        elif op == 3:
            lines[i] = line[: draw(st.integers(0, len(line)))]
        elif op == 4:
            lines[i] = line.replace(" ", "\t")
        elif op == 5:
            lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
        elif op == 6:
            lines[i] = line.replace("0", "9" * draw(st.sampled_from([2, 30, 5000])))
        else:
            lines[i] = line + "\r"
        if not lines:
            lines = [""]
    return "\n".join(lines)


def check(text: str) -> None:
    for parse in PARSERS:
        with contextlib.suppress(ParseError):
            parse(text)
    for kind in KINDS:
        with contextlib.suppress(ParseError):
            parse_to_json(kind, text)
    asm = xentop.XentopFrameAssembler()
    for line in text.split("\n"):
        for frame in asm.feed(line):
            assert all(isinstance(d, xentop.XentopDomain) for d in frame)
    asm.flush()
    assert all(isinstance(e, ParseError) for e in asm.errors)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(st.text(max_size=600))
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(SHAPED)
def test_shaped_text(text: str) -> None:
    check(text)


@FUZZ
@given(mutated())
def test_mutated_real_outputs(text: str) -> None:
    check(text)


def test_pathological_inputs() -> None:
    for text in [
        "[" * 100_000,
        '{"a":' * 50_000,
        "9" * 5000,
        "Name ID Mem VCPUs\tState\tTime(s)\nx " + "9" * 5000 + " 1 1 -b---- 1.0",
        "x 1 1 1 -b- 1.0 0-99999999999 / all",
        "VCPUs(sec):   0: " + "9" * 5000 + "s",
        "== /x/vif1.0/io_ring_q0\nQueue 0\nTX: nr_ents " + "9" * 5000,
        "\x00\x01\x02\n\u2028\u0085\ufeff",
        "\n" * 10_000,
    ]:
        check(text)
