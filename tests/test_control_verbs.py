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
        ("console -t serial", rq.Console(H, "web1", type="serial")),  # (xl console's options)
        ("console -t pv -n 1", rq.Console(H, "web1", type="pv", num=1)),
        ("console --type=vuart", rq.Console(H, "web1", type="vuart")),
        ("shutdown -w -F", rq.Shutdown(H, "web1", wait=True, force_acpi=True)),
        # xl: -w once waits for shutdown or death, twice for death only
        ("shutdown -ww", rq.Shutdown(H, "web1", wait=True, wait_death=True)),
        ("shutdown -w --wait", rq.Shutdown(H, "web1", wait=True, wait_death=True)),
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
        ("vcpu-pin --ignore-global-affinity-masks 1 1",
         rq.VcpuPin(H, "web1", 1, "1", ignore_masks=True)),
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
        ("console -t hvc", "argument -t/--type: invalid choice: 'hvc'"),
        ("console -n x", "invalid console number 'x'"),
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
        ("mem-set -512m", "a size is not negative"), ("mem-max -1", "a size is not negative"),
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
                     (["--bogus"], "unknown option --bogus"),
                     (["--config="], "--config needs a value"),  # (not the default config)
                     (["--config", ""], "--config needs a value")):
        with pytest.raises(UsageError, match=why):
            parse_args(["--demo", *bad, "h", "d", "pause"])


# --- xl-disk-configuration(5) as libxlu_disk_l.l reads it ----------------------------------


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        # the man page's equivalent specs
        ("/dev/vg/guest-volume,,hda", {"target": "/dev/vg/guest-volume", "vdev": "hda"}),
        ("format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
         {"format": "raw", "vdev": "hda", "access": "rw", "target": "/dev/vg/guest-volume"}),
        ("raw:/dev/vg/guest-volume,hda,w",
         {"target": "/dev/vg/guest-volume", "format": "raw", "vdev": "hda", "access": "w"}),
        ("/root/image.iso,,hdc,cdrom",
         {"target": "/root/image.iso", "vdev": "hdc", "devtype": "cdrom"}),
        ("/root/image.iso,,hdc,,cdrom",
         {"target": "/root/image.iso", "vdev": "hdc", "devtype": "cdrom"}),
        ("/root/image.iso,raw,hdc,devtype=cdrom",
         {"target": "/root/image.iso", "format": "raw", "vdev": "hdc", "devtype": "cdrom"}),
        ("raw:/root/image.iso,hdc:cdrom,ro", {"target": "/root/image.iso", "format": "raw",
                                              "vdev": "hdc", "devtype": "cdrom", "access": "ro"}),
        # format prefixes, ignored prefixes (chained), script prefixes
        ("qcow2:/srv/a.qcow2,xvdb,w",
         {"target": "/srv/a.qcow2", "format": "qcow2", "vdev": "xvdb", "access": "w"}),
        ("qcow:/srv/a,xvdb", {"target": "/srv/a", "format": "qcow", "vdev": "xvdb"}),
        ("vhd:/srv/a.vhd,xvdb", {"target": "/srv/a.vhd", "format": "vhd", "vdev": "xvdb"}),
        ("tap:aio:/srv/a.img,xvdb,w", {"target": "/srv/a.img", "vdev": "xvdb", "access": "w"}),
        ("tap2:tapdisk:aio:/srv/a.img,xvdb", {"target": "/srv/a.img", "vdev": "xvdb"}),
        ("ioemu:/srv/a.img,hda", {"target": "/srv/a.img", "vdev": "hda"}),
        ("file:/srv/a.img,xvdb", {"target": "/srv/a.img", "vdev": "xvdb"}),
        ("tap:qcow2:/srv/a.qcow2,xvdb", {"target": "/srv/a.qcow2", "format": "qcow2",
                                         "vdev": "xvdb"}),
        ("drbd:res0,xvdb,w", {"target": "res0", "script": "block-drbd", "vdev": "xvdb",
                              "access": "w"}),
        ("iscsi:iqn.2001-05.com.example:disk1,xvdb",
         {"target": "iqn.2001-05.com.example:disk1", "script": "block-iscsi", "vdev": "xvdb"}),
        ("nbd:host:10809,xvdb", {"target": "host:10809", "script": "block-nbd", "vdev": "xvdb"}),
        ("enbd:x,xvdb", {"target": "x", "script": "block-enbd", "vdev": "xvdb"}),
        # empty CD drives, devtype suffixes
        (",hdc:cdrom,r", {"vdev": "hdc", "devtype": "cdrom", "access": "r"}),
        (",,hdc:cdrom,r", {"vdev": "hdc", "devtype": "cdrom", "access": "r"}),
        ("/srv/a.img,,xvdb:disk", {"target": "/srv/a.img", "vdev": "xvdb", "devtype": "disk"}),
        ("format=empty,vdev=hdd,cdrom", {"format": "empty", "vdev": "hdd", "devtype": "cdrom"}),
        # the other keys and flags
        ("/srv/a.img,raw,xvdb,w,script=block-dummy,backend=dd1,backendtype=qdisk,discard,"
         "direct-io-safe",
         {"target": "/srv/a.img", "format": "raw", "vdev": "xvdb", "access": "w",
          "script": "block-dummy", "backend": "dd1", "backendtype": "qdisk",
          "discard": "discard", "direct-io-safe": "direct-io-safe"}),
        ("no-discard,/srv/a.img,,xvdb", {"discard": "no-discard", "target": "/srv/a.img",
                                         "vdev": "xvdb"}),
        # target= takes the rest, commas and all (a script's own syntax)
        ("script=block-iscsi,vdev=xvdc,target=iqn=x,portal=10.0.0.2",
         {"script": "block-iscsi", "vdev": "xvdc", "target": "iqn=x,portal=10.0.0.2"}),
        # an empty target before target= is no second target
        (",raw,xvdb,target=/srv/a.img", {"format": "raw", "vdev": "xvdb",
                                         "target": "/srv/a.img"}),
    ],
)
def test_disk_specs_as_xl_reads_them(spec: str, parsed: dict[str, str]) -> None:
    assert parse_disk_spec(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ("/dev/vg/lv,raw,xvdb,w,target=/root/image.iso", "target"),
        ("/srv/a.img,raw,xvdb,w,format=qcow2", "format"),
        ("/srv/a.img,raw,xvdb,w,vdev=xvdc", "vdev"),
        ("/srv/a.img,raw,xvdb,w,access=r", "access"),
        ("access=r,/srv/a.img,raw,xvdb,w", "access"),
        ("format=raw,format=raw,vdev=xvdb,target=/srv/a.img", "format"),
        ("vdev=xvdb,vdev=xvdc,target=/srv/a.img", "vdev"),
        ("raw:/srv/a.img,qcow2,xvdb,w", "format"),
        ("qcow2:/srv/a.img,xvdb,format=raw", "format"),
        ("iscsi:iqn.x,xvdb,script=block-nbd", "script"),
        ("/srv/a.img,,xvdb,discard,no-discard", "discard"),
        ("/srv/a.img,,hdc:cdrom,devtype=disk", "devtype"),
        ("xvdb,target=/srv/a.img", "target"),
    ],
)
def test_a_parameter_given_twice_is_refused(spec: str, key: str) -> None:
    with pytest.raises(UsageError, match=f"^block-attach: {key} respecified in .*given only once"):
        parse_disk_spec(spec)


def test_respecified_names_both_values() -> None:
    with pytest.raises(UsageError) as ei:
        parse_verb(H, "web1", "block-attach", ["/dev/vg/lv,raw,xvdb,w,target=/root/image.iso"])
    assert str(ei.value) == ("block-attach: target respecified in "
                             "'/dev/vg/lv,raw,xvdb,w,target=/root/image.iso': '/dev/vg/lv', then "
                             "'/root/image.iso' (each parameter may be given only once)")


@pytest.mark.parametrize(
    ("args", "req"),
    [
        # several arguments are one spec (parse_disk_config_multistring)
        (["format=raw", "vdev=xvdc", "target=/srv/x.img"],
         rq.BlockAttach(H, "web1", target="/srv/x.img", vdev="xvdc")),
        (["target=/srv/a,b.img", "vdev=xvdc"],  # target= ends with its own argument
         rq.BlockAttach(H, "web1", target="/srv/a,b.img", vdev="xvdc")),
        (["/srv/x.img,qcow2", "xvdc,r"],
         rq.BlockAttach(H, "web1", target="/srv/x.img", vdev="xvdc", format="qcow2",
                        access="r")),
        # a CD drive is read-only unless told otherwise; with no target it is empty
        (["/root/image.iso,,hdc,cdrom"],
         rq.BlockAttach(H, "web1", target="/root/image.iso", vdev="hdc", access="r",
                        devtype="cdrom")),
        (["/root/image.iso,,hdc,,cdrom"],
         rq.BlockAttach(H, "web1", target="/root/image.iso", vdev="hdc", access="r",
                        devtype="cdrom")),
        ([",hdc:cdrom,r"],
         rq.BlockAttach(H, "web1", target="", vdev="hdc", format="empty", access="r",
                        devtype="cdrom")),
        (["vdev=hdd", "devtype=cdrom"],
         rq.BlockAttach(H, "web1", target="", vdev="hdd", format="empty", access="r",
                        devtype="cdrom")),
        (["raw:/dev/vg/guest-volume,hda,w"],
         rq.BlockAttach(H, "web1", target="/dev/vg/guest-volume", vdev="hda", access="w")),
        # xl 4.17 takes devtype=disk (checked on the lab: it goes on to stat the target)
        (["/srv/a.img,raw,xvdb,w,devtype=disk"],
         rq.BlockAttach(H, "web1", target="/srv/a.img", vdev="xvdb", access="w",
                        devtype="disk")),
        (["/srv/a.img,,xvdb", "script=block-x,backend=dd1,backendtype=phy,no-discard",
          "direct-io-safe"],
         rq.BlockAttach(H, "web1", target="/srv/a.img", vdev="xvdb", script="block-x",
                        backend="dd1", backendtype="phy", discard=False, direct_io_safe=True)),
        (["iscsi:iqn.2001-05.com.example:disk1,xvdb"],
         rq.BlockAttach(H, "web1", target="iqn.2001-05.com.example:disk1", vdev="xvdb",
                        script="block-iscsi")),
    ],
)
def test_block_attach_specs(args: list[str], req: rq.Request) -> None:
    assert parse_verb(H, "web1", "block-attach", args) == req


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["/srv/a.img,raw,xvdb,w", "target=/srv/b.img"], "target respecified"),
        (["/srv/a.img,raw,xvdb", "vdev=xvdc"], "vdev respecified"),
        (["qed:/srv/a.img,xvdb"], "unknown deprecated disk prefix 'qed:'.*format="),
        (["nfs:/srv/a.img,xvdb"], "unknown deprecated disk prefix 'nfs:'"),
        (["/srv/a.img,,hdc:floppy"], "unknown type 'floppy'.*:cdrom or :disk"),
        (["vdev=xvdb", "devtype=floppy", "target=/srv/a.img"], "unknown value for devtype"),
        (["/srv/a.img,raw,xvdb,w,r"], "too many items"),
        (["colo-host=x,/srv/a.img,,xvdb"], "unknown key 'colo-host'"),
        (["vdev=xvdb"], "needs a target and a vdev"),
        ([], "block-attach target,format,vdev,access"),
    ],
)
def test_block_attach_spec_errors(args: list[str], why: str) -> None:
    with pytest.raises(UsageError, match=why):
        parse_verb(H, "web1", "block-attach", args)
