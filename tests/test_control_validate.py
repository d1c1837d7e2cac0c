"""Validation of every verb against a snapshot and host facts, before anything is sent."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from collectors.control import syntax as sx
from collectors.control.errors import ValidationFailed
from collectors.control.facts import HostFacts
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
    SchedCredit,
    SchedCredit2,
    Shutdown,
    Unpause,
    VcpuPin,
    VcpuSet,
)
from collectors.control.validate import Checked, validate
from collectors.model import Device, DeviceKind, DomainState, HostSnapshot, HostStatus
from collectors.transport.base import CommandResult, ConnectionLost
from tests.control_helpers import HOST, MiB, RecordingRunner, dom, snapshot
from tests.test_parse_xl_savefile import checkpoint, xl_config

H = HOST


async def check(req: Request, runner: RecordingRunner | None = None, snap=None) -> Checked:
    r = runner or RecordingRunner()
    return await validate(req, snap or snapshot(), HostFacts(r))


async def problem(req: Request, runner: RecordingRunner | None = None, snap=None) -> str:
    with pytest.raises(ValidationFailed) as ei:
        await check(req, runner, snap)
    return ei.value.message


# --- sizes and other syntax ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kib"),
    [("512", 512 * MiB), ("512m", 512 * MiB), ("512M", 512 * MiB), ("2g", 2048 * MiB),
     ("2G", 2048 * MiB), ("1t", 1 << 30), ("65536k", 65536), ("65536K", 65536),
     ("1048576b", 1024), ("1048577B", 1024), (" 256 ", 256 * MiB),
     ("+512", 512 * MiB), ("+2g", 2048 * MiB)],  # xl parses with strtoll: "+" is taken
)
def test_sizes_in_xl_syntax(text: str, kib: int) -> None:
    assert sx.parse_size_kib(text) == kib


@pytest.mark.parametrize("text", ["lots", "12x", "1.5g", "-5", "5mb", "", "0x10", "1 g", "m",
                                  "++5", "+", "+-5"])
def test_bad_sizes_get_xl_like_message(text: str) -> None:
    with pytest.raises(sx.BadValue) as ei:
        sx.parse_size_kib(text)
    assert str(ei.value) == f'invalid size "{text}": use a number with an optional k/m/g/t suffix'


def test_a_size_of_thousands_of_digits_is_too_large() -> None:
    with pytest.raises(sx.BadValue, match="is too large"):
        sx.parse_size_kib("9" * 5000)


async def test_a_plus_size_says_it_is_not_relative() -> None:
    c = await check(MemSet(H, "web1", "+64"))
    assert "+64 sets 64 MiB: xl has no relative sizes" in c.warnings


def test_lots_message_exact() -> None:
    with pytest.raises(sx.BadValue, match=r'^invalid size "lots": use a number with an '
                       r"optional k/m/g/t suffix$"):
        sx.parse_size_kib("lots")


@pytest.mark.parametrize("mac", ["00:16:3e:aa:bb:cc", "02:00:00:00:00:01", "00:16:3E:AA:BB:CC"])
def test_unicast_macs(mac: str) -> None:
    assert sx.check_mac(mac) == mac.lower()


@pytest.mark.parametrize(
    ("mac", "why"),
    [("01:00:5e:00:00:01", "multicast"), ("ff:ff:ff:ff:ff:ff", "multicast"),
     ("00:16:3e:aa:bb", "six hex pairs"), ("00-16-3e-aa-bb-cc", "six hex pairs"),
     ("00:00:00:00:00:00", "not usable"), ("zz:16:3e:aa:bb:cc", "six hex pairs")],
)
def test_bad_macs(mac: str, why: str) -> None:
    with pytest.raises(sx.BadValue, match=why):
        sx.check_mac(mac)


@pytest.mark.parametrize("rate", ["10Mb/s", "1GB/s@20ms", "250KB/s@5000us", "100B/s", "8b/s@1s",
                                  "5MB/s@2"])
def test_rates(rate: str) -> None:
    assert sx.check_rate(rate) == rate


@pytest.mark.parametrize("rate", ["10Mb", "10 Mb/s", "fast", "0Mb/s", "10mb/s", "10Mb/s@",
                                  "10Mb/s@0ms", "010Mb/s", "99999999999Mb/s", "1Mb/s@5000s"])
def test_bad_rates(rate: str) -> None:
    with pytest.raises(sx.BadValue):
        sx.check_rate(rate)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("all", "all"), ("0-3,^2", "0-1,3"), ("1", "1"), ("0,2-3", "0,2-3"), ("all,^0", "1-3"),
     # xl's parse_cpurange: strtok skips empty items, strtoul leading blanks; node: items
     # mix with CPUs (one node here: it holds every CPU)
     ("0-1, 3", "0-1,3"), ("0-1,", "0-1"), ("^ 0,all", "all"), ("nodes:all", "all"),
     ("node:0,^1", "0,2-3"), ("nodes:0-0,^node:0,2", "2")],
)
def test_cpu_lists(text: str, cpus: str) -> None:
    got = sx.check_cpu_list(text, max_cpu=3, nr_nodes=1, what="hard", allow_keep=False)
    assert got is not None
    assert str(got) == cpus


@pytest.mark.parametrize(
    ("text", "why"),
    [("4", "CPU 4 does not exist"), ("0-9", "CPU 4 does not exist"), ("3-1", "invalid"),
     ("^all", "combine"), ("0-1,^0-1", "selects no CPU"), ("one", "use all"),
     ("0;reboot", "use all"), ("node:1", "1 NUMA node"), ("0\n1", "control characters"),
     ("^1", "write all,\\^N"), ("^node:0", "selects no CPU"), ("^nodes:all", "combine"),
     ("0 -1", "use all"), ("0, ^1", "use all"), ("0, node:0", "use all")],
)
def test_bad_cpu_lists(text: str, why: str) -> None:
    with pytest.raises(sx.BadValue, match=why):
        sx.check_cpu_list(text, max_cpu=3, nr_nodes=1, what="hard", allow_keep=False)


def test_cpu_lists_with_nodes_of_a_numa_host() -> None:
    # which CPUs node 1 has only the host knows: the list is checked, its CPUs left to xl
    check = sx.check_cpu_list
    assert check("1,node:1,^6", max_cpu=7, nr_nodes=2, what="hard", allow_keep=False) is None
    assert check("nodes:0-1,^node:1", max_cpu=7, nr_nodes=2, what="hard",
                 allow_keep=False) is None
    with pytest.raises(sx.BadValue, match="2 NUMA node"):
        check("node:0,node:2", max_cpu=7, nr_nodes=2, what="hard", allow_keep=False)
    with pytest.raises(sx.BadValue, match="CPU 8 does not exist"):
        check("node:1,8", max_cpu=7, nr_nodes=2, what="hard", allow_keep=False)


# --- domain resolution ------------------------------------------------------------------


async def test_domain_by_name_or_domid() -> None:
    assert (await check(Pause(H, "web1"))).target == "3"
    assert (await check(Pause(H, 3))).domain.name == "web1"  # type: ignore[union-attr]
    assert (await check(Pause(H, "3"))).domain.name == "web1"  # type: ignore[union-attr]
    assert 'no domain "٣"' in await problem(Pause(H, "٣"))  # not domid 3
    assert 'no domain "' in await problem(Pause(H, "3" * 5000))
    # a UUID, as libxl_domain_qualifier_to_domid takes it, in either case
    uuid = "a3508009-2a85-4cdf-ac1a-f186f1bed941"
    snap = snapshot(dom(9, "uu", uuid=uuid))
    assert (await check(Pause(H, uuid.upper()), snap=snap)).target == "9"
    assert 'no domain "' in await problem(Pause(H, uuid.replace("a", "b")), snap=snap)


async def test_unknown_domain() -> None:
    msg = await problem(Pause(H, "nosuch"))
    assert 'no domain "nosuch" on xen-a' in msg and "web1" in msg
    assert 'no domain "99"' in await problem(Pause(H, 99))
    # names are the host's (and the typed one the user's): a newline makes no line of its own
    odd = snapshot(dom(7, "a\nxltop do: done"))
    msg = await problem(Pause(H, "b\nfake"), snap=odd)
    assert "\n" not in msg and 'no domain "b\\nfake"' in msg and "a\\nxltop do: done" in msg
    # a long list names the first ones and says how many more there are
    many = snapshot(*(dom(100 + i, f"guest{i:02}") for i in range(20)))
    msg = await problem(Pause(H, "nosuch"), snap=many)
    assert msg.endswith("guest05 and 14 more)") and "guest06" not in msg


async def test_name_that_is_another_domains_id_is_ambiguous() -> None:
    snap = snapshot(dom(7, "3"))
    assert "both the name of domain 7 and the domid of web1" in await problem(
        Pause(H, "3"), snap=snap)
    assert (await check(Pause(H, 7), snap=snap)).target == "7"


@pytest.mark.parametrize(
    "req", [Pause(H, "Domain-0"), Destroy(H, 0), Save(H, "Domain-0", "/tmp/d0"),
            Console(H, "Domain-0"), Shutdown(H, 0), NetworkDetach(H, 0, 0)],
)
async def test_domain0_refused_where_xl_refuses(req: Request) -> None:
    assert "Domain-0" in await problem(req)


async def test_domain0_allowed_for_memory_and_vcpus() -> None:
    assert (await check(MemSet(H, "Domain-0", "900m"))).target == "0"
    assert (await check(MemSet(H, "Domain-0", "128m"))).target == "0"
    # libxl refuses Dom0 below LIBXL_MIN_DOM0_MEM
    assert "below the 128 MiB" in await problem(MemSet(H, "Domain-0", "127m"))
    assert (await check(VcpuPin(H, 0, 0, "0-1"))).target == "0"


async def test_unreachable_host_refuses() -> None:
    snap = snapshot(status=HostStatus.UNREACHABLE)
    assert "unreachable" in await problem(Pause(H, "web1"), snap=snap)


async def test_a_domain_missing_after_a_failed_read_names_the_failure() -> None:
    snap = replace(snapshot(status=HostStatus.ERROR), domains=(),
                   message="xl list -v: exit 127: xl: command not found")
    msg = await problem(Pause(H, "web1"), snap=snap)
    assert msg.startswith("xen-a's last read failed (xl list -v: exit 127")
    assert 'no domain "web1"' in msg


async def test_stale_snapshot_warns() -> None:
    checked = await check(Pause(H, "web1"), snap=snapshot(status=HostStatus.STALE))
    assert any("stale" in w or "old" in w for w in checked.warnings)


async def test_wrong_host() -> None:
    assert "snapshot is of xen-a" in await problem(Pause("other", "web1"))


async def test_dying_domain() -> None:
    snap = snapshot(dom(9, "dying1", state=DomainState(dying=True)))
    assert "dying" in await problem(Pause(H, "dying1"), snap=snap)
    assert (await check(Destroy(H, "dying1"), snap=snap)).target == "9"


# --- per verb -----------------------------------------------------------------------------


async def test_pause_unpause_state() -> None:
    assert "already paused" in await problem(Pause(H, "frozen"))
    assert "is not paused" in await problem(Unpause(H, "web1"))
    assert (await check(Unpause(H, "frozen"))).target == "6"


async def test_mem_set_within_static_max() -> None:
    c = await check(MemSet(H, "web1", "200m"))
    assert c.size_kib == 200 * MiB
    msg = await problem(MemSet(H, "web1", "300m"))
    assert "300 MiB is more than web1's maximum memory 256 MiB" in msg
    # one KiB over: said exactly, not rounded to a size that reads as the maximum itself
    msg = await problem(MemSet(H, "web1", f"{256 * 1024 + 1}k"))
    assert "262145 KiB (256.0 MiB) is more than web1's maximum memory 256 MiB" in msg
    assert 'invalid size "lots"' in await problem(MemSet(H, "web1", "lots"))
    assert "more than 0" in await problem(MemSet(H, "web1", "0"))
    assert "less than 1 KiB" in await problem(MemSet(H, "web1", "512b"))


async def test_mem_max_not_below_target() -> None:
    assert (await check(MemMax(H, "web1", "512m"))).size_kib == 512 * MiB
    msg = await problem(MemMax(H, "db1", "100m"))
    assert "below db1's current target 160 MiB" in msg
    w = (await check(MemMax(H, "web1", "8g"))).warnings
    assert any("3071 MiB" in x for x in w)


async def test_vcpu_set_range() -> None:
    assert (await check(VcpuSet(H, "web1", 1))).target == "3"
    assert "at most 2 vCPU" in await problem(VcpuSet(H, "web1", 3))
    assert "at least 1" in await problem(VcpuSet(H, "web1", 0))
    snap = snapshot(dom(8, "big", vcpus_max=8))
    msg = await problem(VcpuSet(H, "big", 6), snap=snap)
    assert "overcommit" in msg and "-i / --ignore-host" in msg
    assert (await check(VcpuSet(H, "big", 6, ignore_host=True), snap=snap)).target == "8"
    # xl refuses only raising past the host's CPUs: lowering an overcommitted guest is fine
    snap = snapshot(dom(8, "big", vcpus_online=8, vcpus_max=8))
    assert (await check(VcpuSet(H, "big", 6), snap=snap)).target == "8"
    assert "overcommit" in await problem(VcpuSet(H, "big", 6), snap=snapshot(
        dom(8, "big", vcpus_online=5, vcpus_max=8)))
    # the host's CPUs are max_cpu_id + 1, offline ones (smt=0) included
    snap = snapshot(dom(8, "big", vcpus_max=8))
    assert snap.info is not None
    snap = replace(snap, info=replace(snap.info, nr_cpus=4, max_cpu_id=7))
    assert (await check(VcpuSet(H, "big", 6), snap=snap)).target == "8"


async def test_vcpu_pin() -> None:
    assert (await check(VcpuPin(H, "web1", 1, "0-3,^2", "all"))).target == "3"
    assert (await check(VcpuPin(H, "web1", "all", "-", "1"))).target == "3"
    assert "no vCPU 2" in await problem(VcpuPin(H, "web1", 2, "1"))
    assert "CPU 7 does not exist" in await problem(VcpuPin(H, "web1", 0, "7"))
    assert "soft affinity" in await problem(VcpuPin(H, "web1", 0, "1", "0-9"))
    assert "nothing to change" in await problem(VcpuPin(H, "web1", 0, "-", "-"))
    assert "--force" in await problem(VcpuPin(H, "web1", "all", "1", force=True))


async def test_vcpu_pin_soft_outside_hard_warns() -> None:
    c = await check(VcpuPin(H, "web1", 0, "2-3", "1"))
    assert c.warnings == ("soft affinity 1 has no CPU in the hard affinity (2,3): Xen "
                          "ignores it",)
    assert (await check(VcpuPin(H, "web1", 0, "1-3", "1"))).warnings == ()
    assert (await check(VcpuPin(H, "web1", 0, "all", "1"))).warnings == ()
    # hard "-": the vCPU's current hard affinity (all, in this snapshot) counts
    assert (await check(VcpuPin(H, "web1", 0, "-", "1"))).warnings == ()


async def test_network_attach_checks_bridge_on_host() -> None:
    r = RecordingRunner(bridges=["xenbr0", "br-lan"])
    c = await check(NetworkAttach(H, "web1", bridge="br-lan", mac="00:16:3e:aa:bb:cc",
                                  rate="10Mb/s", ip=("10.0.0.5", "fd00::5/64")), r)
    assert c.target == "3"
    msg = await problem(NetworkAttach(H, "web1", bridge="nosuchbr"), r)
    assert 'no bridge "nosuchbr" on xen-a (bridges: br-lan, xenbr0)' in msg
    r_nodefault = RecordingRunner(bridges=["br-lan"])
    msg = await problem(NetworkAttach(H, "web1"), r_nodefault)
    assert 'no bridge "xenbr0"' in msg and "default" in msg


async def test_network_attach_bridges_as_xl_finds_them() -> None:
    r = RecordingRunner(bridges=["br-lan", "ovsbr0"])
    # vif-route and vif-nat use no bridge: none is needed, named or default
    assert (await check(NetworkAttach(H, "web1", script="vif-route", ip=("10.0.0.5",)),
                        r)).target == "3"
    # Open vSwitch VLAN and trunk forms name the bridge before the tag
    for bridge in ("ovsbr0.100", "ovsbr0:10:20"):
        c = await check(NetworkAttach(H, "web1", bridge=bridge), r)
        assert any("Open vSwitch" in w for w in c.warnings)
    assert 'no bridge "ovsbr9"' in await problem(NetworkAttach(H, "web1", bridge="ovsbr9.1"), r)
    assert "invalid bridge" in await problem(NetworkAttach(H, "web1", bridge="ovsbr0:x"), r)
    # no bridge named: xl.conf's default_bridge (and default_vifscript) count
    conf = b'# xl.conf\n#default_bridge="xenbr0"\ndefault_bridge = "br-lan" # LAN\n'
    r = RecordingRunner(bridges=["br-lan"], contents={"/etc/xen/xl.conf": conf})
    assert (await check(NetworkAttach(H, "web1"), r)).target == "3"
    r = RecordingRunner(bridges=["br-lan"],
                        contents={"/etc/xen/xl.conf": b"default_vifscript='vif-nat'\n"})
    assert (await check(NetworkAttach(H, "web1"), r)).target == "3"


async def test_network_attach_keys_xl_takes() -> None:
    c = await check(NetworkAttach(H, "web1", model="e1000-82545em", rate="10Mb/s@20m",
                                  backend="0", gatewaydev="eth0", script="vif-nat"))
    assert [w for w in c.warnings if "model" not in w] == []
    assert "QEMU" in " ".join(c.warnings)
    assert (await check(NetworkAttach(H, "web1", rate="1Mb/s@50u"))).warnings == ()
    w = (await check(NetworkAttach(H, "web1", rate="1Mb/s@20"))).warnings
    assert any("as seconds" in x for x in w)
    assert "invalid gatewaydev" in await problem(NetworkAttach(H, "web1", gatewaydev="e/0"))
    assert "invalid backend" in await problem(NetworkAttach(H, "web1", backend="a b"))
    w = (await check(NetworkAttach(H, "web1", backend="netdd"))).warnings
    assert any("no domain netdd" in x for x in w)


async def test_vifname_that_is_taken_or_too_long() -> None:
    msg = await problem(NetworkAttach(H, "db1", vifname="vif3.0"))
    assert "already the interface of vif 3.0" in msg
    assert "is a bridge" in await problem(NetworkAttach(H, "db1", vifname="xenbr1"))
    assert '"-emu"' in await problem(NetworkAttach(H, "win1", vifname="vif-win1-lan"))
    assert (await check(NetworkAttach(H, "db1", vifname="vif-db1-lan"))).target == "1"
    assert (await check(NetworkAttach(H, "win1", vifname="vif-win1-lan", type="vif"))).target == "5"


async def test_network_attach_key_by_key() -> None:
    msg = await problem(NetworkAttach(H, "web1", mac="01:00:5e:00:00:01", model="nic/9000",
                                      rate="fast", ip=("10.0.0.300",), vifname="a/b",
                                      script="../x", mtu=10))
    for part in ("multicast", "invalid model", "invalid rate", "invalid IP address",
                 "invalid vifname", "invalid script", "invalid mtu"):
        assert part in msg


@pytest.mark.parametrize(
    "kw",
    [{"bridge": "xenbr0,script=/tmp/evil"}, {"mac": "00:16:3e:aa:bb:cc,ip=1.2.3.4"},
     {"vifname": "v=1"}, {"model": "e1000\nscript=/x"}, {"ip": ("1.2.3.4,mac=x",)}],
)
async def test_vif_values_cannot_change_the_spec(kw: dict[str, object]) -> None:
    r = RecordingRunner()
    msg = await problem(NetworkAttach(H, "web1", **kw), r)  # type: ignore[arg-type]
    assert "it would change the spec" in msg or "control characters" in msg
    assert r.calls == []  # refused before asking the host anything


async def test_network_detach() -> None:
    assert (await check(NetworkDetach(H, "web1", 0))).target == "3"
    assert (await check(NetworkDetach(H, "web1", "00:16:3E:10:00:01"))).target == "3"
    assert "has no vif 4" in await problem(NetworkDetach(H, "web1", 4))
    assert "invalid vif" in await problem(NetworkDetach(H, "web1", "eth0"))
    assert "invalid vif" in await problem(NetworkDetach(H, "web1", "٠"))
    assert "invalid vif" in await problem(NetworkDetach(H, "web1", "9" * 5000))
    assert (await check(NetworkDetach(H, "idle1", 0))).warnings  # nothing known: xl decides


async def test_block_attach() -> None:
    c = await check(BlockAttach(H, "web1", target="/srv/xen/disk.img", vdev="xvdb"))
    assert c.target == "3"
    msg = await problem(BlockAttach(H, "web1", target="/srv/none.img", vdev="xvdc"))
    assert "no file or device /srv/none.img" in msg
    msg = await problem(BlockAttach(H, "web1", target="/srv/xen/disk.img", vdev="xvda"))
    assert "already has a disk xvda" in msg
    # every field's problem at once: a vdev in use does not hide a missing image
    msg = await problem(BlockAttach(H, "web1", target="/srv/none.img", vdev="xvda"))
    assert "already has a disk xvda" in msg and "no file or device /srv/none.img" in msg
    msg = await problem(BlockAttach(H, "web1", target="disk.img", vdev="vda", format="iso",
                                    access="x"))
    for part in ("absolute path", "invalid virtual device", "invalid disk format",
                 "invalid access"):
        assert part in msg
    msg = await problem(BlockAttach(H, "web1", target="/srv/a,vdev=xvda", vdev="xvdb"))
    assert "it would change the spec" in msg


async def test_block_attach_of_a_disk_in_use_warns() -> None:
    r = RecordingRunner(files=["/srv/xen/web1.img"])
    c = await check(BlockAttach(H, "db1", target="/srv/xen/web1.img", vdev="xvdc"), r)
    assert c.warnings == ("/srv/xen/web1.img is already attached to web1 (xvda) (two writers "
                          "corrupt a filesystem)",)
    c = await check(BlockAttach(H, "db1", target="/srv/xen/web1.img", vdev="xvdc",
                                access="r"), r)
    assert c.warnings == ("/srv/xen/web1.img is already attached to web1 (xvda)",)


async def test_block_detach() -> None:
    assert (await check(BlockDetach(H, "db1", "xvdb"))).target == "1"
    assert (await check(BlockDetach(H, "db1", "xvdb"))).warnings == ()
    first = await check(BlockDetach(H, "db1", "xvda"))
    assert first.warnings == ("xvda is db1's first disk, usually its root filesystem",)
    assert "no disk xvdc" in await problem(BlockDetach(H, "db1", "xvdc"))
    assert (await check(BlockDetach(H, "db1", "51728"))).target == "1"
    assert "no disk with devid 51744 (disks: 51712 (xvda), 51728 (xvdb))" in await problem(
        BlockDetach(H, "db1", "51744"))
    # digits of other scripts are not a devid xl reads (int() would take them)
    assert "invalid virtual device" in await problem(BlockDetach(H, "db1", "٥١٧٢٨"))


async def test_save_paths() -> None:
    r = RecordingRunner(files=["/var/lib/xen/save/web1.chk"])
    assert (await check(Save(H, "web1", "/var/lib/xen/save/new.chk"), r)).target == "3"
    msg = await problem(Save(H, "web1", "/var/lib/xen/save/web1.chk"), r)
    assert msg.endswith("already exists on xen-a (to replace it: 'overwrite the file' in the "
                        "form, --overwrite in xltop do)")
    c = await check(Save(H, "web1", "/var/lib/xen/save/web1.chk", overwrite=True), r)
    assert any("overwritten" in w for w in c.warnings)
    # nothing there: nothing to overwrite, nothing to warn about
    c = await check(Save(H, "web1", "/var/lib/xen/save/new.chk", overwrite=True), r)
    assert c.warnings == ()
    assert "absolute path" in await problem(Save(H, "web1", "web1.chk"), r)
    assert "control characters" in await problem(Save(H, "web1", "/tmp/a\nb"), r)
    assert '".."' in await problem(Save(H, "web1", "/tmp/../etc/passwd"), r)
    c = await check(Save(H, "web1", "/tmp/x.chk", keep_running=False), r)
    assert not any("destroyed" in w for w in c.warnings)  # the confirmation's reason says it
    # overwriting cannot help a directory, and must not hit a domain's disk
    msg = await problem(Save(H, "web1", "/var/lib/xen/save", overwrite=True), r)
    assert "not a regular file" in msg
    r = RecordingRunner(files=["/srv/xen/web1.img"])
    msg = await problem(Save(H, "idle1", "/srv/xen/web1.img", overwrite=True), r)
    assert "is a disk of web1 (xvda)" in msg
    for spelt in ("/srv//xen/web1.img", "/srv/./xen/web1.img", "//srv/xen/web1.img"):
        msg = await problem(Save(H, "idle1", spelt, overwrite=True), r)
        assert "is a disk of web1 (xvda)" in msg, spelt


async def test_restore_and_create_need_existing_files() -> None:
    r = RecordingRunner(files=["/var/lib/xen/save/idle1.chk", "/etc/xen/web1.cfg"])
    assert "no checkpoint file" in await problem(Restore(H, "/var/lib/xen/save/x.chk"), r)
    assert (await check(Create(H, "/etc/xen/web1.cfg"), r)).target is None
    assert "no config file /etc/xen/nope.cfg" in await problem(Create(H, "/etc/xen/nope.cfg"), r)


async def test_create_from_a_config_naming_a_domain_that_runs_is_refused() -> None:
    r = RecordingRunner(files=["/etc/xen/web1.cfg", "/etc/xen/new.cfg"],
                        contents={"/etc/xen/web1.cfg": b'# web\nname = "web1"\nmemory = 128\n',
                                  "/etc/xen/new.cfg": b'name = "web2"\n'})
    msg = await problem(Create(H, "/etc/xen/web1.cfg"), r)
    assert msg.startswith("/etc/xen/web1.cfg creates web1, which exists on xen-a (domid 3)")
    assert (await check(Create(H, "/etc/xen/new.cfg"), r)).target is None


# --- restore: the checkpoint's own header says which domain it holds ----------------------


async def test_restore_reads_the_domain_from_the_checkpoint_header() -> None:
    path = "/var/lib/xen/save/nightly.chk"  # a name that says nothing of the domain
    r = RecordingRunner(contents={path: checkpoint(xl_config("db1"))})
    msg = await problem(Restore(H, path), r)
    assert msg == ("the checkpoint is of db1, which exists on xen-a (domid 1): xl refuses a "
                   'second one (Domain with name "db1" already exists)')
    assert ("od", "-An", "-v", "-tx1", "-N", "65536", "--", path) in r.calls
    assert r.xl_calls == []


async def test_restore_of_a_domain_that_is_gone_names_it() -> None:
    path = "/var/lib/xen/save/idle1.chk"  # its file name is idle1's, its header another's
    r = RecordingRunner(contents={path: checkpoint(xl_config("gone"))})
    c = await check(Restore(H, path), r)
    assert (c.warnings, c.restores, c.domain, c.target) == ((), "gone", None, None)


async def test_a_domain_given_to_restore_or_create_must_be_the_one_the_file_makes() -> None:
    # xltop do HOST NAME restore|create FILE: the file names the domain; another is refused
    path = "/var/lib/xen/save/idle1.chk"
    r = RecordingRunner(contents={path: checkpoint(xl_config("gone")),
                                  "/etc/xen/new.cfg": b'name = "web2"\n'})
    assert await problem(Restore(H, path, domain="idle1"), r) == (
        f"{path} makes gone, not idle1 (the file names the domain: give gone or -)")
    assert (await check(Restore(H, path, domain="gone"), r)).restores == "gone"
    assert "makes web2, not web1" in await problem(Create(H, "/etc/xen/new.cfg", domain="web1"), r)
    assert (await check(Create(H, "/etc/xen/new.cfg", domain="web2"), r)).target is None


async def test_restore_of_a_file_that_is_not_a_checkpoint_is_a_problem() -> None:
    path = "/var/lib/xen/save/web1.chk"
    r = RecordingRunner(contents={path: b"name = 'web1'\nmemory = 128\n" * 4})
    with pytest.raises(ValidationFailed) as ei:
        await check(Restore(H, path), r)
    assert [(p.field, p.message) for p in ei.value.problems] == [
        ("path", f"{path} on xen-a: not an xl checkpoint (wrong magic): corrupt or for a "
                 "different tool?")]
    r.contents[path] = b"Xen saved domain, xl format\n \0 \r\x04\x03"
    assert await problem(Restore(H, path), r) == (
        f"{path} on xen-a: truncated header: 34 bytes, xl's header has 48")
    r.contents[path] = checkpoint(b'{"c_info": {"name": "db1"\0')
    assert "bad JSON in the config" in await problem(Restore(H, path), r)


async def test_restore_of_what_xl_certainly_refuses() -> None:
    path = "/var/lib/xen/save/x.chk"
    r = RecordingRunner(contents={path: checkpoint(xl_config("gone"), order=">")})
    assert await problem(Restore(H, path), r) == (
        f"{path} was saved by a big-endian xl: xl on xen-a refuses it (File has wrong byte "
        "order)")
    r.contents[path] = checkpoint(b"", flags=0x2)[:44] + bytes(4) + b"stream"
    assert await problem(Restore(H, path), r) == (
        f"{path} holds no domain config: xl restore needs one (Config file not specified and "
        "none in save file)")
    r.contents[path] = checkpoint(xl_config("gone"), flags=0x13)
    c = await check(Restore(H, path), r)
    assert c.warnings == (f"{path} has mandatory flags 0x10 that Xen 4.17's xl does not know: "
                          "such an xl refuses it (need newer xl)",)


async def test_restore_falls_back_to_the_file_name_when_the_header_is_unreadable() -> None:
    r = RecordingRunner(files=["/var/lib/xen/save/idle1.chk", "/var/lib/xen/save/gone.chk"])
    c = await check(Restore(H, "/var/lib/xen/save/idle1.chk"), r)  # od cannot read it
    assert c.domain is None and c.target is None and c.restores is None
    assert c.warnings == (
        "cannot read the header of /var/lib/xen/save/idle1.chk on xen-a; if it is idle1's "
        "checkpoint (as its file name says), xl refuses it: idle1 exists (domid 2) (Domain "
        'with name "idle1" already exists)',)
    assert (await check(Restore(H, "/var/lib/xen/save/gone.chk"), r)).warnings == (
        "cannot read the header of /var/lib/xen/save/gone.chk on xen-a: which domain it holds "
        "shows when xl reads it",)


async def test_restore_of_a_config_longer_than_what_was_read() -> None:
    path = "/var/lib/xen/save/web1.chk"
    big = xl_config("web1")[:-3] + b" " * 70_000 + b"}\n\0"
    r = RecordingRunner(contents={path: checkpoint(big)})
    c = await check(Restore(H, path), r)
    assert c.restores is None and c.warnings == (
        f"the domain config in {path} is longer than the 65536 bytes read; if it is web1's "
        "checkpoint (as its file name says), xl refuses it: web1 exists (domid 3) (Domain "
        'with name "web1" already exists)',)


async def test_cd_only_on_hvm() -> None:
    assert (await check(CdInsert(H, "win1", "hdc", "/srv/iso/a.iso"))).target == "5"
    assert (await check(CdEject(H, "win1", "hdc"))).target == "5"
    assert "needs an HVM guest; web1 is a pv guest" in await problem(CdEject(H, "web1", "hdc"))
    assert "no file /srv/iso/b.iso" in await problem(CdInsert(H, "win1", "hdc", "/srv/iso/b.iso"))


async def test_cd_drive_must_be_one_of_the_domains_cd_drives() -> None:
    def with_disks(*disks: Device) -> HostSnapshot:
        base = snapshot()
        return replace(base, devices=(*base.devices, *disks))

    hda = Device(H, 5, DeviceKind.VBD, 768, name="hda", cdrom=False)
    hdc = Device(H, 5, DeviceKind.VBD, 5632, name="hdc", cdrom=True)
    snap = with_disks(hda, hdc)
    assert (await check(CdInsert(H, "win1", "hdc", "/srv/iso/a.iso"), snap=snap)).target == "5"
    assert (await check(CdEject(H, "win1", " hdc "), snap=snap)).target == "5"
    msg = await problem(CdInsert(H, "win1", "hdd", "/srv/iso/a.iso"), snap=snap)
    assert "win1 has no CD drive hdd (its CD drives: hdc)" in msg
    assert "win1 has no CD drive hda" in await problem(CdEject(H, "win1", "hda"), snap=snap)
    msg = await problem(CdEject(H, "win1", "hdc"), snap=with_disks(hda))
    assert "win1 has no CD drive hdc (it has none: a drive comes from its config" in msg
    # XenStore did not say which disk is what (no device-type): xl answers for itself
    unsaid = with_disks(replace(hda, cdrom=None), hdc)
    assert (await check(CdEject(H, "win1", "hdd"), snap=unsaid)).target == "5"


async def test_cd_insert_shows_a_wrong_drive_and_a_missing_image_at_once() -> None:
    """The missing image showed only once the drive was fixed: every field's problem now,
    as the other forms do; a malformed image path is still not asked of the host."""
    hdc = Device(H, 5, DeviceKind.VBD, 5632, name="hdc", cdrom=True)
    xvda = Device(H, 5, DeviceKind.VBD, 51712, name="xvda", cdrom=False)
    base = snapshot()
    snap = replace(base, devices=(*base.devices, xvda, hdc))
    with pytest.raises(ValidationFailed) as ei:
        await check(CdInsert(H, "win1", "xvda", "/nope.iso"), snap=snap)
    assert [(p.field, p.message) for p in ei.value.problems] == [
        ("vdev", "win1 has no CD drive xvda (its CD drives: hdc)"),
        ("target", "no file /nope.iso on xen-a")]
    r = RecordingRunner()
    with pytest.raises(ValidationFailed) as ei:
        await check(CdInsert(H, "win1", "xvda", "nope.iso"), r, snap=snap)
    assert [p.field for p in ei.value.problems] == ["vdev", "target"]
    assert r.calls == []  # (a relative path: a syntax problem, the host not asked)


async def test_shutdown_reboot_of_shut_domain() -> None:
    snap = snapshot(dom(9, "gone", state=DomainState(shutdown=True, crashed=True)))
    assert "already crashed" in await problem(Shutdown(H, "gone"), snap=snap)
    assert "already crashed" in await problem(Reboot(H, "gone"), snap=snap)
    assert (await check(Destroy(H, "gone"), snap=snap)).target == "9"


async def test_shutdown_reboot_of_a_paused_domain_warn_that_it_waits() -> None:
    # "frozen" (domid 6) is paused in the test snapshot
    said = (await check(Shutdown(H, "frozen", wait=True))).warnings
    assert said == ("frozen is paused: the guest acts on the request only once unpaused "
                    "(-w waits until then)",)
    assert (await check(Reboot(H, "frozen"))).warnings == (
        "frozen is paused: the guest acts on the request only once unpaused",)
    assert (await check(Shutdown(H, "web1"))).warnings == ()


async def test_host_that_cannot_answer_fails_validation() -> None:
    r = RecordingRunner(fail=ConnectionLost(H, "connection reset"))
    msg = await problem(Save(H, "web1", "/tmp/x.chk"), r)
    assert "cannot check whether /tmp/x.chk exists on xen-a: connection reset" in msg


async def test_facts_read_a_files_first_bytes_through_od() -> None:
    data = bytes(range(256)) * 300  # NULs, CRs and bytes from 0x80 up: od's hex keeps them
    r = RecordingRunner(contents={"/s/a.chk": data, "/s/small": b"\0\r\n\xff"})
    facts = HostFacts(r)
    assert await facts.head("/s/a.chk") == data[:65536]
    assert r.calls[-1] == ("od", "-An", "-v", "-tx1", "-N", "65536", "--", "/s/a.chk")
    assert await facts.head("/s/a.chk", 300) == data[:300]
    assert await facts.head("/s/small") == b"\0\r\n\xff"
    assert await facts.head("/s/none") is None  # od failed (here: not found)
    assert await HostFacts(RecordingRunner(fail=ConnectionLost(H, "reset"))).head("/s/a") is None

    class Garbled(RecordingRunner):
        async def run(self, argv, *, timeout=None, input=None):  # type: ignore[no-untyped-def]
            return CommandResult(tuple(argv), 0, "od: 0000000 garbage\n", "", 0.0)

    assert await HostFacts(Garbled()).head("/s/a.chk") is None  # not od's hex: unreadable


@pytest.mark.parametrize("hostile", ["$(reboot)", "; rm -rf /", "[red]x", "a\nb", "`id`"])
async def test_hostile_domain_names_resolve_to_their_domid(hostile: str) -> None:
    snap = snapshot(dom(12, hostile))
    c = await check(Destroy(H, hostile), snap=snap)
    assert c.target == "12"


# --- CPU weight and cap -----------------------------------------------------------------------


async def test_weight_and_cap_ranges_and_the_hosts_scheduler() -> None:
    snap = snapshot()
    credit2 = replace(snap, info=replace(snap.info, scheduler="credit2"))
    ok = await check(SchedCredit2(H, "web1", weight=65535, cap=200), snap=credit2)
    assert ok.target == "3"
    assert "0 (no cap) to 200" in await problem(SchedCredit2(H, "web1", cap=201), snap=credit2)
    assert "0 (no cap) to 100" in await problem(SchedCredit2(H, "idle1", cap=101), snap=credit2)
    assert "cap -1 is negative" in await problem(SchedCredit2(H, "web1", cap=-1), snap=credit2)
    for weight in (0, 65536):
        msg = await problem(SchedCredit2(H, "web1", weight=weight), snap=credit2)
        assert f"weight {weight} is out of range: 1 to 65535" in msg
    assert "give a weight, a cap or both" in await problem(SchedCredit2(H, "web1"), snap=credit2)
    msg = await problem(SchedCredit(H, "web1", weight=300), snap=credit2)
    assert msg == ("xen-a runs the credit2 scheduler, not credit: xl sched-credit does not "
                   "apply there")
    dom0 = await check(SchedCredit2(H, "Domain-0", cap=50), snap=credit2)
    assert any("cap on Domain-0" in w for w in dom0.warnings)


# --- virtual disk names as libxl__device_disk_dev_number reads them ------------------------


@pytest.mark.parametrize(
    ("vdev", "number"),
    [("xvda", 51712), ("xvdb", 51728), ("xvdp15", 51967), ("xvdq", (1 << 28) | (16 << 8)),
     ("xvdaaa", (1 << 28) | (702 << 8)), ("xvda100", (1 << 28) | 100),
     ("xvda255", (1 << 28) | 255), ("xvdbgqcv", (1 << 28) | (((1 << 20) - 1) << 8)),
     ("d0p1", 51713), ("d1048575p255", (1 << 28) | (((1 << 20) - 1) << 8) | 255),
     ("51728", 51728), ("0xca10", 51728), ("0XCA10", 51728), ("0145020", 51728), ("0", 0),
     ("2147483647", 2147483647), ("hda", 768), ("hdc", 5632), ("hdd63", 5759),
     ("sda", 2048), ("sdp15", 2303), (" xvdb ", 51728)],
)
def test_vdev_numbers_as_libxl_computes_them(vdev: str, number: int) -> None:
    assert sx.vdev_number(vdev) == number
    assert sx.check_vdev(vdev) == vdev.strip()


@pytest.mark.parametrize(
    ("vdev", "why"),
    [("hde", "hd names go from hda to hdd"), ("hdaa", "hd names go from hda to hdd"),
     ("hda64", "partition 1-63"), ("sdq", "sd names go from sda to sdp"),
     ("sda16", "partition 1-15"), ("xvda0", "partition 1-255 \\(no leading zero\\)"),
     ("xvda01", "no leading zero"), ("xvda256", "partition 1-255"),
     ("xvdbgqcw", "xvda to xvdbgqcv"), ("xvd", "use a name like xvdb"),
     ("d1048576p0", "a disk below 1048576"), ("d0p256", "a partition below 256"),
     ("2147483648", "at most 2147483647"), ("08", "use a name like"), ("0x", "use a name like"),
     ("vda", "use a name like"), ("xvdA", "use a name like"), ("xvda+1", "use a name like"),
     ("\u0665\u0661\u0667\u0662\u0668", "use a name like")],
)
def test_vdevs_libxl_refuses(vdev: str, why: str) -> None:
    with pytest.raises(sx.BadValue, match=f'^invalid virtual device "{re.escape(vdev)}": .*{why}'):
        sx.check_vdev(vdev)


async def test_block_attach_takes_every_vdev_form_libxl_does() -> None:
    for vdev in ("xvdaaa", "xvda100", "d0p1", "51760", "0xca30"):
        assert (await check(BlockAttach(H, "web1", target="/srv/xen/disk.img", vdev=vdev))
                ).target == "3"
    for vdev, why in (("hde", "hd names go from hda to hdd"), ("sdq", "sda to sdp"),
                      ("xvda256", "partition 1-255")):
        assert why in await problem(BlockAttach(H, "web1", target="/srv/xen/disk.img",
                                                vdev=vdev))
    # the same disk under another of its names
    msg = await problem(BlockAttach(H, "web1", target="/srv/xen/disk.img", vdev="d0p0"))
    assert "web1 already has a disk d0p0 (xvda, devid 51712)" in msg


async def test_block_detach_finds_the_disk_by_its_number() -> None:
    assert (await check(BlockDetach(H, "db1", "0xca10"))).target == "1"
    assert (await check(BlockDetach(H, "db1", "d1p0"))).warnings == ()
    assert (await check(BlockDetach(H, "db1", "d0p0"))).warnings == (
        "xvda is db1's first disk, usually its root filesystem",)
    assert "db1 has no disk with devid 51744" in await problem(BlockDetach(H, "db1", "0xca20"))
    assert "hd names go from hda to hdd" in await problem(BlockDetach(H, "db1", "hde"))


async def test_cd_verbs_take_libxl_vdev_grammar() -> None:
    assert "hd names go from hda to hdd" in await problem(CdEject(H, "win1", "hde"))
    assert "sd names go from sda to sdp" in await problem(
        CdInsert(H, "win1", "sdq", "/srv/iso/a.iso"))


# --- block-attach: what xl-disk-configuration(5) allows beyond a path ---------------------


async def test_block_attach_with_a_script_does_not_look_for_a_host_path() -> None:
    r = RecordingRunner()
    req = BlockAttach(H, "web1", target="iqn.2001-05.com.example:disk1", vdev="xvdc",
                      script="block-iscsi")
    c = await check(req, r)
    assert c.warnings == ("the block script block-iscsi resolves iqn.2001-05.com.example:disk1 "
                          "on xen-a: xltop cannot check that it exists",)
    assert r.calls == []  # nothing asked of the host's filesystem
    # the target= of a script is taken to the end of the spec: commas are its own syntax
    assert (await check(replace(req, target="iqn=iqn.x:d,portal=10.0.0.2:3260"))).target == "3"
    assert "invalid script" in await problem(replace(req, script="block iscsi"))
    assert "disk target is empty" in await problem(replace(req, target=""))


async def test_block_attach_in_a_driver_domain_does_not_look_on_dom0() -> None:
    r = RecordingRunner()
    c = await check(BlockAttach(H, "web1", target="/dev/vg/lv", vdev="xvdc", backend="db1"), r)
    assert c.warnings == ("/dev/vg/lv is a path in the driver domain db1: xltop cannot check "
                          "that it exists",)
    assert r.calls == []
    # a driver domain the snapshot does not know yet (new since the last poll): xl decides
    c = await check(BlockAttach(H, "web1", target="/dev/vg/lv", vdev="xvdc", backend="dd9"), r)
    assert c.warnings[0] == ("no domain dd9 on xen-a now: the driver domain must be running "
                             "for xl to attach the disk")
    assert r.calls == []
    # Domain-0 by name or domid is the ordinary case: its path is checked
    for dom0 in ("Domain-0", "0"):
        msg = await problem(BlockAttach(H, "web1", target="/dev/vg/lv", vdev="xvdc",
                                        backend=dom0))
        assert "no file or device /dev/vg/lv on xen-a" in msg


async def test_block_attach_backendtype_and_flags() -> None:
    ok = BlockAttach(H, "web1", target="/srv/xen/disk.img", vdev="xvdc", backendtype="qdisk",
                     discard=False, direct_io_safe=True)
    assert (await check(ok)).target == "3"
    for bt in ("phy", "tap", "standalone"):
        assert (await check(replace(ok, backendtype=bt))).target == "3"
    assert 'invalid backendtype "qemu"' in await problem(replace(ok, backendtype="qemu"))


async def test_empty_cd_drive() -> None:
    r = RecordingRunner()
    empty = BlockAttach(H, "win1", target="", vdev="hdd", format="empty", access="r",
                        devtype="cdrom")
    assert (await check(empty, r)).warnings == ()
    assert r.calls == []
    assert 'format "empty" is a CD drive with no media: add devtype=cdrom' in await problem(
        replace(empty, devtype=None))
    assert "leave the target out" in await problem(replace(empty, target="/srv/iso/a.iso"))
    assert "disk target is empty" in await problem(replace(empty, format="raw"))


async def test_a_cd_drive_is_read_only() -> None:
    r = RecordingRunner(files=["/srv/xen/web1.img"])
    cd = BlockAttach(H, "db1", target="/srv/xen/web1.img", vdev="xvdc", access="r",
                     devtype="cdrom")
    # no "two writers" when this attach cannot write
    assert (await check(cd, r)).warnings == ("/srv/xen/web1.img is already attached to web1 "
                                             "(xvda)",)
    assert (await check(replace(cd, devtype=None, access="ro"), r)).warnings == (
        "/srv/xen/web1.img is already attached to web1 (xvda)",)
    assert (await check(replace(cd, access="rw"), r)).warnings == (
        "a CD drive is read-only: xl attaches xvdc read-only whatever access=rw says",
        "/srv/xen/web1.img is already attached to web1 (xvda)")
