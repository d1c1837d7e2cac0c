"""xl save, restore and create on a simulated host (stderr texts as Xen 4.17 prints them)."""

from __future__ import annotations

import posixpath
import struct
from typing import NoReturn

from collectors.control.syntax import normal_path
from collectors.model import DomainType
from collectors.parse.common import ParseError
from collectors.parse.xl_savefile import (
    BYTEORDER,
    FLAG_JSON,
    HEADER_LEN,
    KNOWN_FLAGS,
    MAGIC,
    parse_xl_savefile,
)
from collectors.sim import lifecycle, savefile, xl_usage
from collectors.sim.state import SHUTDOWN_CRASH, SimHost, file_bytes
from collectors.sim.xl_args import Io, XlExit, die, domain_label, find_domain, getopt
from collectors.sim.xl_cfg import CfgError, domain_spec, parse_cfg, parse_kv_overrides
from collectors.sim.xl_devices import bridge_missing, file_exists, missing_target

CWD = "/root"  # where xl runs over SSH
GUEST_OVERHEAD_KIB = 2048  # page tables and the like a new domain needs on top of its memory


def stream_kind(dtype: DomainType | None) -> str:
    """The libxc stream a domain saves as: PVH guests travel in the HVM one."""
    return "PV" if dtype is DomainType.PV else "HVM"


def resolve(path: str) -> str:
    return normal_path(posixpath.join(CWD, path))


def _destroy_chain(label: str) -> str:
    return (
        f"libxl: error: libxl_domain.c:1183:libxl__destroy_domid: {label}Non-existant domain\n"
        f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: {label}Unable to destroy "
        "guest\n"
        f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: {label}Destruction of domain "
        "failed\n"
    )


def _progress(total: int) -> str:
    lines = [f"xc: progress: Frames: {total * k // 16}/{total}  {k * 100 // 16:3d}%\n"
             for k in range(1, 17)]
    return "".join(lines) + "xc: progress: End of stream: 0/0    0%\n"


def cmd_save(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "save", argv, "cpD", required=2)
    _at_most(io, "save", p.args, 3)
    domid = find_domain(io, host, p.args[0])
    if len(p.args) == 3 and host.file(resolve(p.args[2])) is None:  # the config to store
        die(io, "unable to read overridden config file\n")
    given, path = p.args[1], resolve(p.args[1])  # xl's messages name the file as given
    d = host.domains.get(domid)
    if d is None or domid == 0:
        label = domain_label(domid)
        io.eprint("libxl: error: libxl_domain.c:2045:libxl_retrieve_domain_configuration: "
                  f"{label}fail to get domain configuration\n")
        die(io, f"Failed to get domain configuration for domain {domid}\n")
    if not host.is_dir(posixpath.dirname(path)):
        die(io, f"Failed to open temp file {given} for writing\n")
    config = savefile.stored_config(d, host.scheduler)
    length = savefile.config_length(config)
    kind = stream_kind(d.type)
    io.eprint(f"Saving to {given} new xl format (info 0x3/0x0/{length})\n"
              f"xc: info: Saving domain {domid}, type x86 {kind}\n")
    label = domain_label(domid)
    if d.is_shutdown or d.dying:
        reason = d.shutdown_reason if d.shutdown_reason is not None else SHUTDOWN_CRASH
        io.eprint(
            "libxl: error: libxl_dom_suspend.c:269:domain_suspend_common_pvcontrol_suspending: "
            f"{label}guest didn't acknowledge suspend, cancelling request\n"
            f"xc: error: Domain has not been suspended: shutdown 0, reason {reason}: "
            "Internal error\n"
            "xc: error: Save failed (0 = Success): Internal error\n"
            "libxl: error: libxl_stream_write.c:347:libxl__xc_domain_save_done: "
            f"{label}saving domain: domain did not respond to suspend request: Success\n"
            "Failed to save domain, resuming domain\n"
            f"xc: error: Dom {domid} not suspended: (shutdown 0, reason {reason}): "
            "Internal error\n"
            "libxl: error: libxl_dom_suspend.c:666:domain_resume_done: "
            f"{label}xc_domain_resume failed: Invalid argument\n"
        )
        io.duration = 60.0
        raise XlExit(1)
    io.eprint(_progress(d.static_max_kib // 4))
    spec = lifecycle.spec_of(d)
    rng = host.action_rng
    mfn = rng.randrange(0x100000, 0x140000)
    host.files[path] = savefile.dump(spec, config, savefile.Pages(mfn + 1, mfn))
    io.duration = 0.5 + d.mem_kib / (512 * 1024)
    lifecycle.log_suspend(host, d)
    if p.has("c"):
        pass
    elif p.has("p"):
        d.pause_count += 1
    else:
        lifecycle.destroy(host, d)
    host.xs_version += 1
    return 0


def cmd_restore(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "restore", argv, "FpedVA",
               {"vncviewer": ("V", False), "vncviewer-autopass": ("A", False)}, required=1)
    _at_most(io, "restore", p.args, 2)
    config_file = p.args[0] if len(p.args) == 2 else None
    given = p.args[-1]  # xl's messages name the file as given
    text = host.file(resolve(given))
    if text is None:
        die(io, "Can't open restore file: No such file or directory\n")
    data = file_bytes(text)
    stream = _read_xl_front(io, given, data, config_file)
    override = _override_spec(io, host, config_file)
    try:
        spec, pages = savefile.load_stream(stream)
    except savefile.SaveFileError:
        spec = None
    if override is not None and spec is not None:
        spec = override  # built as the config file says, from the checkpoint's memory
    name = (override.name if override is not None else _config_name(data)) or (
        spec.name if spec is not None else "")
    domid = host.alloc_domid()
    label = domain_label(domid)
    if host.by_name(name) is not None:  # xl names the domain from the stored config
        io.eprint(
            f"libxl: error: libxl_domain.c:81:libxl__domain_rename: {label}"
            f"Domain with name \"{name}\" already exists.\n"
            f"libxl: error: libxl_create.c:1296:initiate_domain_create: {label}"
            "cannot make domain: -6\n" + _destroy_chain(label)
        )
        raise XlExit(1)
    if spec is None:
        _foreign_stream(io, stream)
    spec.name = name
    _check_disks(io, host, spec, label, 1)
    kind = stream_kind(spec.type)
    io.eprint(f"xc: info: Found x86 {kind} domain from Xen 4.17\nxc: info: Restoring domain\n")
    if host.free_kib() < spec.memory_mib * 1024 + GUEST_OVERHEAD_KIB:
        io.eprint(
            "xc: error: Failed to populate physmap (16 = Device or resource busy): "
            "Internal error\n"
            "xc: error: Failed to populate pfns for batch of 1024 pages: Internal error\n"
            "xc: error: Restore failed (16 = Device or resource busy): Internal error\n"
            "libxl: error: libxl_stream_read.c:850:libxl__xc_domain_restore_done: "
            "restoring domain: Device or resource busy\n"
            f"libxl: error: libxl_create.c:1640:domcreate_rebuild_done: {label}"
            "cannot (re-)build domain: -3\n" + _destroy_chain(label)
        )
        io.duration = 2.0
        raise XlExit(1)
    d = lifecycle.build_domain(host, spec, host.action_rng, domid=domid, paused=p.has("p"))
    io.eprint(
        "xc: info: Restore successful\n"
        f"xc: info: XenStore: mfn {pages.store_mfn:#x}, dom 0, evt 1\n"
        f"xc: info: Console: mfn {pages.console_mfn:#x}, dom 0, evt 2\n"
    )
    lifecycle.fresh(d, running=not p.has("p"))
    lifecycle.add_domain(host, d)
    io.duration = 0.5 + d.mem_kib / (512 * 1024)
    return 0


def _at_most(io: Io, cmd: str, args: list[str], most: int) -> None:
    """More positional arguments than the command takes: help and exit 1."""
    if len(args) > most:
        io.print(xl_usage.usage(cmd))
        raise XlExit(1)


def _override_spec(io: Io, host: SimHost,
                   config_file: str | None) -> lifecycle.DomainSpec | None:
    """``xl restore CONFIG FILE``: the domain as CONFIG describes it (None: the saved one)."""
    if config_file is None:
        io.eprint("Parsing config from <saved>\n")
        return None
    path = resolve(config_file)
    text = host.file(path)
    if text is None:
        die(io, f"Failed to read config file: {config_file}: No such file or directory\n")
    io.eprint(f"Parsing config from {config_file}\n")
    try:
        return domain_spec(parse_cfg(text, config_file), path)
    except CfgError as exc:
        die(io, f"{exc}\n")


def _read_xl_front(io: Io, path: str, data: bytes, config_file: str | None) -> bytes:
    """What xl restore reads before libxl's stream, checked in xl's order with its messages
    (xl_vmcontrol.c, create_domain); the stream that follows."""
    if len(data) < HEADER_LEN:
        _truncated(io, path, "header")
    if data[: len(MAGIC)] != MAGIC:
        die(io, "File has wrong magic number - corrupt or for a different tool?\n")
    order, mandatory, optional, opt_len = struct.unpack_from("<4I", data, len(MAGIC))
    if order != BYTEORDER:
        die(io, "File has wrong byte order\n")
    io.eprint(f"Loading new save file {path} (new xl fmt info "
              f"0x{mandatory:x}/0x{optional:x}/{opt_len})\n")
    if mandatory & ~KNOWN_FLAGS:
        die(io, f"Savefile has mandatory flag(s) 0x{mandatory & ~KNOWN_FLAGS:x} which are "
                "not supported; need newer xl\n")
    optdata = data[HEADER_LEN: HEADER_LEN + opt_len]
    if len(optdata) < opt_len:
        _truncated(io, path, "optdata")
    if opt_len:
        json_format = " in JSON format" if mandatory & FLAG_JSON else ""
        io.eprint(f" Savefile contains xl domain config{json_format}\n")
        if opt_len < 4 or struct.unpack_from("<I", optdata)[0] > opt_len - 4:
            die(io, "Savefile truncated.\n")
    elif config_file is None:
        die(io, "Config file not specified and none in save file\n")
    return data[HEADER_LEN + opt_len:]


def _config_name(data: bytes) -> str | None:
    try:
        return parse_xl_savefile(data).name
    except ParseError:
        return None


# how xl_vmcontrol.c reads the header and the optional data: (line, the call as CHK_ERRNOVAL
# prints it when the file ends early)
_READS = {
    "header": (713, "libxl_read_exactly( ctx, restore_fd, &hdr, sizeof(hdr), restore_source, "
                    '"header")'),
    "optdata": (740, "libxl_read_exactly( ctx, restore_fd, optdata_begin, "
                     'hdr.optional_data_len, restore_source, "optdata")'),
}


def _truncated(io: Io, path: str, what: str) -> NoReturn:
    """The file ends before xl's header or optional data does (as the lab printed)."""
    line, call = _READS[what]
    die(io, f"libxl: error: libxl_utils.c:505:libxl_read_exactly: file/stream truncated "
            f"reading {what} from {path}\n"
            f"xl: fatal error: xl_vmcontrol.c:{line}: Protocol error: {call}\n")


LIBXL_STREAM_IDENT = b"LibxlFmt"  # RESTORE_STREAM_IDENT, 0x4c6962786c466d74
SEGV_EXIT = 139


def _foreign_stream(io: Io, stream: bytes) -> NoReturn:
    """A stream the simulator did not write. Not libxl's either: libxl says so, and the
    lab's xl then crashed (SIGSEGV), leaving the new domain paused with no memory (not
    simulated: nothing is left here). libxl's own stream: the simulator cannot restore it."""
    if stream.startswith(LIBXL_STREAM_IDENT):
        die(io, "xltop-sim: a real libxl stream: the simulator restores only its own "
                "checkpoints\n")
    got = int.from_bytes(stream[:8].ljust(8, b"\0"), "big")
    die(io, "libxl: error: libxl_stream_read.c:340:stream_header_done: Invalid ident: "
            f"expected 0x{LIBXL_STREAM_IDENT.hex()}, got 0x{got:016x}\n", SEGV_EXIT)


def cmd_create(host: SimHost, io: Io, argv: list[str]) -> int:
    args = list(argv)
    filename = None
    if args and not args[0].startswith("-") and "=" not in args[0]:
        filename = args.pop(0)
    p = getopt(io, "create", args, "Fnqf:pcdeVA",
               {"dryrun": ("n", False), "quiet": ("q", False), "defconfig": ("f", True),
                "vncviewer": ("V", False), "vncviewer-autopass": ("A", False),
                "ignore-global-affinity-masks": ("\x01", False)})
    overrides = []
    for arg in p.args:
        if "=" in arg:
            overrides.append(arg)
        elif filename is None:
            filename = arg
        else:
            io.print(xl_usage.usage("create"))
            raise XlExit(2)
    if p.value("f") is not None:
        filename = p.value("f")
    if filename is None:
        die(io, "Config file not specified and none in save file\n", 6)
    path = resolve(filename)
    text = host.files.get(path)
    if text is None:
        die(io, f"Failed to read config file: {filename}: No such file or directory\n", 3)
    io.eprint(f"Parsing config from {filename}\n")
    try:
        cfg = parse_cfg(text, filename)
        cfg.update(parse_kv_overrides(overrides))
        spec = domain_spec(cfg, path)
    except CfgError as exc:
        die(io, f"{exc}\n")
    if p.has("n"):
        return 0
    domid = host.alloc_domid()
    label = domain_label(domid)
    if host.by_name(spec.name) is not None:
        io.eprint(
            f"libxl: error: libxl_domain.c:81:libxl__domain_rename: {label}"
            f"Domain with name \"{spec.name}\" already exists.\n"
            f"libxl: error: libxl_create.c:1296:initiate_domain_create: {label}"
            "cannot make domain: -6\n" + _destroy_chain(label)
        )
        raise XlExit(6)
    _check_disks(io, host, spec, label, 3)
    if host.free_kib() < spec.memory_mib * 1024 + GUEST_OVERHEAD_KIB:
        io.eprint(
            "xc: error: panic: xc_dom_boot.c:141: xc_dom_boot_mem_init: can't allocate low "
            "memory for domain: Out of memory\n"
            "libxl: error: libxl_dom.c:592:libxl__build_dom: xc_dom_boot_mem_init failed: "
            "Cannot allocate memory\n"
            f"libxl: error: libxl_create.c:1640:domcreate_rebuild_done: {label}"
            "cannot (re-)build domain: -3\n" + _destroy_chain(label)
        )
        raise XlExit(3)
    missing = next((v for v in spec.vifs if bridge_missing(host, v.bridge, v.script)), None)
    if missing is not None:
        _missing_bridge(io, host, missing, domid)
    d = lifecycle.build_domain(host, spec, host.action_rng, domid=domid, paused=p.has("p"))
    lifecycle.fresh(d, running=not p.has("p"))
    lifecycle.add_domain(host, d)
    io.duration = 1.0
    return 0


def _check_disks(io: Io, host: SimHost, spec: lifecycle.DomainSpec, label: str,
                 code: int) -> None:
    """libxl stats each disk's target as it sets the disks' defaults, before the build
    (the lab's texts, ``disk = ['/nope,raw,xvda,w']``, 2026-11-28)."""
    for i, k in enumerate(spec.disks):
        if k.target and k.script is None and not file_exists(host, k.target):
            io.eprint(missing_target(k.vdev, k.target)
                      + f"libxl: error: libxl_create.c:1318:initiate_domain_create: {label}"
                      f"Unable to set disk defaults for disk {i}\n" + _destroy_chain(label))
            raise XlExit(code)


def _missing_bridge(io: Io, host: SimHost, vif: lifecycle.VifSpec, domid: int) -> NoReturn:
    """The vif's hotplug script fails after the build and the half-made domain is torn
    down (the lab's texts, ``vif = ['bridge=nobr0']``, 2026-11-28)."""
    label = domain_label(domid)
    script = []
    for phase in ("online", "offline"):
        host.last_pid += 36
        script.append(
            "libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: "
            f"{vif.script} {phase} [{host.last_pid}] exited with error status 1\n"
            "libxl: error: libxl_device.c:1337:device_hotplug_child_death_cb: "
            f"script: Could not find bridge device {vif.bridge}\n")
    io.eprint(
        script[0]
        + f"libxl: error: libxl_create.c:1921:domcreate_attach_devices: {label}"
        "unable to add vif devices\n"
        + script[1]
        + f"libxl: error: libxl_domain.c:1219:destroy_domid_pci_done: {label}"
        "xc_domain_pause failed\n"
        "libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for "
        f"domid={domid}\n"
        f"libxl: error: libxl_domain.c:1137:domain_destroy_callback: {label}Unable to destroy "
        "guest\n"
        f"libxl: error: libxl_domain.c:1064:domain_destroy_cb: {label}Destruction of domain "
        "failed\n")
    raise XlExit(3)

