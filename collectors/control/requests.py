"""Typed control requests: one frozen dataclass per ``xl`` verb.

Every request names its host and (except ``create``/``restore``) its domain, by name or
domid as the user picked it. Values are kept as the user typed them (``"512m"``,
``"0-3,^2"``); :mod:`collectors.control.validate` checks them and
:mod:`collectors.control.argv` turns a checked request into xl's argv.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from collectors.model import HostId

DomainRef = str | int
"""A domain as the user named it: its name, or its domid."""


@dataclass(frozen=True, slots=True)
class _OnDomain:
    host: HostId
    domain: DomainRef
    verb: ClassVar[str] = ""
    dom0_ok: ClassVar[bool] = False  # xl accepts Domain-0 for this verb


@dataclass(frozen=True, slots=True)
class Pause(_OnDomain):
    verb: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Unpause(_OnDomain):
    verb: ClassVar[str] = "unpause"


@dataclass(frozen=True, slots=True)
class Save(_OnDomain):
    """``xl save [-c] [-p] DOMAIN PATH``: without ``-c`` or ``-p`` the domain is destroyed."""

    path: str
    keep_running: bool = True  # -c
    leave_paused: bool = False  # -p
    overwrite: bool = False  # the user confirmed replacing an existing file
    verb: ClassVar[str] = "save"


@dataclass(frozen=True, slots=True)
class Migrate(_OnDomain):
    """``xl migrate [-p] DOMAIN HOST``: xl runs ``ssh HOST xl migrate-receive`` on this Dom0
    (through ``sh -c``: HOST is checked strictly), sends the running domain over it, and
    destroys it here once it runs there. This Dom0 must be able to ssh to HOST as root."""

    destination: str
    leave_paused: bool = False  # -p: not unpaused at the destination
    to_production: bool = False  # the destination is a host marked production
    destination_free_kib: int | None = None  # its free memory, when the fleet knows it
    verb: ClassVar[str] = "migrate"


@dataclass(frozen=True, slots=True)
class Restore:
    """``xl restore [-p] PATH``; ``domain`` is only a label (the file names the domain)."""

    host: HostId
    path: str
    paused: bool = False
    domain: DomainRef | None = None
    verb: ClassVar[str] = "restore"
    dom0_ok: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class MemSet(_OnDomain):
    size: str  # xl syntax: integer with optional b/k/m/g/t suffix, MiB by default
    verb: ClassVar[str] = "mem-set"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class MemMax(_OnDomain):
    size: str
    verb: ClassVar[str] = "mem-max"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class VcpuSet(_OnDomain):
    count: int
    ignore_host: bool = False  # -i: allow more vCPUs than the host has pCPUs
    verb: ClassVar[str] = "vcpu-set"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class VcpuPin(_OnDomain):
    """``xl vcpu-pin [-f] [--ignore-global-affinity-masks] DOMAIN VCPU HARD [SOFT]``; ``-``
    leaves an affinity unchanged."""

    vcpu: int | Literal["all"]
    hard: str
    soft: str | None = None
    force: bool = False
    ignore_masks: bool = False  # pin outside the cpupool's / global masks
    verb: ClassVar[str] = "vcpu-pin"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class NetworkAttach(_OnDomain):
    """``xl network-attach DOMAIN key=value...`` (the keys of a ``vif=`` spec)."""

    bridge: str | None = None  # None: xl.conf's default_bridge (xenbr0 unless set)
    mac: str | None = None
    model: str | None = None
    rate: str | None = None
    ip: tuple[str, ...] = ()
    vifname: str | None = None
    script: str | None = None
    type: str | None = None  # vif or ioemu
    mtu: int | None = None
    backend: str | None = None  # the driver domain (name or domid); None: Domain-0
    gatewaydev: str | None = None  # vif-nat/vif-route: Dom0's outgoing interface
    verb: ClassVar[str] = "network-attach"


@dataclass(frozen=True, slots=True)
class NetworkDetach(_OnDomain):
    device: int | str  # devid, or the vif's MAC address
    verb: ClassVar[str] = "network-detach"


@dataclass(frozen=True, slots=True)
class BlockAttach(_OnDomain):
    """``xl block-attach DOMAIN format=F,vdev=V,access=A[,devtype=D][,...],target=T``
    (xl-disk-configuration(5)); an empty ``target`` with format ``empty`` is a CD drive
    with no media."""

    target: str
    vdev: str
    format: str = "raw"  # raw qcow qcow2 vhd qed, or empty (a CD drive with no media)
    access: str = "rw"  # a CD drive is read-only whatever this says (xl forces it)
    devtype: str | None = None  # disk or cdrom
    script: str | None = None  # the target is not a host path: this block script resolves it
    backend: str | None = None  # the driver domain serving the disk (Domain-0 if None)
    backendtype: str | None = None  # phy qdisk tap standalone (None: libxl picks)
    discard: bool | None = None  # discard / no-discard (None: the backend's default)
    direct_io_safe: bool = False
    verb: ClassVar[str] = "block-attach"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class BlockDetach(_OnDomain):
    vdev: str  # xvdb, or its number
    force: bool = False
    verb: ClassVar[str] = "block-detach"
    dom0_ok: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Shutdown(_OnDomain):
    wait: bool = False  # -w: until it has shut down (or died)
    force_acpi: bool = False  # -F: fall back to an ACPI power event (HVM without PV drivers)
    wait_death: bool = False  # -ww: until it is gone (on_poweroff=preserve keeps it shut down)
    verb: ClassVar[str] = "shutdown"


@dataclass(frozen=True, slots=True)
class Reboot(_OnDomain):
    force_acpi: bool = False
    verb: ClassVar[str] = "reboot"


@dataclass(frozen=True, slots=True)
class Destroy(_OnDomain):
    verb: ClassVar[str] = "destroy"


@dataclass(frozen=True, slots=True)
class Create:
    """``xl create [-p] CONFIG``; ``domain`` is only a label (the file names the domain)."""

    host: HostId
    config_path: str
    paused: bool = False
    domain: DomainRef | None = None
    verb: ClassVar[str] = "create"
    dom0_ok: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class CdInsert(_OnDomain):
    vdev: str
    target: str
    verb: ClassVar[str] = "cd-insert"


@dataclass(frozen=True, slots=True)
class CdEject(_OnDomain):
    vdev: str
    verb: ClassVar[str] = "cd-eject"


@dataclass(frozen=True, slots=True)
class SchedCredit(_OnDomain):
    """``xl sched-credit -d DOMAIN [-w WEIGHT] [-c CAP]``: a relative CPU share, and a
    ceiling in % of one pCPU (0: none). None leaves a parameter as it is."""

    weight: int | None = None
    cap: int | None = None
    verb: ClassVar[str] = "sched-credit"
    dom0_ok: ClassVar[bool] = True
    scheduler: ClassVar[str] = "credit"


@dataclass(frozen=True, slots=True)
class SchedCredit2(SchedCredit):
    """``xl sched-credit2``: the same two parameters under the credit2 scheduler."""

    verb: ClassVar[str] = "sched-credit2"
    scheduler: ClassVar[str] = "credit2"


SCHED_REQUESTS: dict[str, type[SchedCredit]] = {"credit": SchedCredit, "credit2": SchedCredit2}
"""The weight/cap request for a host's scheduler (``xl info``'s xen_scheduler)."""


@dataclass(frozen=True, slots=True)
class Console(_OnDomain):
    """``xl console [-t pv|serial|vuart] [-n NUM] DOMAIN``: not run by the seam but by
    :mod:`collectors.console`. The type defaults to the guest's own (pv for a PV guest,
    the emulated serial port for HVM), the number to 0."""

    verb: ClassVar[str] = "console"
    type: Literal["pv", "serial", "vuart"] | None = None
    num: int | None = None


Request = (
    Pause | Unpause | Save | Migrate | Restore | MemSet | MemMax | VcpuSet | VcpuPin | NetworkAttach
    | NetworkDetach | BlockAttach | BlockDetach | Shutdown | Reboot | Destroy | Create
    | CdInsert | CdEject | SchedCredit | Console
)

NO_DOMAIN_VERBS = frozenset({"create", "restore"})
"""Verbs that act on a file, not on an existing domain."""

LONG_VERBS = frozenset({"save", "restore", "migrate"})
"""Verbs that may run for minutes: streamed, with progress, without a command timeout."""
