"""The action journal: one JSON line per action attempt, appended, never rewritten.

``$XLTOP_JOURNAL`` if set, else ``$XDG_STATE_HOME/xltop/journal.jsonl``
(``~/.local/state/xltop/journal.jsonl``). Each line is written with a single ``write``
on an ``O_APPEND`` descriptor, so concurrent writers (two xltop processes, many tasks)
never interleave or lose lines. Refused and invalid attempts are recorded too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collectors.xdg import state_home

STDERR_TAIL_LINES = 20
_MAX_LINE_CHARS = 400


@dataclass(frozen=True, slots=True)
class JournalEntry:
    host: str
    argv: tuple[str, ...]
    outcome: str  # ok, failed, unknown, refused, invalid
    exit_code: int | None = None
    duration_s: float | None = None
    stderr_tail: tuple[str, ...] = ()
    verb: str | None = None
    domain: str | None = None
    message: str | None = None
    time: str = field(default_factory=lambda: utc_now_iso())
    user: str = field(default_factory=lambda: local_user())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["argv"] = list(self.argv)
        d["stderr_tail"] = list(self.stderr_tail)
        return d


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (containers)
        return f"uid:{os.getuid()}"


def default_journal_path(env: Mapping[str, str] = os.environ, *, demo: bool = False) -> Path:
    """``$XLTOP_JOURNAL``, else the XDG state dir's journal; the simulated fleet's actions
    go to a journal of their own beside it (``journal-demo.jsonl``, ``<name>-demo<ext>``),
    never among real hosts' ones."""
    if env.get("XLTOP_JOURNAL"):
        path = Path(env["XLTOP_JOURNAL"]).expanduser()
        return path.with_name(f"{path.stem}-demo{path.suffix}") if demo else path
    return state_home(env) / "xltop" / ("journal-demo.jsonl" if demo else "journal.jsonl")


def stderr_tail(text: str, lines: int = STDERR_TAIL_LINES) -> tuple[str, ...]:
    kept = [ln[:_MAX_LINE_CHARS] for ln in text.splitlines() if ln.strip()]
    return tuple(kept[-lines:])


_TAIL_BLOCK = 64 * 1024


def _json_line(obj: object, *, ascii_only: bool) -> str:
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":")) + "\n"


class Journal:
    """Appends entries to the journal file (created 0600 in a 0700 directory)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_journal_path()

    def append(self, entry: JournalEntry) -> None:
        """Write one line; raises OSError when the journal cannot be written."""
        obj = entry.to_json()
        try:
            data = _json_line(obj, ascii_only=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (an argument that was not UTF-8)
            data = _json_line(obj, ascii_only=True).encode("ascii")  # kept as \udcXX
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            written = os.write(fd, data)  # one write: O_APPEND makes it atomic on local files
            if written != len(data):  # only on a full disk; finish the line rather than cut it
                os.write(fd, data[written:])
        finally:
            os.close(fd)

    async def record(self, entry: JournalEntry) -> None:
        """``append`` off the event loop."""
        await asyncio.to_thread(self.append, entry)

    def read(self, last: int | None = None) -> list[dict[str, Any]]:
        """The entries as dicts (for a journal view and for tests); bad lines are skipped.
        With ``last``, only the file's tail is read (a journal of years stays quick)."""
        try:
            text = self._tail(last) if last else self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out[-last:] if last else out

    def _tail(self, lines: int) -> str:
        """At least the last ``lines`` complete lines (bad ones included), read backwards
        in growing blocks from the end of the file."""
        with self.path.open("rb") as f:
            size = f.seek(0, os.SEEK_END)
            block = _TAIL_BLOCK
            while True:
                start = max(0, size - block)
                f.seek(start)
                data = f.read(size - start)
                if start == 0 or data.count(b"\n") > lines:
                    break
                block *= 4
        if start:
            data = data[data.index(b"\n") + 1:]  # the first line may be cut: drop it
        return data.decode("utf-8", errors="replace")
