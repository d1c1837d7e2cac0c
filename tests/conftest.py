"""Shared fixtures: isolation from the developer's own config and state, and the Xen lab."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = next(
    (p for p in (ROOT.parent / "shared" / "fixtures", Path("/work/shared/fixtures")) if p.is_dir()),
    ROOT.parent / "shared" / "fixtures",
)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's config or write to their journal."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.delenv("XLTOP_CONFIG", raising=False)
    monkeypatch.setenv("XLTOP_JOURNAL", str(base / "state" / "journal.jsonl"))


# --- the real Xen lab ------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    script: Path
    host: str
    port: int
    user: str
    key: str
    known_hosts: str

    @property
    def target(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def ssh(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.script), "ssh", command], capture_output=True,
                              text=True, timeout=timeout, check=False)


def _lab_script() -> Path | None:
    for c in (os.environ.get("XENLAB"), ROOT.parent / "shared/xenlab/xenlab",
              "/work/shared/xenlab/xenlab"):
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    found = shutil.which("xenlab")
    return Path(found) if found else None


_LAB: Lab | None = None
_LAB_WHY = ""


def _find_lab() -> Lab | None:
    global _LAB, _LAB_WHY
    if _LAB is not None or _LAB_WHY:
        return _LAB
    script = _lab_script()
    if script is None:
        _LAB_WHY = "xenlab script not found"
        return None
    st = subprocess.run([str(script), "status"], capture_output=True, text=True, check=False)
    if "running" not in st.stdout:
        _LAB_WHY = "Xen lab not running (xenlab up)"
        return None
    env = subprocess.run([str(script), "env"], capture_output=True, text=True, check=True).stdout
    kv = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    lab = Lab(script, kv["XENLAB_SSH_HOST"], int(kv["XENLAB_SSH_PORT"]), kv["XENLAB_SSH_USER"],
              kv["XENLAB_SSH_KEY"], kv["XENLAB_KNOWN_HOSTS"])
    probe = lab.ssh("xl list", timeout=60)
    if probe.returncode != 0 or "Domain-0" not in probe.stdout:
        _LAB_WHY = f"Xen lab not answering: {probe.stderr.strip()[:200]}"
        return None
    missing = _missing_guests(probe.stdout)
    if missing:  # e.g. a hotplug script timed out at boot under emulation: start it again
        for name in missing:
            lab.ssh(f"xl create /etc/xen/{name}.cfg", timeout=180)
        still = _missing_guests(lab.ssh("xl list", timeout=60).stdout)
        if still:
            _LAB_WHY = f"Xen lab guests missing: {', '.join(still)} (xl create failed)"
            return None
    _LAB = lab
    return lab


LAB_GUESTS = ("web1", "db1", "idle1")


def _missing_guests(xl_list: str) -> list[str]:
    """The lab's guests (README: auto-started at boot) that ``xl list`` does not show."""
    names = {line.split()[0] for line in xl_list.splitlines()[1:] if line.strip()}
    return [g for g in LAB_GUESTS if g not in names]


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    found = _find_lab()
    if found is None:
        pytest.skip(f"real-Xen tier skipped: {_LAB_WHY}")
    yield found


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-Xen tier first and as one xdist group: its tests share one slow host, so one
    worker runs them in turn while the others run the rest beside them."""
    lab = [item for item in items if item.get_closest_marker("lab")]
    for item in lab:
        item.add_marker(pytest.mark.xdist_group("xen-lab"))
    items[:] = lab + [item for item in items if not item.get_closest_marker("lab")]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from tests.lab_schedule import make_scheduler

    return make_scheduler(config, log)


_lab_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}
_lab_skip_reasons: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # runs where the reports end up: in the xdist controller too, which runs no test itself
    if "lab" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _lab_outcomes[report.outcome] = _lab_outcomes.get(report.outcome, 0) + 1
        if report.skipped and isinstance(report.longrepr, tuple):
            _lab_skip_reasons.append(str(report.longrepr[2]).removeprefix("Skipped: "))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    o = _lab_outcomes
    ran = "ran" if o["passed"] + o["failed"] > 0 else "skipped"
    reason = _LAB_WHY or next(iter(_lab_skip_reasons), "")
    why = f" ({reason})" if ran == "skipped" and reason else ""
    terminalreporter.write_line(
        f"XLTOP-LAB-TIER: {ran} {o['passed']} {o['failed']} {o['skipped']}"
        f"  (passed failed skipped){why}"
    )
