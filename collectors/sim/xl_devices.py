"""xl's device subcommands: network-attach/-detach, block-attach/-detach, cd-insert/-eject."""

from __future__ import annotations

import posixpath

from collectors.control.syntax import BadValue, bridge_base
from collectors.model import DomainType
from collectors.sim import lifecycle
from collectors.sim.state import SimDisk, SimDomain, SimHost, vdev_to_devid
from collectors.sim.xl_args import (
    Io,
    atoi,
    die,
    domain_label,
    find_domain,
    getopt,
    qualifier_to_domid,
)
from collectors.sim.xl_cfg import CfgError, parse_disk_spec, parse_mac, parse_vif_spec


def file_exists(host: SimHost, path: str) -> bool:
    return host.file(path) is not None


def bridge_missing(host: SimHost, bridge: str, script: str | None) -> bool:
    """The vif's hotplug script finds no bridge: vif-openvswitch reads ``br0.10`` (VLAN)
    and ``br0:10:20`` (trunks) as br0, vif-bridge only the name itself."""
    if bridge in host.bridges:
        return False
    if posixpath.basename(script or "") != "vif-openvswitch":
        return True
    try:
        return bridge_base(bridge) not in host.bridges
    except BadValue:
        return True


def missing_target(vdev: str, target: str) -> str:
    """libxl__device_disk_set_backend's line for a target that is not there (the lab's)."""
    return ("libxl: error: libxl_device.c:455:libxl__device_disk_set_backend: "
            f"Disk vdev={vdev} failed to stat: {target}: No such file or directory\n")


def cmd_network_attach(host: SimHost, io: Io, argv: list[str], *, dryrun: bool = False) -> int:
    p = getopt(io, "network-attach", argv, "", required=1)
    domid = find_domain(io, host, p.args[0])
    try:
        spec = parse_vif_spec(",".join(p.args[1:]))
    except CfgError as exc:
        die(io, f"{exc}\n")
    if dryrun:
        return 0
    d = host.domains.get(domid)
    label = domain_label(domid)
    if d is None:
        io.eprint("libxl: error: libxl_dom.c:37:libxl__domain_type: "
                  f"unable to get domain type for domid={domid}\n")
        die(io, "libxl_device_nic_add failed.\n")
    if spec.devid is not None and d.nic(spec.devid) is not None:
        io.eprint(f"libxl: error: libxl_device.c:1481:device_addrm_aocomplete: {label}"
                  f"Unable to add vif with id {spec.devid}\n")
        die(io, "libxl_device_nic_add failed.\n")
    nic = lifecycle.attach_nic(host, d, spec, host.action_rng)
    host.xs_version += 1
    io.duration = 1.0
    if bridge_missing(host, spec.bridge, nic.script):
        host.last_pid += 7
        nic.frontend_state, nic.backend_state, nic.hotplug_status = 1, 2, "error"
        nic.queues.clear()
        io.eprint(
            "libxl: error: libxl_exec.c:117:libxl_report_child_exitstatus: "
            f"{nic.script} online [{host.last_pid}] exited with error status 1\n"
            "libxl: error: libxl_device.c:1337:device_hotplug_child_death_cb: "
            f"script: Could not find bridge device {spec.bridge}\n"
            f"libxl: error: libxl_device.c:1481:device_addrm_aocomplete: {label}"
            f"Unable to add vif with id {nic.devid}\n"
        )
        die(io, "libxl_device_nic_add failed.\n")
    if not (d.active or d.paused):
        nic.frontend_state, nic.backend_state = 1, 2
    return 0


def cmd_network_detach(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "network-detach", argv, "", required=2)
    domid = find_domain(io, host, p.args[0])
    which = p.args[1]
    d = host.domains.get(domid)
    if ":" not in which:
        devid = atoi(which)
        nic = d.nic(devid) if d is not None else None
        if nic is None:
            io.eprint("libxl: error: libxl_xshelp.c:206:libxl__xs_read_mandatory: "
                      f"xenstore read failed: `/libxl/{domid}/device/vif/{devid}': "
                      "No such file or directory\n")
            die(io, f"Unknown device {which}.\n")
    else:
        try:
            mac = parse_mac(which)
        except CfgError:
            mac = None
        nic = next((n for n in d.nics if n.mac == mac), None) if d is not None else None
        if nic is None:
            die(io, f"Unknown device {which}.\n")
    assert d is not None
    d.release_nic(nic)
    host.xs_version += 1
    io.duration = 1.0
    return 0


def cmd_block_attach(host: SimHost, io: Io, argv: list[str], *, dryrun: bool = False) -> int:
    p = getopt(io, "block-attach", argv, "", required=2)
    domid = qualifier_to_domid(host, p.args[0])
    if domid is None:
        die(io, f"{p.args[0]} is an invalid domain identifier\n")
    try:
        spec = parse_disk_spec(",".join(p.args[1:]))
    except CfgError as exc:
        die(io, f"{exc}\n")
    if dryrun:
        return 0
    d = host.domains.get(domid)
    label = domain_label(domid)
    if d is None:
        io.eprint("libxl: error: libxl_dom.c:37:libxl__domain_type: "
                  f"unable to get domain type for domid={domid}\n")
        die(io, "libxl_device_disk_add failed.\n")
    if spec.target and spec.script is None and not file_exists(host, spec.target):
        # libxl stats the target while setting the disk's defaults, before anything else
        io.eprint(missing_target(spec.vdev, spec.target)
                  + "libxl: error: libxl_device.c:1486:device_addrm_aocomplete: "
                  "unable to add device\n")
        die(io, "libxl_device_disk_add failed.\n")
    devid = vdev_to_devid(spec.vdev)
    if devid is None:
        io.eprint(f"libxl: error: libxl_disk.c:378:device_disk_add: {label}"
                  f"Invalid or unsupported virtual disk identifier {spec.vdev}\n")
        die(io, "libxl_device_disk_add failed.\n")
    if d.disk(devid) is not None:
        io.eprint(f"libxl: error: libxl_device.c:1481:device_addrm_aocomplete: {label}"
                  f"Unable to add vbd with id {devid}\n")
        die(io, "libxl_device_disk_add failed.\n")
    disk = lifecycle.attach_disk(host, d, spec, host.action_rng)
    if not (d.active or d.paused):
        disk.frontend_state, disk.backend_state = 1, 2
    host.xs_version += 1
    io.duration = 1.0
    return 0


def cmd_block_detach(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "block-detach", argv, "f", {"force": ("f", False)}, required=2)
    domid = find_domain(io, host, p.args[0])
    vdev = p.args[1]
    devid = vdev_to_devid(vdev)
    d = host.domains.get(domid)
    disk = d.disk(devid) if d is not None and devid is not None else None
    if disk is None or d is None:
        if devid is not None:
            io.eprint("libxl: error: libxl_disk.c:516:libxl__disk_from_xenstore: disk "
                      f"/libxl/{domid}/device/vbd/{devid} does not exist (no backend path\n")
        die(io, f"Error: Device {vdev} not connected.\n")
    d.release_disk(disk)
    host.xs_version += 1
    io.duration = 1.0
    return 0


def cmd_cd_insert(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "cd-insert", argv, "", required=3)
    domid = find_domain(io, host, p.args[0])
    return _cdrom(host, io, domid, p.args[1], p.args[2])


def cmd_cd_eject(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "cd-eject", argv, "", required=2)
    domid = find_domain(io, host, p.args[0])
    return _cdrom(host, io, domid, p.args[1], "")


def _cdrom(host: SimHost, io: Io, domid: int, vdev: str, target: str) -> int:
    if target and not file_exists(host, target):
        die(io, f"Cannot stat file: {target}\n")
    d = host.domains.get(domid)
    label = domain_label(domid)
    if d is None:
        die(io, "libxl: error: libxl_dom.c:37:libxl__domain_type: "
                f"unable to get domain type for domid={domid}\n")
    if d.type is not DomainType.HVM:
        die(io, f"libxl: error: libxl_disk.c:838:libxl_cdrom_insert: {label}"
                "cdrom-insert requires an HVM domain\n")
    disk = _find_cdrom(d, vdev)
    if disk is None:
        die(io, f"libxl: error: libxl_disk.c:870:libxl_cdrom_insert: {label}"
                "Virtual device not found\n")
    disk.target = target
    disk.format = "raw" if target else "empty"
    host.xs_version += 1
    io.duration = 0.5
    return 0


def _find_cdrom(d: SimDomain, vdev: str) -> SimDisk | None:
    devid = vdev_to_devid(vdev)
    disk = d.disk(devid) if devid is not None else None
    return disk if disk is not None and disk.cdrom else None
