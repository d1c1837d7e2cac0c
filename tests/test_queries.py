"""On-demand queries (collectors/queries.py) through the simulator's runner, plus scripted
runners for the answers a simulator does not give (races, garbage, escapes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from collectors import queries as q
from collectors.model import CpuSet
from collectors.sim import evolve
from collectors.sim.fleet import make_fleet, make_lab_like_host, sim_runners
from collectors.sim.runner import SimRunner
from collectors.transport.base import (
    CommandResult,
    ConnectError,
    LineStream,
)
from tests.conftest import FIXTURES
from tests.tui_views_support import CountingRunner

LAB_A = FIXTURES / "xen-4.17-lab-a"

Answer = Callable[[tuple[str, ...]], CommandResult]


class ScriptedRunner:
    """Answers each argv with a function of it; records the calls."""

    def __init__(self, answer: Answer, host: str = "scripted") -> None:
        self._answer = answer
        self._host = host
        self.calls: list[list[tuple[str, ...]]] = []

    @property
    def host(self) -> str:
        return self._host

    async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                  input: str | None = None) -> CommandResult:
        self.calls.append([tuple(argv)])
        return self._answer(tuple(argv))

    async def run_batch(self, argvs: Sequence[Sequence[str]], *,
                        timeout: float | None = None) -> list[CommandResult]:
        self.calls.append([tuple(a) for a in argvs])
        return [self._answer(tuple(a)) for a in argvs]

    async def stream(self, argv: Sequence[str]) -> LineStream:
        raise NotImplementedError

    async def close(self) -> None:
        return None


def ok(argv: tuple[str, ...], out: str, err: str = "", rc: int = 0) -> CommandResult:
    return CommandResult(argv, rc, out, err, 0.01)


@pytest.fixture
def lab() -> SimRunner:
    host = make_lab_like_host()
    return sim_runners([host])[host.name]


@pytest.fixture
def hostile() -> SimRunner:
    """xen-lab-02 of the demo fleet: guests named ``[red]x``, ``evil\\x1b[2Jname`` ..."""
    fleet = make_fleet(3, 8, 0, start=1_800_000_000.0)
    return sim_runners(fleet)["xen-lab-02"]


# --- xl list -l <domid> -------------------------------------------------------------------------


async def test_domain_config_reads_one_domain(lab: SimRunner) -> None:
    counting = CountingRunner(lab)
    cfg = await q.domain_config(counting, 3)
    assert (cfg.domid, cfg.name, cfg.max_vcpus) == (3, "web1", 2)
    assert cfg.raw["c_info"]["uuid"] == "9e670668-35fb-4d15-845e-fdba62e90a7b"  # type: ignore[index]
    assert counting.runs == [("xl", "list", "-l", "3")]


async def test_domain_config_keeps_a_hostile_name_literally(hostile: SimRunner) -> None:
    res = await hostile.run(["xl", "domid", "[red]x"])
    cfg = await q.domain_config(hostile, int(res.stdout))
    assert cfg.name == "[red]x"


async def test_domain_config_of_an_unknown_domain_says_so(lab: SimRunner) -> None:
    with pytest.raises(q.QueryError) as e:
        await q.domain_config(lab, 99)
    assert e.value.message == "Error: Domain '99' does not exist."
    assert e.value.host == "xenlab"


async def test_domain_config_refuses_a_bad_domid_without_running_anything() -> None:
    runner = ScriptedRunner(lambda a: ok(a, "[]"))
    for bad in (-1, True):
        with pytest.raises(q.QueryError, match="number"):
            await q.domain_config(runner, bad)
    assert runner.calls == []


async def test_domain_config_when_xl_exits_0_after_an_error() -> None:
    runner = ScriptedRunner(lambda a: ok(a, "", "libxl: error: domain 7 is not there\n"))
    with pytest.raises(q.QueryError, match="domain 7 is not there"):
        await q.domain_config(runner, 7)


async def test_domain_config_with_garbage_says_where(lab: SimRunner) -> None:
    lab.set_garbage(True)
    with pytest.raises(q.QueryError, match="xl list -l"):
        await q.domain_config(lab, 3)


async def test_unreachable_host_is_a_query_error(lab: SimRunner) -> None:
    lab.set_unreachable("connect to 10.0.0.9 port 22: Connection refused")
    for query in (q.domain_config(lab, 1), q.xenstore_children(lab, "/"), q.cpupools(lab),
                  q.dmesg_tail(lab), q.xenstore_subtree(lab, "/local")):
        with pytest.raises(q.QueryError, match="Connection refused"):
            await query


async def test_transport_errors_become_query_errors() -> None:
    def refuse(argv: tuple[str, ...]) -> CommandResult:
        raise ConnectError("h", "host key changed")

    with pytest.raises(q.QueryError, match="host key changed"):
        await q.cpupools(ScriptedRunner(refuse))


# --- XenStore -----------------------------------------------------------------------------------


async def test_children_of_the_root_with_values_and_branches(lab: SimRunner) -> None:
    counting = CountingRunner(lab)
    nodes = await q.xenstore_children(counting, "/")
    listed = (await lab.run(["xenstore-list", "/"])).stdout.split()
    assert [n.name for n in nodes] == listed
    by_name = {n.name: n for n in nodes}
    assert by_name["local"].has_children is True
    assert by_name["@introduceDomain"].has_children is False
    assert by_name["local"].path == "/local"
    # one listing, then one batch reading every child's value and children
    assert len(counting.runs) == 1 and len(counting.batches) == 1
    assert [a[0] for a in counting.batches[0]] == ["xenstore-read", "xenstore-list"]


async def test_children_values_match_xenstore_read(lab: SimRunner) -> None:
    nodes = await q.xenstore_children(lab, "/local/domain/3/")
    assert {n.name for n in nodes} >= {"name", "domid", "device", "memory"}
    for n in nodes:
        res = await lab.run(["xenstore-read", n.path])
        assert n.value == res.stdout.removesuffix("\n"), n.path
        listing = await lab.run(["xenstore-list", n.path])
        assert n.has_children is bool(listing.stdout.strip()), n.path
    assert next(n for n in nodes if n.name == "name").value == "web1"


async def test_hostile_name_in_xenstore_stays_literal(hostile: SimRunner) -> None:
    domid = (await hostile.run(["xl", "domid", "evil\x1b[2Jname"])).stdout.strip()
    nodes = await q.xenstore_children(hostile, f"/local/domain/{domid}")
    assert next(n for n in nodes if n.name == "name").value == "evil\x1b[2Jname"


async def test_children_unescape_values_and_keep_odd_names() -> None:
    def answer(argv: tuple[str, ...]) -> CommandResult:
        if argv == ("xenstore-list", "/x"):
            return ok(argv, "-h\nname\n")
        if argv[0] == "xenstore-read":
            assert argv[1:] == ("/x/-h", "/x/name")  # absolute: never read as an option
            return ok(argv, "dash\n[red]a\\x1b[2Jb\\n\n")
        return ok(argv, "/x/-h/deeper\n")

    nodes = await q.xenstore_children(ScriptedRunner(answer), "/x")
    assert [(n.name, n.value, n.has_children) for n in nodes] == [
        ("-h", "dash", True), ("name", "[red]a\x1b[2Jb\n", False)]


async def test_a_child_that_vanishes_is_read_one_by_one() -> None:
    def answer(argv: tuple[str, ...]) -> CommandResult:
        if argv == ("xenstore-list", "/d"):
            return ok(argv, "a\ngone\nb\n")
        if argv == ("xenstore-read", "/d/a", "/d/gone", "/d/b"):
            return ok(argv, "1\n", "xenstore-read: couldn't read path /d/gone\n", 1)
        if argv[0] == "xenstore-read":
            values = {"/d/a": "1", "/d/b": "2"}
            if argv[1] in values:
                return ok(argv, values[argv[1]] + "\n")
            return ok(argv, "", f"xenstore-read: couldn't read path {argv[1]}\n", 1)
        return ok(argv, "/d/a/x\n", "xenstore-list: could not list path /d/gone\n", 1)

    runner = ScriptedRunner(answer)
    nodes = await q.xenstore_children(runner, "/d")
    assert [(n.name, n.value) for n in nodes] == [("a", "1"), ("gone", None), ("b", "2")]
    # the listing failed part way: what it did not reach is unknown, not "no children"
    assert [n.has_children for n in nodes] == [True, None, None]
    assert len(runner.calls) == 3


async def test_children_of_a_missing_node_is_an_error(lab: SimRunner) -> None:
    with pytest.raises(q.QueryError) as e:
        await q.xenstore_children(lab, "/nonexist")
    assert "could not list path /nonexist" in e.value.message


@pytest.mark.parametrize("path", ["local", "-h", "/a\nb", "/a\x1b[2J", "/" + "x" * 4000])
async def test_bad_paths_are_refused_before_running(path: str) -> None:
    runner = ScriptedRunner(lambda a: ok(a, ""))
    with pytest.raises(q.QueryError):
        await q.xenstore_children(runner, path)
    with pytest.raises(q.QueryError):
        await q.xenstore_subtree(runner, path)
    assert runner.calls == []


async def test_subtree_of_a_domain(lab: SimRunner) -> None:
    values = await q.xenstore_subtree(lab, "/local/domain/3")
    assert values["/local/domain/3/name"] == "web1"
    assert all(p.startswith("/local/domain/3/") for p in values)
    with pytest.raises(q.QueryError, match="No such file"):
        await q.xenstore_subtree(lab, "/local/domain/99")


# --- cpupools and dmesg -------------------------------------------------------------------------


async def test_cpupools_with_their_cpu_lists(lab: SimRunner) -> None:
    counting = CountingRunner(lab)
    pools = await q.cpupools(counting)
    assert pools == [q.Cpupool("Pool-0", 2, "credit2", True, 4, CpuSet.of({0, 1}))]
    assert counting.calls == 1  # both listings in one round trip


async def test_cpupools_from_the_real_host_output() -> None:
    text = (LAB_A / "xl-cpupool-list.out").read_text()

    def answer(argv: tuple[str, ...]) -> CommandResult:
        if argv == ("xl", "cpupool-list"):
            return ok(argv, text)
        return ok(argv, "Name               CPU list\nPool-0             0,1\nempty\n"
                        "Pool node 1        4-7,9\n")

    pools = await q.cpupools(ScriptedRunner(answer))
    assert [(p.name, p.cpus, p.sched, p.active, p.domains) for p in pools] == [
        ("Pool-0", 2, "credit2", True, 3)]
    assert pools[0].cpu_list == CpuSet.of({0, 1})
    assert q._pool_cpu_lists("Name    CPU list\nempty\nPool node 1   4-7,9\n") == {
        "empty": CpuSet.of(()), "Pool node 1": CpuSet.of({4, 5, 6, 7, 9})}


async def test_cpupools_without_the_cpu_lists() -> None:
    def answer(argv: tuple[str, ...]) -> CommandResult:
        if argv == ("xl", "cpupool-list"):
            return ok(argv, (LAB_A / "xl-cpupool-list.out").read_text())
        return ok(argv, "", "xl: unrecognized option '-c'\n", 1)

    pools = await q.cpupools(ScriptedRunner(answer))
    assert pools[0].cpu_list is None and pools[0].cpus == 2


async def test_cpupools_failure_and_garbage() -> None:
    failing = ScriptedRunner(lambda a: ok(a, "", "xl: command not found\n", 127))
    with pytest.raises(q.QueryError, match="command not found"):
        await q.cpupools(failing)
    garbage = ScriptedRunner(lambda a: ok(a, "\x1b[2J$(reboot) what is this\n"))
    with pytest.raises(q.QueryError, match="not a cpupool row"):
        await q.cpupools(garbage)


async def test_dmesg_tail(lab: SimRunner) -> None:
    full = (await lab.run(["xl", "dmesg"])).stdout.split("\n")[:-1]
    assert len(full) > 20
    assert await q.dmesg_tail(lab, 5) == full[-5:]
    assert await q.dmesg_tail(lab, 10_000) == full
    with pytest.raises(q.QueryError):
        await q.dmesg_tail(lab, 0)


async def test_dmesg_keeps_hostile_lines_as_data() -> None:
    runner = ScriptedRunner(lambda a: ok(a, "(XEN) a\r\n(d3) \x1b]0;pwned\x07[red]x\n"))
    assert await q.dmesg_tail(runner, 10) == ["(XEN) a", "(d3) \x1b]0;pwned\x07[red]x"]


# --- a domain's logs (tail of /var/log/xen/xl-NAME.log and friends) ----------------------------


async def test_domain_logs_show_xl_daemon_lines_and_say_which_files_are_missing(
        hostile: SimRunner) -> None:
    res = await hostile.run(["xl", "domid", "[red]x"])
    domid = int(res.stdout)
    files = await q.domain_logs(hostile, "[red]x")
    assert [f.path for f in files] == ["/var/log/xen/xl-[red]x.log.1",
                                       "/var/log/xen/xl-[red]x.log",
                                       "/var/log/xen/xl-[red]x--incoming.log.1",
                                       "/var/log/xen/xl-[red]x--incoming.log",
                                       "/var/log/xen/qemu-dm-[red]x.log"]
    old, now, _, incoming, qemu = files
    assert old.lines is None and old.error == "No such file or directory"
    assert incoming.lines is None and incoming.error == "No such file or directory"
    assert qemu.lines is None and qemu.error == "No such file or directory"
    assert now.lines is not None and len(now.lines) == 1
    assert re.fullmatch(rf"Waiting for domain \[red\]x \(domid {domid}\) to die \[pid \d+\]",
                        now.lines[0])


async def test_domain_logs_follow_destroy_and_create_as_xl_rotates_them(
        hostile: SimRunner) -> None:
    domid = int((await hostile.run(["xl", "domid", "mq-02"])).stdout)
    assert (await hostile.run(["xl", "destroy", "mq-02"])).exit_code == 0
    _, now, _, _, _ = await q.domain_logs(hostile, "mq-02")
    assert now.lines is not None and now.lines[-1] == f"Domain {domid} has been destroyed."
    assert (await hostile.run(["xl", "create", "/etc/xen/mq-02.cfg"])).exit_code == 0
    new_id = int((await hostile.run(["xl", "domid", "mq-02"])).stdout)
    old, now, _, _, _ = await q.domain_logs(hostile, "mq-02")
    assert old.lines is not None and old.lines[-1] == f"Domain {domid} has been destroyed."
    assert now.lines is not None and len(now.lines) == 1
    assert now.lines[0].startswith(f"Waiting for domain mq-02 (domid {new_id}) to die")


async def test_domain_logs_of_a_saved_domain_say_it_suspended(hostile: SimRunner) -> None:
    domid = int((await hostile.run(["xl", "domid", "api-02"])).stdout)
    res = await hostile.run(["xl", "save", "-c", "api-02", "/var/lib/xen/save/api-02.chk"])
    assert res.exit_code == 0, res.stderr
    _, now, _, _, _ = await q.domain_logs(hostile, "api-02")
    assert now.lines is not None and now.lines[1:] == (
        f"Domain {domid} has shut down, reason code 2 0x2", "Domain has suspended.",
        "Done. Exiting now")
    # the daemon is gone: a destroy now leaves no line
    assert (await hostile.run(["xl", "destroy", "api-02"])).exit_code == 0
    _, after, _, _, _ = await q.domain_logs(hostile, "api-02")
    assert after.lines == now.lines


GNU_TAIL = ("==> /var/log/xen/xl-w.log.1 <==\nWaiting for domain w (domid 3) to die [pid 7]\n"
            "Domain 3 has shut down, reason code 1 0x1\n\n"
            "==> /var/log/xen/xl-w.log <==\nWaiting for domain w (domid 4) to die [pid 7]\n")


async def test_domain_logs_read_tail_sections_and_errors_as_the_host_gives_them() -> None:
    runner = ScriptedRunner(lambda a: ok(a, GNU_TAIL.replace("\n", "\r\n"), (
        "tail: cannot open '/var/log/xen/xl-w--incoming.log.1' for reading: No such file or "
        "directory\n"
        "tail: cannot open '/var/log/xen/xl-w--incoming.log' for reading: No such file or "
        "directory\n"
        "tail: cannot open '/var/log/xen/qemu-dm-w.log' for reading: Permission denied\n"), 1))
    old, now, _, incoming, qemu = await q.domain_logs(runner, "w", lines=5)
    assert runner.calls == [[("tail", "-n", "5", "--", "/var/log/xen/xl-w.log.1",
                              "/var/log/xen/xl-w.log", "/var/log/xen/xl-w--incoming.log.1",
                              "/var/log/xen/xl-w--incoming.log",
                              "/var/log/xen/qemu-dm-w.log")]]
    assert incoming.lines is None and incoming.error == "No such file or directory"
    assert old.lines == ("Waiting for domain w (domid 3) to die [pid 7]",
                         "Domain 3 has shut down, reason code 1 0x1")
    assert now.lines == ("Waiting for domain w (domid 4) to die [pid 7]",)
    assert qemu.lines is None and qemu.error == "Permission denied"


@pytest.mark.parametrize("name", ["a/b", "", "..", "."])
async def test_domain_logs_refuse_a_name_no_log_file_can_have(name: str) -> None:
    runner = ScriptedRunner(lambda a: ok(a, ""))
    with pytest.raises(q.QueryError, match="no log file"):
        await q.domain_logs(runner, name)
    assert runner.calls == []


async def test_domain_logs_without_tail_or_a_connection_say_why() -> None:
    no_tail = ScriptedRunner(lambda a: ok(a, "", "sh: 1: tail: not found\n", 127))
    with pytest.raises(q.QueryError) as e:
        await q.domain_logs(no_tail, "w")
    assert e.value.message == "sh: 1: tail: not found"

    class Down(ScriptedRunner):
        async def run(self, argv: Sequence[str], *, timeout: float | None = None,
                      input: str | None = None) -> CommandResult:
            raise ConnectError("h", "connection refused")

    with pytest.raises(q.QueryError, match="connection refused"):
        await q.domain_logs(Down(lambda a: ok(a, "")), "w")


async def test_domain_logs_of_a_reboot_continue_in_the_same_file_and_process() -> None:
    """As the lab's ``xl reboot idle1`` left it: the same daemon (pid) restarts the domain
    and goes on writing the same log."""
    fleet = make_fleet(3, 8, 0, start=1_800_000_000.0)
    host = next(h for h in fleet if h.name == "xen-lab-02")
    runner = sim_runners([host])[host.name]
    old_id = int((await runner.run(["xl", "domid", "mq-02"])).stdout)
    assert (await runner.run(["xl", "reboot", "mq-02"])).exit_code == 0
    for _ in range(3):
        evolve.advance(host, host.t0 + host.steps + 1)
    new_id = int((await runner.run(["xl", "domid", "mq-02"])).stdout)
    assert new_id != old_id
    old, now, _, _, _ = await q.domain_logs(runner, "mq-02")
    assert old.lines is None and now.lines is not None
    pid = re.fullmatch(r"Waiting for domain mq-02 \(domid \d+\) to die \[pid (\d+)\]",
                       now.lines[0])
    assert pid is not None
    assert now.lines[1:] == (
        f"Domain {old_id} has shut down, reason code 1 0x1",
        "Action for shutdown reason code 1 is restart",
        f"Domain {old_id} needs to be cleaned up: destroying the domain",
        "Done. Rebooting now",
        f"Waiting for domain mq-02 (domid {new_id}) to die [pid {pid[1]}]")


async def test_domain_logs_read_the_labs_real_tail_of_idle1() -> None:
    """Captured on the lab after ``xl shutdown``, ``xl create`` and ``xl reboot`` of idle1
    (exit status 1: no qemu-dm log for a PV guest on blkback)."""
    data = Path(__file__).parent / "data" / "parse"
    out = (data / "lab-tail-idle1-logs.out").read_text()
    err = (data / "lab-tail-idle1-logs.err").read_text()
    old, now, _, incoming, qemu = await q.domain_logs(
        ScriptedRunner(lambda a: ok(a, out, err, 1)), "idle1")
    assert incoming.lines is None  # not asked for when this was captured
    assert old.lines is not None and old.lines[-2:] == (
        "Domain 6 needs to be cleaned up: destroying the domain", "Done. Exiting now")
    assert now.lines is not None and len(now.lines) == 6
    assert now.lines[4:] == ("Done. Rebooting now",
                             "Waiting for domain idle1 (domid 8) to die [pid 2516]")
    assert qemu.lines is None and qemu.error == "No such file or directory"
    # the simulator's tail gives the same bytes for the same files
    host = make_lab_like_host()
    host.files["/var/log/xen/xl-idle1.log.1"] = "\n".join(old.lines) + "\n"
    host.files["/var/log/xen/xl-idle1.log"] = "\n".join(now.lines) + "\n"
    host.files.pop("/var/log/xen/qemu-dm-idle1.log", None)
    sim = await sim_runners([host])[host.name].run(
        ["tail", "-n", "60", "--", *(f.path for f in (old, now, qemu))])
    assert (sim.exit_code, sim.stdout, sim.stderr) == (1, out, err)
