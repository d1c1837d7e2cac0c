"""Stateful xl actions: what the real host printed, and what the next listing shows."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from collectors import commands
from collectors.model import DomainType
from collectors.parse.xl_savefile import parse_xl_savefile
from collectors.sim import savefile, xenstore_tree
from collectors.sim.fleet import make_fleet
from collectors.sim.lifecycle import spec_of
from collectors.sim.state import SimHost, file_bytes, file_content
from tests.sim_support import (
    LAB_A,
    LAB_B,
    after_rc_line,
    fixture,
    lab_b,
    set_vcpus,
    with_pages,
    xl,
)
from tests.test_sim_fixtures import lab_a


def snapshot(host: SimHost) -> tuple[str, str, str]:
    """Everything a poller would see (to check that a failed action changed nothing)."""
    return (xl(host, "xl", "list", "-l").stdout, xl(host, "xl", "vcpu-list").stdout,
            xl(host, "xenstore-ls", "-f").stdout)


def rows(text: str) -> dict[str, str]:
    return {line.split()[0]: line for line in text.splitlines()[1:]}


# --- the fixtures' error texts ------------------------------------------------------------


@pytest.mark.parametrize(("lab", "name", "argv"), [
    (LAB_B, "err-block-detach-unknown", ("xl", "block-detach", "db1", "xvdz")),
    (LAB_B, "err-network-detach-unknown", ("xl", "network-detach", "db1", "9")),
    (LAB_B, "err-pause-unknown-domid", ("xl", "pause", "99")),
    (LAB_B, "err-unpause-running", ("xl", "unpause", "0")),
    (LAB_B, "err-vcpu-pin-bad-cpu", ("xl", "vcpu-pin", "db1", "0", "5")),
    (LAB_A, "xl-list-unknown", ("xl", "list", "nosuchdomain")),
    (LAB_A, "xl-pause-unknown", ("xl", "pause", "nosuchdomain")),
    (LAB_A, "xl-mem-set-bad", ("xl", "mem-set", "web1", "lots")),
])
def test_error_texts_and_exit_codes(lab: object, name: str, argv: tuple[str, ...]) -> None:
    host = lab_b()
    before = snapshot(host)
    want = fixture(lab, name)  # type: ignore[arg-type]
    got = xl(host, *argv)
    assert (got.stdout, got.stderr, got.exit_code) == (want.out, want.err, want.rc)
    assert snapshot(host) == before


def test_destroy_unknown_and_dom0_refusal() -> None:
    host = lab_b()
    before = snapshot(host)
    got = xl(host, "xl", "destroy", "nosuch")
    assert (got.stderr, got.exit_code) == (fixture(LAB_B, "act-destroy-unknown").err, 1)
    got = xl(host, "xl", "destroy", "Domain-0")
    assert got.exit_code == 1 and got.stderr == (
        "Not destroying domain 0; use -f to force.\nThis can only be done when using a "
        "disaggregated hardware domain and toolstack.\n\n")
    got = xl(host, "xl", "destroy", "42")
    assert got.exit_code == 1 and got.stderr.endswith("destroy failed (rc=-21)\n")
    assert "Domain 42:Non-existant domain" in got.stderr
    assert snapshot(host) == before


def test_usage_errors_exit_2() -> None:
    host = lab_b()
    got = xl(host, "xl", "pause")
    assert got.exit_code == 2
    assert got.stderr == "'xl pause' requires at least 1 argument.\n\n"
    assert got.stdout == "Usage: xl [-vtTf] pause <Domain>\n\nPause execution of a domain.\n\n"
    got = xl(host, "xl", "mem-set", "web1")
    assert got.exit_code == 2 and got.stderr.startswith("'xl mem-set' requires at least 2 "
                                                        "arguments.")
    got = xl(host, "xl", "list", "-q")
    assert (got.exit_code, got.stderr) == (2, "option `q' not supported.\n")
    assert xl(host, "xl", "foo").stderr == "command not implemented\n"
    assert xl(host, "xl", "li").stdout == xl(host, "xl", "list").stdout  # abbreviation


# --- lab-b action sequence ------------------------------------------------------------------


def test_save_checkpoint_keeps_domain_running() -> None:
    host = lab_b()
    got = xl(host, "xl", "save", "-c", "db1", "/var/lib/xen/save/db1.chk")
    assert (got.exit_code, got.stdout, got.stderr) == (0, "", fixture(LAB_B, "act-save-c").err)
    assert "/var/lib/xen/save/db1.chk" in host.files
    assert host.domains[1].xl_flags() == "-b----"


def test_save_stop_then_restore_and_restore_paused() -> None:
    host = lab_b()
    got = xl(host, "xl", "save", "idle1", "/var/lib/xen/save/idle1-b.chk")
    want = fixture(LAB_B, "act-save-stop")
    assert (got.exit_code, got.stderr) == (0, want.err)
    assert "idle1" not in rows(xl(host, "xl", "list").stdout)
    # the restores print the XenStore/console pages of the checkpoint: use the capture's
    path = "/var/lib/xen/save/idle1-b.chk"
    host.files[path] = with_pages(host.files[path], 0x1234A5, 0x1234A4)
    got = xl(host, "xl", "restore", path)
    assert (got.exit_code, got.stderr) == (0, fixture(LAB_B, "act-restore").err)
    idle1 = rows(xl(host, "xl", "list").stdout)["idle1"]
    assert idle1.split()[1:4] == ["4", "128", "1"]
    assert xl(host, "xl", "destroy", "idle1").exit_code == 0
    got = xl(host, "xl", "restore", "-p", path)
    assert (got.exit_code, got.stderr) == (0, fixture(LAB_B, "act-restore-p").err)
    want_row = after_rc_line(fixture(LAB_B, "act-restore-p").out).splitlines()[-1]
    assert rows(xl(host, "xl", "list").stdout)["idle1"] == want_row


def test_restore_name_clash_chain_like_lab_a() -> None:
    host = lab_a()
    web1 = host.domains[3]
    # lab-a's web1 had the two extra vifs of the network-attach captures when it was saved
    assert xl(host, "xl", "network-attach", "web1", "mac=00:16:3e:5b:45:f2").exit_code == 0
    xl(host, "xl", "network-attach", "web1", "bridge=nosuchbr", "mac=00:16:3e:58:a3:13")
    host.files["/var/lib/xen/save/web1.chk"] = savefile.dump(
        spec_of(web1), savefile.stored_config(web1, host.scheduler), savefile.Pages(1, 2))
    host.next_domid = 4
    before = snapshot(host)
    got = xl(host, "xl", "restore", "/var/lib/xen/save/web1.chk")
    want = fixture(LAB_A, "act-restore").err.split("\n\nreal")[0] + "\n"
    assert (got.exit_code, got.stderr) == (1, want)
    assert snapshot(host) == before
    assert host.next_domid == 5  # the failed domain used up domid 4


def test_restore_that_fails_in_libxc() -> None:
    host = lab_b()
    host.next_domid = 7
    relative = copy.deepcopy(host.domains[2])
    relative.name = "relative"
    # the lab's relative.chk stored a longer config (info 1026): idle1's, padded to that
    config = savefile.stored_config(relative, host.scheduler)
    config = config[:-1] + " " * (1026 - savefile.config_length(config)) + "\n"
    host.files["/root/relative.chk"] = savefile.dump(spec_of(relative), config,
                                                     savefile.Pages(1, 2))
    host.reserved_kib += host.free_kib() - 1024  # almost no free memory left
    got = xl(host, "xl", "restore", "/root/relative.chk")  # xl names the file as given
    assert (got.exit_code, got.stderr) == (1, fixture(LAB_B, "act-restore-after-stop").err)
    assert host.by_name("relative") is None


def test_save_writes_xls_header_and_the_config_xl_list_l_shows() -> None:
    host = lab_b()
    path = "/var/lib/xen/save/db1.chk"
    assert xl(host, "xl", "save", "-c", "db1", path).stderr.startswith(
        f"Saving to {path} new xl format (info 0x3/0x0/1592)\n")  # as act-save-c
    data = file_bytes(host.files[path])
    head = parse_xl_savefile(data)
    assert (head.big_endian, head.mandatory_flags, head.optional_flags) == (False, 0x3, 0)
    assert (head.optional_data_len, head.config_len, head.name) == (1592, 1588, "db1")
    config = data[52: 52 + 1588]
    assert config.endswith(b"}\n\0")
    listed = json.loads(xl(host, "xl", "list", "-l", "db1").stdout)[0]["config"]
    del listed["c_info"]["domid"]  # xl stores the config without it
    assert json.loads(config[:-1]) == listed


def test_save_writes_the_front_the_lab_wrote() -> None:
    host = lab_b()
    assert xl(host, "xl", "save", "-c", "idle1", "/root/t.chk").exit_code == 0
    sim = file_bytes(host.files["/root/t.chk"])[:48 + 854]
    lab = (Path(__file__).parent / "data" / "parse" / "lab-xl-save-idle1-head.chk").read_bytes()
    # byte for byte, but for idle1's UUID (36 characters in both)
    assert sim.replace(host.domains[2].uuid.encode(),
                       b"ace27f69-5758-48a7-80d6-54f3097fb144") == lab


def test_restore_reads_xls_header_first_with_xls_messages() -> None:
    host = lab_b()
    path = "/var/lib/xen/save/idle1.chk"
    assert xl(host, "xl", "save", "idle1", path).exit_code == 0
    good = file_bytes(host.files[path])
    before = snapshot(host)

    def restore(data: bytes) -> tuple[int, str]:
        host.files[path] = file_content(data)
        got = xl(host, "xl", "restore", path)
        return got.exit_code, got.stderr

    loading = f"Loading new save file {path} (new xl fmt info 0x3/0x0/854)\n"
    assert restore(good[:47])[1].startswith("libxl: error: libxl_utils.c:505:"
                                            "libxl_read_exactly: file/stream truncated "
                                            f"reading header from {path}\n")
    assert restore(b"name = 'idle1'\n" * 8) == (
        1, "File has wrong magic number - corrupt or for a different tool?\n")
    swapped = good[:32] + bytes(reversed(good[32:36])) + good[36:]
    assert restore(swapped) == (1, "File has wrong byte order\n")
    flagged = good[:36] + b"\x0b" + good[37:]
    assert restore(flagged) == (1, loading.replace("0x3/", "0xb/") + "Savefile has mandatory "
                                "flag(s) 0x8 which are not supported; need newer xl\n")
    longer = good[:48] + (2000).to_bytes(4, "little") + good[52:]
    assert restore(longer) == (1, loading + " Savefile contains xl domain config in JSON "
                                "format\nSavefile truncated.\n")
    bare = good[:44] + bytes(4) + good[48 + 854:]
    assert restore(bare) == (1, loading.replace("/854", "/0") + "Config file not specified "
                             "and none in save file\n")
    assert snapshot(host) == before  # nothing was restored
    got = restore(good)
    assert got[0] == 0 and got[1].startswith(loading + " Savefile contains xl domain config "
                                             "in JSON format\nParsing config from <saved>\n")


RESTORE_CAPTURES = Path(__file__).parent / "data" / "restore"


def test_restore_of_broken_files_as_the_lab_printed() -> None:
    host = lab_b()
    assert xl(host, "xl", "save", "-c", "idle1", "/root/t.chk").exit_code == 0
    saved = file_bytes(host.files.pop("/root/t.chk"))  # idle1's: info 854 as on the lab
    head = saved[:48 + 854]
    host.files.update({
        "/root/t-short.chk": "Xen saved",
        "/root/t-opt.chk": file_content(saved[:100]),
        "/root/t-foreign.chk": file_content(
            head.replace(b'"name": "idle1"', b'"name": "idleX"') + bytes(4096)),
    })
    for stem in ("t-short", "t-short-relative", "t-opt", "t-foreign", "save-nosuchdir"):
        cmd = (RESTORE_CAPTURES / f"{stem}.cmd").read_text().split()
        got = xl(host, *cmd)
        want = [(RESTORE_CAPTURES / f"{stem}.{ext}").read_text() for ext in ("out", "err", "rc")]
        assert [got.stdout, got.stderr, f"{got.exit_code}\n"] == want, stem
    assert host.by_name("idleX") is None


def test_restore_names_the_domain_from_the_stored_config() -> None:
    host = lab_b()
    path = "/var/lib/xen/save/idle1.chk"
    assert xl(host, "xl", "save", "idle1", path).exit_code == 0
    data = file_bytes(host.files[path])
    # the same length: the header's lengths still hold
    host.files[path] = file_content(data.replace(b'"name": "idle1"', b'"name": "idle2"', 1))
    assert xl(host, "xl", "restore", path).exit_code == 0
    assert host.by_name("idle2") is not None and host.by_name("idle1") is None


def test_od_answers_as_gnu_od(tmp_path: Path) -> None:
    if not shutil.which("od") or "GNU" not in subprocess.run(
            ["od", "--version"], capture_output=True, text=True).stdout:
        pytest.skip("needs GNU od to compare with")
    host = lab_b()
    path = "/var/lib/xen/save/db1.chk"
    assert xl(host, "xl", "save", "-c", "db1", path).exit_code == 0
    real = tmp_path / "db1.chk"
    real.write_bytes(file_bytes(host.files[path]))
    host.files[str(real)] = host.files[path]
    host.dirs.add(str(tmp_path))
    for target in (str(real), str(tmp_path), str(tmp_path / "none.chk")):
        for count in ("65536", "100", "48", "0"):
            argv = list(commands.file_head_hex(target, int(count)))
            want = subprocess.run(argv, capture_output=True, text=True)
            got = xl(host, *argv)
            assert (got.exit_code, got.stdout, got.stderr) == (
                want.returncode, want.stdout, want.stderr), (target, count)


def test_save_of_an_unresponsive_guest_fails_like_lab_a() -> None:
    host = lab_a()
    web1 = host.domains[3]
    from collectors.sim import lifecycle

    lifecycle.crash(web1)
    # lab-a's web1 had the two extra vifs of the network-attach captures
    assert xl(host, "xl", "network-attach", "web1", "mac=00:16:3e:5b:45:f2").exit_code == 0
    host.last_pid = 1089
    xl(host, "xl", "network-attach", "web1", "bridge=nosuchbr", "mac=00:16:3e:58:a3:13")
    got = xl(host, "xl", "save", "web1", "/var/lib/xen/save/web1.chk")
    want = fixture(LAB_A, "act-save-exists").err
    assert got.exit_code == 1
    assert got.stderr.split("\n", 1)[1] == want.split("\n", 1)[1]
    assert got.stderr.startswith("Saving to /var/lib/xen/save/web1.chk new xl format (info "
                                 "0x3/0x0/")
    assert 3 in host.domains and "/var/lib/xen/save/web1.chk" not in host.files


def test_vcpu_pin_and_vcpu_set() -> None:
    host = lab_b()
    assert xl(host, "xl", "vcpu-pin", "db1", "0", "1").exit_code == 0
    assert xl(host, "xl", "vcpu-pin", "db1", "1", "-", "1").exit_code == 0
    set_vcpus(host.domains[1], (1, "b", 4.4), (1, "b", 2.1))
    assert xl(host, "xl", "vcpu-list", "db1").stdout == fixture(LAB_B, "act-vcpu-pin").out
    assert xl(host, "xl", "vcpu-set", "db1", "1").exit_code == 0
    set_vcpus(host.domains[1], (1, "b", 4.5), (None, "-", 2.2))
    want = fixture(LAB_B, "act-vcpu-set")
    assert xl(host, "xl", "vcpu-list", "db1").stdout == want.out.split("rc=")[0]
    got = xl(host, "xl", "vcpu-set", "db1", "4")
    assert (got.exit_code, got.stderr) == (1, want.err)
    assert host.domains[1].online_vcpus == 1
    got = xl(host, "xl", "vcpu-set", "-i", "db1", "3")
    assert got.exit_code == 1 and got.stderr.endswith(
        "libxl_set_vcpuonline failed domid=1 max_vcpus=3, rc: -3\n")
    assert "Requested 3 VCPUs, however maxcpus is 2!" in got.stderr


def test_vcpu_pin_syntax_errors() -> None:
    host = lab_b()
    before = snapshot(host)
    for args, err in [
        (("db1", "x", "all"), "Error: Invalid argument x as VCPU.\n"),
        (("db1", "0", "9-2"), "Invalid pcpu range: 9-2.\n"),
        (("db1", "0", "^all"), 'Can\'t combine "^" and "all".\n'),
        (("db1", "0", "foo"), "Invalid pcpu range: foo.\n"),
        (("-f", "db1", "all", "0"), "Error: --force and 'all' as VCPU not allowed.\n"),
    ]:
        got = xl(host, "xl", "vcpu-pin", *args)
        assert (got.exit_code, got.stderr) == (1, err)
    assert snapshot(host) == before
    got = xl(host, "xl", "-N", "vcpu-pin", "0", "all", "0-3,^1", "all")
    assert got.stdout == "cpumap: 0 all\n"
    # strtok_r skips empty items, strtoul blanks before a number; "nodes:all" is "all"
    got = xl(host, "xl", "-N", "vcpu-pin", "0", "all", "all,^ 0,", "nodes:all")
    assert got.stdout == "cpumap: 1 all\n"


def test_mem_set_mem_max_and_their_errors() -> None:
    host = lab_b()
    assert xl(host, "xl", "mem-set", "db1", "150").exit_code == 0
    assert host.domains[1].target_kib == 150 * 1024
    assert host.domains[1].xen_max_kib == 150 * 1024 + 1024
    want = fixture(LAB_A, "act-mem-set-over")
    before = snapshot(host)
    got = xl(host, "xl", "mem-set", "web1", "100g")
    assert (got.exit_code, got.stderr) == (1, want.err)
    got = xl(host, "xl", "mem-max", "web1", "1")
    assert got.exit_code == 1 and got.stderr == (
        "libxl: error: libxl_mem.c:59:libxl_domain_setmaxmem: Domain 3:memory_static_max must "
        "be greater than or or equal to memory_dynamic_max: Success\n"
        "cannot set domid 3 static max memory to : 1\n")
    assert xl(host, "xl", "mem-set", "web1", "12x").stderr == "invalid memory size: 12x\n"
    assert snapshot(host) == before
    assert xl(host, "xl", "mem-max", "web1", "1g").exit_code == 0
    assert host.domains[3].static_max_kib == 1 << 20
    assert 'memory/static-max = "1048576"' in xl(host, "xenstore-ls", "-f",
                                                "/local/domain/3").stdout
    assert xl(host, "xl", "mem-set", "web1", "524288k").exit_code == 0
    assert host.domains[3].target_kib == 524288


def test_balloon_reaches_the_target() -> None:
    host = lab_b()
    host.domains[1].vcpus[1].online = False
    assert xl(host, "xl", "mem-set", "db1", "150").exit_code == 0
    from collectors.sim.evolve import advance

    advance(host, host.now + 30)
    set_vcpus(host.domains[1], (0, "b", 6.7), (None, "-", 0.0))
    want = fixture(LAB_B, "act-mem-set-ok").out.splitlines()
    assert xl(host, "xl", "list", "db1").stdout.splitlines() == want[:2]


def test_pause_unpause_states() -> None:
    host = lab_a()
    for d in host.domains.values():
        d.vcpus[0].running = False
    assert xl(host, "xl", "pause", "web1").exit_code == 0
    assert rows(xl(host, "xl", "list", "web1").stdout)["web1"].split()[4] == "-bp---"
    assert xl(host, "xl", "pause", "web1").exit_code == 0  # Xen counts pauses
    assert xl(host, "xl", "unpause", "web1").exit_code == 0
    assert host.domains[3].paused
    assert xl(host, "xl", "unpause", "web1").exit_code == 0
    assert rows(xl(host, "xl", "list", "web1").stdout)["web1"].split()[4] == "-b----"
    got = xl(host, "xl", "unpause", "web1")
    assert got.exit_code == 0 and got.stderr == (
        "libxl: error: libxl_domain.c:688:domain_unpause_done: Domain 3:Unpausing domain: "
        "Invalid argument\n")


def test_pause_leaves_a_running_vcpu_runnable_not_blocked() -> None:
    """Xen pauses a vCPU without marking it blocked: vcpu-list prints a vCPU that ran when
    the domain was paused as ``---`` (a blocked one stays ``-b-``, as lab-a's ``xl pause
    web1`` shows: ``-bp---``). The simulator printed it as blocked."""
    host = lab_a()
    web1 = host.domains[3]
    web1.vcpus[0].running, web1.vcpus[0].blocked = True, False
    web1.vcpus[1].running, web1.vcpus[1].blocked = False, True
    assert xl(host, "xl", "pause", "web1").exit_code == 0
    states = [line.split()[4] for line in
              xl(host, "xl", "vcpu-list", "web1").stdout.splitlines()[1:]]
    assert states == ["---", "-b-"]
    assert rows(xl(host, "xl", "list", "web1").stdout)["web1"].split()[4] == "--p---"


def test_network_attach_detach_and_xenstore() -> None:
    host = lab_b()
    assert xl(host, "xl", "save", "idle1", "/var/lib/xen/save/idle1-b.chk").exit_code == 0
    assert xl(host, "xl", "restore", "/var/lib/xen/save/idle1-b.chk").exit_code == 0
    assert xl(host, "xl", "destroy", "idle1").exit_code == 0
    assert xl(host, "xl", "restore", "-p", "/var/lib/xen/save/idle1-b.chk").exit_code == 0
    assert xl(host, "xl", "unpause", "idle1").exit_code == 0
    got = xl(host, "xl", "network-attach", "idle1", "mac=00:16:3e:aa:bb:cc", "bridge=xenbr0")
    assert (got.exit_code, got.stderr) == (0, "")
    want = after_rc_line(fixture(LAB_B, "act-network-attach").out)
    listing, xs = want.split("/local/domain/0/backend/vif/5/0 = ", 1)
    assert xl(host, "xl", "network-list", "idle1").stdout == listing
    got_xs = xl(host, "xenstore-ls", "-f", "/local/domain/0/backend/vif/5").stdout
    assert got_xs == "/local/domain/0/backend/vif/5/0 = " + xs
    assert xl(host, "xl", "network-detach", "idle1", "0").exit_code == 0
    assert xl(host, "xl", "network-list", "idle1").stdout == after_rc_line(
        fixture(LAB_B, "act-network-detach").out)
    host.files["/srv/xen/idle1-data.img"] = ""
    got = xl(host, "xl", "block-attach", "idle1", "/srv/xen/idle1-data.img,raw,xvdc,rw")
    assert (got.exit_code, got.stderr) == (0, "")
    assert xl(host, "xl", "block-list", "idle1").stdout == after_rc_line(
        fixture(LAB_B, "act-block-attach").out)
    assert xl(host, "xl", "block-detach", "idle1", "xvdc").exit_code == 0
    assert xl(host, "xl", "block-list", "idle1").stdout.count("\n") == 1
    # names as libxl reads them: d0p1-style and device numbers (hex too) are the same disk
    got = xl(host, "xl", "block-attach", "idle1", "/srv/xen/idle1-data.img,raw,d2p0,rw")
    assert got.exit_code == 0, got.stderr
    assert "51744" in xl(host, "xl", "block-list", "idle1").stdout
    assert xl(host, "xl", "block-detach", "idle1", "0xca20").exit_code == 0
    assert xl(host, "xl", "block-list", "idle1").stdout.count("\n") == 1


def test_disk_spec_devtype_errors_as_the_lab_printed_them() -> None:
    """xl 4.17 on the lab, 2026-11-28: devtype=disk is taken (the spec goes on to the stat
    of its target); another devtype is the lexer's whole token, with its comma if any."""
    host = lab_b()
    got = xl(host, "xl", "block-attach", "idle1",
             "format=raw,vdev=xvdc,access=rw,devtype=disk,target=/nonexistent")
    assert (got.exit_code, got.stderr) == (1, (
        "libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=xvdc "
        "failed to stat: /nonexistent: No such file or directory\n"
        "libxl: error: libxl_device.c:1486:device_addrm_aocomplete: unable to add device\n"
        "libxl_device_disk_add failed.\n"))
    spec = "format=raw,vdev=xvdc,access=rw,devtype=foo,target=/nonexistent"
    got = xl(host, "xl", "block-attach", "idle1", spec)
    assert got.stderr == ("command line: config parsing error in disk specification: unknown "
                          f"value for type: near `devtype=foo,' in `{spec}'\n")
    got = xl(host, "xl", "block-attach", "idle1", "vdev=xvdc,devtype=foo")
    assert got.stderr.endswith("near `devtype=foo' in `vdev=xvdc,devtype=foo'\n")


def test_create_with_a_missing_disk_or_bridge_as_the_lab_printed_it() -> None:
    """xl 4.17 on the lab, 2026-11-28 (idle1's config with one disk or vif changed): a
    missing target fails as the disk defaults are set, a missing bridge in the vif's
    hotplug script after the build; exit 3 and no domain either way, the domid used up."""
    host = lab_b()
    before = sorted(d.name for d in host.domains.values())
    cfg = host.files["/etc/xen/idle1.cfg"]
    host.files["/etc/xen/t-disk.cfg"] = (cfg.replace('"idle1"', '"t-disk"')
                                         + "disk = ['/nope,raw,xvda,w']\n")
    host.files["/etc/xen/t-vif.cfg"] = (cfg.replace('"idle1"', '"t-vif"')
                                        + "vif = ['bridge=nobr0']\n")
    got = xl(host, "xl", "create", "/etc/xen/t-disk.cfg")
    n = host.next_domid - 1  # (the domid it took)
    assert (got.exit_code, got.stderr) == (3, (
        "Parsing config from /etc/xen/t-disk.cfg\n"
        "libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: Disk vdev=xvda "
        "failed to stat: /nope: No such file or directory\n"
        f"libxl: error: libxl_create.c:1318:initiate_domain_create: Domain {n}:Unable to set "
        "disk defaults for disk 0\n"
        f"libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain {n}:Non-existant "
        "domain\n"
        f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain {n}:Unable to "
        "destroy guest\n"
        f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain {n}:Destruction of "
        "domain failed\n"))
    got = xl(host, "xl", "create", "/etc/xen/t-vif.cfg")
    n += 1
    lines = got.stderr.splitlines()
    assert got.exit_code == 3
    assert re.fullmatch(r"libxl: error: libxl_exec\.c:117:libxl_report_child_exitstatus: "
                        r"/etc/xen/scripts/vif-bridge online \[\d+\] exited with error "
                        r"status 1", lines[1])
    assert lines[2:4] == [
        "libxl: error: libxl_device.c:1337:device_hotplug_child_death_cb: script: Could not "
        "find bridge device nobr0",
        f"libxl: error: libxl_create.c:1921:domcreate_attach_devices: Domain {n}:unable to "
        "add vif devices"]
    assert "vif-bridge offline" in lines[4]
    assert lines[6:] == [
        f"libxl: error: libxl_domain.c:1219:destroy_domid_pci_done: Domain {n}:xc_domain_pause "
        "failed",
        f"libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for "
        f"domid={n}",
        f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain {n}:Unable to "
        "destroy guest",
        f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain {n}:Destruction of "
        "domain failed"]
    assert sorted(d.name for d in host.domains.values()) == before


def test_options_end_at_the_first_argument_that_is_not_one() -> None:
    """xl's getopt string starts with "+": on the lab (2026-11-28) `xl mem-set db1 -5`
    tried -5 and `xl pause db1 --help` paused db1; the simulator permuted (-5 an option)."""
    host = lab_b()
    got = xl(host, "xl", "vcpu-set", "db1", "-1")
    assert (got.exit_code, got.stderr) == (1, "Error: Invalid argument.\n")
    got = xl(host, "xl", "pause", "db1", "--help")
    assert (got.exit_code, got.stdout) == (0, "")
    db1 = host.by_name("db1")
    assert db1 is not None and db1.paused
    assert xl(host, "xl", "pause", "--help", "db1").stdout.startswith("Usage: xl")


def test_console_refusals_without_a_terminal_are_xls() -> None:
    """The same refusals as through a PTY, in the lab's words (2026-11-28)."""
    host = lab_b()
    cases = {
        ("nosuch",): "nosuch is an invalid domain identifier (rc=-6)\n",
        ("99",): ("libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain "
                  "type for domid=99\nUnable to attach console\n"),
        ("-t", "foo", "nosuch"): "console type supported are: pv, serial, vuart\n",
    }
    for args, err in cases.items():
        got = xl(host, "xl", "console", *args)
        assert (got.exit_code, got.stderr) == (1, err), args


def test_a_bad_mac_in_a_vif_spec_is_an_invalid_mac_parameter() -> None:
    host = lab_b()
    for mac in ("zz", "00:16:3e:00:00:zz", "00:16:3e:00:00:100"):
        got = xl(host, "xl", "network-attach", "db1", f"mac={mac}")
        assert (got.exit_code, got.stderr) == (1, "Invalid parameter `mac'.\n"), mac


def test_network_attach_to_a_missing_bridge_like_lab_a() -> None:
    host = lab_a()
    got = xl(host, "xl", "network-attach", "web1", "mac=00:16:3e:5b:45:f2")
    assert got.exit_code == 0
    assert xl(host, "xl", "network-list", "web1").stdout == fixture(LAB_A, "act-network-attach").out
    host.last_pid = 1089
    got = xl(host, "xl", "network-attach", "web1", "bridge=nosuchbr", "mac=00:16:3e:58:a3:13")
    want = fixture(LAB_A, "act-network-attach-bad")
    assert (got.exit_code, got.stderr) == (1, want.err)
    assert xl(host, "xl", "network-list", "web1").stdout == after_rc_line(want.out)


def test_open_vswitch_vlan_and_trunk_bridges_attach_on_their_bridge() -> None:
    host = lab_a()
    host.bridges, host.ovs = ["ovsbr0"], True
    ovs = "script=vif-openvswitch"
    for bridge in ("ovsbr0.10", "ovsbr0:10:20", "ovsbr0.10:20"):
        got = xl(host, "xl", "network-attach", "web1", f"bridge={bridge}", ovs)
        assert got.exit_code == 0, (bridge, got.stderr)
    # the bridge itself must be there; and vif-bridge takes no VLAN syntax
    got = xl(host, "xl", "network-attach", "web1", "bridge=ovsbr9.10", ovs)
    assert got.exit_code == 1 and "Could not find bridge device ovsbr9.10" in got.stderr
    got = xl(host, "xl", "network-attach", "web1", "bridge=ovsbr0.10")
    assert got.exit_code == 1 and "Could not find bridge device ovsbr0.10" in got.stderr


def test_network_detach_by_mac_and_unknown_mac() -> None:
    host = lab_b()
    got = xl(host, "xl", "network-detach", "db1", "00:11:22:33:44:55")
    assert (got.exit_code, got.stderr) == (1, "Unknown device 00:11:22:33:44:55.\n")
    assert xl(host, "xl", "network-detach", "db1", "00:16:3E:10:00:03").exit_code == 0
    assert [n.devid for n in host.domains[1].nics] == [0]
    tree = xenstore_tree.build_tree(host)
    assert "/local/domain/1/device/vif/1" not in tree
    assert "/local/domain/0/backend/vif/1/1" not in tree


def test_destroy_then_create_from_config() -> None:
    host = lab_b()
    assert xl(host, "xl", "save", "idle1", "/var/lib/xen/save/idle1-b.chk").exit_code == 0
    for _ in range(2):
        xl(host, "xl", "restore", "/var/lib/xen/save/idle1-b.chk")
        xl(host, "xl", "destroy", "idle1")
    xl(host, "xl", "restore", "/var/lib/xen/save/idle1-b.chk")
    assert host.by_name("idle1").domid == 6  # type: ignore[union-attr]
    host.next_domid = 6
    host.domains[5] = host.domains.pop(6)
    host.domains[5].domid = 5
    assert xl(host, "xl", "destroy", "web1").exit_code == 0
    got = xl(host, "xl", "create", "/etc/xen/web1.cfg")
    want = fixture(LAB_B, "act-destroy-create")
    assert (got.exit_code, got.stdout, got.stderr) == (0, "", want.err)
    web1 = host.by_name("web1")
    assert web1 is not None and web1.domid == 6
    assert web1.static_max_kib == 262144 and web1.target_kib == 131072
    assert [k.vdev for k in web1.disks] == ["xvda"] and web1.nics[0].mac == "00:16:3e:10:00:01"
    got = xl(host, "xl", "create", "/etc/xen/web1.cfg")
    assert got.exit_code == 6 and 'Domain with name "web1" already exists.' in got.stderr
    assert xl(host, "xl", "create", "/nonexist.cfg").stderr == (
        "Failed to read config file: /nonexist.cfg: No such file or directory\n")


def test_create_paused_with_overrides_and_bad_config() -> None:
    host = lab_b()
    host.files["/etc/xen/new.cfg"] = ('name = "new"\nmemory = 64\nvcpus = 1\n'
                                      "disk = [ '/srv/xen/web1.img,raw,xvda,r' ]\n")
    got = xl(host, "xl", "create", "-p", "/etc/xen/new.cfg", "memory=96", 'name="other"')
    assert got.exit_code == 0, got.stderr
    d = host.by_name("other")
    assert d is not None and d.paused and d.target_kib == 96 * 1024
    assert d.disks[0].mode == "r"
    host.files["/etc/xen/bad.cfg"] = "name = \nmemory = 64\n"
    got = xl(host, "xl", "create", "/etc/xen/bad.cfg")
    assert got.exit_code == 1
    assert got.stderr == ("Parsing config from /etc/xen/bad.cfg\n"
                          "/etc/xen/bad.cfg:1: config parsing error near `': syntax error\n")


def test_shutdown_and_reboot() -> None:
    host = lab_b()
    got = xl(host, "xl", "shutdown", "db1")
    assert (got.exit_code, got.stderr) == (0, "Shutting down domain 1\n")
    assert host.domains[1].xl_flags() == "---s--"
    from collectors.sim.evolve import advance

    advance(host, host.now + 2)
    assert 1 not in host.domains
    got = xl(host, "xl", "reboot", "web1")
    assert (got.exit_code, got.stderr) == (0, "Rebooting domain 3\n")
    advance(host, host.now + 2)
    web1 = host.by_name("web1")
    assert web1 is not None and web1.domid == 4 and web1.uuid.startswith("9e670668")
    got = xl(host, "xl", "shutdown", "42")
    assert got.exit_code == 1 and got.stderr == (
        "Shutting down domain 42\nlibxl: error: libxl_dom.c:37:libxl__domain_type: unable to "
        "get domain type for domid=42\nshutdown failed (rc=-3)\n")
    assert xl(host, "xl", "shutdown").stderr == "You must specify -a or a domain id.\n\n"


def test_paused_guest_shuts_down_when_unpaused() -> None:
    host = lab_b()
    xl(host, "xl", "pause", "web1")
    assert xl(host, "xl", "shutdown", "web1").exit_code == 0
    from collectors.sim.evolve import advance

    advance(host, host.now + 5)
    assert host.domains[3].xl_flags()[2] == "p" and not host.domains[3].is_shutdown
    xl(host, "xl", "unpause", "web1")
    advance(host, host.now + 3)
    assert 3 not in host.domains


def test_cd_insert_eject_hvm_only() -> None:
    from collectors.model import DomainType
    from collectors.sim.fleet import make_fleet

    host = make_fleet(hosts=1, domains=8, seed=3, start=1.8e9)[0]
    hvm = next(d for d in host.sorted_domains() if d.type is DomainType.HVM and d.active)
    pv = next(d for d in host.sorted_domains() if d.type is DomainType.PV and d.domid)
    iso = "/var/lib/xen/iso/virtio-win-0.1.240.iso"
    assert xl(host, "xl", "cd-insert", hvm.name, "hdd", iso).exit_code == 0
    assert hvm.disk(5696).target == iso  # type: ignore[union-attr]
    cfg = xl(host, "xl", "list", "-l", str(hvm.domid)).stdout
    assert iso in cfg
    assert xl(host, "xl", "cd-eject", hvm.name, "hdd").exit_code == 0
    assert hvm.disk(5696).empty  # type: ignore[union-attr]
    got = xl(host, "xl", "cd-eject", pv.name, "xvda")
    assert got.exit_code == 1 and got.stderr.endswith("cdrom-insert requires an HVM domain\n")
    got = xl(host, "xl", "cd-insert", hvm.name, "hdd", "/tmp/none.iso")
    assert (got.exit_code, got.stderr) == (1, "Cannot stat file: /tmp/none.iso\n")


def test_hostile_names_are_single_arguments_never_shell() -> None:
    host = lab_b()
    for name in ("$(reboot)", "; rm -rf /", "evil\nname", "[red]x"):
        got = xl(host, "xl", "pause", name)
        assert (got.exit_code, got.stderr) == (1, f"{name} is an invalid domain identifier "
                                                  "(rc=-6)\n")
    host.domains[2].name = "; rm -rf /"
    assert xl(host, "xl", "pause", "; rm -rf /").exit_code == 0
    assert host.domains[2].paused
    got = xl(host, "sh", "-c", "xl list; reboot")
    assert (got.exit_code, got.stderr) == (127, "sh: simulated host runs no arbitrary scripts\n")
    assert xl(host, "reboot").exit_code == 127


def test_errors_leave_state_unchanged_for_every_verb() -> None:
    host = lab_b()
    before = copy.deepcopy(snapshot(host))
    for argv in (
        ("xl", "pause", "nosuch"), ("xl", "unpause", "nosuch"), ("xl", "destroy", "nosuch"),
        ("xl", "save", "nosuch", "/tmp/x"), ("xl", "save", "db1", "/nodir/x.chk"),
        ("xl", "restore", "/nonexist.chk"), ("xl", "mem-set", "db1", "-1k"),
        ("xl", "mem-max", "db1", "1"), ("xl", "vcpu-set", "db1", "abc"),
        ("xl", "vcpu-pin", "db1", "7", "0"), ("xl", "network-attach", "db1", "foo=bar"),
        ("xl", "network-detach", "db1", "7"), ("xl", "block-attach", "db1", "/nope,raw,xvdc,rw"),
        ("xl", "block-attach", "db1", "/srv/xen/web1.img,raw,xvda,rw"),
        ("xl", "block-detach", "db1", "xvdq"), ("xl", "cd-eject", "db1", "xvda"),
        ("xl", "create", "/etc/xen/db1.cfg"),
    ):
        got = xl(host, *argv)
        assert got.exit_code != 0, argv
        assert snapshot(host) == before, argv


def test_sched_credit2_show_set_and_libxl_range_errors() -> None:
    """Texts as the lab printed them (Xen 4.17, credit2, web1 with 2 vCPUs), 2026-11-26."""
    host = lab_b()
    web1 = host.by_name("web1")
    assert web1 is not None and web1.max_vcpus == 2
    n = web1.domid
    head = "Name                                ID Weight  Cap\n"
    got = xl(host, "xl", "sched-credit2", "-d", "web1")
    assert (got.exit_code, got.stdout) == (0, head + f"web1{n:34d}    256    0\n")
    assert xl(host, "xl", "sched-credit2", "-d", "web1", "-w", "512", "-c", "50").exit_code == 0
    assert xl(host, "xl", "sched-credit2", "-d", "web1").stdout.endswith("  512   50\n")
    listing = xl(host, "xl", "sched-credit2").stdout
    assert listing.startswith("Cpupool Pool-0: ratelimit=1000us\n" + head + "Domain-0")
    cap_err = (f"libxl: error: libxl_sched.c:455:sched_credit2_domain_set: Domain {n}:Cpu cap "
               "out of range, valid range is from 0 to 200 for specified number of vcpus\n"
               "libxl_domain_sched_params_set failed.\n")
    weight_err = (f"libxl: error: libxl_sched.c:445:sched_credit2_domain_set: Domain {n}:Cpu "
                  "weight out of range, valid values are within range from 1 to 65535\n"
                  "libxl_domain_sched_params_set failed.\n")
    for args, err in ((("-c", "201"), cap_err), (("-c", "-5"), cap_err),
                      (("-w", "0"), weight_err), (("-w", "abc"), weight_err),
                      (("-w", "70000"), weight_err)):
        got = xl(host, "xl", "sched-credit2", "-d", "web1", *args)
        assert (got.exit_code, got.stderr) == (1, err), args
    assert (web1.weight, web1.cap) == (512, 50)  # nothing set by a refused call
    got = xl(host, "xl", "sched-credit2", "-w", "5")
    assert (got.exit_code, got.stderr) == (1, "Must specify a domain.\n")
    # the credit verbs on a credit2 host
    assert xl(host, "xl", "sched-credit").stdout == ""
    got = xl(host, "xl", "sched-credit", "-d", "web1")
    assert (got.exit_code, got.stderr, got.stdout) == (
        1, "libxl_domain_sched_params_get returned credit2 not credit.\n", head)
    got = xl(host, "xl", "sched-credit", "-d", "web1", "-w", "256")
    assert (got.exit_code, got.stderr) == (
        1, f"libxl: error: libxl_sched.c:232:sched_credit_domain_set: Domain {n}:Getting "
           "domain sched credit: Invalid argument\nlibxl_domain_sched_params_set failed.\n")


def test_only_ascii_digits_are_numbers_as_for_cs_isdigit() -> None:
    # xl reads numbers with isdigit()/strtoul(), which know only 0-9: "٣" is a name to it
    host = lab_b()
    got = xl(host, "xl", "pause", "٣")
    assert (got.exit_code, got.stderr) == (1, "٣ is an invalid domain identifier (rc=-6)\n")
    assert xl(host, "xl", "vcpu-set", "db1", "٢").stderr == "Error: Invalid argument.\n"
    assert xl(host, "xl", "vcpu-pin", "db1", "٠", "0").stderr == (
        "Error: Invalid argument ٠ as VCPU.\n")
    assert xl(host, "xl", "vcpu-pin", "db1", "0", "٠-١").exit_code != 0
    assert xl(host, "xl", "pause", "3").exit_code == 0  # the same with ASCII digits


def test_a_pvh_guest_saves_and_restores_as_an_hvm_stream() -> None:
    # libxc tells its streams by the hypervisor's hvm flag, which a PVH guest has
    host = next(h for h in make_fleet(hosts=3, domains=8, seed=0)
                if any(d.type is DomainType.PVH and not d.paused for d in h.domains.values()))
    pvh = next(d for d in host.domains.values() if d.type is DomainType.PVH and not d.paused)
    got = xl(host, "xl", "save", pvh.name, "/var/lib/xen/save/pvh.chk")
    assert got.exit_code == 0, got.stderr
    assert f"Saving domain {pvh.domid}, type x86 HVM" in got.stderr
    got = xl(host, "xl", "restore", "/var/lib/xen/save/pvh.chk")
    assert got.exit_code == 0 and "Found x86 HVM domain" in got.stderr


def test_save_and_restore_positional_arguments_as_xl_counts_them() -> None:
    """main_save takes <Domain> <CheckpointFile> [<ConfigFile>], main_restore
    [<ConfigFile>] <CheckpointFile>: one more is help and exit 1; the optional config file
    is read (xl 4.17, xl_saverestore.c / xl_vmcontrol.c). With "+" getopt, `xl save db1 -c
    F` names "-c" the checkpoint and F the config file."""
    host = lab_b()
    before = snapshot(host)
    got = xl(host, "xl", "save", "db1", "/root/a.chk", "/etc/xen/db1.cfg", "extra")
    assert (got.exit_code, got.stderr) == (1, "")
    assert got.stdout.startswith("Usage: xl [-vtTf] save [options] <Domain> <CheckpointFile>")
    got = xl(host, "xl", "save", "db1", "-c", "/root/b.chk")
    assert (got.exit_code, got.stdout, got.stderr) == (
        1, "", "unable to read overridden config file\n")
    assert snapshot(host) == before
    assert not {"/root/a.chk", "/root/b.chk", "/root/-c"} & set(host.files)
    path = "/var/lib/xen/save/idle1.chk"
    assert xl(host, "xl", "save", "idle1", path).exit_code == 0
    got = xl(host, "xl", "restore", "/etc/xen/idle1.cfg", path, "extra")
    assert (got.exit_code, got.stderr) == (1, "")
    assert got.stdout.startswith("Usage: xl [-vtTf] restore [options] [<ConfigFile>]")
    got = xl(host, "xl", "restore", "/etc/xen/nosuch.cfg", path)
    assert got.exit_code == 1 and got.stderr.endswith(
        " Savefile contains xl domain config in JSON format\n"
        "Failed to read config file: /etc/xen/nosuch.cfg: No such file or directory\n")
    assert host.by_name("idle1") is None
    host.files["/etc/xen/idle2.cfg"] = host.files["/etc/xen/idle1.cfg"].replace(
        '"idle1"', '"idle2"')
    got = xl(host, "xl", "restore", "-F", "/etc/xen/idle2.cfg", path)
    assert got.exit_code == 0, got.stderr
    assert "Parsing config from /etc/xen/idle2.cfg\n" in got.stderr
    assert host.by_name("idle2") is not None and host.by_name("idle1") is None


def test_long_options_refused_as_glibc_getopt_long_refuses_them() -> None:
    """opterr is 0 and def_getopt prints optopt with %c: glibc sets optopt to 0 for an
    unknown or ambiguous long option (a NUL byte is printed) and to the option's letter for
    an argument given to one that takes none (`--long=x`); --help=x is still help."""
    host = lab_b()
    for args in (("list", "--foo"), ("list", "--c"), ("pause", "--nosuch", "db1")):
        got = xl(host, "xl", *args)
        assert (got.exit_code, got.stdout, got.stderr) == (
            2, "", "option `\0' not supported.\n"), args
    got = xl(host, "xl", "list", "--long=x")
    assert (got.exit_code, got.stdout, got.stderr) == (2, "", "option `l' not supported.\n")
    got = xl(host, "xl", "pause", "--help=x", "db1")
    assert got.exit_code == 0 and got.stdout.startswith("Usage: xl [-vtTf] pause <Domain>")
    assert not host.domains[1].paused
