"""Merge what the sources said into model objects, with rates from counter deltas.

Pure with respect to I/O: the poller hands in the latest parsed outputs and their times;
the merger keeps only the previous counters it needs for rates.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from collectors.model import (
    Device,
    DeviceKind,
    Dom0View,
    Domain,
    DomainState,
    HostId,
    NetIfCounters,
    RingStats,
    VCpu,
)
from collectors.parse.rings import RingDump, ring_stats
from collectors.parse.xentop import XentopDomain
from collectors.parse.xl_list import XlDomainConfig, XlListRow, state_from_xentop, state_from_xl
from collectors.parse.xl_vcpu import VcpuRow, vcpu_state
from collectors.rates import RateTracker, TupleRates
from collectors.topology import Topology

SECTOR = 512


@dataclass(frozen=True, slots=True)
class Inputs:
    """The newest parsed output of every source, and when it was read (epoch seconds)."""

    frame: Sequence[XentopDomain] | None = None
    frame_t: float | None = None
    frame_has_cpu_pct: bool = False  # False for the first frame of a stream (CPU(%) is 0.0)
    prev_frame_names: frozenset[str] = frozenset()
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


@dataclass(slots=True)
class Merger:
    host: HostId
    _dom_rates: TupleRates = field(default_factory=lambda: TupleRates(7))
    _static: dict[str, tuple[tuple[object, ...], dict[str, Any]]] = field(default_factory=dict)
    _dev_rates: RateTracker = field(default_factory=RateTracker)
    _if_rates: RateTracker = field(default_factory=RateTracker)
    _cpu_rates: RateTracker = field(default_factory=RateTracker)
    # inputs that change only at slow cadence: reuse the last result while they are the same
    _vcpu_memo: tuple[object, tuple[VCpu, ...]] | None = None
    _dev_memo: tuple[tuple[object, ...], tuple[Device, ...]] | None = None
    _dom0_memo: tuple[float, Dom0View] | None = None

    # --- domains -------------------------------------------------------------------

    def domains(self, inp: Inputs, now: float, host_mem_kib: int | None) -> tuple[Domain, ...]:
        by_name_xl = {r.name: r for r in inp.xl_rows or ()}
        out: list[Domain] = []
        seen: set[str] = set()
        if inp.frame is not None and inp.frame_t is not None:
            cut = _unique_prefixes(by_name_xl) if any(x.name_truncated for x in inp.frame) else {}
            for x in inp.frame:
                if x.name_truncated and x.name not in by_name_xl and x.name in cut:
                    x = replace(x, name=cut[x.name])  # xentop without -f cuts names to 10
                seen.add(x.name)
                out.append(self._from_xentop(x, inp, by_name_xl.get(x.name), now))
        for r in inp.xl_rows or ():
            if r.name not in seen:
                out.append(self._from_xl(r, inp, now, host_mem_kib))
        out.sort(key=_domid_order)
        keys = [d.name for d in out]
        self._dom_rates.retain(keys)
        self._cpu_rates.retain(keys)
        for gone in [n for n in self._static if n not in seen]:
            del self._static[gone]
        return tuple(out)

    def _from_xentop(
        self, x: XentopDomain, inp: Inputs, row: XlListRow | None, now: float
    ) -> Domain:
        assert inp.frame_t is not None
        domid = row.domid if row is not None else _topo_domid(inp.topology, x.name)
        state = _xentop_state(x.state)
        if row is not None and row.state and state.shutdown:
            xl_state = _xl_state(row.state)
            if xl_state.shutdown:
                state = replace(state, shutdown_reason=xl_state.shutdown_reason)
        net_tx, net_rx = _net_bytes(x)
        # keyed by name: xentop has no domid; a restart shows as counters going backwards
        r_tx, r_rx, r_oo, r_rd, r_wr, r_rs, r_ws = self._dom_rates.update(
            x.name, inp.frame_t,
            (net_tx, net_rx, x.vbd_oo, x.vbd_rd, x.vbd_wr, x.vbd_rsect, x.vbd_wsect),
        )
        cpu_pct = x.cpu_pct if inp.frame_has_cpu_pct and x.name in inp.prev_frame_names else None
        kw = self._static_fields(domid, x.name, row, inp)
        static_max = kw["mem_max_kib"]
        mem_max = x.maxmem_k if static_max is None and not x.maxmem_unlimited else static_max
        return Domain(
            host=self.host,
            domid=domid,
            name=x.name,
            uuid=kw["uuid"],
            type=kw["type"],
            state=state,
            cpu_time_s=float(x.cpu_s) if x.cpu_s is not None else None,
            cpu_pct=cpu_pct,
            mem_kib=x.mem_k,
            mem_target_kib=kw["mem_target_kib"],
            mem_max_kib=mem_max,
            mem_max_unlimited=x.maxmem_unlimited and static_max is None,
            mem_pct=x.mem_pct,
            vcpus_online=kw["vcpus_online"],
            vcpus_max=x.vcpus if x.vcpus is not None else kw["vcpus_max"],
            nets=x.nets,
            net_tx_bytes=net_tx,
            net_rx_bytes=net_rx,
            net_tx_rate=r_tx,
            net_rx_rate=r_rx,
            vbds=x.vbds,
            vbd_oo=x.vbd_oo,
            vbd_rd_reqs=x.vbd_rd,
            vbd_wr_reqs=x.vbd_wr,
            vbd_rd_sectors=x.vbd_rsect,
            vbd_wr_sectors=x.vbd_wsect,
            vbd_oo_rate=r_oo,
            vbd_rd_rate=r_rs * SECTOR if r_rs is not None else None,
            vbd_wr_rate=r_ws * SECTOR if r_ws is not None else None,
            vbd_rd_iops=r_rd,
            vbd_wr_iops=r_wr,
            ssid=x.ssid,
            uptime_s=_uptime(inp, domid, now),
        )

    def _static_fields(
        self, domid: int | None, name: str, row: XlListRow | None, inp: Inputs
    ) -> dict[str, Any]:
        """Fields from the slow sources, recomputed only when those sources changed."""
        key = (domid, row, inp.configs, inp.topology)
        memo = self._static.get(name)
        if memo is not None and all(a is b for a, b in zip(memo[0], key, strict=True)):
            return memo[1]
        fields = self._common(domid, name, row, inp, 0.0)
        self._static[name] = (key, fields)
        return fields

    def _from_xl(self, r: XlListRow, inp: Inputs, now: float, host_mem_kib: int | None) -> Domain:
        """A domain only ``xl list`` knows about (xentop unavailable, or not yet in a frame)."""
        cpu_pct: float | None = None
        if r.cpu_time_s is not None and inp.xl_t is not None and inp.frame is None:
            # without xentop, CPU % comes from xl's CPU time deltas
            rate = self._cpu_rates.update(r.name, inp.xl_t, {"cpu": r.cpu_time_s})
            cpu_pct = rate["cpu"] * 100.0 if rate["cpu"] is not None else None
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

    def vcpus(self, rows: Sequence[VcpuRow] | None) -> tuple[VCpu, ...]:
        if self._vcpu_memo is not None and self._vcpu_memo[0] is rows:
            return self._vcpu_memo[1]
        out = tuple(
            VCpu(
                host=self.host,
                domid=r.domid,
                domain=r.name,
                vcpu=r.vcpu,
                cpu=r.cpu,
                state=vcpu_state(r.state),
                time_s=r.cpu_time_s,
                hard=r.hard_affinity,
                soft=r.soft_affinity,
            )
            for r in rows or ()
        )
        self._vcpu_memo = (rows, out)
        return out

    # --- devices and rings -------------------------------------------------------------

    def devices(self, inp: Inputs, dom0: Dom0View | None) -> tuple[Device, ...]:
        if inp.topology is None:
            return ()
        key = (inp.topology, inp.rings, inp.rings_t, inp.rings_error, dom0)
        memo = self._dev_memo
        if memo is not None and all(a is b for a, b in zip(memo[0], key, strict=True)):
            return memo[1]
        ifaces = {i.name: i for i in dom0.interfaces} if dom0 else {}
        out: list[Device] = []
        for dev in inp.topology.devices:
            if dev.kind is DeviceKind.VIF:
                out.append(self._vif(dev, inp, ifaces))
            else:
                out.append(self._vbd(dev, inp))
        self._dev_rates.retain(d.key for d in out)
        self._dev_memo = (key, tuple(out))
        return self._dev_memo[1]

    def _vif(self, dev: Device, inp: Inputs, ifaces: Mapping[str, NetIfCounters]) -> Device:
        rings: tuple[RingStats, ...] = ()
        source: str | None
        if inp.rings is None:
            source = inp.rings_error or "netback debugfs not read yet"
        else:
            queues = inp.rings.netback.get((dev.domid, dev.devid))
            if queues is None:
                source = inp.rings_error or "no io_ring files for this vif in netback debugfs"
            else:
                path = f"/sys/kernel/debug/xen-netback/{dev.name}"
                rings = tuple(
                    s for q in queues for s in ring_stats(q, f"{path}/io_ring_q{q.queue}")
                )
                source = f"netback debugfs {path}"
        counters = ifaces.get(dev.name or "")
        if counters is None:
            return replace(dev, rings=rings, ring_source=source)
        return replace(
            dev,
            rings=rings,
            ring_source=source,
            rx_bytes=counters.rx_bytes,
            tx_bytes=counters.tx_bytes,
            rx_rate=counters.rx_rate,
            tx_rate=counters.tx_rate,
        )

    def _vbd(self, dev: Device, inp: Inputs) -> Device:
        source = "blkback exposes no ring indices (occupancy unknown); OO from statistics/"
        if inp.rings is None or inp.rings_t is None:
            return replace(dev, ring_source=source,
                           stats_source=inp.rings_error or "blkback statistics not read yet")
        stats = inp.rings.blkback.get((dev.domid, dev.devid))
        if stats is None:
            return replace(dev, ring_source=source,
                           stats_source="no blkback statistics for this vbd (qdisk/tapdisk?)")
        rates = self._dev_rates.update(dev.key, inp.rings_t, {"oo": stats.get("oo_req")})
        path = f"/sys/bus/xen-backend/devices/vbd-{dev.domid}-{dev.devid}/statistics"
        return replace(
            dev,
            ring_source=source,
            oo_req=stats.get("oo_req"),
            rd_req=stats.get("rd_req"),
            wr_req=stats.get("wr_req"),
            rd_sect=stats.get("rd_sect"),
            wr_sect=stats.get("wr_sect"),
            oo_rate=rates["oo"],
            stats_source=f"blkback {path}",
        )

    # --- Dom0 ------------------------------------------------------------------------

    def dom0(self, inp: Inputs) -> Dom0View | None:
        if inp.dom0_t is None:
            return None
        if self._dom0_memo is not None and self._dom0_memo[0] == inp.dom0_t:
            return self._dom0_memo[1]
        ifaces: list[NetIfCounters] = []
        for i in inp.dom0_ifaces or ():
            r = self._if_rates.update(i.name, inp.dom0_t, {"rx": i.rx_bytes, "tx": i.tx_bytes})
            ifaces.append(replace(i, rx_rate=r["rx"], tx_rate=r["tx"]))
        self._if_rates.retain(i.name for i in ifaces)
        view = Dom0View(load=inp.dom0_load, interfaces=tuple(ifaces), source=inp.dom0_source)
        self._dom0_memo = (inp.dom0_t, view)
        return view


def _unique_prefixes(names: Mapping[str, object]) -> dict[str, str]:
    """10-character prefix → full name, for the names whose prefix is unambiguous."""
    out: dict[str, str] = {}
    dup: set[str] = set()
    for n in names:
        p = n[:10]
        if p in out:
            dup.add(p)
        out[p] = n
    return {p: n for p, n in out.items() if p not in dup}


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

