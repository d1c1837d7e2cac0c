"""What XenStore says about domains and their split-driver devices.

Built from one ``xenstore-ls -f /local/domain`` dump (re-read only when a watch fires or
rarely): names, memory target and static max, online vCPUs, and for every vif and vbd both
ends' xenbus states, ring refs, event channels, queues and ring order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from collectors.model import Device, DeviceKind, HostId, XenbusState
from collectors.parse.common import is_uint
from collectors.parse.guard import parse_errors
from collectors.parse.xl_devices import devid_to_vdev

NETIF_RING_ENTRIES = 256  # TX and RX rings each hold 256 slots per page (ring.h maths)
BLKIF_RING_ENTRIES_PER_PAGE = 32  # 112-byte requests: 36 per page, rounded down to 2^n
MAX_RING_PAGE_ORDER = 16  # Linux allows 4 (XENBUS_MAX_RING_GRANT_ORDER); larger is garbage

# ids of at most 9 ASCII digits (domids are 16-bit, devids 32-bit at most): int() of what
# a host writes there can neither fail nor take long
_ID = r"([0-9]{1,9})"
_PATH = re.compile(rf"^/local/domain/{_ID}/(.*)$")
_FRONT = re.compile(rf"^device/(vif|vbd)/{_ID}(?:/(.*))?$")
_BACK = re.compile(rf"^backend/(vif|vbd|qdisk)/{_ID}/{_ID}(?:/(.*))?$")
_REF_KEY = re.compile(r"^(?:queue-([0-9]{1,9})/)?(tx-ring-ref|rx-ring-ref|ring-ref)([0-9]{0,9})$")
_EVTCHN_KEY = re.compile(r"^(?:queue-([0-9]{1,9})/)?event-channel(?:-tx|-rx)?$")
_VALUE_DIGITS = 20  # "%llu" at most: a longer value is garbage, not a number


# what a topology reads below /local/domain/<domid>/ (see topology_from_xenstore)
_READ_BELOW = ("name", "vm", "memory/target", "memory/static-max", "cpu",
               "device/vif", "device/vbd", "backend/vif", "backend/vbd", "backend/qdisk")
_WATCH_PATH = re.compile(r"^/local/domain(?:/([0-9]+)(?:/(.*?))?)?/?$")


def xenstore_change_matters(path: str) -> bool:
    """Whether a ``xenstore-watch`` event on ``path`` can change a Topology: a node it
    reads, or an ancestor of one (removing a subtree fires once, with the subtree's
    path). A guest agent's ``data/``, ``control/``, ``attr/`` writes and the like do not;
    any other shape is taken to matter."""
    m = _WATCH_PATH.match(path.strip())
    if m is None:
        return True
    rest = m.group(2)
    if not rest:
        return True
    return any(rest == r or rest.startswith(r + "/") or r.startswith(rest + "/")
               for r in _READ_BELOW)


@dataclass(frozen=True, slots=True)
class XsDomain:
    domid: int
    name: str | None
    mem_target_kib: int | None
    mem_static_max_kib: int | None
    vcpus_online: int | None
    vcpus_listed: int | None
    vm_path: str | None


@dataclass(frozen=True, slots=True)
class Topology:
    domains: Mapping[int, XsDomain]
    devices: tuple[Device, ...]

    def domid_of(self, name: str) -> int | None:
        for d in self.domains.values():
            if d.name == name:
                return d.domid
        return None


@parse_errors("XenStore")
def topology_from_xenstore(host: HostId, xs: Mapping[str, str]) -> Topology:
    per_dom: dict[int, dict[str, str]] = {}
    fronts: dict[tuple[int, str, int], dict[str, str]] = {}
    backs: dict[str, dict[str, str]] = {}  # backend dir path → keys
    for path, value in xs.items():
        m = _PATH.match(path)
        if not m:
            continue
        domid, rest = int(m.group(1)), m.group(2)
        per_dom.setdefault(domid, {})[rest] = value
        if rest.startswith("device/"):
            f = _FRONT.match(rest)
            if f:
                key = (domid, f.group(1), int(f.group(2)))
                fronts.setdefault(key, {})
                if f.group(3):
                    fronts[key][f.group(3)] = value
        elif rest.startswith("backend/"):
            b = _BACK.match(rest)
            if b:
                base = f"/local/domain/{domid}/backend/{b.group(1)}/{b.group(2)}/{b.group(3)}"
                backs.setdefault(base, {})
                if b.group(4):
                    backs[base][b.group(4)] = value

    domains = {d: _xs_domain(d, keys) for d, keys in per_dom.items()}
    devices: list[Device] = []
    for (domid, kind, devid), fe in sorted(fronts.items()):
        be_path = fe.get("backend")
        be = backs.get(be_path or "", {})
        devices.append(_device(host, domid, kind, devid, fe, be, be_path))
    return Topology(domains, tuple(devices))


def _xs_domain(domid: int, keys: Mapping[str, str]) -> XsDomain:
    listed = online = 0
    for k, v in keys.items():
        if k.startswith("cpu/") and k.endswith("/availability"):
            listed += 1
            online += v == "online"
    return XsDomain(
        domid=domid,
        name=keys.get("name"),
        mem_target_kib=_int(keys.get("memory/target")),
        mem_static_max_kib=_int(keys.get("memory/static-max")),
        vcpus_online=online if listed else None,
        vcpus_listed=listed or None,
        vm_path=keys.get("vm"),
    )


def _device(
    host: HostId,
    domid: int,
    kind: str,
    devid: int,
    fe: Mapping[str, str],
    be: Mapping[str, str],
    be_path: str | None,
) -> Device:
    refs: list[tuple[int, int, str, int]] = []
    evtchns: list[tuple[int, str, int]] = []
    for k, v in fe.items():
        r = _REF_KEY.match(k)
        if r and (n := _int(v)) is not None:
            refs.append((int(r.group(1) or 0), 0 if r.group(2) == "tx-ring-ref" else 1,
                         r.group(3), n))
            continue
        e = _EVTCHN_KEY.match(k)
        if e and (n := _int(v)) is not None:
            evtchns.append((int(e.group(1) or 0), k, n))
    refs.sort(key=lambda r: (r[0], r[1], int(r[2] or 0)))
    evtchns.sort()
    queues = _int(fe.get("multi-queue-num-queues"))
    if queues is None and refs:
        queues = 1
    backend_domid = _int(fe.get("backend-id"))
    if backend_domid is None and be_path:
        m = _PATH.match(be_path)
        backend_domid = int(m.group(1)) if m else None
    dkind = DeviceKind(kind)
    order: int | None = None
    size: int | None = None
    cdrom: bool | None = None
    if dkind is DeviceKind.VBD:
        device_type = be.get("device-type")
        cdrom = None if device_type is None else device_type.strip() == "cdrom"
        order_text = fe.get("ring-page-order")
        order = _int(order_text)
        if order is not None and order > MAX_RING_PAGE_ORDER:
            order = None  # (the guest writes it: 32 << 10**11 would be a 12 GB number)
        if order_text is None and refs:
            order = 0  # a single "ring-ref" means a one-page ring
        if order is not None:
            size = BLKIF_RING_ENTRIES_PER_PAGE << order
        name = be.get("dev") or _vdev_name(devid)
    else:
        if refs:
            size = NETIF_RING_ENTRIES
        name = be.get("vifname") or f"vif{domid}.{devid}"
    return Device(
        host=host,
        domid=domid,
        kind=dkind,
        devid=devid,
        backend_domid=backend_domid,
        frontend_state=XenbusState.from_text(fe.get("state")),
        backend_state=XenbusState.from_text(be.get("state")),
        ring_refs=tuple(r[3] for r in refs),
        event_channels=tuple(e[2] for e in evtchns),
        queues=queues,
        ring_page_order=order,
        ring_size=size,
        name=name,
        mac=be.get("mac") or fe.get("mac"),
        bridge=be.get("bridge"),
        target=be.get("params"),
        cdrom=cdrom,
        backend_path=be_path,
    )


def _vdev_name(devid: int) -> str | None:
    return devid_to_vdev(devid)


def _int(v: str | None) -> int | None:
    """A value libxl or a driver wrote with "%u"/"%d" (ASCII digits, no sign, no blanks:
    none of the values read is ever negative); None for anything else, as for a missing
    key (int() would read "١٢٨" as 128, "+7", " 7 ", "1_000", and fail on 5000 digits)."""
    if v is None or not is_uint(v) or len(v) > _VALUE_DIGITS:
        return None
    return int(v)
