"""``xl network-list`` / ``xl block-list`` and virtual-disk name ↔ device-number mapping.

network-list row: ``"%-3d %-2d " MAC "%6d %5d %6d %5d/%-11d %-30s"`` (idx, backend domid,
mac, handle, frontend state, event channel, tx/rx ring refs, backend path); xm's header
says ``MAC Addr.`` and its rows glue a 3-digit backend domid to the MAC.
block-list row: ``"%-5d %-3d %-6d %-5d %-6d %-8d %-30s"`` (numeric vdev, backend domid,
handle (really the frontend domid), state, event channel, ring-ref, backend path).
XenStore values that are missing print as ``-1``; they become None here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collectors.parse.common import MINUS_ONE, UINT, ParseError, is_uint, lines_of, unusable_number
from collectors.parse.guard import parse_errors
from collectors.parse.noise import is_tool_log_line


def _opt(v: str) -> int | None:
    n = int(v)
    return None if n == -1 else n


@dataclass(frozen=True, slots=True)
class NicRow:
    idx: int
    be_domid: int | None
    mac: str
    handle: int | None
    state: int | None
    evtch: int | None
    tx_ring_ref: int | None
    rx_ring_ref: int | None
    be_path: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "idx": self.idx,
            "be_domid": self.be_domid,
            "mac": self.mac,
            "handle": self.handle,
            "state": self.state,
            "evtch": self.evtch,
            "tx_ring_ref": self.tx_ring_ref,
            "rx_ring_ref": self.rx_ring_ref,
            "be_path": self.be_path,
        }


@dataclass(frozen=True, slots=True)
class VbdListRow:
    vdev: int  # the numeric device id xl prints (51712 = xvda)
    be_domid: int | None
    handle: int | None
    state: int | None
    evtch: int | None
    ring_ref: int | None
    be_path: str | None

    @property
    def vdev_name(self) -> str | None:
        return devid_to_vdev(self.vdev)

    def to_json(self) -> dict[str, object]:
        return {
            "vdev": self.vdev,
            "vdev_name": self.vdev_name,
            "be_domid": self.be_domid,
            "handle": self.handle,
            "state": self.state,
            "evtch": self.evtch,
            "ring_ref": self.ring_ref,
            "be_path": self.be_path,
        }


_I = MINUS_ONE  # "%d" of a value that is -1 when it is not in XenStore, never otherwise < 0
_MAC = r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}"
# xm: "%(backend-id)-3d%(mac)-17s", so a 3-digit backend domid glues to the MAC
_NIC = re.compile(
    rf"(?P<idx>{UINT})\s+(?P<be>{_I})(?:\s*(?P<mac>{_MAC})|\s+(?P<other>\S+))"
    rf"\s+(?P<handle>{_I})\s+(?P<state>{_I})\s+(?P<evtch>{_I})"
    rf"\s+(?P<tx>{_I})\s*/\s*(?P<rx>{_I})(?:\s+(?P<path>\S.*))?"
)
_NIC_HEADER = re.compile(r"Idx\s+BE\s+(?:Mac|MAC) Addr\.\s+handle\s+state\s+evt-ch\s+.*")  # xm: MAC
_VBD = re.compile(
    rf"(?P<vdev>{UINT})\s+(?P<be>{_I})\s+(?P<handle>{_I})\s+(?P<state>{_I})\s+(?P<evtch>{_I})"
    rf"\s+(?P<ring>{_I})(?:\s+(?P<path>\S.*))?"
)
_VBD_HEADER = re.compile(r"Vdev\s+BE\s+handle\s+state\s+evt-ch\s+ring-ref\s+.*")


@parse_errors("xl network-list")
def parse_network_list(text: str) -> list[NicRow]:
    rows: list[NicRow] = []
    for no, raw in lines_of(text):
        line = raw.strip()
        if not line or _NIC_HEADER.fullmatch(line):
            continue
        m = _NIC.fullmatch(line)
        if m is None:
            if is_tool_log_line(line):
                continue
            raise ParseError("xl network-list", no, raw, "not a network row")
        try:
            rows.append(
                NicRow(
                    idx=int(m["idx"]),
                    be_domid=_opt(m["be"]),
                    mac=(m["mac"] or m["other"]).lower(),  # other: xm's "??" (none in XenStore)
                    handle=_opt(m["handle"]),
                    state=_opt(m["state"]),
                    evtch=_opt(m["evtch"]),
                    tx_ring_ref=_opt(m["tx"]),
                    rx_ring_ref=_opt(m["rx"]),
                    be_path=m["path"].rstrip() if m["path"] else None,
                )
            )
        except ValueError as e:  # thousands of digits
            raise ParseError("xl network-list", no, raw, unusable_number(e)) from None
    return rows


@parse_errors("xl block-list")
def parse_block_list(text: str) -> list[VbdListRow]:
    rows: list[VbdListRow] = []
    for no, raw in lines_of(text):
        line = raw.strip()
        if not line or _VBD_HEADER.fullmatch(line):
            continue
        m = _VBD.fullmatch(line)
        if m is None:
            if is_tool_log_line(line):
                continue
            raise ParseError("xl block-list", no, raw, "not a block device row")
        try:
            rows.append(
                VbdListRow(
                    vdev=int(m["vdev"]),
                    be_domid=_opt(m["be"]),
                    handle=_opt(m["handle"]),
                    state=_opt(m["state"]),
                    evtch=_opt(m["evtch"]),
                    ring_ref=_opt(m["ring"]),
                    be_path=m["path"].rstrip() if m["path"] else None,
                )
            )
        except ValueError as e:  # thousands of digits
            raise ParseError("xl block-list", no, raw, unusable_number(e)) from None
    return rows


# --- virtual disk names (libxl__device_disk_dev_number) -----------------------------------

_XVD_MAJOR, _HD_MAJORS, _SD_MAJOR = 202, (3, 22), 8
_EXTENDED = 1 << 28
# no leading zero (libxl); at most 10 digits, so int() neither fails nor takes long
_VDEV = re.compile(r"(xvd|hd|sd)([a-z]+)([1-9][0-9]{0,9})?")
_D_P = re.compile(r"d(0|[1-9][0-9]{0,9})(?:p(0|[1-9][0-9]{0,9}))?")


def _letters_to_index(letters: str) -> int:
    """``a``→0 … ``z``→25, ``aa``→26 (bijective base 26, as libxl decodes it)."""
    index = -1
    for c in letters:
        index = (index + 1) * 26 + (ord(c) - ord("a"))
    return index


def _index_to_letters(index: int) -> str:
    out = ""
    index += 1
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def _xvd_number(disk: int, part: int) -> int | None:
    if disk < 16 and part < 16:
        return (_XVD_MAJOR << 8) | (disk << 4) | part
    if disk < (1 << 20) and part < 256:
        return _EXTENDED | (disk << 8) | part
    return None


def vdev_to_devid(name: str) -> int | None:
    """``xvda`` → 51712, ``xvdz`` → 268441856, ``hdc`` → 5632, ``sda1`` → 2049; else None.

    Also takes ``d<disk>p<part>`` and a plain decimal device number.
    """
    n = name.strip()
    if is_uint(n) and len(n) < 12:
        return int(n)
    dp = _D_P.fullmatch(n)
    if dp is not None:
        return _xvd_number(int(dp[1]), int(dp[2] or 0))
    m = _VDEV.fullmatch(n)
    if m is None or len(m[2]) > 5:
        return None
    prefix, disk, part = m[1], _letters_to_index(m[2]), int(m[3] or 0)
    if prefix == "xvd":
        return _xvd_number(disk, part)
    if prefix == "hd":
        if disk > 3 or part > 63:
            return None
        return ((3 if disk < 2 else 22) << 8) | ((disk & 1) << 6) | part
    if disk > 15 or part > 15:  # sd
        return None
    return (_SD_MAJOR << 8) | (disk << 4) | part


def devid_to_vdev(devid: int) -> str | None:
    """The inverse of :func:`vdev_to_devid` for the xvd/hd/sd encodings; else None."""
    if devid < 0:
        return None
    if devid & _EXTENDED:
        if devid >> 29:
            return None
        disk, part = (devid >> 8) & 0xFFFFF, devid & 0xFF
        return "xvd" + _index_to_letters(disk) + (str(part) if part else "")
    major, minor = devid >> 8, devid & 0xFF
    if major == _XVD_MAJOR:
        disk, part = minor >> 4, minor & 15
        return "xvd" + _index_to_letters(disk) + (str(part) if part else "")
    if major in _HD_MAJORS:
        if minor >> 6 > 1:
            return None
        disk = (0 if major == 3 else 2) + (minor >> 6)
        part = minor & 63
        return "hd" + _index_to_letters(disk) + (str(part) if part else "")
    if major == _SD_MAJOR:
        disk, part = minor >> 4, minor & 15
        return "sd" + _index_to_letters(disk) + (str(part) if part else "")
    return None
