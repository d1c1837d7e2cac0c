"""The action log: actions running now, then the journal's newest lines (who ran what, where,
with which result and xl's last words)."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from collectors.journal import Journal
from tui.actions.running import RunningAction
from tui.text import safe_text, visible
from tui.widgets.key_scroll import KeyScroll
from tui.widgets.once_modal import OnceModal
from tui.widgets.stable_footer import StableFooter

SHOWN = 200
_OUTCOME_MARK = {"ok": "✔", "failed": "✖", "unknown": "?", "refused": "⊘", "invalid": "✎"}


def journal_text(entries: Sequence[Mapping[str, Any]], running: Iterable[RunningAction]) -> Text:
    text = Text(end="")
    now = list(running)
    if now:
        text.append("Running now\n", style="bold underline")
        for r in now:
            pct = "" if r.percent is None else f" {r.percent}%"
            text.append(f"  … {r.elapsed_s:.0f} s{pct}  ")
            text.append_text(safe_text(r.plan.display, style="bold"))
            text.append("  on ")
            text.append_text(safe_text(r.plan.host))
            text.append("\n")
        text.append("\n")
    text.append("Journal (newest first, times in UTC)\n", style="bold underline")
    if not entries:
        text.append("  nothing yet\n", style="dim")
    for e in reversed(entries):
        outcome = str(e.get("outcome", "?"))
        text.append(f"  {_OUTCOME_MARK.get(outcome, '?')} {outcome:<8} ", style="bold")
        text.append_text(safe_text(str(e.get("time", ""))[:19].replace("T", " ")))
        text.append("  ")
        text.append_text(safe_text(e.get("user", "?")))
        text.append("@")
        text.append_text(safe_text(e.get("host", "?")))
        text.append("  ")
        argv = e.get("argv")
        shown = shlex.join(str(a) for a in argv) if isinstance(argv, list) else "?"
        text.append_text(safe_text(shown, style="bold"))
        domain = e.get("domain")
        if isinstance(domain, str) and isinstance(argv, list) and domain not in argv:
            text.append("  (")  # (xl was given its domid: which domain that was)
            text.append_text(safe_text(domain))
            text.append(")")
        code, took = e.get("exit_code"), e.get("duration_s")
        if code is not None:
            text.append(f"  exit {code}")
        if isinstance(took, int | float) and took:
            text.append(f"  {took:.1f} s")
        text.append("\n")
        for line in entry_lines(e):
            text.append("      ")
            text.append_text(safe_text(line, style="dim"))
            text.append("\n")
    return text


def entry_lines(entry: Mapping[str, Any]) -> list[str]:
    """What an entry says under its line, whatever its outcome: xltop's message (kept for
    what did not go well), then xl's output tail, the one the toast sent here (not again
    when the message ends with it)."""
    said = [ln for ln in str(entry.get("message") or "").splitlines() if ln.strip()]
    tail = entry.get("stderr_tail")
    lines = [str(x) for x in tail] if isinstance(tail, list) else []
    if said and said[-len(lines):] == lines:
        return said
    return [*said, *(part for ln in lines for part in ln.splitlines())]


class ActionLogScreen(OnceModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,L,q", "dismiss", "Close", id="log.close"),
        Binding("r", "reload", "Reload", id="log.reload"),
    ]

    DEFAULT_CSS = """
    ActionLogScreen {
        align: center middle;
    }
    ActionLogScreen > VerticalScroll {
        width: 95%;
        height: 90%;
        background: $surface;
        border: round $primary;
        border-title-color: $primary;
        padding: 0 1;
    }
    """

    def __init__(self, journal: Journal, running: Iterable[RunningAction]) -> None:
        super().__init__()
        self.journal = journal
        self.running = running
        self.loaded = 0  # journal reads done (tests)

    def compose(self) -> ComposeResult:
        box = KeyScroll()
        # Text: a title string is Textual markup, and a path is not ('[/x]' in it crashed L)
        box.border_title = Text(f"Action log  {visible(str(self.journal.path))}")
        with box:
            yield Static(Text("reading the journal…", style="dim"), id="log-text")
        yield StableFooter()

    def on_mount(self) -> None:
        self.query_one(KeyScroll).focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load(), exclusive=True, exit_on_error=False)

    async def _load(self) -> None:
        try:
            entries = await asyncio.to_thread(self.journal.read, SHOWN)
        except (OSError, UnicodeDecodeError) as e:
            text = Text(f"cannot read the journal {self.journal.path}: ", end="")
            text.append_text(safe_text(str(e)))
            self.query_one("#log-text", Static).update(text)
        else:
            self.query_one("#log-text", Static).update(journal_text(entries, self.running))
        self.loaded += 1
