"""Ring and backend-counter dumps: netback debugfs ``io_ring_qN`` and blkback ``statistics/``.

``commands.RING_FILES`` runs ``head -n 64 -- <files>``, which prints every file under a
``==> /path <==`` header (a blank line between files). The captured fixtures use
``== /path`` headers and may start with ``ls``-style listings; both are accepted.

netback ``io_ring_qN`` (Linux ``xenvif_read_io_ring``)::

    Queue 0
    TX: nr_ents 256
    req prod 104377 (0) cons 104377 (0) event 104378 (1)
    rsp prod 104377 (base) pvt 104377 (0) event 104378 (1)
    ...
    RX: nr_ents 256
    req prod 93761 (256) cons 93505 (0) event 93506 (1)
    rsp prod 93505 (base) pvt 93505 (0) event 93506 (1)

Either block may be missing (ring not mapped); other lines vary by kernel and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from collectors.model import RingStats
from collectors.parse.common import ParseError, is_uint, lines_of, uint, unusable_number
from collectors.parse.guard import parse_errors

_MOD = 1 << 32

_HEADER = re.compile(r"==> (?P<p>.+) <==|== (?P<q>/\S.*)")


@parse_errors("file dump")
def split_file_dump(text: str) -> dict[str, str]:
    """Content per path of a multi-file dump; a dump without headers is ``{"": text}``.

    Text before the first header (``ls`` listings) is dropped; the blank line ``head``
    puts between files is not part of a file's content.
    """
    files = _files_of(text)
    return {"": text} if files is None else files


def _files_of(text: str) -> dict[str, str] | None:
    """split_file_dump's files, None when the dump has no header at all."""
    lines = _normalised_lines(text)
    files = _file_slices(lines)
    if files is None:
        return None
    return {path: "".join(line + "\n" for line in lines[a:b]) for path, a, b in files}


def _normalised_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _file_slices(lines: list[str]) -> list[tuple[str, int, int]] | None:
    """(path, first line, end) of every file in a dump, trailing blank lines left out;
    None when there is no header at all. A path given twice keeps its last content."""
    out: list[tuple[str, int, int]] = []
    path: str | None = None
    start = 0

    def close(end: int) -> None:
        while end > start and not lines[end - 1].strip():
            end -= 1
        out.append((path or "", start, end))

    for i, line in enumerate(lines):
        if line[:2] != "==":
            continue
        m = _HEADER.fullmatch(line.rstrip())
        if m is None:
            continue
        if path is not None:
            close(i)
        path, start = (m["p"] or m["q"]).strip(), i + 1
    if path is None:
        return None
    close(len(lines))
    return out


# --- netback --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RingIndices:
    nr_ents: int | None
    req_prod: int | None
    req_cons: int | None
    req_event: int | None
    rsp_prod: int | None
    rsp_pvt: int | None
    rsp_event: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "nr_ents": self.nr_ents,
            "req_prod": self.req_prod,
            "req_cons": self.req_cons,
            "req_event": self.req_event,
            "rsp_prod": self.rsp_prod,
            "rsp_pvt": self.rsp_pvt,
            "rsp_event": self.rsp_event,
        }


@dataclass(frozen=True, slots=True)
class NetbackQueue:
    queue: int
    tx: RingIndices | None
    rx: RingIndices | None

    def to_json(self) -> dict[str, object]:
        return {
            "queue": self.queue,
            "tx": self.tx.to_json() if self.tx else None,
            "rx": self.rx.to_json() if self.rx else None,
        }


# "%u" indices; the "(%d)" after each is relative to rsp_prod, so it may be negative
_U, _REL = r"([0-9]+)", r"\(-?[0-9]+\)"
_QUEUE = re.compile(rf"Queue {_U}")
_DIR = re.compile(rf"(TX|RX): nr_ents {_U}")
_REQ = re.compile(rf"req prod {_U} {_REL} cons {_U} {_REL} event {_U} {_REL}")
_RSP = re.compile(rf"rsp prod {_U} \(base\) pvt {_U} {_REL} event {_U} {_REL}")


@parse_errors("netback io_ring")
def parse_netback_io_ring(text: str, queue: int | None = None) -> NetbackQueue:
    """One ``io_ring_qN`` file. ``queue`` is used when the file has no ``Queue N`` line."""
    lines = _normalised_lines(text)
    return _io_ring(lines, 0, len(lines), queue)


def _io_ring(lines: list[str], start: int, end: int, queue: int | None) -> NetbackQueue:
    """parse_netback_io_ring over ``lines[start:end]`` (line numbers count from start)."""
    source = "netback io_ring"
    blocks: dict[str, dict[str, int]] = {}
    current: dict[str, int] | None = None
    first: str | None = None
    for i in range(start, end):
        line = lines[i].strip()
        if not line:
            continue
        if first is None:
            first = line
        try:
            current, queue = _io_ring_line(line, current, queue, blocks)
        except ValueError as e:  # a number of thousands of digits
            raise ParseError(source, i - start + 1, lines[i], unusable_number(e)) from None
        except ParseError as e:
            raise ParseError(source, i - start + 1, lines[i], e.reason) from None
    if queue is None:
        raise ParseError(source, None, None, "no 'Queue N' line and no queue number given")
    if not blocks and not (first or "").startswith("Queue"):
        raise ParseError(source, 1, lines[start] if start < end else "",
                         "not a netback io_ring file")
    return NetbackQueue(queue, _ring(blocks.get("tx")), _ring(blocks.get("rx")))


def _io_ring_line(
    line: str, current: dict[str, int] | None, queue: int | None, blocks: dict[str, dict[str, int]]
) -> tuple[dict[str, int] | None, int | None]:
    """One stripped line of an io_ring file: (the TX/RX block now open, the queue number).
    ParseError (without a line number: the caller adds it) for a line that starts like
    one of the lines read but does not match it, ValueError for thousands of digits."""
    c = line[0]
    if c == "r" and line.startswith(("req prod", "rsp prod")):
        rsp = line[1] == "s"
        m = (_RSP if rsp else _REQ).fullmatch(line)
        if m is None:
            m = (_REQ if rsp else _RSP).fullmatch(line)
            if m is None:
                raise ParseError("netback io_ring", None, None, "bad ring index line")
        if current is None:
            raise ParseError("netback io_ring", None, None, "ring indices outside a TX/RX block")
        a, b, e = m.groups()
        if rsp:
            current["rsp_prod"], current["rsp_pvt"], current["rsp_event"] = int(a), int(b), int(e)
        else:
            current["req_prod"], current["req_cons"], current["req_event"] = int(a), int(b), int(e)
    elif c == "Q" and line.startswith("Queue "):
        m = _QUEUE.fullmatch(line)
        if m is None:
            raise ParseError("netback io_ring", None, None, "bad queue line")
        queue = int(m[1])
    elif (c == "T" or c == "R") and line.startswith(("TX:", "RX:")):
        m = _DIR.fullmatch(line)
        if m is None:  # (read past, the block's indices would go to the block before)
            raise ParseError("netback io_ring", None, None, "bad ring size line")
        current = blocks[m[1].lower()] = {"nr_ents": int(m[2])}
    elif line.startswith(("NAPI", "Credit", "Rx internal")):
        current = None  # the queue-wide lines after the rings
    return current, queue


def _ring(d: dict[str, int] | None) -> RingIndices | None:
    if d is None:
        return None
    g = d.get
    return RingIndices(g("nr_ents"), g("req_prod"), g("req_cons"), g("req_event"),
                       g("rsp_prod"), g("rsp_pvt"), g("rsp_event"))


def _diff(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else (a - b) % _MOD


def ring_stats(q: NetbackQueue, source: str) -> tuple[RingStats, ...]:
    """RingStats for the queue's TX then RX ring (the ones present), indices mod 2³²."""
    out: list[RingStats] = []
    for direction, r in (("tx", q.tx), ("rx", q.rx)):
        if r is None:
            continue
        out.append(
            RingStats(
                queue=q.queue,
                direction=direction,
                entries=r.nr_ents,
                req_prod=r.req_prod,
                rsp_prod=r.rsp_prod,
                req_cons=r.req_cons,
                requests_outstanding=_diff(r.req_prod, r.rsp_prod),
                unconsumed=_diff(r.req_prod, r.req_cons),
                responses_pending=_diff(r.rsp_pvt, r.rsp_prod),
                source=source,
            )
        )
    return tuple(out)


# --- blkback --------------------------------------------------------------------------------

_STAT_LINE = re.compile(r"(?P<key>\S+?):\s*(?P<value>[^\s:]*)")  # (no ':' in a value)


@parse_errors("blkback statistics")
def parse_blkback_statistics(text: str) -> dict[str, int]:
    """One vbd's counters: ``name: value`` lines (also ``/path/name: value``), or a
    ``head`` dump of the ``statistics/*`` files. Listing lines without a colon and
    unmatched globs (``.../statistics/*: ``) are ignored."""
    source = "blkback statistics"
    files = split_file_dump(text)
    out: dict[str, int] = {}
    if "" not in files:
        for path, content in files.items():
            value = content.strip()
            try:
                out[path.rstrip("/").rsplit("/", 1)[-1]] = uint(value)
            except ValueError:  # not ASCII digits, or thousands of them
                raise ParseError(source, None, value[:40], f"{path} is not a counter") from None
        return out
    for no, raw in lines_of(text):
        line = raw.strip()
        if not line or ":" not in line:
            continue
        m = _STAT_LINE.fullmatch(line)
        if m is None:
            raise ParseError(source, no, raw, "expected 'name: value'")
        key = m["key"].rstrip("/").rsplit("/", 1)[-1]
        if not m["value"] or key == "*":
            continue
        try:
            out[key] = uint(m["value"])
        except ValueError:  # not ASCII digits, or thousands of them
            raise ParseError(source, no, raw, "counter is not a number") from None
    return out


# --- the RING_FILES dump ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RingDump:
    netback: Mapping[tuple[int, int], tuple[NetbackQueue, ...]] = field(default_factory=dict)
    blkback: Mapping[tuple[int, int], Mapping[str, int]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    # netback directories not named vif<domid>.<devid>: netback names the directory after
    # the interface when the frontend connects, after the hotplug script gave it its vifname
    netback_named: Mapping[str, tuple[NetbackQueue, ...]] = field(default_factory=dict)

    @property
    def has_netback(self) -> bool:
        """Whether any vif's io_ring files were read (under either directory name)."""
        return bool(self.netback or self.netback_named)

    def to_json(self) -> dict[str, object]:
        return {
            "netback": [
                {"domid": d, "devid": i, "queues": [q.to_json() for q in qs]}
                for (d, i), qs in sorted(self.netback.items())
            ],
            "blkback": [
                {"domid": d, "devid": i, "statistics": dict(s)}
                for (d, i), s in sorted(self.blkback.items())
            ],
            "errors": list(self.errors),
            "netback_named": [
                {"dir": n, "queues": [q.to_json() for q in qs]}
                for n, qs in sorted(self.netback_named.items())
            ],
        }


# (ids of at most 9 digits: int() of them neither fails nor takes long)
_NETBACK_FILE = re.compile(r".*/vif([0-9]{1,9})\.([0-9]{1,9})/io_ring_q([0-9]{1,9})")
_NETBACK_NAMED = re.compile(r".*/xen-netback/([^/]+)/io_ring_q([0-9]{1,9})")
_BLKBACK_FILE = re.compile(r".*/(?:vbd3?|tap)-([0-9]{1,9})-([0-9]{1,9})/statistics/(\w+)")
_K = TypeVar("_K")  # a directory's key: (domid, devid) or its name
_BLKBACK_DIR = re.compile(r".*/(?:vbd3?|tap)-([0-9]{1,9})-([0-9]{1,9})(?:/statistics)?/?")


# The io_ring layout every netback since 3.x prints (TX, kernel-dependent lines, RX), read
# in one regex; any other layout goes through _io_ring line by line.
_IDX = rf" {_REL} "
_NB_FAST = re.compile(
    rf"Queue {_U}\n"
    rf"TX: nr_ents {_U}\n"
    rf"req prod {_U}{_IDX}cons {_U}{_IDX}event {_U} {_REL}\n"
    rf"rsp prod {_U} \(base\) pvt {_U}{_IDX}event {_U} {_REL}\n"
    r"(?:(?![ \t]*(?:req |rsp |RX: |TX: |Queue ))[^\n]*\n)*"
    rf"RX: nr_ents {_U}\n"
    rf"req prod {_U}{_IDX}cons {_U}{_IDX}event {_U} {_REL}\n"
    rf"rsp prod {_U} \(base\) pvt {_U}{_IDX}event {_U} {_REL}\n"
    r"(?![\s\S]*^[ \t]*(?:req |rsp |RX: |TX: |Queue ))",
    re.MULTILINE,
)


def _io_ring_text(content: str, queue: int) -> NetbackQueue:
    m = _NB_FAST.match(content)
    if m is None:
        lines = content.split("\n")
        return _io_ring(lines, 0, len(lines), queue)
    v = [int(x) for x in m.groups()]
    return NetbackQueue(v[0], RingIndices(*v[1:8]), RingIndices(*v[8:15]))


def _dump_chunks(text: str) -> list[tuple[str, str]] | None:
    """(path, content) of every file of a plain ``==> path <==`` dump, split at C speed;
    None when it needs the general reader (CR, ``== /path`` headers, text before the first
    header, a header line that does not end right after ``<==``)."""
    if not text.startswith("==> ") or "\r" in text or "\n== /" in text:
        return None
    out: list[tuple[str, str]] = []
    for chunk in text[4:].split("\n==> "):
        head, sep, content = chunk.partition(" <==\n")
        if not sep or "\n" in head or not head.strip():
            return None
        out.append((head.strip(), content))
    return out


@parse_errors("ring dump")
def parse_ring_dump(text: str) -> RingDump:
    """Netback queues keyed by (domid, devid) from ``vif<domid>.<devid>`` (by directory
    name in ``netback_named`` for a renamed interface) and blkback counters keyed by
    (domid, devid) from ``vbd-<domid>-<devid>``.

    A file that does not parse is reported in ``errors`` and the rest is kept.
    """
    netback: dict[tuple[int, int], list[NetbackQueue]] = {}
    named: dict[str, list[NetbackQueue]] = {}
    blkback: dict[tuple[int, int], dict[str, int]] = {}
    errors: list[str] = []
    chunks = _dump_chunks(text)
    files = dict(chunks) if chunks is not None else _files_of(text)  # a path twice: the last
    if files is None:
        if text.strip():
            errors.append("no '==> path <==' headers: cannot tell which file is which")
        return RingDump({}, {}, tuple(errors))
    for path, content in files.items():
        try:
            if (m := _NETBACK_FILE.fullmatch(path)) is not None:
                q = _io_ring_text(content, int(m[3]))
                netback.setdefault((int(m[1]), int(m[2])), []).append(q)
            elif (m := _NETBACK_NAMED.fullmatch(path)) is not None:
                named.setdefault(m[1], []).append(_io_ring_text(content, int(m[2])))
            elif (m := _BLKBACK_FILE.fullmatch(path)) is not None:
                value = content.strip()
                if not is_uint(value):
                    raise ParseError("blkback statistics", 1, value[:40], "not a counter")
                blkback.setdefault((int(m[1]), int(m[2])), {})[m[3]] = int(value)
            elif (m := _BLKBACK_DIR.fullmatch(path)) is not None:
                stats = parse_blkback_statistics(content)
                blkback.setdefault((int(m[1]), int(m[2])), {}).update(stats)
        except (ParseError, ValueError) as e:
            errors.append(f"{path}: {e}")
    return RingDump(_in_queue_order(netback), blkback, tuple(errors), _in_queue_order(named))


def _in_queue_order(found: dict[_K, list[NetbackQueue]]) -> dict[_K, tuple[NetbackQueue, ...]]:
    return {k: tuple(sorted(v, key=lambda q: q.queue)) for k, v in found.items()}
