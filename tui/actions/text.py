"""Text of the action screens: commands, targets, problems and xl's answers, always built
with :func:`tui.text.safe_text` (names, paths and xl's output are untrusted)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from collectors.control.seam import Plan
from collectors.journal import STDERR_TAIL_LINES
from tui.actions.target import Target
from tui.text import safe_text, visible


def target_header(t: Target, title: str) -> Text:
    """``On  web1 (domid 3) on xenlab`` — or ``On host xenlab`` for host actions."""
    text = Text(end="")
    d = t.domain
    if d is not None:
        text.append(f"{title}  ", style="bold")
        text.append_text(safe_text(d.name, style="bold"))
        if d.domid is not None:
            text.append(f" (domid {d.domid})")
        text.append(" on ")
    else:
        text.append(f"{title} host ", style="bold")
    text.append_text(safe_text(t.host, style="bold"))
    return text


def command_text(plan: Plan) -> Text:
    """The exact command line and where it runs."""
    text = Text("$ ", end="")
    text.append_text(safe_text(plan.display, style="bold"))
    text.append("\n  on host ")
    text.append_text(safe_text(plan.host, style="bold"))
    text.append(", target ")
    text.append_text(safe_text(plan.target))
    return text


def problem_text(*messages: str) -> Text:
    text = Text(end="")
    for i, m in enumerate(messages):
        if i:
            text.append("\n")
        text.append("✖ ")
        text.append_text(safe_text(m))
    return text


def warning_text(warnings: Iterable[str]) -> Text:
    text = Text(end="")
    for i, w in enumerate(warnings):
        if i:
            text.append("\n")
        text.append("⚠ ")
        text.append_text(safe_text(w))
    return text


TOAST_LINES = 6


def toast_text(message: str) -> str:
    """A long xl error as a toast: the first error line (what went wrong; the rest tend to
    be its consequences), then the last lines; the action log (L) keeps them all."""
    lines = message.rstrip("\n").split("\n")
    if len(lines) <= TOAST_LINES:
        return message
    tail = lines[-(TOAST_LINES - 2):]
    first = next((ln for ln in lines if "error" in ln.lower()), None)
    head = [first] if first is not None and first not in tail else []
    # the journal (what L shows) keeps the last STDERR_TAIL_LINES non-blank lines
    kept = sum(1 for ln in lines if ln.strip())
    shows = "them" if kept <= STDERR_TAIL_LINES else f"the last {STDERR_TAIL_LINES}"
    return "\n".join([*head, f"… {len(lines)} lines in all: L shows {shows}", *tail])


def verbatim(message: str) -> str:
    """xl's text for a notification: every line as xl wrote it, control characters shown as
    escapes (notifications are plain text, never markup)."""
    return "\n".join(visible(line) for line in message.rstrip("\n").split("\n"))
