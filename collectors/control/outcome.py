"""Reading xl's answer: did the action work, what did xl say, how far is a long one.

xl's exit code alone does not tell success: ``xl pause 99`` and ``xl unpause`` of a
running domain print a ``libxl: error:`` line and exit 0. So an action failed when it
exits non-zero **or** prints an error line from libxl or libxc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "failed", "unknown", "refused", "invalid"]

_ERROR_LINE = re.compile(r"^(libxl|xc): (error|critical): ", re.MULTILINE)
_PROGRESS = re.compile(
    r"^xc: progress: (?P<what>[^:]+): (?P<done>\d+)/(?P<total>\d+)\s+(?P<pct>\d+)%\s*$"
)


@dataclass(frozen=True, slots=True)
class Progress:
    """One line of a long action's output; ``percent`` when it is an xc progress line."""

    line: str
    what: str | None = None  # "Frames", "End of stream"
    done: int | None = None
    total: int | None = None
    percent: int | None = None


def parse_progress(line: str) -> Progress:
    m = _PROGRESS.match(line.strip())
    if m is None:
        return Progress(line)
    return Progress(line, m["what"], int(m["done"]), int(m["total"]), int(m["pct"]))


def is_progress_line(line: str) -> bool:
    return line.lstrip().startswith("xc: progress:")


def has_error_line(text: str) -> bool:
    return _ERROR_LINE.search(text) is not None


def xl_text(stdout: str, stderr: str) -> str:
    """What xl said, verbatim, without the per-frame progress lines."""
    lines = [ln for ln in stderr.splitlines() if not is_progress_line(ln)]
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        text = stdout.strip("\n")
    return text


def classify(exit_code: int, stdout: str, stderr: str) -> Outcome:
    if exit_code != 0 or has_error_line(stderr) or has_error_line(stdout):
        return "failed"
    return "ok"


def tail(text: str, lines: int = 20, width: int = 400) -> list[str]:
    """The last ``lines`` lines of ``text`` (progress lines dropped, long lines cut)."""
    kept = [ln[:width] for ln in text.splitlines() if ln.strip() and not is_progress_line(ln)]
    return kept[-lines:]
