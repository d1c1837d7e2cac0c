"""collectors/ never imports Textual or Rich (nor tui/): checked in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import collectors

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(collectors.__path__, "collectors."))


def test_collectors_modules_are_found() -> None:
    mods = _modules()
    assert "collectors.model" in mods and "collectors.poller" in mods


def test_collectors_import_no_ui() -> None:
    code = (
        "import importlib, json, sys\n"
        f"mods = {_modules()!r}\n"
        "failed = {}\n"
        "for m in mods:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except Exception as e:\n"
        "        failed[m] = repr(e)\n"
        "ui = sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'rich', 'tui'))\n"
        "print(json.dumps({'ui': ui, 'failed': failed}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}, result["failed"]
    assert result["ui"] == [], f"collectors pulled in UI modules: {result['ui']}"


def test_the_check_would_notice_a_ui_import() -> None:
    code = "import sys, tui.text; print('rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"
