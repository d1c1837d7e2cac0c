"""The simulator against the real Xen lab: same texts for the same (read-only) commands.

Only commands that change nothing on the lab are run: listings, help texts, and errors
that xl reports before it acts.
"""

from __future__ import annotations

import re
import shlex

import pytest

from collectors import commands
from collectors.sim import xl_usage
from collectors.sim.fleet import make_lab_like_host
from collectors.sim.xl_help_text import HELP_TEXT
from collectors.transport.base import make_batch_script, split_batch_output
from tests.conftest import Lab
from tests.sim_support import xl

pytestmark = pytest.mark.lab

SAME_ERRORS = [
    "xl list nosuch", "xl list 42", "xl pause nosuch", "xl pause 99", "xl unpause 0",
    "xl vcpu-pin db1 x all", "xl vcpu-pin db1 0 9-2", "xl vcpu-pin db1 0 foo",
    "xl vcpu-pin -f db1 all 0", "xl vcpu-pin db1 0 5", "xl vcpu-set db1 abc",
    "xl vcpu-set db1 4", "xl vcpu-set -i db1 3", "xl mem-set web1 12x", "xl mem-set web1 lots",
    "xl mem-max web1 1", "xl destroy 0", "xl destroy nosuch", "xl destroy 42",
    "xl shutdown 42", "xl shutdown", "xl block-detach db1 xvdz", "xl network-detach db1 9",
    "xl network-detach db1 00:11:22:33:44:55", "xl network-list nosuch", "xl vcpu-list 42",
    "xl uptime 42", "xl cd-eject web1 xvda", "xl cd-insert web1 xvdc /tmp/none.iso",
    "xl restore /nonexist.chk", "xl create /nonexist.cfg", "xl pause", "xl list -q",
    "xl foo", "xl domid nosuch", "xl domname 42", "xenstore-read /nonexistent",
    "xenstore-list /nonexistent", "xenstore-ls -f /nonexistent", "xentop -h",
    # options end at the first argument that is not one ("+" in xl's getopt string)
    "xl vcpu-set db1 -1", "xl block-detach db1 -f", "xl vcpu-list nosuch -h",
    "xl list db1 web1", "xl console nosuch", "xl console 99", "xl console -t foo nosuch",
    "xl network-attach db1 mac=zz", "xl network-attach db1 mac=00:16:3e:00:00:100",
    "xl block-attach db1 /nope,raw,xvdc,rw", "xl block-attach idle1 vdev=xvdc,devtype=foo",
    "xl block-attach idle1 format=raw,vdev=xvdc,access=rw,devtype=foo,target=/nope",
    "xl save db1", "xl shutdown -w",
]


def _sim(cmd: str) -> tuple[str, str, int]:
    a = xl(make_lab_like_host(), *shlex.split(cmd))
    return a.stdout, a.stderr, a.exit_code


def test_error_texts_match_the_lab(lab: Lab) -> None:
    batch = make_batch_script([shlex.split(c) for c in SAME_ERRORS])
    p = lab.ssh(batch.script, timeout=600)
    results = split_batch_output(batch, p.stdout, p.stderr, 0.0)
    for cmd, res in zip(SAME_ERRORS, results, strict=True):
        assert res is not None, cmd
        assert _sim(cmd) == (res.stdout, res.stderr, res.exit_code), cmd


def test_help_texts_match_the_lab(lab: Lab) -> None:
    names = sorted(xl_usage._COMMANDS)
    script = "; ".join(f"echo '@@{n}'; xl help {n}" for n in names)
    real = lab.ssh(script).stdout.split("@@")[1:]
    for block in real:
        name, text = block.split("\n", 1)
        assert xl_usage.usage(name) == text, name
    assert lab.ssh("xl help").stdout == HELP_TEXT


def test_listing_layouts_match_the_lab(lab: Lab) -> None:
    host = make_lab_like_host()
    for cmd in ("xl list", "xl list -v", "xl list -n", "xl list -c", "xl vcpu-list",
                "xl uptime", "xl cpupool-list", "xl network-list db1", "xl block-list db1"):
        real = lab.ssh(cmd).stdout.splitlines()
        sim = xl(host, *cmd.split()).stdout.splitlines()
        assert real[0] == sim[0], cmd
        assert [len(r.split()) for r in real[1:]] == [len(s.split()) for s in sim[1:]], cmd
    real_info = [ln.split(":")[0] for ln in lab.ssh("xl info").stdout.splitlines()]
    assert real_info == [ln.split(":")[0] for ln in xl(host, "xl", "info").stdout.splitlines()]


def test_ring_dump_framing_matches_the_lab(lab: Lab) -> None:
    lab.ssh(shlex.join(commands.MOUNT_DEBUGFS))
    real = lab.ssh(shlex.join(commands.RING_FILES)).stdout
    sim = xl(make_lab_like_host(), *commands.RING_FILES).stdout
    header = re.compile(r"^==> (.+) <==$", re.M)
    for text in (real, sim):
        assert text.startswith("==> ")
        assert "\n\n==> " in text
    shape = [len(block.splitlines()) for block in re.split(header, real)[2::2]]
    sim_shape = [len(block.splitlines()) for block in re.split(header, sim)[2::2]]
    assert set(shape) == set(sim_shape)


def test_xenstore_device_keys_match_the_lab(lab: Lab) -> None:
    host = make_lab_like_host()
    for path in ("/local/domain/1/device/vif/0", "/local/domain/0/backend/vbd/1/51712",
                 "/local/domain/3/device/vbd/51712", "/libxl/1/device/vif/1"):
        real = lab.ssh(f"xenstore-ls -f {path}").stdout
        sim = xl(host, "xenstore-ls", "-f", path).stdout
        keys = [ln.split(" = ")[0] for ln in real.splitlines()]
        assert keys == [ln.split(" = ")[0] for ln in sim.splitlines()], path
