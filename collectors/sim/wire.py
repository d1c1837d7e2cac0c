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
    CommandResult,
    CommandTimeout,
    ConnectError,
    ConnectionLost,
    TransportError,
)

_ERRORS: dict[str, type[TransportError]] = {
    "connect": ConnectError,
    "timeout": CommandTimeout,
    "lost": ConnectionLost,
    "transport": TransportError,
}
_KINDS = {cls: kind for kind, cls in _ERRORS.items()}


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":")).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    msg = json.loads(line)
    if not isinstance(msg, dict):
        raise ValueError("not a JSON object")
    return msg


def error_of(exc: BaseException) -> list[str]:
    """``[kind, message]`` for an exception the other side should raise again."""
    if isinstance(exc, TransportError):
        return [_KINDS.get(type(exc), "transport"), exc.message]
    if isinstance(exc, ValueError):
        return ["value", str(exc)]
    if isinstance(exc, TypeError):
        return ["type", str(exc)]
    return ["internal", f"simulator: {exc!r}"]


def raise_error(host: HostId, err: list[str]) -> None:
    kind, message = (err + ["", ""])[:2]
    if kind in _ERRORS:
        raise _ERRORS[kind](host, message)
    if kind == "value":
        raise ValueError(message)
    if kind == "type":
        raise TypeError(message)
    raise TransportError(host, message or "simulator: unknown error")


def result_to_wire(r: CommandResult) -> list[Any]:
    return [list(r.argv), r.exit_code, r.stdout, r.stderr, r.duration_s]


def result_from_wire(v: list[Any]) -> CommandResult:
    argv, code, out, err, dur = v
    return CommandResult(tuple(argv), int(code), out, err, float(dur))


def to_text(data: bytes) -> str:
    return data.decode("latin-1")


def to_bytes(text: str) -> bytes:
    return text.encode("latin-1")
