"""SshRunner against the real Xen 4.17 lab (skipped unless ../shared/xenlab is running)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from collectors.commands import XL_INFO, XL_VCPU_LIST
from collectors.transport.ssh import SshRunner
from collectors.transport.ssh_target import SshTarget

XENLAB = Path("/work/shared/xenlab/xenlab")

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab_target() -> SshTarget:
    if not XENLAB.exists():
        pytest.skip("no xenlab")
    try:
        status = subprocess.run([XENLAB, "status"], capture_output=True, text=True, timeout=30)
        env = subprocess.run([XENLAB, "env"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"xenlab not usable: {exc}")
    if not status.stdout.startswith("running"):
        pytest.skip(f"xenlab is not running: {status.stdout.strip()}")
    values = dict(line.split("=", 1) for line in env.stdout.splitlines() if "=" in line)
    return SshTarget(
        host=values["XENLAB_SSH_HOST"],
        port=int(values["XENLAB_SSH_PORT"]),
        user=values["XENLAB_SSH_USER"],
        key=values["XENLAB_SSH_KEY"],
        known_hosts=values["XENLAB_KNOWN_HOSTS"],
        ssh_config="/dev/null",
        connect_timeout=30,
        command_timeout=60,
    )


async def test_xl_list_and_a_batch_in_one_round_trip(lab_target: SshTarget) -> None:
    r = SshRunner(lab_target)
    try:
        listing = await r.run(["xl", "list"])
        assert listing.ok, listing.stderr
        names = [line.split()[0] for line in listing.stdout.splitlines()[1:] if line.strip()]
        assert listing.stdout.split()[:2] == ["Name", "ID"]
        assert "Domain-0" in names and {"web1", "db1", "idle1"} <= set(names)
        info, vcpus = await r.run_batch([XL_INFO, XL_VCPU_LIST])
        # one round trip: both results come from the same channel, timed together
        assert info.duration_s == vcpus.duration_s == r.last_rtt_s
        assert info.ok and vcpus.ok, (info.stderr, vcpus.stderr)
        assert any(line.startswith("xen_version") for line in info.stdout.splitlines())
        assert vcpus.stdout.split()[:3] == ["Name", "ID", "VCPU"]
        assert "Domain-0" in vcpus.stdout and info.argv == XL_INFO
        canary = "/tmp/xltop-transport-canary"
        failing = await r.run(["xl", "domid", f"no-such-domain-$(touch {canary})"])
        assert failing.exit_code != 0  # the name arrived literally...
        assert (await r.run(["test", "-e", canary])).exit_code == 1  # ...and ran nothing
    finally:
        await r.close()
