"""``xl list -l`` in xl's legacy SXP layout (``output_format="sxp"`` in xl.conf; Xen 4.1's
only layout), as ``printf_info_sexp`` writes it, one item per line, each line indented by
one TAB per level (shown here as two spaces)::

    (domain
      (domid 3)
      (create_info)
      (hvm 0)
      (name web1)
      (uuid 5f0a9c4e-...)
      (max_vcpus 2)
      (max_memkb 262144)
      (target_memkb 131072)
      (image
        (linux 0)
          (kernel /boot/vmlinuz)
        )
      )
      (device
        (vif
          (devid 0)
          (mac 00163e5a0001)
        )
      )
    )

Values are printed raw (``%s``: a name may hold spaces or parentheses, a NULL string is
``(null)``), and the PV image section is not balanced, so lines are read by their TAB
depth, never by counting parentheses. A block ends with ``)`` alone at a line's start.
"""

from __future__ import annotations

import re
from typing import Any

from collectors.model import DomainType
from collectors.parse.common import ParseError
from collectors.parse.noise import is_tool_log_line

SOURCE = "xl list -l"
_ITEM = re.compile(r"(\t*)\((\w+)(?: (.*?))?(\)?)")
_CLOSE = re.compile(r"\t*\)")
_NULL = "(null)"

# (domid, fields nested by depth, vif devices, disk devices); xl_list makes the record
Block = tuple[int, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]
_GROUP = object()  # "(image": a group opener, not a leaf


def looks_like_sxp(text: str) -> bool:
    """Whether the first line that is not tool chatter opens a ``(domain`` block."""
    for line in text.split("\n"):
        s = line.strip()
        if s and not is_tool_log_line(s):
            return s == "(domain"
    return False


def parse_sxp_blocks(text: str) -> list[Block]:
    """Every ``(domain`` block as (domid, fields, nics, disks); fields nest by depth."""
    out: list[Block] = []
    block: _Block | None = None
    for no, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if block is None:
            s = line.strip()
            if not s or is_tool_log_line(s):
                continue
            if s != "(domain":
                raise ParseError(SOURCE, no, line, "expected '(domain' (xl's SXP layout)")
            block = _Block(no, line)
            continue
        if line == ")":
            out.append(block.done())
            block = None
            continue
        if not line.strip() or _CLOSE.fullmatch(line):
            continue
        m = _ITEM.fullmatch(line)
        if m is None:
            raise ParseError(SOURCE, no, line, "not an SXP item")
        block.add(len(m[1]), m[2], _value(m[3], m[4]), no, line)
    if block is not None:
        raise ParseError(SOURCE, block.line_no, block.line, "the (domain block never ends")
    return out


def _value(raw: str | None, close: str) -> object:
    """A leaf's value: ``(key value)`` → value, ``(key)`` → "" (a marker such as
    ``(create_info)``), a NULL string → None; ``(key`` opens a group (_GROUP)."""
    if raw is None:
        return "" if close else _GROUP
    return None if raw == _NULL else raw


class _Block:
    """One domain's lines, nested by their TAB depth."""

    def __init__(self, line_no: int, line: str) -> None:
        self.line_no, self.line = line_no, line
        self.fields: dict[str, Any] = {}
        # the container each depth's items go into: depth 1 into the domain's fields
        self.stack: list[dict[str, Any]] = [self.fields]

    def add(self, depth: int, key: str, value: object, no: int, line: str) -> None:
        if depth < 1 or depth > len(self.stack):
            raise ParseError(SOURCE, no, line, f"item nested {depth} deep after "
                             f"{len(self.stack) - 1}")
        del self.stack[depth:]
        parent = self.stack[depth - 1]
        child: dict[str, Any] = {}
        if value is not _GROUP:
            child["value"] = value  # a leaf: deeper lines (PV's kernel under "linux 0") too
        if key == "device":  # the one repeated item: a list of them
            parent.setdefault(key, []).append(child)
        else:
            parent[key] = child
        self.stack.append(child)

    def done(self) -> Block:
        fields = _plain(self.fields)
        domid = _int(fields.get("domid"))
        if domid is None:
            raise ParseError(SOURCE, self.line_no, self.line, "a (domain block without domid")
        nics: list[dict[str, Any]] = []
        disks: list[dict[str, Any]] = []
        for dev in fields.get("device", []):
            if isinstance(dev, dict) and isinstance(dev.get("vif"), dict):
                nic = dict(dev["vif"])
                if isinstance(nic.get("mac"), str):
                    nic["mac"] = _mac(nic["mac"])
                nics.append(nic)
            elif isinstance(dev, dict) and isinstance(dev.get("tap"), dict):
                disks.append(dict(dev["tap"]))
        return domid, fields, nics, disks


def _plain(node: Any) -> Any:
    """{"value": v} → v; groups stay dicts (a leaf with children keeps its "value")."""
    if isinstance(node, list):
        return [_plain(x) for x in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"value"}:
        return node["value"]
    return {k: _plain(v) for k, v in node.items()}


_SXP_INT = re.compile(r"-?[0-9]{1,20}")  # "%d"/"%"PRIu64 (libxl's "not set" reads < 0)


def _int(v: Any) -> int | None:
    """An integer as xl prints one; None for anything else (not set, as a missing item)."""
    return int(v) if isinstance(v, str) and _SXP_INT.fullmatch(v) else None


def _mac(text: str) -> str:
    """xl's SXP prints a MAC as 12 hex digits: with colons, as everywhere else."""
    if re.fullmatch(r"[0-9a-fA-F]{12}", text):
        return ":".join(text[i:i + 2] for i in range(0, 12, 2)).lower()
    return text


def sxp_type(fields: dict[str, Any]) -> DomainType | None:
    """(hvm 1) is HVM; (hvm 0) is PV when the image is Linux's, else unknown (PVH?)."""
    hvm = fields.get("hvm")
    if hvm == "1":
        return DomainType.HVM
    image = fields.get("image")
    if hvm == "0" and isinstance(image, dict) and "linux" in image:
        return DomainType.PV
    return None


_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def sxp_str(v: Any) -> str | None:
    """A string field; None where xl printed nothing, ``<unknown>`` or the nil UUID (the
    JSON layout omits a nil UUID: both mean "not set")."""
    return v if isinstance(v, str) and v not in ("", "<unknown>", _NIL_UUID) else None


def sxp_count(v: Any) -> int | None:
    """A size or count: 0 and negative values are libxl's "not set" (omitted in JSON)."""
    n = _int(v)
    return n if n is not None and n > 0 else None
