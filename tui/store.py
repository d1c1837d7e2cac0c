"""The single source of truth of the dashboard: the newest snapshot of every host, and a
bounded history per domain that keeps growing whether or not a view shows it.

Views read from here; no widget ever talks to a collector. History is kept in compact
ring buffers (``array``: 4 bytes a value, 8 a timestamp) rather than deques of floats,
so 5,000 domains × 300 samples cost ~50 MB instead of ~300 MB. Unknown values are NaN
in the buffers and ``None`` in the snapshots, never 0.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from collectors.config import HostConfig
from collectors.model import Domain, HostId, HostSnapshot, HostStatus

NAN = math.nan
DEFAULT_HISTORY = 300

DomainKey = tuple[HostId, str, int | None]
"""(host, name, None) — or (host, name, domid) when a host shows two domains of one name."""

# Series kept per domain: name → Domain attribute.
SERIES: Mapping[str, str] = {
    "cpu_pct": "cpu_pct",
    "mem_kib": "mem_kib",
    "net_tx_rate": "net_tx_rate",  # Dom0 TX = received by the guest
    "net_rx_rate": "net_rx_rate",  # Dom0 RX = sent by the guest
    "vbd_rd_rate": "vbd_rd_rate",
    "vbd_wr_rate": "vbd_wr_rate",
}


class DomainHistory:
    """Samples of one domain: a ring of times and, alongside, one value per :data:`SERIES`.

    One shared write position for all series keeps an append to a handful of array stores
    (5,000 domains a second cost ~10 ms).
    """

    __slots__ = ("_times", "_values", "_start", "_len", "appended")

    _ATTRS = tuple(SERIES.values())
    _INDEX = {name: i for i, name in enumerate(SERIES)}
    _GET = attrgetter(*_ATTRS)  # one C call reads every series' value of a Domain
    # a domain with no vif (no vbd) has no network (disk) rate: unknown, not 0 B/s (as
    # in the Domains table)
    _NET = (_INDEX["net_tx_rate"], _INDEX["net_rx_rate"])
    _DISK = (_INDEX["vbd_rd_rate"], _INDEX["vbd_wr_rate"])

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._times = array("d", [NAN]) * capacity
        self._values = array("f", [NAN]) * (capacity * len(SERIES))
        self._start = 0
        self._len = 0
        self.appended = 0  # samples ever taken: views compare it to know the ring changed

    @property
    def capacity(self) -> int:
        return len(self._times)

    def append(self, t: float, d: Domain) -> bool:
        cap = len(self._times)
        if self._len:
            last = self._times[(self._start + self._len - 1) % cap]
            if t <= last:
                return False  # the same data again (a stale host): not a new sample
        if self._len < cap:
            pos = (self._start + self._len) % cap
            self._len += 1
        else:
            pos = self._start
            self._start = (self._start + 1) % cap
        self._times[pos] = t
        self.appended += 1
        i = base = pos * len(self._ATTRS)
        vals = self._values
        for v in self._GET(d):
            vals[i] = NAN if v is None else v
            i += 1
        if d.nets == 0:
            for j in self._NET:
                vals[base + j] = NAN
        if d.vbds == 0:
            for j in self._DISK:
                vals[base + j] = NAN
        return True

    def _positions(self, n: int | None) -> list[int]:
        count = self._len if n is None else max(0, min(n, self._len))
        cap = len(self._times)
        first = self._start + self._len - count
        return [(first + i) % cap for i in range(count)]

    def times(self, n: int | None = None) -> list[float]:
        return [self._times[p] for p in self._positions(n)]

    def series(self, name: str, n: int | None = None) -> list[float]:
        """The newest ``n`` values of a series (all by default), oldest first; NaN unknown."""
        i = self._INDEX[name]
        stride = len(self._ATTRS)
        vals = self._values
        return [vals[p * stride + i] for p in self._positions(n)]

    def __len__(self) -> int:
        return self._len


@dataclass(frozen=True, slots=True)
class HostTotals:
    pcpus: int | None
    vcpus: int
    # pCPU-equivalents used by the host's domains (Σ CPU% / 100); None until one has a CPU%
    # (xentop's first frame has none): not 0.0
    cpu_used: float | None
    mem_total_mib: int | None
    mem_free_mib: int | None
    states: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class FleetTotals:
    hosts: int
    hosts_by_status: Mapping[str, int]
    pcpus: int
    vcpus: int
    cpu_used: float | None  # None while a host whose pCPUs are counted has no CPU% yet
    mem_total_mib: int
    mem_free_mib: int
    domains: int
    states: Mapping[str, int] = field(default_factory=dict)
    info_hosts: int = 0  # hosts whose pCPUs and memory are known (in the sums above)

    @property
    def cpu_free(self) -> float | None:
        return None if self.cpu_used is None else max(0.0, self.pcpus - self.cpu_used)


def data_time(snap: HostSnapshot) -> float:
    """When the snapshot's domain data was read (snapshots repeat while a host is stale)."""
    return snap.time - (snap.data_age_s or 0.0)


def domain_keys(domains: Sequence[Domain]) -> list[DomainKey]:
    """Row/history keys for a host's domains; a repeated name also gets its domid."""
    seen: set[tuple[HostId, str]] = set()
    keys: list[DomainKey] = []
    for d in domains:
        base = (d.host, d.name)
        if base in seen:
            keys.append((d.host, d.name, d.domid))
        else:
            seen.add(base)
            keys.append((d.host, d.name, None))
    return keys


def host_totals(snap: HostSnapshot) -> HostTotals:
    states: dict[str, int] = {}
    vcpus = 0
    used: float | None = None
    for d in snap.domains:
        label = d.state.label
        states[label] = states.get(label, 0) + 1
        vcpus += d.vcpus_online or 0
        if d.cpu_pct is not None:
            used = (used or 0.0) + d.cpu_pct / 100.0
    info = snap.info
    return HostTotals(
        pcpus=info.nr_cpus if info else None,
        vcpus=vcpus,
        cpu_used=used,
        mem_total_mib=info.total_memory_mib if info else None,
        mem_free_mib=info.free_memory_mib if info else None,
        states=states,
    )


class FleetStore:
    """Latest snapshot per host, in config order, and per-domain history."""

    def __init__(self, hosts: Iterable[HostConfig], history: int = DEFAULT_HISTORY) -> None:
        self.configs: dict[HostId, HostConfig] = {h.name: h for h in hosts}
        self.capacity = history
        self.snapshots: dict[HostId, HostSnapshot] = {}
        self.version = 0  # bumps whenever anything changes
        self._domains: dict[HostId, dict[DomainKey, Domain]] = {}
        # the same pairs as a list, made once per snapshot: domains() only concatenates them
        self._rows: dict[HostId, list[tuple[DomainKey, Domain]]] = {}
        # per-host totals, made at the first read after a snapshot (only the Fleet view
        # reads), by the snapshot's (seq, time): holding the snapshot would keep it alive
        self._totals: dict[HostId, tuple[tuple[int, float], HostTotals]] = {}
        self._all: tuple[int, list[tuple[DomainKey, Domain]]] | None = None
        self._history: dict[HostId, dict[DomainKey, DomainHistory]] = {}

    # --- writing ------------------------------------------------------------------------

    def apply(self, snap: HostSnapshot) -> bool:
        """Take a host's snapshot. Older or repeated snapshots are ignored (False)."""
        prev = self.snapshots.get(snap.host)
        if prev is not None and (snap.seq, snap.time) <= (prev.seq, prev.time):
            return False
        self.snapshots[snap.host] = snap
        if snap.host not in self.configs:
            self.configs[snap.host] = HostConfig(name=snap.host, target=snap.host)
        rows = list(zip(domain_keys(snap.domains), snap.domains, strict=True))
        by_key = dict(rows)
        if len(by_key) != len(rows):  # a host repeating name and domid: one row per key
            rows = list(by_key.items())
        self._domains[snap.host] = by_key
        self._rows[snap.host] = rows
        histories = self._history.setdefault(snap.host, {})
        t = data_time(snap)
        for key, d in by_key.items():
            hist = histories.get(key)
            if hist is None:
                hist = histories[key] = DomainHistory(self.capacity)
            hist.append(t, d)
        if snap.status is HostStatus.OK and len(histories) > len(by_key):
            # domains that are gone from a host that answered: forget their history
            for key in [k for k in histories if k not in by_key]:
                del histories[key]
        self.version += 1
        return True

    # --- reading ------------------------------------------------------------------------

    def hosts(self) -> list[HostId]:
        return list(self.configs)

    def host(self, host: HostId) -> HostSnapshot | None:
        return self.snapshots.get(host)

    def config(self, host: HostId) -> HostConfig | None:
        return self.configs.get(host)

    def domains(self) -> list[tuple[DomainKey, Domain]]:
        """Every domain of every host with its key, hosts in config order."""
        if self._all is None or self._all[0] != self.version:
            rows: list[tuple[DomainKey, Domain]] = []
            for host in self.configs:
                host_rows = self._rows.get(host)
                if host_rows:
                    rows += host_rows
            self._all = (self.version, rows)
        return self._all[1]

    def domain(self, key: DomainKey) -> Domain | None:
        return self._domains.get(key[0], {}).get(key)

    def history(self, key: DomainKey) -> DomainHistory | None:
        return self._history.get(key[0], {}).get(key)

    def host_totals(self, host: HostId) -> HostTotals | None:
        snap = self.snapshots.get(host)
        if snap is None:
            return None
        memo = self._totals.get(host)
        if memo is None or memo[0] != (snap.seq, snap.time):
            memo = self._totals[host] = ((snap.seq, snap.time), host_totals(snap))
        return memo[1]

    def domain_count(self) -> int:
        return sum(len(s.domains) for s in self.snapshots.values())

    def hosts_by_status(self) -> dict[str, int]:
        """How many hosts are ok, stale, unreachable, error, or "waiting" (none yet)."""
        by_status: dict[str, int] = {}
        for host in self.configs:
            snap = self.snapshots.get(host)
            status = snap.status.value if snap else "waiting"
            by_status[status] = by_status.get(status, 0) + 1
        return by_status

    def totals(self) -> FleetTotals:
        states: dict[str, int] = {}
        pcpus = vcpus = mem_total = mem_free = domains = info_hosts = 0
        used: float | None = 0.0
        for host in self.configs:
            snap = self.snapshots.get(host)
            ht = self.host_totals(host)
            if snap is None or ht is None:
                continue
            pcpus += ht.pcpus or 0
            info_hosts += ht.pcpus is not None and ht.mem_total_mib is not None
            vcpus += ht.vcpus
            if ht.pcpus is not None and used is not None:  # free = pCPUs counted - used
                used = None if ht.cpu_used is None else used + ht.cpu_used
            mem_total += ht.mem_total_mib or 0
            mem_free += ht.mem_free_mib or 0
            domains += len(snap.domains)
            for k, v in ht.states.items():
                states[k] = states.get(k, 0) + v
        return FleetTotals(
            hosts=len(self.configs),
            hosts_by_status=self.hosts_by_status(),
            pcpus=pcpus,
            vcpus=vcpus,
            cpu_used=used,
            mem_total_mib=mem_total,
            mem_free_mib=mem_free,
            domains=domains,
            states=states,
            info_hosts=info_hosts,
        )
