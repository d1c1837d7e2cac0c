"""Requests → xl argv, and hostile values reaching xl as one literal argument."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from collectors.config import HostConfig, Settings
from collectors.control.argv import build_argv
from collectors.control.requests import (
    BlockAttach,
    BlockDetach,
    CdEject,
    CdInsert,
    Console,
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
from collectors.control.seam import ControlSeam
from collectors.control.verbs import parse_verb
from collectors.transport.local import LocalRunner
from tests.control_helpers import HOST, dom, snapshot

H = HOST


@pytest.mark.parametrize(
    ("req", "argv"),
    [
        (Pause(H, "web1"), "xl pause 3"),
        (Unpause(H, "web1"), "xl unpause 3"),
        (Save(H, "web1", "/s/w.chk"), "xl save -c 3 /s/w.chk"),
        (Save(H, "web1", "/s/w.chk", keep_running=False), "xl save 3 /s/w.chk"),
        (Save(H, "web1", "/s/w.chk", keep_running=False, leave_paused=True),
         "xl save -p 3 /s/w.chk"),
        (Restore(H, "/s/w.chk"), "xl restore /s/w.chk"),
        (Restore(H, "/s/w.chk", paused=True), "xl restore -p /s/w.chk"),
        (MemSet(H, "web1", "200M"), "xl mem-set 3 200M"),
        (MemMax(H, "web1", "1g"), "xl mem-max 3 1g"),
        (VcpuSet(H, "web1", 1), "xl vcpu-set 3 1"),
        (VcpuSet(H, "web1", 1, ignore_host=True), "xl vcpu-set -i 3 1"),
        (VcpuPin(H, "web1", 0, "0-3,^2"), "xl vcpu-pin 3 0 0-3,^2"),
        (VcpuPin(H, "web1", "all", "-", "1"), "xl vcpu-pin 3 all - 1"),
        (VcpuPin(H, "web1", 1, "1", force=True), "xl vcpu-pin -f 3 1 1"),
        (VcpuPin(H, "web1", 1, "1", ignore_masks=True),
         "xl vcpu-pin --ignore-global-affinity-masks 3 1 1"),
        (NetworkAttach(H, "web1", bridge="xenbr0"), "xl network-attach 3 bridge=xenbr0"),
        (NetworkAttach(H, "web1", bridge="xenbr0", mac="00:16:3e:aa:bb:cc", model="e1000",
                       rate="10Mb/s@20ms", vifname="vweb", script="vif-bridge",
                       ip=("10.0.0.2", "10.0.0.3"), type="vif", mtu=1400),
         ["xl", "network-attach", "3", "type=vif", "mac=00:16:3e:aa:bb:cc", "bridge=xenbr0",
          "model=e1000", "vifname=vweb", "script=vif-bridge", "rate=10Mb/s@20ms",
          "ip=10.0.0.2 10.0.0.3", "mtu=1400"]),
        (NetworkAttach(H, "web1", script="vif-nat", gatewaydev="eth1", backend="netdd"),
         "xl network-attach 3 script=vif-nat backend=netdd gatewaydev=eth1"),
        (NetworkDetach(H, "web1", 0), "xl network-detach 3 0"),
        (NetworkDetach(H, "web1", "00:16:3E:10:00:01"), "xl network-detach 3 00:16:3e:10:00:01"),
        (BlockAttach(H, "web1", target="/srv/d.img", vdev="xvdb"),
         "xl block-attach 3 format=raw,vdev=xvdb,access=rw,target=/srv/d.img"),
        (BlockAttach(H, "web1", target="/srv/a.iso", vdev="hdc", access="ro", devtype="cdrom"),
         "xl block-attach 3 format=raw,vdev=hdc,access=ro,devtype=cdrom,target=/srv/a.iso"),
        # xl's devtype= takes only cdrom: a disk ("xvdb:disk") is the default, left unsaid
        (BlockAttach(H, "web1", target="/srv/d.img", vdev="xvdb", devtype="disk"),
         "xl block-attach 3 format=raw,vdev=xvdb,access=rw,target=/srv/d.img"),
        (BlockAttach(H, "web1", target="", vdev="hdd", format="empty", access="r",
                     devtype="cdrom"),
         "xl block-attach 3 format=empty,vdev=hdd,access=r,devtype=cdrom"),
        (BlockAttach(H, "web1", target="iqn.x:d", vdev="xvdc", script="block-iscsi",
                     backend="dd1", backendtype="phy", discard=False, direct_io_safe=True),
         "xl block-attach 3 format=raw,vdev=xvdc,access=rw,backendtype=phy,backend=dd1,"
         "script=block-iscsi,no-discard,direct-io-safe,target=iqn.x:d"),
        (BlockAttach(H, "web1", target="/srv/d.img", vdev="xvdb", discard=True),
         "xl block-attach 3 format=raw,vdev=xvdb,access=rw,discard,target=/srv/d.img"),
        (BlockDetach(H, "web1", "xvdb"), "xl block-detach 3 xvdb"),
        (BlockDetach(H, "web1", "xvdb", force=True), "xl block-detach -f 3 xvdb"),
        (Shutdown(H, "web1"), "xl shutdown 3"),
        (Shutdown(H, "web1", wait=True, force_acpi=True), "xl shutdown -w -F 3"),
        (Shutdown(H, "web1", wait=True, wait_death=True), "xl shutdown -w -w 3"),
        (Reboot(H, "web1"), "xl reboot 3"),
        (Reboot(H, "web1", force_acpi=True), "xl reboot -F 3"),
        (Destroy(H, "web1"), "xl destroy 3"),
        (Create(H, "/etc/xen/web1.cfg"), "xl create /etc/xen/web1.cfg"),
        (Create(H, "/etc/xen/web1.cfg", paused=True), "xl create -p /etc/xen/web1.cfg"),
        (CdInsert(H, "web1", "hdc", "/srv/a.iso"), "xl cd-insert 3 hdc /srv/a.iso"),
        (CdEject(H, "web1", "hdc"), "xl cd-eject 3 hdc"),
        (Console(H, "web1"), "xl console 3"),
        (Console(H, "web1", type="serial", num=1), "xl console -t serial -n 1 3"),
    ],
)
def test_argv_per_verb(req: Request, argv: str | list[str]) -> None:
    expected = argv.split(" ") if isinstance(argv, str) else argv
    assert list(build_argv(req, "3")) == expected


def test_domain_verbs_need_a_target() -> None:
    with pytest.raises(ValueError):
        build_argv(Pause(H, "web1"), None)


HOSTILE = ["$(reboot)", "; rm -rf /", "[red]x", "a\nb", "`id`", "-p", "' \"", "x y"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_name_is_one_argument(name: str) -> None:
    for req in (Pause(H, name), Destroy(H, name), Console(H, name), MemSet(H, name, "1g")):
        argv = build_argv(req, name)
        assert argv.count(name) == 1
        assert argv[2] == name


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_disk_values_are_one_argument(value: str) -> None:
    """Whatever a disk spec holds, xl gets it as the one spec argument after the domain."""
    for req in (BlockAttach(H, "web1", target=f"/srv/{value}", vdev="xvdb"),
                BlockAttach(H, "web1", target=value, vdev="xvdb", script=value, backend=value)):
        argv = build_argv(req, "3")
        assert argv[:3] == ("xl", "block-attach", "3") and len(argv) == 4
        assert argv[3].endswith(f"target={req.target}")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_disk_spec_typed_at_xltop_do_is_one_argument(value: str) -> None:
    req = parse_verb(H, "web1", "block-attach",
                     [f"script=block-x,vdev=xvdb,target={value}", "direct-io-safe"])
    argv = build_argv(req, "3")
    assert argv == ("xl", "block-attach", "3", "format=raw,vdev=xvdb,access=rw,"
                    f"script=block-x,direct-io-safe,target={value}")


# --- through a real process: a fake `xl` on PATH records the argv it got ------------------

FAKE_XL = """#!/bin/sh
# records its arguments, one JSON list per call
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$XL_RECORD"
echo "fake xl: $1 ok" >&2
"""


@pytest.fixture
def fake_xl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    xl = bindir / "xl"
    xl.write_text(FAKE_XL)
    xl.chmod(xl.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("XL_RECORD", str(record))
    return record


def _calls(record: Path) -> list[list[str]]:
    return [json.loads(line) for line in record.read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_values_reach_a_real_xl_literally(fake_xl: Path, name: str,
                                                        tmp_path: Path) -> None:
    """A domain known only by name (no domid) and a save path full of shell syntax."""
    runner = LocalRunner(HOST, command_timeout=10)
    seam = ControlSeam(runner, HostConfig(HOST, "local"), Settings())
    snap = snapshot(dom(None, name))  # type: ignore[arg-type]
    # a short action: exec, no shell
    plan = await seam.preview(Pause(H, name), snap)
    assert plan.argv == ("xl", "pause", name)
    res = await seam.execute(plan)
    assert res.outcome == "ok", res.message
    # a long action: through `sh -c 'exec "$@" 2>&1'`, a real shell
    path = f"{tmp_path}/{name.replace(chr(10), '_').replace('/', '_')}.chk"  # (in a real dir)
    plan = await seam.preview(Save(H, name, path), snap)
    res = await seam.execute(plan)
    assert res.outcome == "ok", res.message
    assert "fake xl: save ok" in res.stderr  # stderr came through the merge
    assert _calls(fake_xl) == [["pause", name], ["save", "-c", name, path]]
