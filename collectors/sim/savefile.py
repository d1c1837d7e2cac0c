"""Checkpoint files ``xl save`` writes into a simulated host's filesystem."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from collectors.model import CpuSet, DomainType
from collectors.sim.lifecycle import DiskSpec, DomainSpec, VifSpec
from collectors.sim.render_json import guest_config, yajl_beautify
from collectors.sim.state import SimDomain

MAGIC = "Xen saved domain, xl format"
# xl's "info" length of the stored config exceeds the length of the config ``xl list -l``
# shows by this much (measured in the lab: idle1 854 vs 848, db1 1592 vs 1586 bytes).
STORED_CONFIG_EXTRA = 6


class SaveFileError(ValueError):
    pass


@dataclass(frozen=True)
class SaveHeader:
    config_len: int  # shown as "(new xl fmt info 0x3/0x0/<len>)"
    store_mfn: int  # the restored guest's XenStore and console pages
    console_mfn: int


def config_length(d: SimDomain, sched: str) -> int:
    """Bytes of the JSON domain config xl stores in the save file (with its NUL)."""
    cfg = guest_config(d, sched)
    c_info = cfg.get("c_info")
    if isinstance(c_info, dict):
        c_info.pop("domid", None)
    return len(yajl_beautify(cfg).encode()) + STORED_CONFIG_EXTRA


def dump(spec: DomainSpec, header: SaveHeader) -> str:
    data = asdict(spec)
    data["type"] = spec.type.value
    data["cpus"] = None if spec.cpus is None else spec.cpus.to_json()
    return f"{MAGIC}\n{json.dumps(asdict(header))}\n{json.dumps(data, sort_keys=True)}\n"


def load(text: str) -> tuple[DomainSpec, SaveHeader]:
    """The stored spec and header; SaveFileError when it is not an xl save file."""
    lines = text.split("\n")
    if len(lines) < 3 or lines[0] != MAGIC:
        raise SaveFileError("File has wrong magic number - corrupt or for a different tool?")
    try:
        header = json.loads(lines[1])
        data: dict[str, Any] = json.loads(lines[2])
        cpus_raw = data.pop("cpus")
        spec = DomainSpec(
            **{k: v for k, v in data.items() if k not in ("disks", "vifs", "type")},
            type=DomainType(data["type"]),
            disks=[DiskSpec(**k) for k in data["disks"]],
            vifs=[VifSpec(**v) for v in data["vifs"]],
            cpus=None if cpus_raw is None else (
                CpuSet(all=True) if cpus_raw == "all" else CpuSet.of(cpus_raw)),
        )
        return spec, SaveHeader(**header)
    except (ValueError, KeyError, TypeError) as exc:
        raise SaveFileError("Savefile has mangled header") from exc
