"""A rebooted (or shut down and created again) domain comes back up with its vCPUs and
runs; ``on_reboot`` is honoured. Read as xltop reads it: argv through a SimRunner, parsed
with the real parsers (the bug was seen in ``xltop --demo --seed 7``)."""

from __future__ import annotations

import pytest

from collectors.parse.xl_list import XlListRow
from tests.sim_support import Demo


def _is_up(row: XlListRow) -> bool:
    """Running or blocked, not paused, shut down or dying."""
    assert row.state is not None
    return (row.state[0] == "r" or row.state[1] == "b") and row.state[2:] == "----"


def _check_comes_back(demo: Demo, name: str, old_domid: int | None, vcpus: int) -> None:
    demo.wait(3)
    row = demo.xl_list()[name]
    assert row.domid != old_domid
    assert row.vcpus == vcpus
    first = row.cpu_time_s
    online = [v for v in demo.vcpus() if v.name == name and v.state != "--p"]
    assert len(online) == vcpus and all(v.cpu is not None for v in online)
    demo.wait(60)
    row = demo.xl_list()[name]
    assert row.domid != old_domid and row.vcpus == vcpus and _is_up(row), row
    assert row.cpu_time_s is not None and first is not None and row.cpu_time_s > first


def test_rebooted_domain_comes_back_with_its_vcpus_and_runs() -> None:
    demo = Demo()
    before = demo.xl_list()["mq-02"]
    assert before.vcpus == 2 and _is_up(before)
    demo.ok("xl", "reboot", "mq-02")
    _check_comes_back(demo, "mq-02", before.domid, 2)


def test_reboot_keeps_the_vcpus_set_online() -> None:
    demo = Demo()
    demo.ok("xl", "vcpu-set", "ci-runner-02", "2")
    old = demo.xl_list()["ci-runner-02"].domid
    demo.ok("xl", "reboot", "ci-runner-02")
    _check_comes_back(demo, "ci-runner-02", old, 2)


def test_shutdown_then_create_from_its_config_runs() -> None:
    demo = Demo()
    old = demo.xl_list()["mq-02"].domid
    demo.ok("xl", "shutdown", "mq-02")
    demo.wait(3)
    assert "mq-02" not in demo.xl_list()
    demo.ok("xl", "create", "/etc/xen/mq-02.cfg")
    _check_comes_back(demo, "mq-02", old, 2)


@pytest.mark.parametrize(("on_reboot", "left"), [("destroy", None), ("preserve", "---sr-")])
def test_on_reboot_destroy_and_preserve(on_reboot: str, left: str | None) -> None:
    demo = Demo()
    demo.ok("xl", "destroy", "mq-02")
    demo.ok("xl", "create", "/etc/xen/mq-02.cfg", f'on_reboot="{on_reboot}"')
    demo.wait(5)
    demo.ok("xl", "reboot", "mq-02")
    demo.wait(5)
    row = demo.xl_list().get("mq-02")
    assert (row.state if row else None) == left
