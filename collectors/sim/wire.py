"""The line protocol between a simulator process and its ProcessSimRunners.

One JSON object per line, both ways. A request is ``{"id": N, "op": OP, ...}``; its
answer is ``{"id": N, "ok": VALUE}`` or ``{"id": N, "err": [KIND, MESSAGE]}``. A stream
(xentop, xenstore-watch) keeps its request id and sends ``{"id": N, "lines": [...]}``
events, then ``{"id": N, "end": [EXIT_CODE, STDERR]}`` or an ``err``. Bytes (terminal
I/O) travel as latin-1 strings; JSON's ``\\u`` escapes keep every line ASCII.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.model import HostId
from collectors.transport.base import (
    BatchCut,
    BatchOutputTooLarge,
    BatchTimeout,
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    OutputTooLarge,
    TransportError,
)

_ERRORS: dict[str, type[TransportError]] = {
    "connect": ConnectError,
    "timeout": CommandTimeout,
    "lost": ConnectionLost,
    "too_large": OutputTooLarge,
    "transport": TransportError,
}
_KINDS = {cls: kind for kind, cls in _ERRORS.items()}
# a batch cut short, with the results of the commands that finished
_BATCH_CUTS: dict[str, type[BatchCut]] = {
    "batch_timeout": BatchTimeout,
    "batch_too_large": BatchOutputTooLarge,
}
_CUT_KINDS = {cls: kind for kind, cls in _BATCH_CUTS.items()}


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    msg = json.loads(line)
    if not isinstance(msg, dict):
        raise ValueError("not a JSON object")
    return msg


def error_of(exc: BaseException) -> list[Any]:
    """``[kind, message]`` for an exception the other side should raise again."""
    if isinstance(exc, BatchCut) and type(exc) in _CUT_KINDS:
        return [_CUT_KINDS[type(exc)], exc.message,
                [None if r is None else result_to_wire(r) for r in exc.results]]
    if isinstance(exc, TransportError):
        return [_KINDS.get(type(exc), "transport"), exc.message]
    if isinstance(exc, ValueError):
        return ["value", str(exc)]
    if isinstance(exc, TypeError):
        return ["type", str(exc)]
    return ["internal", f"simulator: {exc!r}"]


def raise_error(host: HostId, err: list[Any]) -> None:
    kind, message = (err + ["", ""])[:2]
    if kind in _BATCH_CUTS and len(err) == 3 and isinstance(err[2], list):
        raise _BATCH_CUTS[kind](host, message, [None if r is None else result_from_wire(r)
                                                for r in err[2]])
    if kind in _ERRORS:
        raise _ERRORS[kind](host, message)
    if kind == "value":
        raise ValueError(message)
    if kind == "type":
        raise TypeError(message)
    raise TransportError(host, message or "simulator: unknown error")


def result_to_wire(r: CommandResult) -> list[Any]:
    return [list(r.argv), r.exit_code, r.stdout, r.stderr, r.duration_s, r.ended_early_s]


def result_from_wire(v: list[Any]) -> CommandResult:
    argv, code, out, err, dur, early = v
    return CommandResult(tuple(argv), int(code), out, err, float(dur),
                         None if early is None else float(early))


def to_text(data: bytes) -> str:
    return data.decode("latin-1")


def to_bytes(text: str) -> bytes:
    return text.encode("latin-1")
