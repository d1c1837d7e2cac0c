"""Every verb through the simulator: the host's state changes and the next poll shows it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.config import HostConfig, Settings
from collectors.control.argv import build_argv
from collectors.control.errors import ValidationFailed
from collectors.control.outcome import Progress
from collectors.control.requests import (
    BlockAttach,
    BlockDetach,
    CdEject,
    CdInsert,
    Create,
    Destroy,
    MemMax,
    MemSet,
    NetworkAttach,
    NetworkDetach,
    Pause,
    Reboot,
    Request,
    Restore,
    Save,
    Shutdown,
    Unpause,
    VcpuPin,
    VcpuSet,
)
from collectors.control.seam import ActionResult, ControlSeam
from collectors.journal import Journal
from collectors.model import DeviceKind, DomainType, HostSnapshot
from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import HOSTILE_NAMES, make_fleet, make_lab_like_host, sim_runners
from collectors.sim.runner import SimRunner
from collectors.sim.state import SimHost, file_bytes

LAB = "xenlab"


@dataclass
class Sim:
    host: SimHost
    runner: SimRunner
    seam: ControlSeam
    poller: HostPoller
    journal: Journal
    snap: HostSnapshot | None = None

    async def poll(self) -> HostSnapshot:
        self.snap = await self.poller.poll_once()
        assert self.snap.status.value == "ok", self.snap.message
        return self.snap

    async def act(self, req: Request, typed: str | None = None,
                  progress: list[Progress] | None = None) -> ActionResult:
        plan = await self.seam.preview(req, self.snap or await self.poll())
        if typed is None and plan.confirm_text is not None:
            typed = plan.confirm_text
        res = await self.seam.execute(plan, typed=typed,
                                      on_progress=None if progress is None else progress.append)
        await self.poll()
        return res

    def dom(self, name: str):  # type: ignore[no-untyped-def]
        assert self.snap is not None
        return self.snap.domain(name)


class VirtualTime:
    """The simulator's clock, advanced by its sleeps: a poll takes no real second."""

    def __init__(self, start: float) -> None:
        self.now = start

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def _make(host: SimHost, tmp_path: Path) -> Sim:
    vt = VirtualTime(host.t0 + 5.0)
    runner = sim_runners([host], vt.clock, vt.sleep)[host.name]
    journal = Journal(tmp_path / "journal.jsonl")
    poller = HostPoller(host.name, runner, PollSettings(use_stream=False))
    hc = HostConfig(host.name, "demo:0")
    return Sim(host, runner, ControlSeam(runner, hc, Settings(), journal,
                                         refresh=poller.refresh_now), poller, journal)


@pytest.fixture
def sim(tmp_path: Path) -> Sim:
    return _make(make_lab_like_host(), tmp_path)


async def test_pause_unpause(sim: Sim) -> None:
    assert (await sim.act(Pause(LAB, "web1"))).ok
    assert sim.dom("web1").state.paused
    assert sim.runner.sim.domains[3].paused
    assert (await sim.act(Unpause(LAB, "web1"))).ok
    assert not sim.dom("web1").state.paused


async def test_mem_set_and_mem_max(sim: Sim) -> None:
    res = await sim.act(MemSet(LAB, "db1", "150m"))
    assert res.ok, res.message
    assert sim.dom("db1").mem_target_kib == 150 * 1024
    assert (await sim.act(MemMax(LAB, "db1", "256m"))).ok
    assert sim.dom("db1").mem_max_kib == 256 * 1024
    assert (await sim.act(MemSet(LAB, "db1", "250m"))).ok  # allowed by the new maximum
    assert sim.dom("db1").mem_target_kib == 250 * 1024
    with pytest.raises(ValidationFailed, match="below db1's current target 250 MiB"):
        await sim.act(MemMax(LAB, "db1", "200m"))


async def test_vcpu_set_and_pin(sim: Sim) -> None:
    assert (await sim.act(VcpuSet(LAB, "db1", 1))).ok
    assert sim.dom("db1").vcpus_online == 1
    assert (await sim.act(VcpuSet(LAB, "db1", 2))).ok
    assert sim.dom("db1").vcpus_online == 2
    assert (await sim.act(VcpuPin(LAB, "db1", 0, "1", "0"))).ok
    assert sim.snap is not None
    v0 = next(v for v in sim.snap.vcpus if v.domain == "db1" and v.vcpu == 0)
    assert str(v0.hard) == "1" and str(v0.soft) == "0"


async def test_network_attach_and_detach(sim: Sim) -> None:
    mac = "00:16:3e:aa:bb:cc"
    res = await sim.act(NetworkAttach(LAB, "idle1", bridge="xenbr0", mac=mac))
    assert res.ok, res.message
    assert sim.snap is not None
    vifs = [d for d in sim.snap.devices if d.kind == DeviceKind.VIF and d.domid == 2]
    assert [v.mac for v in vifs] == [mac]
    assert (await sim.act(NetworkDetach(LAB, "idle1", mac))).ok
    assert not [d for d in sim.snap.devices if d.kind == DeviceKind.VIF and d.domid == 2]


async def test_block_attach_and_detach(sim: Sim) -> None:
    res = await sim.act(BlockAttach(LAB, "web1", target="/srv/xen/db1-b.img", vdev="xvdc",
                                    access="ro"))
    assert res.ok, res.message
    assert sim.snap is not None
    names = {d.name for d in sim.snap.devices if d.kind == DeviceKind.VBD and d.domid == 3}
    assert names == {"xvda", "xvdc"}
    assert (await sim.act(BlockDetach(LAB, "web1", "xvdc"))).ok
    names = {d.name for d in sim.snap.devices if d.kind == DeviceKind.VBD and d.domid == 3}
    assert names == {"xvda"}


async def test_block_attach_with_every_key_and_flag_on_the_demo(sim: Sim) -> None:
    """What xltop now passes to xl (script=, backendtype=, flags) the demo host takes."""
    res = await sim.act(BlockAttach(LAB, "web1", target="/srv/xen/db1-b.img", vdev="xvdc",
                                    backendtype="qdisk", discard=False, direct_io_safe=True))
    assert res.ok, res.message
    res = await sim.act(BlockAttach(LAB, "web1", target="iqn.2001-05.com.example:d1",
                                    vdev="xvdd", script="block-iscsi", discard=True))
    assert res.ok, res.message
    assert sim.snap is not None
    names = {d.name for d in sim.snap.devices if d.kind == DeviceKind.VBD and d.domid == 3}
    assert names == {"xvda", "xvdc", "xvdd"}


async def test_shutdown_reboot_destroy_create(sim: Sim) -> None:
    res = await sim.act(Reboot(LAB, "web1"))
    assert res.ok and "Rebooting domain 3" in res.message
    res = await sim.act(Destroy(LAB, "idle1"))
    assert res.ok, res.message
    assert sim.dom("idle1") is None
    res = await sim.act(Shutdown(LAB, "db1"))
    assert res.ok and "Shutting down domain 1" in res.message
    db1 = sim.dom("db1")
    assert db1 is None or db1.state.shutdown or db1.state.dying


async def test_create_after_destroy(sim: Sim) -> None:
    assert (await sim.act(Destroy(LAB, "idle1"))).ok
    res = await sim.act(Create(LAB, "/etc/xen/idle1.cfg"))
    assert res.ok and "Parsing config from /etc/xen/idle1.cfg" in res.message
    idle1 = sim.dom("idle1")
    assert idle1 is not None and idle1.domid not in (None, 2)


async def test_create_or_restore_from_a_directory_is_refused_before_xl(sim: Sim) -> None:
    with pytest.raises(ValidationFailed, match="/etc/xen on xenlab is not a config file"):
        await sim.seam.preview(Create(LAB, "/etc/xen"), await sim.poll())
    with pytest.raises(ValidationFailed, match="is not a checkpoint file"):
        await sim.seam.preview(Restore(LAB, "/var/lib/xen/save"), await sim.poll())


async def test_create_failure_is_verbatim(sim: Sim) -> None:
    sim.host.files["/etc/xen/broken.cfg"] = "name = \n"
    res = await sim.act(Create(LAB, "/etc/xen/broken.cfg"))
    direct = await sim.runner.run(["xl", "create", "/etc/xen/broken.cfg"])
    assert res.outcome == "failed" and res.exit_code == direct.exit_code != 0
    assert res.message == direct.stderr.strip("\n")


async def test_save_and_restore_with_progress(sim: Sim) -> None:
    progress: list[Progress] = []
    res = await sim.act(Save(LAB, "idle1", "/var/lib/xen/save/idle1.chk"), progress=progress)
    assert res.ok, res.message
    assert [p.percent for p in progress if p.percent is not None][-2] == 100
    with pytest.raises(ValidationFailed, match="already exists"):
        await sim.act(Save(LAB, "idle1", "/var/lib/xen/save/idle1.chk"))
    assert (await sim.act(Destroy(LAB, "idle1"))).ok
    res = await sim.act(Restore(LAB, "/var/lib/xen/save/idle1.chk", paused=True))
    assert res.ok, res.message
    assert sim.dom("idle1").state.paused


async def test_cd_insert_and_eject_on_hvm(tmp_path: Path) -> None:
    host = make_fleet(hosts=1, domains=8, seed=0)[0]
    s = _make(host, tmp_path)
    snap = await s.poll()
    hvm = next(d for d in snap.domains if d.type == DomainType.HVM and not d.state.shutdown
               and not d.state.dying and not d.state.paused)
    iso = "/var/lib/xen/iso/virtio-win-0.1.240.iso"
    res = await s.act(CdInsert(host.name, hvm.name, "hdd", iso))
    assert res.ok, res.message
    assert (await s.act(CdEject(host.name, hvm.name, "hdd"))).ok
    with pytest.raises(ValidationFailed, match=f"{hvm.name} has no CD drive hda "
                                               r"\(its CD drives: hdc, hdd\)"):
        await s.act(CdInsert(host.name, hvm.name, "hda", iso))  # its hard disk: refused
    pv = next(d for d in snap.domains if d.type == DomainType.PV and not d.is_dom0)
    with pytest.raises(ValidationFailed, match="needs an HVM guest"):
        await s.act(CdEject(host.name, pv.name, "hdc"))


async def test_xl_errors_verbatim(sim: Sim) -> None:
    await sim.poll()
    # idle1 has no disks the snapshot knows of, so xl itself answers
    res = await sim.act(BlockDetach(LAB, "idle1", "xvdz"))
    assert res.outcome == "failed" and res.exit_code == 1
    assert res.message.endswith("Error: Device xvdz not connected.")
    assert sim.journal.read()[-1]["stderr_tail"][-1] == "Error: Device xvdz not connected."


async def test_exit_0_with_libxl_error_is_failure(sim: Sim) -> None:
    await sim.act(Pause(LAB, "web1"))
    plan = await sim.seam.preview(Unpause(LAB, "web1"), await sim.poll())
    await sim.runner.run(["xl", "unpause", "web1"])  # someone else unpaused it meanwhile
    res = await sim.seam.execute(plan)
    assert res.exit_code == 0 and res.outcome == "failed"
    assert res.message.startswith("libxl: error: libxl_domain.c:688:domain_unpause_done: ")
    assert res.message.endswith("Unpausing domain: Invalid argument")


async def test_every_action_is_journaled(sim: Sim) -> None:
    await sim.act(Pause(LAB, "web1"))
    with pytest.raises(ValidationFailed):
        await sim.act(MemSet(LAB, "web1", "lots"))
    await sim.act(Unpause(LAB, "web1"))
    lines = sim.journal.read()
    assert [(e["verb"], e["outcome"]) for e in lines] == [
        ("pause", "ok"), ("mem-set", "invalid"), ("unpause", "ok")]
    assert lines[0]["argv"] == ["xl", "pause", "3"] and lines[0]["exit_code"] == 0
    assert lines[0]["host"] == LAB and lines[0]["domain"] == "web1"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_hostile_domains_on_the_sim(tmp_path: Path, name: str) -> None:
    host = next(h for h in make_fleet(hosts=3, domains=4) if h.by_name(name) is not None)
    s = _make(host, tmp_path)
    snap = await s.poll()
    target = snap.domain(name)
    assert target is not None and target.domid is not None
    plan = await s.seam.preview(Pause(host.name, name), snap)
    assert plan.argv == ("xl", "pause", str(target.domid))
    assert plan.target == f"{name} (domid {target.domid})"
    assert (await s.seam.execute(plan)).ok
    assert s.host.domains[target.domid].paused
    # by name, the literal name is one argument and xl finds exactly that domain
    r = await s.runner.run(build_argv(Unpause(host.name, name), name))
    assert r.exit_code == 0 and r.stderr == ""
    assert not s.host.domains[target.domid].paused
    assert (await s.poll()).domain(name).state.paused is False  # type: ignore[union-attr]


async def test_facts_read_a_files_first_bytes_through_od(sim: Sim) -> None:
    path = "/var/lib/xen/save/db1.chk"
    await sim.act(Save(LAB, "db1", path))
    want = file_bytes(sim.host.files[path])
    assert want[:32] == b"Xen saved domain, xl format\n \0 \r" and len(want) > 2000
    facts = sim.seam.facts()
    assert await facts.head(path) == want  # every byte: NULs, CRs, 0x80 and up
    assert await facts.head(path, 100) == want[:100]
    assert await facts.head("/var/lib/xen/save/none.chk") is None
    assert await facts.head("/var/lib/xen/save") is None  # a directory
    sim.runner.set_garbage(True)
    assert await facts.head(path) is None
    sim.runner.set_garbage(False)
    sim.runner.set_unreachable("no route to host")
    assert await facts.head(path) is None  # never raises


async def test_restore_validation_reads_the_checkpoint_the_sim_saved(sim: Sim) -> None:
    path = "/var/lib/xen/save/nightly.chk"  # its name says nothing of the domain
    assert (await sim.act(Save(LAB, "idle1", path))).ok  # -c: idle1 keeps running
    with pytest.raises(ValidationFailed) as ei:
        await sim.seam.preview(Restore(LAB, path), await sim.poll())
    assert ei.value.problems[0].field == "path"
    assert ei.value.message == (
        "the checkpoint is of idle1, which exists on xenlab (domid 2): xl refuses a second "
        'one (Domain with name "idle1" already exists)')
    assert (await sim.act(Destroy(LAB, "idle1"), typed="idle1")).ok
    plan = await sim.seam.preview(Restore(LAB, path), await sim.poll())
    assert (plan.target, plan.warnings) == (f"idle1 from {path}", ())
    res = await sim.seam.execute(plan)
    assert res.ok, res.message
    assert (await sim.poll()).domain("idle1") is not None


async def test_restore_of_a_file_that_is_not_a_checkpoint_is_refused_before_xl(
        sim: Sim) -> None:
    path = "/var/lib/xen/save/idle1.chk"
    sim.host.files[path] = "name = 'idle1'\nmemory = 128\nvcpus = 1\n" * 2  # a config file
    with pytest.raises(ValidationFailed, match=r"^/var/lib/xen/save/idle1.chk on xenlab: not "
                       r"an xl checkpoint \(wrong magic\): corrupt or for a different tool\?$"):
        await sim.seam.preview(Restore(LAB, path), await sim.poll())
    assert [e["outcome"] for e in sim.journal.read()] == ["invalid"]  # xl never ran
    direct = await sim.runner.run(["xl", "restore", path])  # what xl itself would say
    assert (direct.exit_code, direct.stderr) == (
        1, "File has wrong magic number - corrupt or for a different tool?\n")


async def test_facts_for_the_forms(sim: Sim) -> None:
    facts = sim.seam.facts()
    assert await facts.bridges() == ("xenbr0",)
    assert set(await facts.config_files()) == {
        f"/etc/xen/{d}.cfg" for d in ("db1", "idle1", "web1")} | {
        f"/etc/xen/auto/{d}.cfg" for d in ("db1", "idle1", "web1")}
    assert await facts.save_files() == ()
    await sim.act(Save(LAB, "idle1", "/var/lib/xen/save/idle1.chk"))
    assert await sim.seam.facts().save_files() == ("/var/lib/xen/save/idle1.chk",)
