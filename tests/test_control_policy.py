"""Policy and the seam's handling of answers: read-only, confirmations, outcomes, journal."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from collectors.config import HostConfig, Settings
from collectors.control.errors import Refused, ValidationFailed
from collectors.control.policy import Confirmation
from collectors.control.requests import (
    Console,
    Create,
    Destroy,
    MemSet,
    NetworkAttach,
    Pause,
    Restore,
    Save,
    Unpause,
)
from collectors.control.seam import ControlSeam
from collectors.journal import Journal
from collectors.model import DomainState
from collectors.transport.base import CommandResult, CommandTimeout, ConnectionLost
from tests.control_helpers import HOST, RecordingRunner, dom, snapshot
from tests.test_parse_xl_savefile import checkpoint, xl_config

H = HOST
LAB = HostConfig(H, "local")


DEFAULTS = Settings()


def make(runner: RecordingRunner, tmp_path: Path, *, host: HostConfig = LAB,
         settings: Settings = DEFAULTS, refresh: list[int] | None = None) -> ControlSeam:
    cb = None if refresh is None else (lambda: refresh.append(1))
    return ControlSeam(runner, host, settings, Journal(tmp_path / "j.jsonl"), refresh=cb)


# --- read-only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "settings", "why"),
    [(LAB, Settings(read_only=True), "read-only mode (--read-only, or read_only in the config)"),
     (HostConfig(H, "local", read_only=True), Settings(), f"host {H} is read-only")],
)
async def test_read_only_refuses_before_any_runner_call(
    tmp_path: Path, host: HostConfig, settings: Settings, why: str
) -> None:
    r = RecordingRunner()
    seam = make(r, tmp_path, host=host, settings=settings)
    assert seam.refusal() is not None and why in seam.refusal()  # type: ignore[operator]
    for req in (Pause(H, "web1"), Save(H, "web1", "/tmp/x.chk"), NetworkAttach(H, "web1"),
                Create(H, "/etc/xen/web1.cfg")):
        with pytest.raises(Refused, match=re.escape(why)):
            await seam.preview(req, snapshot())
    assert r.calls == []
    lines = Journal(tmp_path / "j.jsonl").read()
    assert [e["outcome"] for e in lines] == ["refused"] * 4
    assert lines[0]["argv"] == ["xl", "pause", "web1"] and why in lines[0]["message"]


async def test_read_only_switched_on_after_preview_still_refuses(tmp_path: Path) -> None:
    r = RecordingRunner()
    seam = make(r, tmp_path)
    plan = await seam.preview(Pause(H, "web1"), snapshot())
    seam.settings = Settings(read_only=True)
    res = await seam.execute(plan)
    assert res.outcome == "refused" and res.exit_code is None
    assert r.xl_calls == []


# --- confirmations ------------------------------------------------------------------------------


async def confirmation_of(req: object, host: HostConfig = LAB) -> tuple[Confirmation, str | None]:
    seam = ControlSeam(RecordingRunner(), host, Settings())
    plan = await seam.preview(req, snapshot())  # type: ignore[arg-type]
    return plan.confirmation, plan.confirm_text


@pytest.mark.parametrize(
    ("req", "kind"),
    [
        (Pause(H, "web1"), Confirmation.YES_NO),
        (Destroy(H, "web1"), Confirmation.TYPED_NAME),
        (Save(H, "web1", "/tmp/n.chk"), Confirmation.YES_NO),
        (Save(H, "web1", "/tmp/n.chk", keep_running=False), Confirmation.TYPED_NAME),
        (Save(H, "web1", "/tmp/n.chk", keep_running=False, leave_paused=True),
         Confirmation.TYPED_NAME),
        (MemSet(H, "web1", "32m"), Confirmation.YES_NO),  # exactly a quarter of 128 MiB
        (MemSet(H, "web1", "31m"), Confirmation.TYPED_NAME),
        (MemSet(H, "web1", "200m"), Confirmation.YES_NO),
        (Console(H, "web1"), Confirmation.NONE),
    ],
)
async def test_confirmation_kinds(req: object, kind: Confirmation) -> None:
    got, text = await confirmation_of(req)
    assert got == kind
    assert text == ("web1" if kind == Confirmation.TYPED_NAME else None)


async def test_a_save_without_c_says_once_what_becomes_of_the_domain() -> None:
    seam = ControlSeam(RecordingRunner(), LAB, Settings())
    stop = await seam.preview(Save(H, "web1", "/tmp/n.chk", keep_running=False), snapshot())
    assert stop.reasons == ("without -c the domain is destroyed once saved",)
    assert not any("saved" in w for w in stop.warnings)  # (not said twice)
    paused = await seam.preview(Save(H, "web1", "/tmp/n.chk", keep_running=False,
                                     leave_paused=True), snapshot())
    assert paused.reasons == ("without -c the domain stays paused once saved",)


async def test_production_host_needs_typed_name_for_everything() -> None:
    prod = HostConfig(H, "local", production=True)
    assert await confirmation_of(Pause(H, "web1"), prod) == (Confirmation.TYPED_NAME, "web1")
    assert await confirmation_of(Create(H, "/etc/xen/web1.cfg"), prod) == (
        Confirmation.TYPED_NAME, "web1.cfg")
    # a restore: the name of the domain the checkpoint brings back, as its header says
    path = "/var/lib/xen/save/idle1.chk"  # (a file named after another domain)
    seam = ControlSeam(RecordingRunner(contents={path: checkpoint(xl_config("gone"))}), prod,
                       Settings())
    plan = await seam.preview(Restore(H, path), snapshot())
    assert (plan.confirmation, plan.confirm_text) == (Confirmation.TYPED_NAME, "gone")


async def test_typed_name_is_enforced_by_the_seam(tmp_path: Path) -> None:
    r = RecordingRunner()
    seam = make(r, tmp_path)
    plan = await seam.preview(Destroy(H, "web1"), snapshot())
    assert plan.prompt == f"xl destroy 3   # web1 (domid 3) on {H}"
    for typed in (None, "", "web", "WEB1", "db1"):
        res = await seam.execute(plan, typed=typed)
        assert res.outcome == "refused" and 'type "web1"' in res.message
    assert r.xl_calls == []
    res = await seam.execute(plan, typed="web1")
    assert res.outcome == "ok"
    assert r.xl_calls == [("xl", "destroy", "3")]


# --- outcomes -------------------------------------------------------------------------------

PAUSE_99 = "libxl: error: libxl_domain.c:587:libxl_domain_pause: Domain 99:Pausing domain: No such process\n"  # noqa: E501
UNPAUSE_RUNNING = "libxl: error: libxl_domain.c:688:domain_unpause_done: Unpausing domain: Invalid argument\n"  # noqa: E501


async def test_exit_0_with_libxl_error_is_a_failure(tmp_path: Path) -> None:
    r = RecordingRunner()
    r.xl_answers["unpause"] = (0, "", UNPAUSE_RUNNING)
    seam = make(r, tmp_path)
    res = await seam.execute(await seam.preview(Unpause(H, "frozen"), snapshot()))
    assert res.exit_code == 0
    assert res.outcome == "failed"
    assert res.message == UNPAUSE_RUNNING.strip()


async def test_xl_error_text_verbatim(tmp_path: Path) -> None:
    err = ("libxl: error: libxl_mem.c:278:libxl_set_memory_target: Domain 3:memory_dynamic_max"
           " must be less than or equal to memory_static_max\n\n"
           "cannot set domid 3 dynamic max memory to : 200m\n")
    r = RecordingRunner()
    r.xl_answers["mem-set"] = (1, "", err)
    seam = make(r, tmp_path)
    res = await seam.execute(await seam.preview(MemSet(H, "web1", "200m"), snapshot()))
    assert res.outcome == "failed" and res.exit_code == 1
    assert res.message == err.strip("\n")
    entry = Journal(tmp_path / "j.jsonl").read()[-1]
    assert entry["stderr_tail"] == [ln for ln in err.splitlines() if ln]
    assert entry["exit_code"] == 1 and entry["outcome"] == "failed"


async def test_success_message_and_refresh(tmp_path: Path) -> None:
    r = RecordingRunner()
    refreshed: list[int] = []
    seam = make(r, tmp_path, refresh=refreshed)
    res = await seam.execute(await seam.preview(Pause(H, "web1"), snapshot()))
    assert res.ok and res.message == "xl pause 3: done (xl printed nothing)"
    assert refreshed == [1]


class FailingRunner(RecordingRunner):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        if tuple(argv)[:1] == ("xl",):
            self.calls.append(tuple(argv))
            raise self.exc
        return await super().run(argv, timeout=timeout, input=input)


@pytest.mark.parametrize("exc", [ConnectionLost(H, "connection lost"),
                                 CommandTimeout(H, "xl did not finish within 30 s")])
async def test_dropped_connection_is_outcome_unknown(tmp_path: Path, exc: Exception) -> None:
    r = FailingRunner(exc)
    refreshed: list[int] = []
    seam = make(r, tmp_path, refresh=refreshed)
    res = await seam.execute(await seam.preview(Pause(H, "web1"), snapshot()))
    assert res.outcome == "unknown" and res.exit_code is None
    assert "outcome unknown" in res.message
    assert refreshed == [1]  # the caller re-polls to learn what happened
    assert Journal(tmp_path / "j.jsonl").read()[-1]["outcome"] == "unknown"


@pytest.mark.parametrize("refresh", [True, False])
async def test_outcome_unknown_is_said_once_and_a_re_poll_only_where_there_is_one(
    tmp_path: Path, refresh: bool
) -> None:
    # (xltop do said "...; outcome unknown: outcome unknown (re-polling lab)" and polled
    # nothing again)
    lost = ConnectionLost(H, "connection to lab lost while running xl pause 3; outcome unknown")
    seam = make(FailingRunner(lost), tmp_path, refresh=[] if refresh else None)
    res = await seam.execute(await seam.preview(Pause(H, "web1"), snapshot()))
    assert res.message == ("connection to lab lost while running xl pause 3: outcome unknown"
                           + (f" (re-polling {H})" if refresh else ""))


class GatedRunner(RecordingRunner):
    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        if tuple(argv)[:1] == ("xl",):
            await self.gate.wait()
        return await super().run(argv, timeout=timeout, input=input)


async def test_one_action_at_a_time_per_domain(tmp_path: Path) -> None:
    r = GatedRunner()
    seam = make(r, tmp_path)
    snap = snapshot()
    first = asyncio.create_task(seam.execute(await seam.preview(MemSet(H, "web1", "100m"), snap)))
    await asyncio.sleep(0.01)
    second = await seam.execute(await seam.preview(Pause(H, "web1"), snap))
    assert second.outcome == "refused" and "a mem-set is still running" in second.message
    other = asyncio.create_task(seam.execute(await seam.preview(Pause(H, "db1"), snap)))
    r.gate.set()
    assert (await first).ok and (await other).ok
    assert (await seam.execute(await seam.preview(Pause(H, "web1"), snap))).ok


async def test_invalid_attempts_are_journaled(tmp_path: Path) -> None:
    seam = make(RecordingRunner(), tmp_path)
    with pytest.raises(ValidationFailed):
        await seam.preview(MemSet(H, "web1", "lots"), snapshot())
    with pytest.raises(ValidationFailed):
        await seam.preview(MemSet(H, "web1", "lots"), snapshot(), record=False)
    lines = Journal(tmp_path / "j.jsonl").read()
    assert len(lines) == 1
    e = lines[0]
    assert e["outcome"] == "invalid" and e["argv"] == ["xl", "mem-set", "web1", "lots"]
    assert e["message"] == 'invalid size "lots": use a number with an optional k/m/g/t suffix'
    assert e["domain"] == "web1" and e["verb"] == "mem-set" and e["exit_code"] is None


async def test_console_plans_are_not_executed(tmp_path: Path) -> None:
    r = RecordingRunner()
    seam = make(r, tmp_path)
    plan = await seam.preview(Console(H, "web1"), snapshot())
    assert plan.argv == ("xl", "console", "3")
    res = await seam.execute(plan)
    assert res.outcome == "refused" and r.xl_calls == []


async def test_seam_refuses_other_hosts(tmp_path: Path) -> None:
    seam = make(RecordingRunner(), tmp_path)
    with pytest.raises(Refused, match="not other"):
        await seam.preview(Pause("other", "web1"), snapshot())


async def test_untypable_names_are_confirmed_with_the_domid(tmp_path: Path) -> None:
    snap = snapshot(dom(12, "evil\x1b[2Jname"), dom(13, " pad"), dom(14, "\u202eevil"),
                    dom(15, "$(reboot)"))
    seam = make(RecordingRunner(), tmp_path)
    for name, text in (("evil\x1b[2Jname", "12"), (" pad", "13"), ("\u202eevil", "14"),
                       ("$(reboot)", "$(reboot)")):
        plan = await seam.preview(Destroy(H, name), snap)
        assert plan.confirm_text == text
        assert (await seam.execute(plan, typed=text)).ok


class FakeStream:
    def __init__(self, lines: list[str], code: int | None, lost_after: int | None = None,
                 gate: asyncio.Event | None = None) -> None:
        self.lines, self.code, self.lost_after, self.gate = lines, code, lost_after, gate
        self.i = 0
        self.closed = False

    async def readline(self, timeout: float | None = None) -> str | None:
        if self.lost_after is not None and self.i == self.lost_after:
            raise ConnectionLost(H, "connection reset by peer")
        if self.gate is not None and self.i == 1:
            await self.gate.wait()
        if self.i >= len(self.lines):
            return None
        self.i += 1
        return self.lines[self.i - 1]

    @property
    def exit_code(self) -> int | None:
        return self.code if self.i >= len(self.lines) else None

    async def stderr_text(self) -> str:
        return ""

    async def close(self) -> None:
        self.closed = True


class StreamRunner(RecordingRunner):
    def __init__(self, stream: FakeStream) -> None:
        super().__init__()
        self.fake = stream

    async def stream(self, argv: Sequence[str]) -> FakeStream:  # type: ignore[override]
        self.calls.append(tuple(argv))
        return self.fake


SAVE_LINES = [
    "Saving to /tmp/n.chk new xl format (info 0x3/0x0/1592)",
    "xc: info: Saving domain 3, type x86 PV",
    "xc: progress: Frames: 3072/49152    6%",
    "xc: progress: Frames: 49152/49152  100%",
    "xc: progress: End of stream: 0/0    0%",
]


async def test_long_action_streams_progress(tmp_path: Path) -> None:
    fake = FakeStream(SAVE_LINES, 0)
    r = StreamRunner(fake)
    seam = make(r, tmp_path)
    plan = await seam.preview(Save(H, "web1", "/tmp/n.chk"), snapshot())
    assert plan.long_running
    seen: list[object] = []
    res = await seam.execute(plan, on_progress=seen.append)
    assert r.calls[-1] == ("sh", "-c", 'exec "$@" 2>&1', "sh", "xl", "save", "-c", "3",
                           "/tmp/n.chk")
    assert [(p.done, p.total, p.percent) for p in seen] == [  # type: ignore[attr-defined]
        (None, None, None), (None, None, None), (3072, 49152, 6), (49152, 49152, 100),
        (0, 0, 0)]
    assert res.ok and fake.closed
    assert res.message == "\n".join(SAVE_LINES[:2])  # progress lines left out
    assert Journal(tmp_path / "j.jsonl").read()[-1]["stderr_tail"] == SAVE_LINES[:2]


async def test_a_runaway_long_action_keeps_only_its_output_tail(tmp_path: Path) -> None:
    # 4,000 lines of 1 KiB (xl prints a few): only about the last MiB is held and told
    noise = [f"xc: error: line {i:05d} " + "x" * 1000 for i in range(4000)]
    fake = FakeStream([*noise, "libxl: error: the real reason"], 1)
    seam = make(StreamRunner(fake), tmp_path)
    res = await seam.execute(await seam.preview(Save(H, "web1", "/tmp/n.chk"), snapshot()))
    assert res.outcome == "failed" and fake.i == len(fake.lines)
    assert res.stderr.endswith("libxl: error: the real reason")
    assert (1 << 20) - 1100 < len(res.stderr) <= 1 << 20
    assert "line 00000 " not in res.stderr and "line 03999 " in res.stderr


async def test_long_action_connection_lost_is_unknown(tmp_path: Path) -> None:
    fake = FakeStream(SAVE_LINES, 0, lost_after=3)
    refreshed: list[int] = []
    seam = make(StreamRunner(fake), tmp_path, refresh=refreshed)
    res = await seam.execute(await seam.preview(Save(H, "web1", "/tmp/n.chk"), snapshot()))
    assert res.outcome == "unknown" and "connection reset by peer" in res.message
    assert refreshed == [1] and fake.closed


async def test_long_action_without_exit_status_is_unknown(tmp_path: Path) -> None:
    fake = FakeStream(SAVE_LINES, None)
    seam = make(StreamRunner(fake), tmp_path)
    res = await seam.execute(await seam.preview(Save(H, "web1", "/tmp/n.chk"), snapshot()))
    assert res.outcome == "unknown" and res.exit_code is None


async def test_cancelled_action_is_journaled_as_unknown(tmp_path: Path) -> None:
    gate = asyncio.Event()
    seam = make(StreamRunner(FakeStream(SAVE_LINES, 0, gate=gate)), tmp_path)
    plan = await seam.preview(Save(H, "web1", "/tmp/n.chk"), snapshot())
    task = asyncio.create_task(seam.execute(plan))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert Journal(tmp_path / "j.jsonl").read()[-1]["outcome"] == "unknown"
    # the domain is free again
    assert (await seam.execute(await seam.preview(Pause(H, "web1"), snapshot()))).ok


class _Slow(RecordingRunner):
    async def run(self, argv: Any, **kw: Any) -> CommandResult:
        if tuple(argv[:2]) == ("xl", "pause"):
            await asyncio.sleep(5)
        return await super().run(argv, **kw)


async def test_journal_durations_are_never_made_up(tmp_path: Path) -> None:
    seam = make(_Slow(), tmp_path)
    destroy = await seam.preview(Destroy(H, "web1"), snapshot())
    await seam.execute(destroy, typed="wrong")  # refused: nothing ran, no duration
    task = asyncio.create_task(seam.execute(await seam.preview(Pause(H, "web1"), snapshot())))
    await asyncio.sleep(0.3)
    task.cancel()  # (Ctrl-C in xltop do): it ran ~0.3 s, to an end nobody saw
    with pytest.raises(asyncio.CancelledError):
        await task
    refused, cut = [json.loads(x) for x in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert (refused["outcome"], refused["duration_s"]) == ("refused", None)
    assert cut["outcome"] == "unknown" and 0.25 <= cut["duration_s"] < 5


async def test_a_refusal_names_a_dying_domain_given_by_domid(tmp_path: Path) -> None:
    # the dashboard sends domids: an action on a dying domain is refused, and the journal
    # names that domain as for any other refusal (it said "domain": "7")
    snap = snapshot(dom(7, "going", state=DomainState(dying=True, shutdown=True)))
    seam = make(RecordingRunner(), tmp_path)
    for req in (Pause(H, 7), Console(H, 7)):
        with pytest.raises(ValidationFailed, match="going is being destroyed"):
            await seam.preview(req, snap)
    lines = Journal(tmp_path / "j.jsonl").read()
    assert [(e["domain"], e["argv"][-1], e["outcome"]) for e in lines] == [
        ("going", "7", "invalid")] * 2
