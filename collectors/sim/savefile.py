"""Checkpoint files ``xl save`` writes into a simulated host's filesystem.

A file starts as xl's do (see collectors.parse.xl_savefile): the magic, xl's header in
little-endian, the domain's JSON config and its NUL. Where libxl's stream follows in a real
file, the simulator's own follows: a line naming it, then JSON lines with the pages the
restore prints and the spec the domain is rebuilt from.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, dataclass
from typing import Any

from collectors.model import CpuSet, DomainType
from collectors.parse.xl_savefile import BYTEORDER, FLAG_JSON, FLAG_STREAM_V2, MAGIC
from collectors.sim.lifecycle import DiskSpec, DomainSpec, VifSpec
from collectors.sim.render_json import guest_config, yajl_beautify
from collectors.sim.state import SimDomain, file_content

STREAM = b"xltop-sim stream\n"  # where libxl's stream begins in a real file


class SaveFileError(ValueError):
    pass


@dataclass(frozen=True)
class Pages:
    """The restored guest's XenStore and console pages (``xc: info: XenStore: mfn ...``)."""

    store_mfn: int
    console_mfn: int


def stored_config(d: SimDomain, sched: str) -> str:
    """The JSON domain config xl stores: libxl's without the domid, as yajl beautifies a
    whole document (a newline after it). The lengths this gives are the lab's: idle1's
    "info" 854 and db1's 1592."""
    cfg = guest_config(d, sched)
    c_info = cfg.get("c_info")
    if isinstance(c_info, dict):
        c_info.pop("domid", None)
    return yajl_beautify(cfg) + "\n"


def config_length(config: str) -> int:
    """xl's "info" length for a stored ``config``: the optional data (the config's u32
    length, the config, NUL)."""
    return 4 + len(config.encode()) + 1


def dump(spec: DomainSpec, config: str, pages: Pages) -> str:
    """The file's content (:attr:`SimHost.files`) for a domain saved with ``config``."""
    cfg = config.encode() + b"\0"
    optional = struct.pack("<I", len(cfg)) + cfg
    header = struct.pack("<4I", BYTEORDER, FLAG_JSON | FLAG_STREAM_V2, 0, len(optional))
    data = asdict(spec)
    data["type"] = spec.type.value
    data["cpus"] = None if spec.cpus is None else spec.cpus.to_json()
    stream = (STREAM + json.dumps(asdict(pages)).encode() + b"\n"
              + json.dumps(data, sort_keys=True).encode() + b"\n")
    return file_content(MAGIC + header + optional + stream)


def load_stream(stream: bytes) -> tuple[DomainSpec, Pages]:
    """The spec and pages of what follows xl's part of a file the simulator wrote
    (SaveFileError for anything else)."""
    if not stream.startswith(STREAM):
        raise SaveFileError("not a stream the simulator wrote")
    try:
        pages, spec = stream[len(STREAM):].split(b"\n")[:2]
        raw: dict[str, Any] = json.loads(spec)
        cpus_raw = raw.pop("cpus")
        built = DomainSpec(
            **{k: v for k, v in raw.items() if k not in ("disks", "vifs", "type")},
            type=DomainType(raw["type"]),
            disks=[DiskSpec(**k) for k in raw["disks"]],
            vifs=[VifSpec(**v) for v in raw["vifs"]],
            cpus=None if cpus_raw is None else (
                CpuSet(all=True) if cpus_raw == "all" else CpuSet.of(cpus_raw)),
        )
        return built, Pages(**json.loads(pages))
    except (ValueError, KeyError, TypeError) as exc:
        raise SaveFileError("not a stream the simulator wrote") from exc
