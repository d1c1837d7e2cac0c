"""The action journal: where it lives, every field, and no lost lines under concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import stat
import threading
from pathlib import Path

import pytest

from collectors import journal as journal_mod
from collectors.journal import Journal, JournalEntry, default_journal_path, stderr_tail
from tests.test_tui_sim import sim_app


def test_path_env_and_xdg(tmp_path: Path) -> None:
    assert default_journal_path({"XLTOP_JOURNAL": "/x/j.jsonl"}) == Path("/x/j.jsonl")
    assert default_journal_path({"XDG_STATE_HOME": "/st"}) == Path("/st/xltop/journal.jsonl")
    got = default_journal_path({})
    assert got.parts[-4:] == (".local", "state", "xltop", "journal.jsonl")
    # a relative XDG_STATE_HOME is invalid (the XDG spec): ignored, not taken from the cwd
    assert default_journal_path({"XDG_STATE_HOME": "st"}) == got
    # XLTOP_JOURNAL wins over XDG_STATE_HOME
    assert default_journal_path({"XLTOP_JOURNAL": "/a", "XDG_STATE_HOME": "/b"}) == Path("/a")
    # the simulated fleet's actions never mix with real hosts' ones
    assert default_journal_path({"XDG_STATE_HOME": "/st"}, demo=True) == Path(
        "/st/xltop/journal-demo.jsonl")
    # beside $XLTOP_JOURNAL, never in it
    assert default_journal_path({"XLTOP_JOURNAL": "/x/j.jsonl"}, demo=True) == Path(
        "/x/j-demo.jsonl")


def test_the_demo_dashboard_and_do_journal_apart(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLTOP_JOURNAL", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app, _ = sim_app(1, 2)
    assert app.journal.path == tmp_path / "xltop" / "journal-demo.jsonl"


def test_every_field(tmp_path: Path) -> None:
    j = Journal(tmp_path / "state" / "xltop" / "journal.jsonl")
    err = "\n".join(f"line {i}" for i in range(30)) + "\n"
    before = dt.datetime.now(dt.UTC)
    j.append(JournalEntry(host="xen-a", argv=("xl", "save", "-c", "3", "/s/$(x).chk"),
                          outcome="failed", exit_code=1, duration_s=1.25,
                          stderr_tail=stderr_tail(err), verb="save", domain="web1",
                          message="Failed to save domain, resuming domain"))
    raw = j.path.read_text()
    assert raw.endswith("\n") and raw.count("\n") == 1
    e = json.loads(raw)
    assert set(e) == {"time", "user", "host", "argv", "exit_code", "duration_s", "outcome",
                      "stderr_tail", "verb", "domain", "message"}
    t = dt.datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
    assert t.utcoffset() == dt.timedelta(0) and e["time"].endswith("Z")
    assert before - dt.timedelta(seconds=1) <= t <= dt.datetime.now(dt.UTC)
    assert isinstance(e["user"], str) and e["user"]
    assert e["host"] == "xen-a"
    assert e["argv"] == ["xl", "save", "-c", "3", "/s/$(x).chk"]
    assert e["exit_code"] == 1 and e["duration_s"] == 1.25 and e["outcome"] == "failed"
    assert e["stderr_tail"] == [f"line {i}" for i in range(10, 30)]  # the last 20
    assert e["verb"] == "save" and e["domain"] == "web1"
    assert stat.S_IMODE(j.path.stat().st_mode) == 0o600


def test_hostile_text_stays_one_line(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    j.append(JournalEntry(host="h", argv=("xl", "pause", "a\nb\r\x1b[31m"), outcome="ok"))
    lines = j.path.read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["argv"][2] == "a\nb\r\x1b[31m"


def test_an_argument_that_was_not_utf8_is_written_and_read_back(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    j.append(JournalEntry(host="h", argv=("xl", "pause", "bad\udcffname"), outcome="invalid"))
    j.append(JournalEntry(host="h", argv=("xl", "pause", "é"), outcome="ok"))
    assert [e["argv"][2] for e in j.read()] == ["bad\udcffname", "é"]
    assert j.path.read_bytes().decode("utf-8").count("\n") == 2  # the file stays UTF-8


def test_read_skips_garbage(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    assert j.read() == []
    j.append(JournalEntry(host="h", argv=("xl", "pause", "1"), outcome="ok"))
    with j.path.open("a") as f:
        f.write("not json\n[1]\n")
    j.append(JournalEntry(host="h", argv=("xl", "unpause", "1"), outcome="ok"))
    assert [e["argv"][1] for e in j.read()] == ["pause", "unpause"]
    assert [e["argv"][1] for e in j.read(last=1)] == ["unpause"]


def _writer(path: str, who: int, n: int) -> None:
    j = Journal(Path(path))
    pad = "x" * (who * 300)  # lines of different lengths, some over 4 KiB with the tail
    for i in range(n):
        j.append(JournalEntry(host=f"h{who}", argv=("xl", "pause", str(i)), outcome="ok",
                              stderr_tail=(pad,) * 3, message=f"{who}:{i}"))


def test_concurrent_processes_and_threads_lose_no_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 200)) for w in range(6)]
    threads = [threading.Thread(target=_writer, args=(str(path), w, 200)) for w in range(6, 10)]
    for p in procs:
        p.start()
    for t in threads:
        t.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    for t in threads:
        t.join(30)
    lines = path.read_text().splitlines()
    assert len(lines) == 10 * 200
    seen = {json.loads(line)["message"] for line in lines}  # every line parses whole
    assert seen == {f"{w}:{i}" for w in range(10) for i in range(200)}


async def test_record_is_async(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    await asyncio.gather(*(j.record(JournalEntry(host="h", argv=("xl", "pause", str(i)),
                                                 outcome="ok")) for i in range(50)))
    assert sorted(int(e["argv"][2]) for e in j.read()) == list(range(50))


def test_a_rotated_journal_is_followed_by_a_new_file(tmp_path: Path) -> None:
    # logrotate (or mv) while xltop runs: the file is opened for each line, so the next
    # entry starts a new journal instead of going after the renamed one
    j = Journal(tmp_path / "journal.jsonl")
    j.append(JournalEntry(host="h", argv=("xl", "pause", "a"), outcome="ok"))
    j.path.rename(tmp_path / "journal.jsonl.1")
    j.append(JournalEntry(host="h", argv=("xl", "unpause", "a"), outcome="ok"))
    assert [e["argv"] for e in j.read()] == [["xl", "unpause", "a"]]
    assert [e["argv"] for e in Journal(tmp_path / "journal.jsonl.1").read()] == [
        ["xl", "pause", "a"]]


def test_unwritable_journal_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        Journal(blocker / "j.jsonl").append(JournalEntry(host="h", argv=("xl",), outcome="ok"))


@pytest.mark.parametrize("block", [64, 1000, 64 * 1024])
def test_read_last_reads_the_tail_only_and_agrees_with_a_full_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(journal_mod, "_TAIL_BLOCK", block)
    j = Journal(tmp_path / "j.jsonl")
    for i in range(300):  # lines of varied length, with multi-byte characters to cut
        j.append(JournalEntry(host="h", argv=("xl", "pause", str(i)), outcome="ok",
                              message="é" * (i % 7) + "x" * (i % 50)))
    everything = j.read()
    assert len(everything) == 300
    for n in (1, 7, 299, 300, 1000):
        assert j.read(last=n) == everything[-n:]
    assert Journal(tmp_path / "none.jsonl").read(last=5) == []
