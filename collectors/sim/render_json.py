"""``xl list -l``: libxl's domain configuration as yajl's beautified JSON."""

from __future__ import annotations

from collectors.model import DomainType
from collectors.sim.state import VIF_BRIDGE_SCRIPT, SimDomain

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]

_HEX = "0123456789ABCDEF"


def yajl_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ord(ch) < 0x20:
            out.append("\\u00" + _HEX[ord(ch) >> 4] + _HEX[ord(ch) & 15])
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def yajl_beautify(value: JsonValue, indent: int = 0) -> str:
    """yajl 2 with beautify: 4-space indent; empty containers hold one empty line."""
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(value, dict):
        if not value:
            return "{\n\n" + end + "}"
        items = [f"{pad}{yajl_string(k)}: {yajl_beautify(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[\n\n" + end + "]"
        items = [pad + yajl_beautify(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + end + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return yajl_string(value)


def _sched(d: SimDomain, sched: str) -> dict[str, JsonValue]:
    return {"sched": sched, "weight": d.weight, "cap": d.cap}


def dom0_config(d: SimDomain, sched: str) -> dict[str, JsonValue]:
    """Domain-0's stub configuration (written by xen-init-dom0)."""
    return {
        "c_info": {"type": "pv", "name": d.name},
        "b_info": {
            "max_memkb": d.static_max_kib,
            "target_memkb": d.target_kib - 1,
            "sched_params": _sched(d, sched),
            "type.pv": {},
            "arch_arm": {},
            "arch_x86": {},
        },
    }


def guest_config(d: SimDomain, sched: str) -> dict[str, JsonValue]:
    c_info: dict[str, JsonValue] = {"type": d.type.value, "name": d.name}
    if d.type is DomainType.HVM:
        c_info["hap"] = "True"
    c_info.update({"domid": 4294967295, "uuid": d.uuid, "run_hotplug_scripts": "True"})
    b_info: dict[str, JsonValue] = {
        "max_vcpus": d.max_vcpus,
        "avail_vcpus": [v.id for v in d.vcpus if d.available(v)],
        "max_memkb": d.static_max_kib,
        "target_memkb": d.target_kib + d.video_kib,
        "video_memkb": d.video_kib,
        "sched_params": _sched(d, sched),
        "claim_mode": "True",
    }
    if d.type is DomainType.HVM:
        b_info["type.hvm"] = {
            "vga": {},
            "vnc": {"enable": "True", "listen": "127.0.0.1"},
            "sdl": {},
            "spice": {},
            "serial": "pty",
            "boot": "dc",
            "rdm": {},
        }
    else:
        for key, val in (("kernel", d.kernel), ("cmdline", d.cmdline), ("ramdisk", d.ramdisk)):
            if val is not None:
                b_info[key] = val
        b_info["type." + d.type.value] = {}
    b_info["arch_arm"] = {}
    b_info["arch_x86"] = {"msr_relaxed": "False"}
    config: dict[str, JsonValue] = {"c_info": c_info, "b_info": b_info}
    disks: list[JsonValue] = []
    for k in d.disks:
        entry: dict[str, JsonValue] = {}
        if k.target:
            entry["pdev_path"] = k.target
        entry["vdev"] = k.vdev
        entry["format"] = "empty" if k.empty else k.format
        if k.mode == "w":
            entry["readwrite"] = 1
        if k.cdrom:
            entry["removable"] = 1
            entry["is_cdrom"] = 1
        entry["colo_restore_enable"] = "False"
        disks.append(entry)
    if disks:
        config["disks"] = disks
    nics: list[JsonValue] = []
    for n in d.nics:
        nic: dict[str, JsonValue] = {"devid": n.devid}
        if n.model:
            nic["model"] = n.model
        nic["mac"] = n.mac
        if n.ip:
            nic["ip"] = n.ip
        nic["bridge"] = n.bridge
        if n.vifname:
            nic["ifname"] = n.vifname
        if n.script != VIF_BRIDGE_SCRIPT:  # xl keeps a script only when the config named one
            nic["script"] = n.script
        nic["nictype"] = n.nictype
        nics.append(nic)
    if nics:
        config["nics"] = nics
    for key, val, default in (
        ("on_poweroff", d.on_poweroff, "destroy"),
        ("on_reboot", d.on_reboot, None),
        ("on_watchdog", d.on_watchdog, "destroy"),
        ("on_crash", d.on_crash, "destroy"),
        ("on_soft_reset", d.on_soft_reset, None),
    ):
        if val != default:
            config[key] = val
    return config


def render_list_long(domains: list[SimDomain], sched: str) -> str:
    entries: list[JsonValue] = []
    for d in domains:
        cfg = dom0_config(d, sched) if d.domid == 0 else guest_config(d, sched)
        entries.append({"domid": d.domid, "config": cfg})
    return yajl_beautify(entries) + "\n\n"
