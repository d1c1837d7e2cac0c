"""A host poller's collection state, and what it says about the host: its status (ok,
stale, unreachable, error) and where each metric family comes from."""

from __future__ import annotations

from dataclasses import dataclass, field

from collectors.assemble import Inputs
from collectors.model import HostInfo, HostStatus


@dataclass(slots=True)
class PollState:
    """Mutable collection state, owned by one HostPoller."""

    inputs: Inputs = field(default_factory=Inputs)
    info: HostInfo | None = None
    frames_seen: int = 0
    stream_error: str | None = None
    last_frame_mono: float | None = None
    batch_error: str | None = None
    unreachable: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # family → last error
    latency_s: float | None = None
    last_batch_ok_t: float | None = None
    debugfs_mount_tried: bool = False
    toolstack: str = "xl"
    vcpus_t: float | None = None  # wall clock of the last good vcpu-list
    vcpus_mono: float | None = None  # the same, monotonic (for the demand cadence)
    crashed: dict[str, str] = field(default_factory=dict)  # loop → the bug that stopped it


# snapshot.sources key of a family whose last read failed: SOURCE_ERROR + family → why
SOURCE_ERROR = "error:"


def host_status(st: PollState, now: float,
                interval_s: float) -> tuple[HostStatus, str | None, float | None]:
    """(status, why it is not ok, age of the newest data) at wall-clock time ``now``."""
    newest = max((t for t in (st.inputs.frame_t, st.inputs.xl_t) if t is not None),
                 default=None)
    age = now - newest if newest is not None else None
    if st.unreachable:
        return HostStatus.UNREACHABLE, st.unreachable, age
    if st.crashed:  # a bug of ours, not the host's: said first, as it explains the rest
        return HostStatus.ERROR, next(iter(st.crashed.values())), age
    fatal = st.errors.get("xl") or (st.errors.get("xentop_once") if newest is None else None)
    if fatal and st.inputs.frame is None:
        return HostStatus.ERROR, fatal, age
    limit = 3 * interval_s + 2
    if age is None:
        msg = st.batch_error or st.stream_error or "waiting for the first data"
        return HostStatus.STALE, msg, None
    if age > limit:
        why = st.batch_error or st.stream_error or "no new data"
        return HostStatus.STALE, f"stale for {age:.0f}s: {why}", age
    if st.batch_error:
        return HostStatus.STALE, st.batch_error, age
    problems = [v for k, v in st.errors.items() if k in ("xl", "vcpus", "info")]
    if problems:
        return HostStatus.ERROR, problems[0], age
    return HostStatus.OK, None, age


def source_notes(st: PollState, vcpus_period_s: float) -> dict[str, str]:
    """Metric family → where its numbers come from, or why they are missing."""
    src: dict[str, str] = {}
    if st.inputs.frame is not None and st.stream_error is None:
        src["domains"] = "xentop -b stream (libxenstat)"
    elif st.inputs.frame is not None:
        src["domains"] = f"xentop (last frame; {st.stream_error})"
    elif st.inputs.xl_rows is not None:
        src["domains"] = f"{st.toolstack} list ({st.stream_error or 'no xentop'})"
    src["vcpus"] = f"{st.toolstack} vcpu-list every {vcpus_period_s:g}s"
    src["memory_target"] = "XenStore memory/target"
    src["rings"] = st.inputs.rings_error or "netback debugfs io_ring_q*"
    src["vbd_oo"] = "blkback statistics/oo_req"
    if st.inputs.dom0_source:
        src["dom0"] = st.inputs.dom0_source
    for fam, err in st.errors.items():
        src[SOURCE_ERROR + fam] = err
    return src
