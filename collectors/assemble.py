"""Merge what the sources said into model objects, with rates from counter deltas.

Pure with respect to I/O: the poller hands in the latest parsed outputs and their times;
the merger keeps only the previous counters it needs for rates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from collectors.model import (
    Device,
    DeviceKind,
    Dom0View,
    Domain,
    DomainState,
    DomainType,
    HostId,
    NetIfCounters,
    RingStats,
    VCpu,
)
from collectors.parse.records import constructor, updater
from collectors.parse.rings import RingDump, ring_stats
from collectors.parse.xentop import XentopDomain
from collectors.parse.xl_list import XlDomainConfig, XlListRow, state_from_xentop, state_from_xl
from collectors.parse.xl_vcpu import VcpuRow, vcpu_state
from collectors.rates import TupleRates
from collectors.topology import Topology

SECTOR = 512
NET_XENTOP = "xentop"
NET_DOM0 = "dom0 /proc/net/dev"

# (nets, net_tx_bytes, net_rx_bytes, net_tx_rate, net_rx_rate, net_source) of one domain
_DomNet = tuple[int, int | None, int | None, float | None, float | None, str]


@dataclass(frozen=True, slots=True)
class Inputs:
    """The newest parsed output of every source, and when it was read (epoch seconds)."""

    frame: Sequence[XentopDomain] | None = None
    frame_t: float | None = None
    frame_has_cpu_pct: bool = False  # False for the first frame of a stream (CPU(%) is 0.0)
    prev_frame_names: frozenset[str] = frozenset()  # see same_domains
    xl_rows: Sequence[XlListRow] | None = None
    xl_t: float | None = None
    configs: Mapping[int, XlDomainConfig] = field(default_factory=dict)
    topology: Topology | None = None
    uptimes: Mapping[int, tuple[float, float]] = field(default_factory=dict)  # domid → (s, t)
    vcpu_rows: Sequence[VcpuRow] | None = None
    rings: RingDump | None = None
    rings_t: float | None = None
    rings_error: str | None = None
    dom0_load: tuple[float, float, float] | None = None
    dom0_ifaces: Sequence[NetIfCounters] | None = None
    dom0_t: float | None = None
    dom0_source: str | None = None


class _Static(NamedTuple):
    """A domain's fields that only the slow sources (xl list, XenStore, configs) give."""

    domid: int | None
    uuid: str | None
    type: DomainType | None
    mem_target_kib: int | None
    mem_max_kib: int | None
    vcpus_online: int | None
    vcpus_max: int | None
    uptime: tuple[float, float] | None  # (xl uptime seconds, when read)


# (xl row, configs, topology, uptimes) the fields were computed from, and the fields
_StaticMemo = tuple[object, object, object, object, _Static]

_domain_from_xentop = constructor(Domain, (
    "host", "domid", "name", "uuid", "type", "state", "cpu_time_s", "cpu_pct", "mem_kib",
    "mem_target_kib", "mem_max_kib", "mem_max_unlimited", "mem_pct", "vcpus_online",
    "vcpus_max", "nets", "net_tx_bytes", "net_rx_bytes", "net_tx_rate", "net_rx_rate", "vbds",
    "vbd_oo", "vbd_rd_reqs", "vbd_wr_reqs", "vbd_rd_sectors", "vbd_wr_sectors", "vbd_oo_rate",
    "vbd_rd_rate", "vbd_wr_rate", "vbd_rd_iops", "vbd_wr_iops", "ssid", "uptime_s",
    "net_source",
))


@dataclass(slots=True)
class Merger:
    host: HostId
    _dom_rates: TupleRates = field(default_factory=lambda: TupleRates(7))
    _static: dict[str, _StaticMemo] = field(default_factory=dict)
    # xl list's rows → (by name, names led by blanks keyed without them: see domains)
    _xl_index: tuple[object, dict[str, XlListRow], dict[str, str]] | None = None
    _dev_rates: TupleRates = field(default_factory=lambda: TupleRates(1))
    _if_rates: TupleRates = field(default_factory=lambda: TupleRates(2))
    _cpu_rates: TupleRates = field(default_factory=lambda: TupleRates(1))
    _vcpu_rates: TupleRates = field(default_factory=lambda: TupleRates(1))
    _ring_memo: tuple[object, dict[tuple[int, int, str],
                                  tuple[tuple[RingStats, ...], str]]] = (None, {})
    # inputs that change only at slow cadence: reuse the last result while they are the same
    _vcpu_memo: tuple[object, tuple[VCpu, ...]] | None = None
    _dev_memo: tuple[tuple[object, ...], tuple[Device, ...]] | None = None
    _dom0_memo: tuple[float, Dom0View] | None = None
    # topology → {domid: its vifs' Dom0 interface names}
    _vif_names: tuple[object, dict[int, tuple[str, ...]]] | None = None
    # (Dom0 view, _vif_names map) → {domid: _DomNet}
    _dom0_net_memo: tuple[object, object, dict[int, _DomNet]] | None = None

    # --- domains -------------------------------------------------------------------

    def domains(self, inp: Inputs, now: float, host_mem_kib: int | None) -> tuple[Domain, ...]:
        rows = inp.xl_rows
        if self._xl_index is None or self._xl_index[0] is not rows:
            by_name = {r.name: r for r in rows or ()}
            self._xl_index = (rows, by_name, _blank_led(by_name))
        _, by_name_xl, blank_led = self._xl_index
        out: list[Domain] = []
        seen: set[str] = set()
        if inp.frame is not None and inp.frame_t is not None:
            frame = inp.frame
            if any(x.name_truncated for x in frame):
                cut = _unique_prefixes(by_name_xl)
                frame = [replace(x, name=cut[x.name])  # xentop without -f cuts names to 10
                         if x.name_truncated and x.name not in by_name_xl and x.name in cut
                         else x for x in frame]
            if blank_led:  # xentop right-aligns names: their leading blanks cannot show
                frame = [replace(x, name=blank_led[x.name])
                         if x.name in blank_led and x.name not in by_name_xl else x
                         for x in frame]
            self._from_frame(frame, inp, by_name_xl, now, out, seen)
        for r in rows or ():
            if r.name not in seen:
                out.append(self._from_xl(r, inp, now, host_mem_kib))
        out.sort(key=_domid_order)
        # every name in ``out`` was just updated, so a tracker no bigger has nothing to drop
        if len(self._dom_rates) > len(out) or len(self._cpu_rates) > len(out):
            keys = [d.name for d in out]
            self._dom_rates.retain(keys)
            self._cpu_rates.retain(keys)
        if len(self._static) > len(seen):
            for gone in [n for n in self._static if n not in seen]:
                del self._static[gone]
        return tuple(out)

    def _from_frame(self, frame: Sequence[XentopDomain], inp: Inputs,
                    by_name_xl: Mapping[str, XlListRow], now: float, out: list[Domain],
                    seen: set[str]) -> None:
        """A Domain for every xentop row (the per-tick hot loop: everything it can look
        up once is a local, and each row is one record construction)."""
        frame_t = inp.frame_t
        assert frame_t is not None
        configs, topology, uptimes = inp.configs, inp.topology, inp.uptimes
        prev_names = inp.prev_frame_names if inp.frame_has_cpu_pct else ()
        host = self.host
        statics = self._static
        get_row = by_name_xl.get
        update = self._dom_rates.update
        make = _domain_from_xentop
        state_of = _xentop_state
        vif_names = self._vifs_by_domid(topology)
        dom0_nets: dict[int, _DomNet] | None = None
        # xl list read after the frame (the re-poll right after an action): a domain it
        # no longer lists was destroyed, migrated or renamed since, not "running, no domid"
        listed_after = inp.xl_rows is not None and inp.xl_t is not None and inp.xl_t > frame_t
        for x in frame:
            name = x.name
            row = get_row(name)
            if row is None and listed_after and not x.name_truncated:
                continue
            seen.add(name)
            memo = statics.get(name)
            if (memo is None or memo[0] is not row or memo[1] is not configs
                    or memo[2] is not topology or memo[3] is not uptimes):
                memo = self._static_of(name, row, inp)
            domid, uuid, dtype, target, static_max, online, vmax, up = memo[4]
            state = state_of(x.state)
            if state.shutdown and row is not None and row.state:
                state = _shutdown_state(x.state, row.state)
            nets = x.nets
            dom_net: _DomNet | None = None
            if not nets and domid is not None and domid in vif_names:
                # xentop found no vifs (Open vSwitch) but XenStore lists some: Dom0's counters
                if dom0_nets is None:  # one map per Dom0 sample: the rates the Dom0 view shows
                    dom0_nets = self._dom0_nets(vif_names, self.dom0(inp))
                dom_net = dom0_nets[domid]
                nets, net_tx, net_rx = dom_net[0], dom_net[1], dom_net[2]
            elif x.networks:
                net_tx, net_rx = _net_bytes(x)
            else:
                k = x.nettx_k
                net_tx = k * 1024 if k is not None else None
                k = x.netrx_k
                net_rx = k * 1024 if k is not None else None
            oo, rd, wr, rsect, wsect = x.vbd_oo, x.vbd_rd, x.vbd_wr, x.vbd_rsect, x.vbd_wsect
            # keyed by name: xentop has no domid; a restart shows as counters going backwards
            r_tx, r_rx, r_oo, r_rd, r_wr, r_rs, r_ws = update(
                name, frame_t, (net_tx, net_rx, oo, rd, wr, rsect, wsect))
            net_src = NET_XENTOP
            if dom_net is not None:  # rates at Dom0's sample times, not xentop's
                r_tx, r_rx, net_src = dom_net[3], dom_net[4], dom_net[5]
            unlimited = x.maxmem_unlimited
            cpu: float | None = None
            if x.cpu_s is not None:
                cpu = float(x.cpu_s)
                # xentop's whole seconds after xl list's tenths (274 after 274.5, or after
                # 275.0: %8.1f rounds 274.96 up) are the same counter read coarser: CPU
                # time must not step back
                xl_cpu = row.cpu_time_s if row is not None else None
                if xl_cpu is not None and cpu < xl_cpu <= cpu + 1.0:
                    cpu = xl_cpu
            vcpus = x.vcpus
            out.append(make(
                host, domid, name, uuid, dtype, state, cpu,
                x.cpu_pct if name in prev_names else None,
                x.mem_k, target,
                # xentop's MAXMEM is the hypervisor's cap (target + 1 MiB slack for a
                # ballooning guest), not the static max that xl mem-set checks against
                static_max, unlimited and static_max is None, x.mem_pct,
                online, vcpus if vcpus is not None else vmax,
                nets, net_tx, net_rx, r_tx, r_rx,
                x.vbds, oo, rd, wr, rsect, wsect, r_oo,
                r_rs * SECTOR if r_rs is not None else None,
                r_ws * SECTOR if r_ws is not None else None,
                r_rd, r_wr, x.ssid,
                None if up is None else up[0] + (now - up[1] if now > up[1] else 0.0),
                net_src,
            ))

    def _vifs_by_domid(self, topology: Topology | None) -> dict[int, tuple[str, ...]]:
        """Each domain's vifs as Dom0 interface names (``vifname`` or ``vif<domid>.<devid>``)."""
        memo = self._vif_names
        if memo is None or memo[0] is not topology:
            names: dict[int, tuple[str, ...]] = {}
            for dev in topology.devices if topology is not None else ():
                if dev.kind is DeviceKind.VIF:
                    names[dev.domid] = (*names.get(dev.domid, ()), dev.interface_name)
            memo = self._vif_names = (topology, names)
        return memo[1]

    def _dom0_nets(self, vif_names: dict[int, tuple[str, ...]],
                   dom0: Dom0View | None) -> dict[int, _DomNet]:
        """Every domain's net numbers from Dom0's counters for its vifs (see _dom0_net),
        made once per Dom0 sample and topology."""
        memo = self._dom0_net_memo
        if memo is None or memo[0] is not dom0 or memo[1] is not vif_names:
            nets = {domid: _dom0_net(names, dom0) for domid, names in vif_names.items()}
            memo = self._dom0_net_memo = (dom0, vif_names, nets)
        return memo[2]

    def _static_of(self, name: str, row: XlListRow | None, inp: Inputs) -> _StaticMemo:
        """Fields from the slow sources, recomputed only when one of those sources changed."""
        domid = row.domid if row is not None else _topo_domid(inp.topology, name)
        c = self._common(domid, name, row, inp, 0.0)
        up = inp.uptimes.get(domid) if domid is not None else None
        static = _Static(domid, c["uuid"], c["type"], c["mem_target_kib"], c["mem_max_kib"],
                         c["vcpus_online"], c["vcpus_max"], up)
        memo = (row, inp.configs, inp.topology, inp.uptimes, static)
        self._static[name] = memo
        return memo

    def _from_xl(self, r: XlListRow, inp: Inputs, now: float, host_mem_kib: int | None) -> Domain:
        """A domain only ``xl list`` knows about (xentop unavailable, or not yet in a frame)."""
        cpu_pct: float | None = None
        if r.cpu_time_s is not None and inp.xl_t is not None and inp.frame is None:
            # without xentop, CPU % comes from xl's CPU time deltas
            (rate,) = self._cpu_rates.update(r.name, inp.xl_t, (r.cpu_time_s,))
            cpu_pct = _pct(rate)
        mem_kib = r.mem_mib * 1024 if r.mem_mib is not None else None
        mem_pct = (100.0 * mem_kib / host_mem_kib) if mem_kib is not None and host_mem_kib else None
        return Domain(
            state=_xl_state(r.state) if r.state else DomainState(),
            cpu_time_s=r.cpu_time_s,
            cpu_pct=cpu_pct,
            mem_kib=mem_kib,
            mem_pct=mem_pct,
            **self._common(r.domid, r.name, r, inp, now),
        )

    def _common(
        self, domid: int | None, name: str, row: XlListRow | None, inp: Inputs, now: float
    ) -> dict[str, Any]:
        """The fields every source agrees on: identity, memory target/max, vCPUs, uptime."""
        cfg = inp.configs.get(domid) if domid is not None else None
        xs = inp.topology.domains.get(domid) if inp.topology and domid is not None else None
        target = xs.mem_target_kib if xs else None
        if target is None and cfg is not None:
            target = cfg.target_memkb
        mem_max = xs.mem_static_max_kib if xs else None
        if mem_max is None and cfg is not None:
            mem_max = cfg.max_memkb
        online = row.vcpus if row is not None else None
        if online is None and xs is not None:
            online = xs.vcpus_online
        return {
            "host": self.host,
            "domid": domid,
            "name": name,
            "uuid": (row.uuid if row is not None else None) or (cfg.uuid if cfg else None),
            "type": cfg.type if cfg is not None else None,
            "mem_target_kib": target,
            "mem_max_kib": mem_max,
            "vcpus_online": online,
            "vcpus_max": cfg.max_vcpus if cfg is not None else None,
            "uptime_s": _uptime(inp, domid, now),
        }

    # --- vCPUs -----------------------------------------------------------------------

    def vcpus(self, rows: Sequence[VcpuRow] | None, t: float | None = None) -> tuple[VCpu, ...]:
        """The vCPUs of a vcpu-list read at time ``t`` (monotonic), each with its CPU % over
        the time since the read before (None for the first read, a new domid, or a
        counter that went backwards)."""
        if self._vcpu_memo is not None and self._vcpu_memo[0] is rows:
            return self._vcpu_memo[1]
        update = self._vcpu_rates.update
        out = tuple(
            VCpu(
                host=self.host,
                domid=r.domid,
                domain=r.name,
                vcpu=r.vcpu,
                cpu=r.cpu,
                state=vcpu_state(r.state) if r.state is not None else None,
                time_s=r.cpu_time_s,
                hard=r.hard_affinity,
                soft=r.soft_affinity,
                cpu_pct=_pct(update((r.domid, r.vcpu), t, (r.cpu_time_s,))[0])
                if t is not None else None,
            )
            for r in rows or ()
            if r.domid is not None  # xm's inactive domains: no vCPU runs
        )
        if len(self._vcpu_rates) > len(out):
            self._vcpu_rates.retain((v.domid, v.vcpu) for v in out)
        self._vcpu_memo = (rows, out)
        return out

    # --- devices and rings -------------------------------------------------------------

    def devices(self, inp: Inputs) -> tuple[Device, ...]:
        """Every vif and vbd with its rings (a vif's traffic is its Dom0 interface's: see
        HostSnapshot.vif_counters); the same tuple until XenStore or the rings change."""
        if inp.topology is None:
            return ()
        key = (inp.topology, inp.rings, inp.rings_t, inp.rings_error)
        memo = self._dev_memo
        if memo is not None and all(a is b for a, b in zip(memo[0], key, strict=True)):
            return memo[1]
        if self._ring_memo[0] is not inp.rings:
            self._ring_memo = (inp.rings, {})
        out = tuple(self._vif(dev, inp) if dev.kind is DeviceKind.VIF else self._vbd(dev, inp)
                    for dev in inp.topology.devices)
        if len(self._dev_rates) > len(out):
            self._dev_rates.retain(d.key for d in out)
        self._dev_memo = (key, out)
        return out

    def _vif(self, dev: Device, inp: Inputs) -> Device:
        rings: tuple[RingStats, ...] = ()
        source: str | None
        if inp.rings is None:
            source = inp.rings_error or "netback debugfs not read yet"
        else:
            # the directory is the interface's name when netback connected: its vifname
            # once the hotplug script renamed it, else vif<domid>.<devid>
            directory = dev.interface_name
            queues = inp.rings.netback_named.get(directory)
            if queues is None:
                directory = f"vif{dev.domid}.{dev.devid}"
                queues = inp.rings.netback.get((dev.domid, dev.devid))
            if queues is None:
                source = inp.rings_error or "no io_ring files for this vif in netback debugfs"
            else:
                cache = self._ring_memo[1]
                key = (dev.domid, dev.devid, dev.name or "")
                cached = cache.get(key)
                if cached is None:  # the same rings for every re-merge until the next read
                    path = f"/sys/kernel/debug/xen-netback/{directory}"
                    cached = cache[key] = (tuple(
                        s for q in queues for s in ring_stats(q, f"{path}/io_ring_q{q.queue}")),
                        f"netback debugfs {path}")
                rings, source = cached
        return _with_rings(dev, rings, source)

    def _vbd(self, dev: Device, inp: Inputs) -> Device:
        if inp.rings is None or inp.rings_t is None:
            return _with_vbd_source(dev, _VBD_RING_SOURCE,
                                    inp.rings_error or "blkback statistics not read yet")
        stats = inp.rings.blkback.get((dev.domid, dev.devid))
        if stats is None:
            return _with_vbd_source(dev, _VBD_RING_SOURCE,
                                    "no blkback statistics for this vbd (qdisk/tapdisk?)")
        oo = stats.get("oo_req")
        (oo_rate,) = self._dev_rates.update(dev.key, inp.rings_t, (oo,))
        path = f"/sys/bus/xen-backend/devices/vbd-{dev.domid}-{dev.devid}/statistics"
        return _with_vbd_stats(dev, _VBD_RING_SOURCE, oo, stats.get("rd_req"),
                               stats.get("wr_req"), stats.get("rd_sect"), stats.get("wr_sect"),
                               oo_rate, f"blkback {path}")

    # --- Dom0 ------------------------------------------------------------------------

    def dom0(self, inp: Inputs) -> Dom0View | None:
        if inp.dom0_t is None:
            return None
        if self._dom0_memo is not None and self._dom0_memo[0] == inp.dom0_t:
            return self._dom0_memo[1]
        ifaces: list[NetIfCounters] = []
        for i in inp.dom0_ifaces or ():
            rx, tx = self._if_rates.update(i.name, inp.dom0_t, (i.rx_bytes, i.tx_bytes))
            ifaces.append(_with_if_rates(i, rx, tx))
        if len(self._if_rates) > len(ifaces):
            self._if_rates.retain(i.name for i in ifaces)
        view = Dom0View(load=inp.dom0_load, interfaces=tuple(ifaces), source=inp.dom0_source)
        self._dom0_memo = (inp.dom0_t, view)
        return view


_VBD_RING_SOURCE = "blkback exposes no ring indices (occupancy unknown); OO from statistics/"
_with_rings = updater(Device, ("rings", "ring_source"))
_with_vbd_source = updater(Device, ("ring_source", "stats_source"))
_with_vbd_stats = updater(Device, ("ring_source", "oo_req", "rd_req", "wr_req", "rd_sect",
                                   "wr_sect", "oo_rate", "stats_source"))
_with_if_rates = updater(NetIfCounters, ("rx_rate", "tx_rate"))


def _dom0_net(names: tuple[str, ...], dom0: Dom0View | None) -> _DomNet:
    """A domain's net numbers from Dom0's counters for its vifs, meaning what xentop's
    mean on a Linux-bridge host: xentop's NETTX/NETRX are the sums of the vifs' Dom0-side
    Transmit/Receive bytes (checked on the lab: ``xentop -n`` prints /proc/net/dev's
    columns as they are), so net_tx = Σ Dom0 tx_bytes (sent *to* the guest) and
    net_rx = Σ Dom0 rx_bytes (sent *by* the guest). All vifs or nothing: a sum missing
    one vif would look like a real, smaller number."""
    if dom0 is None:
        return (len(names), None, None, None, None, f"{NET_DOM0} not read yet")
    by_name = dom0.interface
    if len(names) == 1:  # most domains: one vif, its counters as they are
        c = by_name(names[0])
        if c is not None:
            return (1, c.tx_bytes, c.rx_bytes, c.tx_rate, c.rx_rate, NET_DOM0)
    counters = [by_name(n) for n in names]
    missing = [n for n, c in zip(names, counters, strict=True) if c is None]
    if missing:
        return (len(names), None, None, None, None,
                f"{NET_DOM0}: no counters for {', '.join(missing)}")
    have = [c for c in counters if c is not None]
    tx_rates = [c.tx_rate for c in have]
    rx_rates = [c.rx_rate for c in have]
    # a vif's first sample or restart (counter backwards) has no rate: nor has the sum
    return (len(names), sum(c.tx_bytes for c in have), sum(c.rx_bytes for c in have),
            None if None in tx_rates else sum(r for r in tx_rates if r is not None),
            None if None in rx_rates else sum(r for r in rx_rates if r is not None),
            NET_DOM0)


def same_domains(prev: Sequence[XentopDomain], frame: Sequence[XentopDomain]
                 ) -> frozenset[str]:
    """Names in both frames whose CPU(sec) did not go backwards: xentop's CPU(%) of them
    compares one domain. A domain restarted between the frames (a new domid under the
    name) has no previous sample for xentop, which prints 0.0 for it: not a measurement."""
    before = {x.name: x.cpu_s for x in prev}
    get = before.get
    return frozenset([x.name for x in frame if x.name in before
                      and (x.cpu_s is None or (get(x.name) or 0) <= x.cpu_s)])


def _unique_prefixes(names: Iterable[str]) -> dict[str, str]:
    """Each name as a xentop without ``-f`` shows it → the full name, for the names whose
    cut is unambiguous. ``%10.10s`` cuts at 10 bytes (a UTF-8 character may be split: the
    line's decoding turns its half into U+FFFD) and the parser strips the field's blanks."""
    return _unambiguous(
        (n.encode("utf-8", "surrogatepass")[:10].decode("utf-8", "replace").strip(), n)
        for n in names)


def _blank_led(names: Iterable[str]) -> dict[str, str]:
    """Names starting with a blank (xl list prints them from column 0) keyed as xentop
    shows them, without it, where that is unambiguous."""
    return _unambiguous((n.lstrip(), n) for n in names if n[:1].isspace())


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(shown, name) pairs → {shown: name} without the shown forms of two names."""
    out: dict[str, str] = {}
    dup: set[str] = set()
    for shown, name in pairs:
        if shown in out:
            dup.add(shown)
        out[shown] = name
    return {s: n for s, n in out.items() if s not in dup}


def _uptime(inp: Inputs, domid: int | None, now: float) -> float | None:
    """``xl uptime`` as last read, advanced by the time since then."""
    if domid is None or domid not in inp.uptimes:
        return None
    up, t = inp.uptimes[domid]
    return up + max(0.0, now - t)


@functools.lru_cache(maxsize=256)
def _xentop_state(flags: str) -> DomainState:
    return state_from_xentop(flags)


@functools.lru_cache(maxsize=256)
def _xl_state(flags: str) -> DomainState:
    return state_from_xl(flags)


@functools.lru_cache(maxsize=256)
def _shutdown_state(xentop_flags: str, xl_flags: str) -> DomainState:
    """xentop's state with the shutdown reason only ``xl list`` gives."""
    state = _xentop_state(xentop_flags)
    xl_state = _xl_state(xl_flags)
    if xl_state.shutdown:
        state = replace(state, shutdown_reason=xl_state.shutdown_reason)
    return state


def _domid_order(d: Domain) -> tuple[bool, int, str]:
    return (d.domid is None, d.domid or 0, d.name)


def _topo_domid(topo: Topology | None, name: str) -> int | None:
    return topo.domid_of(name) if topo is not None else None


def _net_bytes(x: XentopDomain) -> tuple[int | None, int | None]:
    """Dom0-side TX/RX bytes: exact from the -n lines when present, else KiB × 1024."""
    if x.networks and all(n.tx_bytes is not None and n.rx_bytes is not None for n in x.networks):
        sent = sum(n.tx_bytes or 0 for n in x.networks)
        return sent, sum(n.rx_bytes or 0 for n in x.networks)
    tx = x.nettx_k * 1024 if x.nettx_k is not None else None
    rx = x.netrx_k * 1024 if x.netrx_k is not None else None
    return tx, rx


def _pct(rate: float | None) -> float | None:
    """Seconds of CPU per second as a percentage of one pCPU."""
    return None if rate is None else rate * 100.0
