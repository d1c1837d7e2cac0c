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

from collectors.model import RingStats
from collectors.parse.common import ParseError, lines_of
from collectors.parse.guard import parse_errors

_MOD = 1 << 32

_HEADER = re.compile(r"==> (?P<p>.+) <==|== (?P<q>/\S.*)")


@parse_errors("file dump")
def split_file_dump(text: str) -> dict[str, str]:
    """Content per path of a multi-file dump; a dump without headers is ``{"": text}``.

    Text before the first header (``ls`` listings) is dropped; the blank line ``head``
    puts between files is not part of a file's content.
    """
    out: dict[str, str] = {}
    path: str | None = None
    buf: list[str] = []

    def close() -> None:
        if path is not None:
            while buf and not buf[-1].strip():
                buf.pop()
            out[path] = "\n".join(buf) + ("\n" if buf else "")

    saw_header = False
    for _, line in lines_of(text):
        m = _HEADER.fullmatch(line.rstrip())
        if m is not None:
            close()
            path, buf, saw_header = (m["p"] or m["q"]).strip(), [], True
            continue
        if path is not None:
            buf.append(line)
    close()
    if not saw_header:
        return {"": text}
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


_QUEUE = re.compile(r"Queue (\d+)")
_DIR = re.compile(r"(TX|RX): nr_ents (\d+)")
_REQ = re.compile(r"req prod (\d+) \(-?\d+\) cons (\d+) \(-?\d+\) event (\d+) \(-?\d+\)")
_RSP = re.compile(r"rsp prod (\d+) \(base\) pvt (\d+) \(-?\d+\) event (\d+) \(-?\d+\)")


@parse_errors("netback io_ring")
def parse_netback_io_ring(text: str, queue: int | None = None) -> NetbackQueue:
    """One ``io_ring_qN`` file. ``queue`` is used when the file has no ``Queue N`` line."""
    source = "netback io_ring"
    blocks: dict[str, dict[str, int]] = {}
    current: str | None = None
    for no, raw in lines_of(text):
        line = raw.strip()
        if not line:
            continue
        if (m := _QUEUE.fullmatch(line)) is not None:
            queue = int(m[1])
        elif (m := _DIR.fullmatch(line)) is not None:
            current = m[1].lower()
            blocks[current] = {"nr_ents": int(m[2])}
        elif line.startswith(("req prod", "rsp prod")):
            m = _REQ.fullmatch(line) or _RSP.fullmatch(line)
            if m is None:
                raise ParseError(source, no, raw, "bad ring index line")
            if current is None:
                raise ParseError(source, no, raw, "ring indices outside a TX/RX block")
            names = ("req_prod", "req_cons", "req_event")
            if line.startswith("rsp"):
                names = ("rsp_prod", "rsp_pvt", "rsp_event")
            blocks[current].update(zip(names, (int(v) for v in m.groups()), strict=True))
        elif line.startswith(("NAPI", "Credit", "Rx internal")):
            current = None  # the queue-wide lines after the rings
    if queue is None:
        raise ParseError(source, None, None, "no 'Queue N' line and no queue number given")
    if not blocks and not text.strip().startswith("Queue"):
        raise ParseError(source, 1, text.split("\n", 1)[0], "not a netback io_ring file")

    def ring(d: dict[str, int] | None) -> RingIndices | None:
        if d is None:
            return None
        return RingIndices(
            d.get("nr_ents"),
            d.get("req_prod"),
            d.get("req_cons"),
            d.get("req_event"),
            d.get("rsp_prod"),
            d.get("rsp_pvt"),
            d.get("rsp_event"),
        )

    return NetbackQueue(queue, ring(blocks.get("tx")), ring(blocks.get("rx")))


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

_STAT_LINE = re.compile(r"(?P<key>\S+?):\s*(?P<value>\S*)")


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
            if not value.isdecimal():
                raise ParseError(source, None, value[:40], f"{path} is not a counter")
            out[path.rstrip("/").rsplit("/", 1)[-1]] = int(value)
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
        if not m["value"].isdecimal():
            raise ParseError(source, no, raw, "counter is not a number")
        out[key] = int(m["value"])
    return out


# --- the RING_FILES dump ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RingDump:
    netback: Mapping[tuple[int, int], tuple[NetbackQueue, ...]] = field(default_factory=dict)
    blkback: Mapping[tuple[int, int], Mapping[str, int]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

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
        }


_NETBACK_FILE = re.compile(r".*/vif(\d+)\.(\d+)/io_ring_q(\d+)")
_BLKBACK_FILE = re.compile(r".*/(?:vbd3?|tap)-(\d+)-(\d+)/statistics/(\w+)")
_BLKBACK_DIR = re.compile(r".*/(?:vbd3?|tap)-(\d+)-(\d+)(?:/statistics)?/?")


@parse_errors("ring dump")
def parse_ring_dump(text: str) -> RingDump:
    """Netback queues keyed by (domid, devid) from ``vif<domid>.<devid>`` and blkback
    counters keyed by (domid, devid) from ``vbd-<domid>-<devid>``.

    A file that does not parse is reported in ``errors`` and the rest is kept.
    """
    files = split_file_dump(text)
    netback: dict[tuple[int, int], list[NetbackQueue]] = {}
    blkback: dict[tuple[int, int], dict[str, int]] = {}
    errors: list[str] = []
    if "" in files:
        if text.strip():
            errors.append("no '==> path <==' headers: cannot tell which file is which")
        return RingDump({}, {}, tuple(errors))
    for path, content in files.items():
        try:
            if (m := _NETBACK_FILE.fullmatch(path)) is not None:
                key = (int(m[1]), int(m[2]))
                q = parse_netback_io_ring(content, queue=int(m[3]))
                netback.setdefault(key, []).append(q)
            elif (m := _BLKBACK_FILE.fullmatch(path)) is not None:
                value = content.strip()
                if not value.isdecimal():
                    raise ParseError("blkback statistics", 1, value[:40], "not a counter")
                blkback.setdefault((int(m[1]), int(m[2])), {})[m[3]] = int(value)
            elif (m := _BLKBACK_DIR.fullmatch(path)) is not None:
                stats = parse_blkback_statistics(content)
                blkback.setdefault((int(m[1]), int(m[2])), {}).update(stats)
        except (ParseError, ValueError) as e:
            errors.append(f"{path}: {e}")
    nb = {k: tuple(sorted(v, key=lambda q: q.queue)) for k, v in netback.items()}
    return RingDump(nb, blkback, tuple(errors))
