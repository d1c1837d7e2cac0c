"""``xl migrate`` on a simulated host: the domain moves to another host of the simulated
fleet (or to this one, as ``xl migrate DOMAIN 127.0.0.1`` does). The texts are those the
Xen 4.17 lab printed (tests/data/migrate): a local migration of idle1, an unknown host,
an unknown domain, and Domain-0, which xl tries to suspend and fails.
"""

from __future__ import annotations

from collectors.sim import lifecycle, savefile
from collectors.sim.state import SimDomain, SimHost
from collectors.sim.xl_args import Io, XlExit, die, domain_label, find_domain, getopt
from collectors.sim.xl_saverestore import stream_kind

_LOCAL = ("127.0.0.1", "localhost", "::1")
_NO_BANNER = ("libxl: error: libxl_utils.c:505:libxl_read_exactly: file/stream truncated "
              "reading banner from migration receiver stream\n")


def _transport_exit(pid: int, status: int) -> str:
    return ("libxl: info: libxl_exec.c:117:libxl_report_child_exitstatus: migration transport "
            f"process [{pid}] exited with error status {status}\n")


def cmd_migrate(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "migrate", argv, "C:s:epD", {"debug": ("g", False)}, required=2)
    domid = find_domain(io, host, p.args[0])
    target = p.args[1]
    host.last_pid += 1
    pid = host.last_pid
    if any(o == "s" for o, _ in p.opts):  # an ssh command for sh: nothing runs arbitrary sh
        io.eprint("sh: simulated host runs no arbitrary scripts\n" + _NO_BANNER
                  + _transport_exit(pid, 127))
        raise XlExit(1)
    name = target.rsplit("@", 1)[-1]
    key = name.lower().rstrip(".")  # (the resolver's view: case-insensitive, FQDN dot)
    peers = {k.lower(): v for k, v in host.peers.items()}
    dst = host if key in _LOCAL or key == host.hostname.lower() else peers.get(key)
    if dst is None:
        io.eprint(f"ssh: Could not resolve hostname {name}: Name or service not known\n"
                  + _NO_BANNER + _transport_exit(pid, 255))
        raise XlExit(1)
    d = host.domains.get(domid)
    if d is None:
        die(io, f"{p.args[0]} is an invalid domain identifier (rc=-6)\n")
    length = savefile.config_length(savefile.stored_config(d, host.scheduler))
    kind = stream_kind(d.type)
    new_id = dst.alloc_domid()
    io.eprint("migration target: Ready to receive domain.\n"
              f"Saving to migration stream new xl format (info 0x3/0x0/{length})\n"
              "Loading new save file <incoming migration stream> "
              f"(new xl fmt info 0x3/0x0/{length})\n"
              " Savefile contains xl domain config in JSON format\n"
              "Parsing config from <saved>\n"
              f"xc: info: Saving domain {domid}, type x86 {kind}\n")
    if domid == 0 or d.is_shutdown or d.dying:
        _cannot_suspend(io, domid, new_id, pid)
    io.eprint(f"xc: info: Found x86 {kind} domain from Xen 4.17\n"
              "xc: info: Restoring domain\n"
              "xc: info: Restore successful\n")
    moved = _arrive(host, d, dst, new_id, paused=any(o == "p" for o, _ in p.opts))
    rng = dst.action_rng
    store = rng.randrange(0x70000, 0x130000)
    io.eprint(f"xc: info: XenStore: mfn {store:#x}, dom 0, evt 1\n"
              f"xc: info: Console: mfn {store - 1:#x}, dom 0, evt 2\n"
              "migration target: Transfer complete, requesting permission to start domain.\n"
              "migration sender: Target has acknowledged transfer.\n"
              "migration sender: Giving target permission to start.\n"
              "migration target: Got permission, starting domain.\n"
              "migration target: Domain started successsfully.\n"  # sic: xl's spelling
              "migration sender: Target reports successful startup.\n"
              "Migration successful.\n")
    io.duration = 1.0 + moved.mem_kib / (512 * 1024)  # as a save: the memory goes over
    return 0


def _arrive(src: SimHost, d: SimDomain, dst: SimHost, new_id: int, *,
            paused: bool) -> SimDomain:
    """The domain runs on ``dst`` under ``new_id``; here its daemon saw a suspend and it
    is gone."""
    spec = lifecycle.spec_of(d)
    lifecycle.log_suspend(src, d)
    lifecycle.destroy(src, d)
    moved = lifecycle.build_domain(dst, spec, dst.action_rng, domid=new_id, paused=paused)
    lifecycle.fresh(moved, running=not paused)
    moved.activity = d.activity
    # xl migrate-receive creates it as NAME--incoming and renames it once the sender has
    # let go; its daemon keeps logging under the first name (seen on the lab)
    moved.log_name = f"{spec.name}--incoming"
    # both had the same UUID, and destroying the sender removed /vm/UUID: after a local
    # migration xl uptime cannot read the start time (seen on the lab)
    moved.no_vm_path = dst is src
    lifecycle.add_domain(dst, moved)
    return moved


def _cannot_suspend(io: Io, domid: int, new_id: int, pid: int) -> None:
    """As the lab answered ``xl migrate 0 127.0.0.1`` (Domain-0 cannot be suspended)."""
    label = domain_label(new_id)
    io.eprint(
        "xc: error: Failed to map shared info frame at mfn 0x7ffd8 (3 = No such process): "
        "Internal error\n"
        "xc: error: Save failed (3 = No such process): Internal error\n"
        "libxl: error: libxl_stream_write.c:347:libxl__xc_domain_save_done: saving domain: "
        "domain did not respond to suspend request: No such process\n"
        "migration sender: libxl_domain_suspend failed (rc=-8)\n"
        "xc: error: Failed to read Image Header from stream (0 = Success): Internal error\n"
        "libxl: error: libxl_stream_read.c:850:libxl__xc_domain_restore_done: restoring "
        "domain: Success\n"
        f"libxl: error: libxl_create.c:1640:domcreate_rebuild_done: {label}cannot (re-)build "
        "domain: -3\n"
        f"libxl: error: libxl_domain.c:1183:libxl__destroy_domid: {label}Non-existant domain\n"
        f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: {label}Unable to destroy "
        "guest\n"
        f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: {label}Destruction of domain "
        "failed\n"
        "migration target: Domain creation failed (code -3).\n"
        + _transport_exit(pid, 1)
        + "Migration failed, failed to suspend at sender.\n")
    raise XlExit(1)
