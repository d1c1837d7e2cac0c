"""Console attach from the dashboard through a real pseudo-terminal: ``xltop --demo`` (fixed
seed) under pexpect, the screen kept by pyte. The simulated guest's console echoes input.

Three attaches in a row without restarting: each time the TUI hands the terminal over,
``echo`` gets its answer, Ctrl-] detaches and the dashboard is back on the same row.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from pathlib import Path

import pexpect
import pytest

from collectors.model import Domain, DomainState
from tests.tui_terminal import Term
from tui.actions.console_flow import _quiet_hint
from tui.actions.target import Target

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "mq-02"  # on xen-lab-02 with --seed 0: running, a PV guest with a console


def xltop(tmp_path: Path, *args: str) -> Term:
    env = {**os.environ, "TERM": "xterm-256color", "XLTOP_JOURNAL": str(tmp_path / "j.jsonl"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "COLUMNS": "120", "LINES": "40"}
    env.pop("NO_COLOR", None)
    return Term([sys.executable, "-m", "tui", *args], env)


def open_domains_on(term: Term, name: str) -> None:
    """Domains view, cursor on ``name`` (picked in the command palette)."""
    term.wait_screen(r"1 Fleet")
    term.keys("2")
    term.wait_screen(r"Domains \d+")
    term.keys("\x10")  # ctrl+p
    term.wait_screen(r"Search for commands")
    term.keys(*name)
    term.wait_screen(rf"Domain: {name}  on xen-lab-02")
    term.keys("\r")
    term.wait_screen(r"Domains \d+  sort")


def test_console_attach_three_times_and_back_on_the_same_row(tmp_path: Path) -> None:
    term = xltop(tmp_path, "--demo", "--seed", "0")
    try:
        open_domains_on(term, DOMAIN)
        for _ in range(3):
            term.mark()
            term.keys("c")
            # a cleared screen, then the banner: the last console's text is gone
            term.wait_raw(rf"\x1b\[H\x1b\[2J\x1b\[3Jxltop: console of {DOMAIN} \(domid \d+\) "
                          r"on xen-lab-02".encode())
            word = secrets.token_hex(3)
            term.send(f"echo hel''lo-{word}\r")  # the answer differs from what is typed
            term.wait_raw(f"\r\nhello-{word}\r\n".encode())
            term.mark()
            term.send("\x1d")
            term.wait_raw(re.escape(b"\x1b[?1049h"))  # the dashboard takes the screen back
            term.wait_screen(r"detached from the console")
            term.wait_screen(r"Domains \d+  sort")
            term.keys("\r")  # the detail of the row under the cursor: the same domain
            term.wait_screen(rf"{DOMAIN}  domid \d+ on xen-lab-02")
            term.keys("\x1b")
            term.wait_screen(r"Domains \d+  sort")
        term.keys("q")
        term.child.expect(pexpect.EOF, timeout=15)
    finally:
        term.close()
    lines = [json.loads(x) for x in (tmp_path / "j-demo.jsonl").read_text().splitlines()]
    assert [(e["verb"], e["outcome"], e["message"]) for e in lines] == [
        ("console", "ok", None)] * 3
    assert {e["argv"][:2] == ["xl", "console"] for e in lines} == {True}


def test_console_of_domain_0_is_refused_with_a_message(tmp_path: Path) -> None:
    term = xltop(tmp_path, "--demo", "--seed", "0", "--hosts", "1")
    try:
        term.wait_screen(r"Domains \d+")
        term.keys("\x1b[H")  # home: the first row, Domain-0 (Dom0 first)
        term.keys("c")
        term.wait_screen(r"console is not possible on Domain-0")
        assert b"\x1b[?1049l" not in term.raw  # never left the dashboard
    finally:
        term.close()


def test_a_console_that_may_stay_silent_is_announced_as_such() -> None:
    def target(state: DomainState) -> Target:
        return Target("h", Domain(host="h", domid=6, name="mail-02", state=state), None)

    assert _quiet_hint(target(DomainState(blocked=True))) is None
    assert _quiet_hint(target(DomainState(shutdown=True))) == (
        "mail-02 is shut down: its console may stay silent")
    assert _quiet_hint(target(DomainState(paused=True, shutdown=True, dying=True))) == (
        "mail-02 is dying: its console may stay silent")
