"""A host's status from its poll state, and the argv of each metric family."""

from __future__ import annotations

from collectors import commands as cmd
from collectors.assemble import Inputs
from collectors.model import HostStatus
from collectors.poll_state import PollState, host_status, source_notes


def test_status_follows_the_newest_data_and_the_errors() -> None:
    st = PollState()
    assert host_status(st, 100.0, 2.0) == (HostStatus.STALE, "waiting for the first data", None)
    st.inputs = Inputs(frame=(), frame_t=95.0, xl_t=90.0)
    assert host_status(st, 100.0, 2.0) == (HostStatus.OK, None, 5.0)  # 5 s ≤ 3 × 2 + 2
    assert host_status(st, 104.0, 2.0)[:2] == (HostStatus.STALE, "stale for 9s: no new data")
    st.errors["vcpus"] = "xl vcpu-list: exit 1: oops"
    assert host_status(st, 100.0, 2.0)[:2] == (HostStatus.ERROR, "xl vcpu-list: exit 1: oops")
    st.batch_error = "command timed out"
    assert host_status(st, 100.0, 2.0)[:2] == (HostStatus.STALE, "command timed out")
    st.unreachable = "connection refused"
    assert host_status(st, 100.0, 2.0) == (HostStatus.UNREACHABLE, "connection refused", 5.0)


def test_xl_failing_before_any_frame_is_an_error() -> None:
    st = PollState(errors={"xl": "xl list: exit 127: xl: not found"})
    st.inputs = Inputs(xl_t=None)
    assert host_status(st, 1.0, 2.0)[:2] == (HostStatus.ERROR, "xl list: exit 127: xl: not found")


def test_source_notes_say_where_numbers_come_from() -> None:
    st = PollState(toolstack="xm", stream_error="xentop: not found")
    st.inputs = Inputs(xl_rows=(), rings_error="no debugfs")
    notes = source_notes(st, 30.0)
    assert notes["domains"] == "xm list (xentop: not found)"
    assert notes["vcpus"] == "xm vcpu-list every 30s"
    assert notes["rings"] == "no debugfs"


def test_family_argvs_for_xl_and_xm_hosts() -> None:
    fams = ["xl", "vcpus", "info", "xenstore", "rings", "dom0"]
    assert cmd.family_argvs(fams) == [
        ("xl", cmd.XL_LIST), ("vcpus", cmd.XL_VCPU_LIST), ("info", cmd.XL_INFO),
        ("xenstore", cmd.XENSTORE_DOMAINS), ("rings", cmd.RING_FILES),
        ("dom0", cmd.DOM0_PROC), ("uptime", cmd.XL_UPTIME)]  # uptime last: see family_argvs
    xm = cmd.family_argvs(fams, xm=True, local_dom0=True)
    assert [f for f, _ in xm] == ["xl", "vcpus", "info", "xenstore", "rings"]  # no uptime
    assert xm[0][1] == cmd.XM_LIST and xm[2][1] == cmd.XM_INFO
    assert cmd.family_argvs(["nonsense"]) == []
