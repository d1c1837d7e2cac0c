"""What each family of commands' output becomes: the pure part of a poll, run on the
event loop or, for big outputs, on the poller's parse thread (no poller state here)."""

from __future__ import annotations

from collectors.model import HostId
from collectors.parse.procfs import NetDevReader, parse_loadavg, parse_proc_net_dev
from collectors.parse.rings import parse_ring_dump
from collectors.parse.xenstore import parse_xenstore_ls
from collectors.parse.xentop import parse_xentop
from collectors.parse.xl_info import parse_xl_info, parse_xl_uptime
from collectors.parse.xl_list import parse_xl_list, parse_xl_list_long
from collectors.parse.xl_vcpu import parse_xl_vcpu_list
from collectors.topology import topology_from_xenstore
from collectors.transport.base import CommandResult

_NEEDS_EXIT_0 = frozenset({"xl", "vcpus", "info", "xenstore", "xentop_once", "uptime",
                           "configs", "dom0"})


def parse_result(host: HostId, family: str, res: CommandResult,
                 net_dev: NetDevReader | None = None) -> object:
    """The pure part of taking in one command's result: parsing its text.

    Touches no poller state (but for the host's ``net_dev`` reader of Dom0 samples, which
    only keeps the last sample's records), so it may run on the parse thread. None when the command
    failed (the poller reports its exit status instead) or the family has no parser.
    """
    if family in _NEEDS_EXIT_0 and res.exit_code != 0:
        return None
    out = res.stdout
    if family == "xl":
        return tuple(parse_xl_list(out))
    if family == "vcpus":
        return tuple(parse_xl_vcpu_list(out))
    if family == "info":
        return parse_xl_info(out)
    if family == "uptime":
        return parse_xl_uptime(out)
    if family == "xenstore":
        return topology_from_xenstore(host, parse_xenstore_ls(out))
    if family == "configs":
        return parse_xl_list_long(out)
    if family == "rings":
        return parse_ring_dump(out)
    if family == "dom0":
        load_text, _, net_text = out.partition("\n")
        ifaces = parse_proc_net_dev(net_text) if net_dev is None else net_dev.read(net_text)
        return parse_loadavg(load_text), tuple(ifaces)
    if family == "xentop_once":
        return parse_xentop(out)
    return None


def rings_error(stderr: str, *, has_vifs: bool) -> str | None:
    """Why netback ring occupancy is unavailable, from head's complaints."""
    for line in stderr.splitlines():
        if "xen-netback" in line and has_vifs:
            if "Permission denied" in line:
                return "netback debugfs: permission denied (run with sudo)"
            return "netback debugfs not available (debugfs not mounted, or not a Linux Dom0)"
    return None
