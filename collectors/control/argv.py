"""A checked request → the exact ``xl`` argv (a list of separate arguments, never a string).

Domains are named by **domid** when the snapshot knows it, by name otherwise. The domid is
exactly the domain the user saw and confirmed: if it is destroyed and re-created under the
same name between the snapshot and the action, the action fails instead of hitting the new
domain, and a name that is all digits or starts with ``-`` cannot be misread by xl. The
confirmation shows the name next to the command (``xl pause 3  # web1``).

Every value is its own argv element, so a hostile name or path reaches xl as one literal
argument (the SSH runner quotes each element with shlex.quote).
"""

from __future__ import annotations

from collections.abc import Callable

from collectors.control.requests import (
    BlockAttach,
    BlockDetach,
    CdEject,
    CdInsert,
    Console,
    Create,
    Destroy,
    MemMax,
    MemSet,
    Migrate,
    NetworkAttach,
    NetworkDetach,
    Pause,
    Reboot,
    Request,
    Restore,
    Save,
    SchedCredit,
    SchedCredit2,
    Shutdown,
    Unpause,
    VcpuPin,
    VcpuSet,
)

XL = "xl"


def build_argv(req: Request, target: str | None) -> tuple[str, ...]:
    """xl's argv for ``req``; ``target`` is the domain argument (domid or name)."""
    if isinstance(req, Create):
        return (XL, "create", *(["-p"] if req.paused else []), req.config_path)
    if isinstance(req, Restore):
        return (XL, "restore", *(["-p"] if req.paused else []), req.path)
    if target is None:
        raise ValueError(f"{req.verb} needs a domain")
    return (XL, req.verb, *_BUILDERS[type(req)](req, target))


def _flags(*pairs: tuple[bool, str]) -> list[str]:
    return [flag for on, flag in pairs if on]


def _plain(req: Request, t: str) -> list[str]:
    return [t]


def _save(req: Request, t: str) -> list[str]:
    assert isinstance(req, Save)
    return [*_flags((req.keep_running, "-c"), (req.leave_paused, "-p")), t, req.path]


def _migrate(req: Request, t: str) -> list[str]:
    assert isinstance(req, Migrate)
    return [*_flags((req.leave_paused, "-p")), t, req.destination.strip()]


def _size(req: Request, t: str) -> list[str]:
    assert isinstance(req, MemSet | MemMax)
    return [t, req.size.strip()]


def _vcpu_set(req: Request, t: str) -> list[str]:
    assert isinstance(req, VcpuSet)
    return [*_flags((req.ignore_host, "-i")), t, str(req.count)]


def _vcpu_pin(req: Request, t: str) -> list[str]:
    assert isinstance(req, VcpuPin)
    soft = [] if req.soft is None else [req.soft.strip()]
    return [*_flags((req.force, "-f"), (req.ignore_masks, "--ignore-global-affinity-masks")),
            t, str(req.vcpu), req.hard.strip(), *soft]


def vif_spec(req: NetworkAttach) -> list[str]:
    """The ``key=value`` arguments of network-attach, in xl's documented key order."""
    out = []
    for key in ("type", "mac", "bridge", "model", "vifname", "script", "backend", "rate",
                "gatewaydev"):
        value = getattr(req, key)
        if value is not None:
            out.append(f"{key}={value.strip()}")
    if req.ip:
        out.append("ip=" + " ".join(ip.strip() for ip in req.ip))
    if req.mtu is not None:
        out.append(f"mtu={req.mtu}")
    return out


def _net_attach(req: Request, t: str) -> list[str]:
    assert isinstance(req, NetworkAttach)
    return [t, *vif_spec(req)]


def _net_detach(req: Request, t: str) -> list[str]:
    assert isinstance(req, NetworkDetach)
    dev = req.device
    return [t, str(dev).strip().lower() if isinstance(dev, str) else str(dev)]


def disk_spec(req: BlockAttach) -> str:
    """xl-disk-configuration in keyed form, one argument; ``target=`` comes last (it takes
    the rest of the spec) and is left out for a CD drive with no media. A disk is xl's
    default devtype: left unsaid (4.17 takes ``devtype=disk``, not every xl does)."""
    parts = [f"format={req.format}", f"vdev={req.vdev.strip()}", f"access={req.access}"]
    if req.devtype is not None and req.devtype != "disk":
        parts.append(f"devtype={req.devtype}")
    for key in ("backendtype", "backend", "script"):
        value = getattr(req, key)
        if value is not None:
            parts.append(f"{key}={value}")
    if req.discard is not None:
        parts.append("discard" if req.discard else "no-discard")
    if req.direct_io_safe:
        parts.append("direct-io-safe")
    if req.target:
        parts.append(f"target={req.target}")
    return ",".join(parts)


def _block_attach(req: Request, t: str) -> list[str]:
    assert isinstance(req, BlockAttach)
    return [t, disk_spec(req)]


def _block_detach(req: Request, t: str) -> list[str]:
    assert isinstance(req, BlockDetach)
    return [*_flags((req.force, "-f")), t, req.vdev.strip()]


def _shutdown(req: Request, t: str) -> list[str]:
    assert isinstance(req, Shutdown)
    return [*_flags((req.wait or req.wait_death, "-w"), (req.wait_death, "-w"),
                    (req.force_acpi, "-F")), t]


def _reboot(req: Request, t: str) -> list[str]:
    assert isinstance(req, Reboot)
    return [*_flags((req.force_acpi, "-F")), t]


def _cd_insert(req: Request, t: str) -> list[str]:
    assert isinstance(req, CdInsert)
    return [t, req.vdev.strip(), req.target]


def _cd_eject(req: Request, t: str) -> list[str]:
    assert isinstance(req, CdEject)
    return [t, req.vdev.strip()]


def _console(req: Request, t: str) -> list[str]:
    assert isinstance(req, Console)
    kind = [] if req.type is None else ["-t", req.type]
    num = [] if req.num is None else ["-n", str(req.num)]
    return [*kind, *num, t]


def _sched(req: Request, t: str) -> list[str]:
    assert isinstance(req, SchedCredit)
    weight = [] if req.weight is None else ["-w", str(req.weight)]
    cap = [] if req.cap is None else ["-c", str(req.cap)]
    return ["-d", t, *weight, *cap]


_BUILDERS: dict[type, Callable[[Request, str], list[str]]] = {
    Pause: _plain,
    Unpause: _plain,
    Destroy: _plain,
    Console: _console,
    Save: _save,
    Migrate: _migrate,
    MemSet: _size,
    MemMax: _size,
    VcpuSet: _vcpu_set,
    VcpuPin: _vcpu_pin,
    NetworkAttach: _net_attach,
    NetworkDetach: _net_detach,
    BlockAttach: _block_attach,
    BlockDetach: _block_detach,
    Shutdown: _shutdown,
    Reboot: _reboot,
    CdInsert: _cd_insert,
    CdEject: _cd_eject,
    SchedCredit: _sched,
    SchedCredit2: _sched,
}
