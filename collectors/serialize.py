"""Model objects → plain JSON values (for ``--once --json`` and ``--batch``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from enum import Enum
from typing import Any

from collectors.model import CpuSet, DomainState, FleetSnapshot, HostSnapshot, XenbusState


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, XenbusState):
        return obj.label
    if isinstance(obj, Enum):
        return obj.value
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, CpuSet):
        return obj.to_json()
    if isinstance(obj, DomainState):
        d = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        d["flags"] = obj.flags
        d["label"] = obj.label
        return d
    if isinstance(obj, HostSnapshot):
        return _host_to_json(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = _fields_json(obj)
        for name in ("fill", "pressure"):  # RingStats' derived numbers
            prop = getattr(type(obj), name, None)
            if isinstance(prop, property) and prop.fget is not None:
                out[name] = to_jsonable(prop.fget(obj))
        return out
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj) if isinstance(obj, set | frozenset) else obj
        return [to_jsonable(v) for v in items]
    return str(obj)


_VIF_TRAFFIC = ("rx_bytes", "tx_bytes", "rx_rate", "tx_rate")


def _fields_json(obj: Any) -> dict[str, Any]:
    """A dataclass's public fields as JSON values."""
    return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if not f.name.startswith("_")}


def _host_to_json(snap: HostSnapshot) -> dict[str, Any]:
    """A host's fields; each vif also carries its Dom0 interface's traffic (Dom0 side:
    rx is what the guest sent), null where Dom0's counters are not known."""
    out = _fields_json(snap)
    for dev, obj in zip(snap.devices, out["devices"], strict=True):
        if dev.kind.value == "vif":
            c = snap.vif_counters(dev)
            obj.update((k, None if c is None else to_jsonable(getattr(c, k)))
                       for k in _VIF_TRAFFIC)
    return out


def fleet_to_json(fleet: FleetSnapshot) -> dict[str, Any]:
    result: dict[str, Any] = to_jsonable(fleet)
    return result
