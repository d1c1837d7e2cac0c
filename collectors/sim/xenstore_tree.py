"""The XenStore tree a simulated host would hold, derived from its state.

Layout and key sets follow a real Xen 4.17 host (libxl, xen-blkback, xen-netback, Linux
frontends) as captured in the lab fixtures. The tree is a flat ``{path: value}`` dict;
:func:`ordered` gives oxenstored's order (children sorted by byte value at every level).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from collectors.model import DomainType
from collectors.sim.state import SimDisk, SimDomain, SimHost, SimNic

Tree = dict[str, str]
XENSTORED = "/usr/lib/xen-4.17/bin/oxenstored"


def build_tree(host: SimHost) -> Tree:
    t: Tree = {"/@introduceDomain": "", "/@releaseDomain": ""}
    guests = [d for d in host.sorted_domains() if d.domid != 0]
    dom0 = host.domains.get(0)
    _put(t, "/libxl", "")
    for d in guests:
        _libxl_nodes(t, d)
    _put(t, "/local/domain", "")
    _dom0_nodes(t, host, dom0, guests)
    for d in guests:
        _guest_nodes(t, host, d)
    _put(t, "/local/pool", "")
    for i, pool in enumerate(host.pools):
        _put(t, f"/local/pool/{i}/name", pool.name)
    _put(t, "/tool/xenstored", XENSTORED)
    _put(t, "/vm", "")
    for d in guests:
        _vm_nodes(t, d)
    return t


def ordered(tree: Tree) -> list[str]:
    """Paths in oxenstored's depth-first order (children sorted by byte value)."""
    return sorted(tree, key=_sort_key)


def _sort_key(path: str) -> tuple[bytes, ...]:
    return tuple(p.encode() for p in path.strip("/").split("/")) if path != "/" else ()


def children(tree: Tree, path: str) -> list[str] | None:
    """Names of a node's children (sorted), or None when the node does not exist."""
    path = normalise(path)
    if path != "/" and path not in tree:
        return None
    prefix = "/" if path == "/" else path + "/"
    names = {p[len(prefix) :].split("/", 1)[0] for p in tree if p.startswith(prefix)}
    names.discard("")
    return sorted(names, key=lambda n: n.encode())


def subtree(tree: Tree, path: str) -> Iterator[str]:
    """Every node strictly below ``path``, in order."""
    path = normalise(path)
    prefix = "/" if path == "/" else path + "/"
    yield from ordered({p: "" for p in tree if p.startswith(prefix) and p != path})


def normalise(path: str) -> str:
    if path in ("", "/"):
        return "/"
    if path.startswith("@"):
        return "/" + path
    return "/" + "/".join(p for p in path.split("/") if p)


def escape_value(value: str) -> str:
    """xenstore-read/ls escaping: printable ASCII as is, the rest as \\t \\n \\ooo \\xHH."""
    out: list[str] = []
    for b in value.encode("utf-8", errors="surrogateescape"):
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b < 0x08:
            out.append(f"\\{b:03o}")
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def diff_paths(old: Tree, new: Tree) -> list[str]:
    """Paths a watch would fire for when ``old`` becomes ``new`` (removed subtrees once)."""
    fired = [p for p in ordered(new) if old.get(p) != new[p]]
    removed = [p for p in ordered(old) if p not in new]
    tops: list[str] = []
    for p in removed:
        if not any(p.startswith(r + "/") for r in tops):
            tops.append(p)
    return fired + tops


def watch_matches(watched: str, path: str) -> bool:
    w = normalise(watched)
    if w.startswith("/@"):
        return path == w
    return w == "/" or path == w or path.startswith(w + "/")


# --- per-area node builders -------------------------------------------------------------


def _put(t: Tree, path: str, value: str) -> None:
    """Set a node and create its missing parents with empty values."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        t.setdefault("/" + "/".join(parts[:i]), "")
    t[path] = value


def _put_all(t: Tree, base: str, items: Iterable[tuple[str, str]]) -> None:
    _put(t, base, t.get(base, ""))
    for k, v in items:
        _put(t, f"{base}/{k}", v)


def backend_path(kind: str, domid: int, devid: int) -> str:
    return f"/local/domain/0/backend/{kind}/{domid}/{devid}"


def frontend_path(kind: str, domid: int, devid: int) -> str:
    return f"/local/domain/{domid}/device/{kind}/{devid}"


def _libxl_nodes(t: Tree, d: SimDomain) -> None:
    base = f"/libxl/{d.domid}"
    _put(t, f"{base}/device", "")
    _put_all(t, f"{base}/device/console/0", _console_common(d, with_backend=True))
    for disk in d.disks:
        fe = frontend_path("vbd", d.domid, disk.devid)
        items = [
            ("backend", backend_path(disk.backend_kind, d.domid, disk.devid)),
            ("bootable", "1"),
            ("dev", disk.vdev),
            ("device-type", "cdrom" if disk.cdrom else "disk"),
            ("discard-enable", "0" if disk.cdrom else "1"),
            ("frontend", fe),
            ("frontend-id", str(d.domid)),
            ("mode", disk.mode),
            ("online", "1"),
            ("params", _params(disk)),
            ("removable", "1" if disk.cdrom else "0"),
            ("script", "/etc/xen/scripts/block"),
            ("specification", "xen"),
            ("state", "1"),
            ("type", disk.backend_type),
        ]
        _put_all(t, f"{base}/device/vbd/{disk.devid}", items)
    for nic in d.nics:
        items = [
            ("backend", backend_path("vif", d.domid, nic.devid)),
            ("bridge", nic.bridge),
            ("frontend", frontend_path("vif", d.domid, nic.devid)),
            ("frontend-id", str(d.domid)),
            ("handle", str(nic.devid)),
            ("hotplug-status", ""),
            ("mac", nic.mac),
            ("online", "1"),
            ("script", nic.script),
            ("state", "1"),
            ("type", nic.nictype),
        ]
        items += _nic_options(nic)
        _put_all(t, f"{base}/device/vif/{nic.devid}", items)
    _put(t, f"{base}/dm-version", "qemu_xen")
    _put(t, f"{base}/type", d.type.value)


def _params(disk: SimDisk) -> str:
    return disk.target


def _nic_options(nic: SimNic) -> list[tuple[str, str]]:
    opts: list[tuple[str, str]] = []
    if nic.ip:
        opts.append(("ip", nic.ip))
    if nic.rate:
        opts.append(("rate", nic.rate))
    if nic.vifname:
        opts.append(("vifname", nic.vifname))
    if nic.model:
        opts.append(("model", nic.model))
    return opts


def _console_common(d: SimDomain, *, with_backend: bool) -> list[tuple[str, str]]:
    items = [
        ("frontend", f"/local/domain/{d.domid}/console"),
        ("frontend-id", str(d.domid)),
        ("online", "1"),
        ("protocol", "vt100"),
        ("state", "1"),
    ]
    if with_backend:
        items.insert(0, ("backend", f"/local/domain/0/backend/console/{d.domid}/0"))
    return items


def _dom0_nodes(t: Tree, host: SimHost, dom0: SimDomain | None, guests: list[SimDomain]) -> None:
    base = "/local/domain/0"
    _put(t, base, "")
    queues = str(max(1, dom0.online_vcpus if dom0 else 1))
    for d in guests:
        _put_all(t, f"{base}/backend/console/{d.domid}/0", _console_common(d, with_backend=False))
    for d in guests:
        for disk in d.disks:
            _put_all(t, backend_path(disk.backend_kind, d.domid, disk.devid),
                     _vbd_backend(d, disk, queues))
    for d in guests:
        for nic in d.nics:
            _put_all(t, backend_path("vif", d.domid, nic.devid), _vif_backend(d, nic, queues))
    for d in guests:
        if d.type is DomainType.HVM:
            _put(t, f"{base}/device-model/{d.domid}/state", "running")
    for k in ("feature-poweroff", "feature-reboot", "feature-suspend"):
        _put(t, f"{base}/control/{k}", "1")
    _put(t, f"{base}/domid", "0")
    if dom0 is not None:
        _put(t, f"{base}/memory/static-max", str(dom0.static_max_kib))
        _put(t, f"{base}/memory/target", str(dom0.target_kib))
        _put(t, f"{base}/name", dom0.name)


def _vbd_backend(d: SimDomain, disk: SimDisk, queues: str) -> list[tuple[str, str]]:
    fe = frontend_path("vbd", d.domid, disk.devid)
    connected = disk.backend_state == 4 and not disk.empty and disk.backend_type == "phy"
    items: list[tuple[str, str]] = [
        ("bootable", "1"),
        ("dev", disk.vdev),
        ("device-type", "cdrom" if disk.cdrom else "disk"),
    ]
    if connected:
        items += [
            ("discard-alignment", "0"),
            ("discard-enable", "0" if disk.cdrom else "1"),
            ("discard-granularity", "4096"),
            ("discard-secure", "0"),
            ("feature-barrier", "1"),
            ("feature-discard", "0" if disk.cdrom else "1"),
            ("feature-flush-cache", "1"),
            ("feature-max-indirect-segments", "256"),
            ("feature-persistent", "1"),
        ]
    else:
        items += [("discard-enable", "0" if disk.cdrom else "1")]
    items += [("frontend", fe), ("frontend-id", str(d.domid))]
    if connected:
        items += [("hotplug-status", "connected"), ("info", _vdisk_info(disk))]
        items += [("max-ring-page-order", str(disk.max_ring_page_order))]
    items += [("mode", disk.mode)]
    if connected:
        items += [("multi-queue-max-queues", queues), ("node", disk.node)]
    items += [("online", "1"), ("params", _params(disk))]
    if connected:
        items += [
            ("physical-device", disk.physical_device),
            ("physical-device-path", disk.node),
            ("physical-sector-size", "512"),
        ]
    items += [("removable", "1" if disk.cdrom else "0"), ("script", "/etc/xen/scripts/block")]
    if connected:
        items += [("sector-size", "512"), ("sectors", str(disk.sectors))]
    items += [
        ("specification", "xen"),
        ("state", str(disk.backend_state)),
        ("type", disk.backend_type),
    ]
    return items


def _vdisk_info(disk: SimDisk) -> str:
    info = 0
    if disk.cdrom:
        info |= 1 | 2
    if disk.mode == "r":
        info |= 4
    return str(info)


def _vif_backend(d: SimDomain, nic: SimNic, queues: str) -> list[tuple[str, str]]:
    items = [("bridge", nic.bridge)]
    if nic.backend_state >= 2:
        items += [
            (k, "1")
            for k in (
                "feature-ctrl-ring",
                "feature-dynamic-multicast-control",
                "feature-gso-tcpv4",
                "feature-gso-tcpv6",
                "feature-ipv6-csum-offload",
                "feature-multicast-control",
                "feature-rx-copy",
            )
        ]
        items += [("feature-rx-flip", "0")]
        items += [
            (k, "1")
            for k in ("feature-sg", "feature-split-event-channels", "feature-xdp-headroom")
        ]
    items += [
        ("frontend", frontend_path("vif", d.domid, nic.devid)),
        ("frontend-id", str(d.domid)),
        ("handle", str(nic.devid)),
        ("hotplug-status", nic.hotplug_status),
        ("mac", nic.mac),
    ]
    items += _nic_options(nic)
    if nic.backend_state >= 2:
        items += [("multi-queue-max-queues", queues)]
    items += [
        ("online", "1"),
        ("script", nic.script),
        ("state", str(nic.backend_state)),
        ("type", nic.nictype),
    ]
    return items


def _guest_nodes(t: Tree, host: SimHost, d: SimDomain) -> None:
    base = f"/local/domain/{d.domid}"
    _put(t, base, "")
    _put(t, f"{base}/attr", "")
    _put_all(
        t,
        f"{base}/console",
        [
            ("backend", f"/local/domain/0/backend/console/{d.domid}/0"),
            ("backend-id", "0"),
            ("limit", "1048576"),
            ("output", "pty"),
            ("port", "2"),
            ("ring-ref", str(d.console_ring_ref)),
            ("tty", d.console_tty),
            ("type", "xenconsoled"),
        ],
    )
    control: list[tuple[str, str]] = []
    if d.pv_drivers:
        control += [
            ("feature-poweroff", "1"),
            ("feature-reboot", "1"),
            ("feature-suspend", "1"),
            ("platform-feature-multiprocessor-suspend", "1"),
            ("platform-feature-xs_reset_watches", "1"),
        ]
    control += [("shutdown", d.pending or ""), ("sysrq", "")]
    _put_all(t, f"{base}/control", control)
    for v in d.vcpus:
        _put(t, f"{base}/cpu/{v.id}/availability", "online" if d.available(v) else "offline")
    _put(t, f"{base}/data", "")
    _put(t, f"{base}/device/suspend/event-channel", "")
    for disk in d.disks:
        _put_all(t, frontend_path("vbd", d.domid, disk.devid), _vbd_frontend(d, disk))
    for nic in d.nics:
        _put_all(t, frontend_path("vif", d.domid, nic.devid), _vif_frontend(d, nic))
    _put(t, f"{base}/domid", str(d.domid))
    _put(t, f"{base}/drivers", "")
    _put(t, f"{base}/error", "")
    _put(t, f"{base}/feature", "")
    _put(t, f"{base}/memory/static-max", str(d.static_max_kib))
    _put(t, f"{base}/memory/target", str(d.target_kib))
    _put(t, f"{base}/memory/videoram", str(d.video_kib))
    _put(t, f"{base}/name", d.name)
    _put(t, f"{base}/store/port", "1")
    _put(t, f"{base}/store/ring-ref", str(d.store_ring_ref))
    _put(t, f"{base}/vm", f"/vm/{d.uuid}")


def _vbd_frontend(d: SimDomain, disk: SimDisk) -> list[tuple[str, str]]:
    items = [
        ("backend", backend_path(disk.backend_kind, d.domid, disk.devid)),
        ("backend-id", "0"),
        ("device-type", "cdrom" if disk.cdrom else "disk"),
    ]
    connected = disk.frontend_state >= 3 and disk.queues
    if connected:
        items += [("feature-persistent", "1")]
        if len(disk.queues) > 1:
            items += [("multi-queue-num-queues", str(len(disk.queues)))]
        items += [("protocol", "x86_64-abi")]
        if len(disk.queues) > 1:
            for i, q in enumerate(disk.queues):
                items += _blk_ring_keys(f"queue-{i}/", q.evtchn, q.ring_ref, disk.ring_page_order)
        else:
            q = disk.queues[0]
            items += _blk_ring_keys("", q.evtchn, q.ring_ref, disk.ring_page_order)
        if disk.ring_page_order:  # blkfront writes it once, beside multi-queue-num-queues
            items += [("ring-page-order", str(disk.ring_page_order))]
    items += [
        ("state", str(disk.frontend_state)),
        ("trusted", "1"),
        ("virtual-device", str(disk.devid)),
    ]
    return sorted(items, key=lambda kv: kv[0].encode())


def _blk_ring_keys(prefix: str, evtchn: int, ref: int, order: int) -> list[tuple[str, str]]:
    items = [(f"{prefix}event-channel", str(evtchn))]
    if order:
        items += [(f"{prefix}ring-ref{i}", str(ref + i)) for i in range(1 << order)]
    else:
        items += [(f"{prefix}ring-ref", str(ref))]
    return items


def _vif_frontend(d: SimDomain, nic: SimNic) -> list[tuple[str, str]]:
    items = [
        ("backend", backend_path("vif", d.domid, nic.devid)),
        ("backend-id", "0"),
    ]
    connected = nic.frontend_state >= 3 and nic.queues
    if connected:
        items += [
            (k, "1")
            for k in (
                "feature-gso-tcpv4",
                "feature-gso-tcpv6",
                "feature-ipv6-csum-offload",
                "feature-rx-notify",
                "feature-sg",
            )
        ]
    items += [("handle", str(nic.devid)), ("mac", nic.mac), ("mtu", str(nic.mtu))]
    if connected:
        if len(nic.queues) > 1:
            items += [("multi-queue-num-queues", str(len(nic.queues)))]
            for i, q in enumerate(nic.queues):
                items += _net_ring_keys(f"queue-{i}/", q.evtchn_tx, q.evtchn_rx,
                                        q.tx_ring_ref, q.rx_ring_ref)
        else:
            q = nic.queues[0]
            items += _net_ring_keys("", q.evtchn_tx, q.evtchn_rx, q.tx_ring_ref, q.rx_ring_ref)
        items += [("request-rx-copy", "1")]
    items += [("state", str(nic.frontend_state)), ("trusted", "1")]
    if connected:
        items += [("xdp-headroom", "0")]
    return sorted(items, key=lambda kv: kv[0].encode())


def _net_ring_keys(
    prefix: str, ev_tx: int, ev_rx: int, tx_ref: int, rx_ref: int
) -> list[tuple[str, str]]:
    return [
        (f"{prefix}event-channel-rx", str(ev_rx)),
        (f"{prefix}event-channel-tx", str(ev_tx)),
        (f"{prefix}rx-ring-ref", str(rx_ref)),
        (f"{prefix}tx-ring-ref", str(tx_ref)),
    ]


def _vm_nodes(t: Tree, d: SimDomain) -> None:
    base = f"/vm/{d.uuid}"
    _put(t, base, "")
    image: list[tuple[str, str]] = []
    if d.cmdline is not None:
        image.append(("cmdline", d.cmdline))
    if d.kernel is not None:
        image.append(("kernel", d.kernel))
    image.append(("ostype", "hvm" if d.type is DomainType.HVM else "linux"))
    if d.ramdisk is not None:
        image.append(("ramdisk", d.ramdisk))
    _put_all(t, f"{base}/image", image)
    _put(t, f"{base}/name", d.name)
    _put(t, f"{base}/start_time", start_time_text(d.start_time))
    _put(t, f"{base}/uuid", d.uuid)


def start_time_text(t: float) -> str:
    """``/vm/<uuid>/start_time``: ``"%ld.%02d"`` seconds and centiseconds."""
    cs = int(round(t * 100))
    return f"{cs // 100}.{cs % 100:02d}"
