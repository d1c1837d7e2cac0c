"""The control seam on real Xen (the xenlab), over SSH. Skipped unless the lab is running.

Every test puts the lab back as it found it: web1, db1 and idle1 running and unpaused,
db1's memory target and pinning as before, no extra vif, no leftover files.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pexpect
import pytest

from collectors.config import HostConfig, Settings
from collectors.control.errors import ValidationFailed
from collectors.control.outcome import Progress
from collectors.control.requests import (
    Create,
    Destroy,
    MemSet,
    Migrate,
    NetworkAttach,
    NetworkDetach,
    Pause,
    Restore,
    Save,
    SchedCredit,
    SchedCredit2,
    Unpause,
    VcpuPin,
)
from collectors.control.seam import ControlSeam
from collectors.journal import Journal
from collectors.model import DeviceKind, HostSnapshot
from collectors.poller import HostPoller
from collectors.queries import domain_logs
from collectors.transport.ssh import SshRunner
from collectors.transport.ssh_target import SshTarget
from tests.conftest import Lab

pytestmark = [pytest.mark.lab, pytest.mark.slow]
H = "lab"


def lab_target(lab: Lab) -> SshTarget:
    return SshTarget(host=lab.host, port=lab.port, user=lab.user, key=lab.key,
                     known_hosts=lab.known_hosts, ssh_config="/dev/null", connect_timeout=30,
                     command_timeout=120)


@dataclass
class LabCtl:
    lab: Lab
    seam: ControlSeam
    poller: HostPoller
    journal: Journal

    async def poll(self) -> HostSnapshot:
        """A fresh snapshot; right after a domain is built the host may answer half-made
        data once, so a non-ok poll is retried a few times."""
        for _ in range(5):  # (an emulated Dom0 under load can miss a deadline or two)
            snap = await self.poller.poll_once()
            if snap.status.value == "ok":
                return snap
            print(f"lab poll: {snap.status.value}: {snap.message}")
            await asyncio.sleep(2)
        raise AssertionError(f"lab poll: {snap.status.value}: {snap.message}")

    def sh(self, command: str) -> str:
        r = self.lab.ssh(command)
        assert r.returncode == 0, r.stderr
        return r.stdout


@pytest.fixture
async def ctl(lab: Lab, tmp_path: Path) -> AsyncIterator[LabCtl]:
    runner = SshRunner(lab_target(lab), name=H)
    journal = Journal(tmp_path / "journal.jsonl")
    poller = HostPoller(H, runner)
    seam = ControlSeam(runner, HostConfig(H, lab.target), Settings(command_timeout_s=120),
                       journal, refresh=poller.refresh_now)
    try:
        yield LabCtl(lab, seam, poller, journal)
    finally:
        await poller.close()
        await runner.close()


async def test_pause_and_unpause_web1(ctl: LabCtl) -> None:
    try:
        plan = await ctl.seam.preview(Pause(H, "web1"), await ctl.poll())
        res = await ctl.seam.execute(plan)
        assert res.ok, res.message
        snap = await ctl.poll()
        assert snap.domain("web1").state.paused  # type: ignore[union-attr]
        res = await ctl.seam.execute(await ctl.seam.preview(Unpause(H, "web1"), snap))
        assert res.ok, res.message
        assert not (await ctl.poll()).domain("web1").state.paused  # type: ignore[union-attr]
        assert [e["outcome"] for e in ctl.journal.read()] == ["ok", "ok"]
    finally:
        if "p" in ctl.sh("xl list web1").splitlines()[-1].split()[4]:
            ctl.sh("xl unpause web1")


async def test_exit_0_libxl_error_on_real_xen(ctl: LabCtl) -> None:
    ctl.sh("xl pause web1")
    try:
        plan = await ctl.seam.preview(Unpause(H, "web1"), await ctl.poll())
        ctl.sh("xl unpause web1")  # behind the plan's back: xl will now refuse, exiting 0
        res = await ctl.seam.execute(plan)
        assert res.exit_code == 0 and res.outcome == "failed"
        assert res.message.startswith("libxl: error: ")
        assert "Unpausing domain: Invalid argument" in res.message
    finally:
        if "p" in ctl.sh("xl list web1").splitlines()[-1].split()[4]:
            ctl.sh("xl unpause web1")


async def test_mem_set_db1_changes_the_target(ctl: LabCtl) -> None:
    snap = await ctl.poll()
    db1 = snap.domain("db1")
    assert db1 is not None and db1.mem_target_kib is not None and db1.mem_max_kib is not None
    original = db1.mem_target_kib
    with pytest.raises(ValidationFailed, match="more than db1's maximum memory"):
        await ctl.seam.preview(MemSet(H, "db1", f"{db1.mem_max_kib // 1024 + 64}m"), snap)
    new = original - 8 * 1024
    try:
        res = await ctl.seam.execute(await ctl.seam.preview(MemSet(H, "db1", f"{new}k"), snap))
        assert res.ok, res.message
        assert (await ctl.poll()).domain("db1").mem_target_kib == new  # type: ignore[union-attr]
    finally:
        ctl.sh(f"xl mem-set db1 {original}k")
    assert (await ctl.poll()).domain("db1").mem_target_kib == original  # type: ignore[union-attr]


async def test_network_attach_idle1_and_detach(ctl: LabCtl) -> None:
    mac = "00:16:3e:7e:57:" + secrets.token_hex(1)
    snap = await ctl.poll()
    with pytest.raises(ValidationFailed, match=r'no bridge "nosuchbr" on lab \(bridges: .*xenbr0'):
        await ctl.seam.preview(NetworkAttach(H, "idle1", bridge="nosuchbr"), snap)
    try:
        plan = await ctl.seam.preview(NetworkAttach(H, "idle1", bridge="xenbr0", mac=mac), snap)
        assert plan.argv[-2:] == (f"mac={mac}", "bridge=xenbr0")
        res = await ctl.seam.execute(plan)
        assert res.ok, res.message
        assert mac in ctl.sh("xl network-list idle1")
        snap = await ctl.poll()
        vifs = [d for d in snap.devices if d.kind == DeviceKind.VIF
                and d.domid == snap.domain("idle1").domid]  # type: ignore[union-attr]
        assert [v.mac for v in vifs] == [mac]
        res = await ctl.seam.execute(
            await ctl.seam.preview(NetworkDetach(H, "idle1", mac), snap))
        assert res.ok, res.message
        assert mac not in ctl.sh("xl network-list idle1")
    finally:
        if mac in ctl.sh("xl network-list idle1"):
            ctl.sh(f"xl network-detach idle1 {mac}")


async def test_save_c_idle1_destroy_and_restore(ctl: LabCtl) -> None:
    path = f"/root/xltop-test-{secrets.token_hex(4)}.chk"
    progress: list[Progress] = []
    try:
        snap = await ctl.poll()
        res = await ctl.seam.execute(await ctl.seam.preview(Save(H, "idle1", path), snap),
                                     on_progress=progress.append)
        assert res.ok, res.message
        assert any(p.percent == 100 for p in progress), [p.line for p in progress]
        assert f"Saving to {path} new xl format" in res.message
        snap = await ctl.poll()
        assert snap.domain("idle1").state.label != "paused"  # type: ignore[union-attr]
        with pytest.raises(ValidationFailed, match="already exists on lab"):
            await ctl.seam.preview(Save(H, "idle1", path), snap)
        plan = await ctl.seam.preview(Destroy(H, "idle1"), snap)
        assert plan.confirm_text == "idle1"
        assert (await ctl.seam.execute(plan, typed="idle1")).ok
        snap = await ctl.poll()
        assert snap.domain("idle1") is None
        plan = await ctl.seam.preview(Restore(H, path), snap)
        assert (plan.target, plan.warnings) == (f"idle1 from {path}", ())  # its header says
        res = await ctl.seam.execute(plan)
        assert res.ok, res.message
        restored = (await ctl.poll()).domain("idle1")
        assert restored is not None and not restored.state.paused
    finally:
        if "idle1" not in ctl.sh("xl list"):
            ctl.sh("xl create /etc/xen/idle1.cfg")
        ctl.sh(f"rm -f {path}")


async def test_restore_validation_reads_a_real_checkpoints_header(ctl: LabCtl) -> None:
    path = f"/root/xltop-test-{secrets.token_hex(4)}.chk"  # its name says nothing of idle1
    try:
        snap = await ctl.poll()
        res = await ctl.seam.execute(await ctl.seam.preview(Save(H, "idle1", path), snap))
        assert res.ok, res.message
        head = await ctl.seam.facts().head(path)  # od over ssh: every byte
        assert head is not None and len(head) == 65536
        assert head[:36] == b"Xen saved domain, xl format\n \0 \r\x04\x03\x02\x01"
        snap = await ctl.poll()
        idle1 = snap.domain("idle1")
        assert idle1 is not None
        with pytest.raises(ValidationFailed) as ei:
            await ctl.seam.preview(Restore(H, path), snap)
        assert ei.value.message == (
            f"the checkpoint is of idle1, which exists on lab (domid {idle1.domid}): xl "
            'refuses a second one (Domain with name "idle1" already exists)')
        assert [(e["verb"], e["outcome"]) for e in ctl.journal.read()] == [
            ("save", "ok"), ("restore", "invalid")]  # nothing sent
    finally:
        ctl.sh(f"rm -f {path}")


async def test_vcpu_pin_db1(ctl: LabCtl) -> None:
    try:
        snap = await ctl.poll()
        res = await ctl.seam.execute(await ctl.seam.preview(VcpuPin(H, "db1", 0, "1"), snap))
        assert res.ok, res.message
        snap = await ctl.poll()
        v0 = next(v for v in snap.vcpus if v.domain == "db1" and v.vcpu == 0)
        assert str(v0.hard) == "1"
        with pytest.raises(ValidationFailed, match="CPU 2 does not exist"):
            await ctl.seam.preview(VcpuPin(H, "db1", 0, "2"), snap)
    finally:
        ctl.sh("xl vcpu-pin db1 all all all")
    assert "1 / all" not in ctl.sh("xl vcpu-list db1")


async def test_sched_credit2_weight_and_cap_of_web1(ctl: LabCtl) -> None:
    def web1_sched() -> list[str]:
        return ctl.sh("xl sched-credit2 -d web1").splitlines()[-1].split()[-2:]

    snap = await ctl.poll()
    assert snap.info is not None and snap.info.scheduler == "credit2"
    web1 = snap.domain("web1")
    assert web1 is not None and web1.vcpus_max == 2
    try:
        res = await ctl.seam.execute(
            await ctl.seam.preview(SchedCredit2(H, "web1", weight=512, cap=50), snap))
        assert res.ok, res.message
        assert res.argv == ("xl", "sched-credit2", "-d", str(web1.domid), "-w", "512",
                            "-c", "50")
        assert web1_sched() == ["512", "50"]
        # caught before sending: xl's own range (100 per vCPU) and the wrong scheduler
        with pytest.raises(ValidationFailed, match="0 \\(no cap\\) to 200"):
            await ctl.seam.preview(SchedCredit2(H, "web1", cap=201), snap)
        with pytest.raises(ValidationFailed, match="runs the credit2 scheduler"):
            await ctl.seam.preview(SchedCredit(H, "web1", weight=256), snap)
    finally:
        ctl.sh("xl sched-credit2 -d web1 -w 256 -c 0")
    assert web1_sched() == ["256", "0"]


async def test_hostile_path_reaches_xl_literally_over_ssh(ctl: LabCtl) -> None:
    canary = f"xltop-pwned-{secrets.token_hex(3)}"  # relative: root's home, where ssh runs
    cfg = f"/tmp/xltop cfg $(touch {canary}); `touch {canary}` | reboot; '\".cfg"
    quoted = "'" + cfg.replace("'", "'\\''") + "'"
    ctl.sh(f"echo 'this is not a config' > {quoted}")
    try:
        snap = await ctl.poll()
        plan = await ctl.seam.preview(Create(H, cfg), snap)
        assert plan.argv == ("xl", "create", cfg)
        res = await ctl.seam.execute(plan)
        assert res.outcome == "failed"
        assert f"Parsing config from {cfg}" in res.message  # xl saw the literal path
        assert ctl.lab.ssh(f"test -e {canary} || test -e /tmp/{canary}").returncode == 1
    finally:
        ctl.sh(f"rm -f {quoted} {canary} /tmp/{canary}")


async def test_hostile_domain_name_on_real_xen(ctl: LabCtl) -> None:
    canary = f"xltop-pwned-{secrets.token_hex(3)}"
    name = f"$(touch {canary})[red]x"  # xl accepts it: a guest can be named anything
    quoted = "'" + name + "'"
    ctl.sh(f"xl rename idle1 {quoted}")
    try:
        snap = await ctl.poll()
        dom = snap.domain(name)
        assert dom is not None and dom.domid is not None, [d.name for d in snap.domains]
        for request in (Pause(H, name), Unpause(H, name)):
            res = await ctl.seam.execute(await ctl.seam.preview(request, snap))
            assert res.ok, res.message
            snap = await ctl.poll()
            assert snap.domain(name).state.paused is isinstance(request, Pause)  # type: ignore[union-attr]
        assert [e["domain"] for e in ctl.journal.read()] == [name, name]
        assert ctl.lab.ssh(f"test -e {canary} || test -e /tmp/{canary}").returncode == 1
    finally:
        if "p" in ctl.sh(f"xl list {quoted}").splitlines()[-1].split()[4]:
            ctl.sh(f"xl unpause {quoted}")
        ctl.sh(f"xl rename {quoted} idle1; rm -f {canary} /tmp/{canary}")


def test_console_idle1_three_times_over_ssh(lab: Lab) -> None:
    driver = str(Path(__file__).parent / "console_scripts" / "bridge_driver.py")
    env = {**os.environ, "TERM": "xterm", "XLTOP_LAB_TARGET": lab.target,
           "XLTOP_LAB_KEY": lab.key, "XLTOP_LAB_KNOWN_HOSTS": lab.known_hosts}
    child = pexpect.spawn(sys.executable, [driver, "ssh", "3", "idle1"], env=env, timeout=60,
                          dimensions=(24, 80))
    for i in range(3):
        child.expect(f"ATTACH {i}")
        child.send("\r")
        child.expect_exact("/ # ")
        word = secrets.token_hex(3)
        child.send(f"echo xl''top-{word}\r")
        child.expect_exact(f"xltop-{word}")
        child.send("\x1d")
        child.expect(f"OUTCOME {i} detached")
    child.expect("DONE")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


async def test_migrate_idle1_to_the_lab_itself(ctl: LabCtl) -> None:
    """A local migration (``xl migrate idle1 127.0.0.1``): Dom0 must reach itself by ssh as
    root, so the test gives Dom0's root a key of its own and trusts 127.0.0.1 first."""
    ctl.sh("test -f /root/.ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' "
           "-f /root/.ssh/id_ed25519; grep -qF \"$(cat /root/.ssh/id_ed25519.pub)\" "
           "/root/.ssh/authorized_keys || cat /root/.ssh/id_ed25519.pub >> "
           "/root/.ssh/authorized_keys; ssh -o BatchMode=yes "
           "-o StrictHostKeyChecking=accept-new 127.0.0.1 true")
    try:
        snap = await ctl.poll()
        before = snap.domain("idle1")
        assert before is not None
        progress: list[Progress] = []
        plan = await ctl.seam.preview(Migrate(H, "idle1", "127.0.0.1"), snap)
        assert plan.display == f"xl migrate {before.domid} 127.0.0.1"
        assert any("local migration" in w for w in plan.warnings)
        res = await ctl.seam.execute(plan, on_progress=progress.append)
        assert res.ok, res.message
        assert res.message.endswith("Migration successful.")
        assert any(p.line == "migration target: Ready to receive domain." for p in progress)
        after = (await ctl.poll()).domain("idle1")
        assert after is not None and after.domid != before.domid
        assert not after.state.paused
        # the daemons' logs, as the detail's Logs tab reads them: the sender's saw a
        # suspend, the receiver's is under idle1--incoming (created so, then renamed)
        logs = {f.path.rsplit("/", 1)[-1]: f.lines or () for f in
                await domain_logs(ctl.seam.runner, "idle1")}
        assert any(line == f"Domain {before.domid} has shut down, reason code 2 0x2"
                   for lines in logs.values() for line in lines), logs
        assert logs["xl-idle1--incoming.log"][-1].startswith(
            f"Waiting for domain idle1--incoming (domid {after.domid}) to die")
        # a destination ssh cannot resolve: xl's own words, the domain stays
        res = await ctl.seam.execute(await ctl.seam.preview(
            Migrate(H, "idle1", "no-such-host.invalid"), await ctl.poll()))
        assert res.outcome == "failed"
        assert "Could not resolve hostname no-such-host.invalid" in res.message
        assert (await ctl.poll()).domain("idle1") is not None
        # a local migration's sender took /vm/UUID (the same UUID) with it
        up = ctl.lab.ssh("xl uptime")
        assert "idle1" not in up.stdout
        assert f"Domain {after.domid}:Can't get start time of domain" in up.stderr
        assert (await ctl.poll()).domain("idle1").uptime_s is None  # type: ignore[union-attr]
    finally:
        # as the lab was: an idle1 xl created (a migrated-in one has no /vm path)
        if "idle1" in ctl.sh("xl list"):
            ctl.sh("xl destroy idle1")
        ctl.sh("xl create /etc/xen/idle1.cfg")
