"""``xltop do`` argument parsing: global options and xl-like verb arguments."""

from __future__ import annotations

import pytest

from collectors.control import requests as rq
from collectors.control.verbs import UsageError, parse_disk_spec, parse_verb
from tui.do_cli import DoArgs, parse_args

H = "h"


@pytest.mark.parametrize(
    ("words", "req"),
    [
        ("pause", rq.Pause(H, "web1")),
        ("unpause", rq.Unpause(H, "web1")),
        ("destroy", rq.Destroy(H, "web1")),
        ("console", rq.Console(H, "web1")),
        ("shutdown -w -F", rq.Shutdown(H, "web1", wait=True, force_acpi=True)),
        ("reboot", rq.Reboot(H, "web1")),
        ("save /s/a.chk", rq.Save(H, "web1", "/s/a.chk")),
        ("save /s/a.chk -c", rq.Save(H, "web1", "/s/a.chk")),
        ("save /s/a.chk --stop", rq.Save(H, "web1", "/s/a.chk", keep_running=False)),
        ("save -p /s/a.chk", rq.Save(H, "web1", "/s/a.chk", keep_running=False,
                                     leave_paused=True)),
        ("save /s/a.chk -c -p --overwrite", rq.Save(H, "web1", "/s/a.chk", leave_paused=True,
                                                    overwrite=True)),
        ("restore /s/a.chk -p", rq.Restore(H, "/s/a.chk", paused=True, domain="web1")),
        ("mem-set 512m", rq.MemSet(H, "web1", "512m")),
        ("mem-max 1G", rq.MemMax(H, "web1", "1G")),
        ("vcpu-set 2", rq.VcpuSet(H, "web1", 2)),
        ("vcpu-set -i 4", rq.VcpuSet(H, "web1", 4, ignore_host=True)),
        ("vcpu-pin 0 0-3,^2", rq.VcpuPin(H, "web1", 0, "0-3,^2")),
        ("vcpu-pin all - 1", rq.VcpuPin(H, "web1", "all", "-", "1")),
        ("vcpu-pin -f 1 1 all", rq.VcpuPin(H, "web1", 1, "1", "all", force=True)),
        ("network-attach bridge=xenbr0 mac=00:16:3e:aa:bb:cc ip=10.0.0.1 ip=10.0.0.2 mtu=1400",
         rq.NetworkAttach(H, "web1", bridge="xenbr0", mac="00:16:3e:aa:bb:cc",
                          ip=("10.0.0.1", "10.0.0.2"), mtu=1400)),
        ("network-attach", rq.NetworkAttach(H, "web1")),
        ("network-attach script=vif-route gatewaydev=eth1 backend=0",
         rq.NetworkAttach(H, "web1", script="vif-route", gatewaydev="eth1", backend="0")),
        ("network-detach 1", rq.NetworkDetach(H, "web1", 1)),
        ("network-detach 00:16:3e:aa:bb:cc", rq.NetworkDetach(H, "web1", "00:16:3e:aa:bb:cc")),
        ("block-attach /srv/d.img,raw,xvdb,w",
         rq.BlockAttach(H, "web1", target="/srv/d.img", vdev="xvdb", access="w")),
        ("block-detach -f xvdb", rq.BlockDetach(H, "web1", "xvdb", force=True)),
        ("cd-insert hdc /srv/a.iso", rq.CdInsert(H, "web1", "hdc", "/srv/a.iso")),
        ("cd-eject hdc", rq.CdEject(H, "web1", "hdc")),
    ],
)
def test_verbs(words: str, req: rq.Request) -> None:
    verb, *args = words.split(" ")
    assert parse_verb(H, "web1", verb, args) == req


def test_create_ignores_dash_domain() -> None:
    assert parse_verb(H, "-", "create", ["/etc/xen/a.cfg", "-p"]) == rq.Create(
        H, "/etc/xen/a.cfg", paused=True)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("/srv/d.img,raw,xvdb,rw", {"target": "/srv/d.img", "format": "raw", "vdev": "xvdb",
                                    "access": "rw"}),
        ("phy:/dev/vg/lv,xvdb,w", {"target": "/dev/vg/lv", "vdev": "xvdb", "access": "w"}),
        ("/srv/d.img,,xvdc", {"target": "/srv/d.img", "vdev": "xvdc"}),
        ("format=qcow2,vdev=xvdd,access=ro,devtype=cdrom,target=/srv/x.qcow2",
         {"format": "qcow2", "vdev": "xvdd", "access": "ro", "devtype": "cdrom",
          "target": "/srv/x.qcow2"}),
    ],
)
def test_disk_specs(spec: str, parsed: dict[str, str]) -> None:
    assert parse_disk_spec(spec) == parsed


@pytest.mark.parametrize(
    ("words", "why"),
    [
        ("fly", "unknown verb 'fly'"),
        ("pause now", "unrecognized arguments: now"),
        ("save", "the following arguments are required: path"),
        ("save /a -c --stop", "contradict"),
        ("vcpu-set two", "invalid vCPU count"),
        ("vcpu-pin x 1", "invalid vCPU"),
        ("vcpu-pin 1", "VCPU|all HARD"),
        ("network-attach bridge", "expected key=value"),
        ("network-attach colour=red", "unknown key 'colour'"),
        ("network-attach bridge=a bridge=b", "given twice"),
        ("block-attach /a,raw,xvdb,w,extra", "too many items"),
        ("block-attach /a,bogus,xvdb,w", "unknown format 'bogus'"),
        ("block-attach format=raw", "needs a target and a vdev"),
        ("mem-set", "required: size"),
        # only ASCII digits: int() would also take these, and xl gets what it would not
        ("vcpu-set \u0663", "invalid vCPU count"),
        ("vcpu-pin \u0661 0", "invalid vCPU"),
        ("network-attach mtu=\u0661\u0665\u0660\u0660", "invalid mtu"),
        ("sched-credit2 -w +256", "invalid weight '\\+256'"),
        ("sched-credit2 -c 1_0", "invalid cap '1_0'"),
    ],
)
def test_usage_errors(words: str, why: str) -> None:
    verb, *args = words.split(" ")
    with pytest.raises(UsageError, match=why):
        parse_verb(H, "web1", verb, args)


def test_global_options_anywhere() -> None:
    a = parse_args(["--demo", "--seed", "3", "xen-a", "web1", "save", "/s/x", "-p", "--yes",
                    "--json", "--hosts=2"])
    assert a == DoArgs("xen-a", "web1", "save", ["/s/x", "-p"], yes=True, json=True, demo=True,
                       seed=3, hosts=2)
    b = parse_args(["h", "--", "--yes", "pause"])  # after --, a domain named --yes
    assert (b.domain, b.verb, b.yes) == ("--yes", "pause", False)
    with pytest.raises(UsageError, match="required"):
        parse_args(["h", "web1"])
    with pytest.raises(UsageError, match="whole number"):
        parse_args(["--seed", "x", "h", "d", "pause"])
    # the demo's shape as the dashboard takes it, and no option taken for a HOST
    assert parse_args(["--demo", "--pcpus", "256", "h", "d", "pause"]).pcpus == 256
    for bad, why in ((["--hosts", "0"], "at least 1"), (["--domains", "-3"], "whole number"),
                     (["--bogus"], "unknown option --bogus")):
        with pytest.raises(UsageError, match=why):
            parse_args(["--demo", *bad, "h", "d", "pause"])
