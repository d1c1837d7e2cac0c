"""What an action acts on: the host, the domain under the cursor and, from the pinning map
or the detail view, the vCPU, pCPU or device under the cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collectors.control.requests import DomainRef
from collectors.model import Device, DeviceKind, Domain, HostId, HostSnapshot, VCpu


@dataclass(frozen=True, slots=True)
class Target:
    host: HostId
    domain: Domain | None = None
    snapshot: HostSnapshot | None = None
    vcpu: int | None = None  # the vCPU under the cursor (pinning map, detail view)
    pcpu: int | None = None  # the physical CPU under the cursor (pinning map)
    device: Device | None = None  # the device under the cursor (detail view)
    peers: tuple[str, ...] = ()  # the fleet's other hosts, by the names their Dom0s go by
    production_peers: frozenset[str] = frozenset()  # those of them marked production
    # free memory (KiB) of the peers whose Dom0 said it, by their names as DNS compares them
    peer_free_kib: Mapping[str, int] = field(default_factory=dict)

    @property
    def ref(self) -> DomainRef:
        """How requests name the domain: its domid (exactly the row the user picked)."""
        d = self.domain
        assert d is not None
        return d.domid if d.domid is not None else d.name

    @property
    def name(self) -> str:
        return self.domain.name if self.domain is not None else ""

    def devices(self, kind: DeviceKind) -> list[Device]:
        d, snap = self.domain, self.snapshot
        if d is None or snap is None or d.domid is None:
            return []
        return sorted((x for x in snap.devices if x.kind == kind and x.domid == d.domid),
                      key=lambda x: x.devid)

    def vcpus(self) -> list[VCpu]:
        d, snap = self.domain, self.snapshot
        if d is None or snap is None or d.domid is None:
            return []
        return sorted((v for v in snap.vcpus if v.domid == d.domid), key=lambda v: v.vcpu)
