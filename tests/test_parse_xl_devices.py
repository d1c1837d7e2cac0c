"""xl network-list / block-list and the vdev ↔ device-number mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xl_devices import (
    devid_to_vdev,
    parse_block_list,
    parse_network_list,
    vdev_to_devid,
)

FIX = Path("/work/shared/fixtures")
needs_fixtures = pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")


@needs_fixtures
def test_lab_network_list_minus_one_is_none() -> None:
    rows = parse_network_list((FIX / "xen-4.17-lab-a" / "xl-network-list-db1.out").read_text())
    assert [(r.idx, r.mac, r.handle, r.state) for r in rows] == [
        (0, "00:16:3e:10:00:02", 0, 4),
        (1, "00:16:3e:10:00:03", 1, 4),
    ]
    assert rows[1].evtch is None and rows[1].tx_ring_ref is None and rows[1].rx_ring_ref is None
    assert rows[1].be_path == "/local/domain/0/backend/vif/1/1"
    assert rows[0].to_json()["be_domid"] == 0


@needs_fixtures
def test_lab_block_list() -> None:
    rows = parse_block_list((FIX / "xen-4.17-lab-a" / "xl-block-list-db1.out").read_text())
    assert [(r.vdev, r.vdev_name, r.handle, r.state) for r in rows] == [
        (51712, "xvda", 1, 4),
        (51728, "xvdb", 1, 4),
    ]
    assert rows[0].ring_ref is None and rows[0].be_path == "/local/domain/0/backend/vbd/1/51712"
    (web,) = parse_block_list((FIX / "xen-4.17-lab-a" / "xl-block-list-web1.out").read_text())
    assert web.handle == 3  # really the frontend domid (xl quirk)


def test_single_queue_rows_with_refs() -> None:
    nic = (
        "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path"
        + " " * 23
        + "\n"
        + "%-3d %-2d " % (0, 0)  # noqa: UP031 (the C printf format)
        + "00:16:3E:5A:01:02"
        + "%6d %5d %6d %5d/%-11d %-30s" % (0, 4, 19, 9, 8, "/local/domain/0/backend/vif/3/0")  # noqa: UP031 (the C printf format)
    )
    (r,) = parse_network_list(nic)
    assert (r.mac, r.evtch, r.tx_ring_ref, r.rx_ring_ref) == ("00:16:3e:5a:01:02", 19, 9, 8)
    vbd = (
        "Vdev  BE  handle state evt-ch ring-ref BE-path                       \n"
        + "%-5d %-3d %-6d %-5d %-6d %-8d %-30s"  # noqa: UP031 (the C printf format)
        % (768, 0, 3, 4, 18, 8, "/local/domain/0/backend/vbd/3/768")
    )
    (b,) = parse_block_list(vbd)
    assert (b.vdev_name, b.evtch, b.ring_ref) == ("hda", 18, 8)


def test_garbage_rows() -> None:
    with pytest.raises(ParseError) as e:
        parse_network_list("Idx BE Mac Addr. handle state evt-ch tx-/rx-ring-ref BE-path\nhello")
    assert e.value.line_no == 2
    with pytest.raises(ParseError):
        parse_block_list("51712 zero 1 4 -1 -1 /x")


@pytest.mark.parametrize(
    ("name", "devid"),
    [
        ("xvda", 51712),
        ("xvdb", 51728),
        ("xvdc", 51744),
        ("xvda1", 51713),
        ("xvdp15", (202 << 8) | (15 << 4) | 15),
        ("xvdq", (1 << 28) | (16 << 8)),
        ("xvdz", 268441856),
        ("xvdaa", (1 << 28) | (26 << 8)),
        ("hda", 768),
        ("hdb", 832),
        ("hdc", 5632),
        ("hdd", 5696),
        ("hda1", 769),
        ("sda", 2048),
        ("sdb2", 2066),
    ],
)
def test_vdev_numbers_both_ways(name: str, devid: int) -> None:
    assert vdev_to_devid(name) == devid
    assert devid_to_vdev(devid) == name


def test_vdev_other_forms_and_rejects() -> None:
    assert vdev_to_devid("d0p1") == 51713
    assert vdev_to_devid("51712") == 51712
    for name in ("xvd", "hde", "sdq", "xvda0", "eth0", "", "xvda256", "hda64", "\u00b9"):
        assert vdev_to_devid(name) is None, name
    for devid in (-1, 0, 1 << 29, (99 << 8)):
        assert devid_to_vdev(devid) is None, devid


def _c(fmt: str, *args: object) -> str:
    return fmt % args  # noqa: UP031 (the C printf formats)


def test_block_list_backend_kinds_driver_domains_and_several_domains() -> None:
    # 4.13-4.18: the BE-path names the backend kind (vbd, qdisk for QEMU, vbd3 for tapdisk3,
    # tap for blktap2); `xl block-list a nosuch b` prints one header, warns on stderr for
    # the unknown name (2>&1 here) and goes on
    row = "%-5d %-3d %-6d %-5d %-6d %-8d %-30s"
    header = _c("%-5s %-3s %-6s %-5s %-6s %-8s %-30s", "Vdev", "BE", "handle", "state",
                "evt-ch", "ring-ref", "BE-path")  # fmt: skip
    text = "\n".join([
        header,
        _c(row, 51712, 0, 3, 4, 18, 8, "/local/domain/0/backend/qdisk/3/51712"),
        _c(row, 51728, 0, 3, 4, 19, -1, "/local/domain/0/backend/vbd3/3/51728"),
        "nosuch is an invalid domain identifier",
        _c(row, 768, 1, 4, 1, -1, -1, "/local/domain/1/backend/vbd/4/768"),
        _c(row, 268441856, 0, 4, 6, 1234567, 12345678, "/local/domain/0/backend/tap/4/268441856"),
    ])  # fmt: skip
    rows = parse_block_list(text)
    assert [(r.vdev_name, r.be_domid, r.handle, r.state, r.evtch, r.ring_ref) for r in rows] == [
        ("xvda", 0, 3, 4, 18, 8), ("xvdb", 0, 3, 4, 19, None), ("hda", 1, 4, 1, None, None),
        ("xvdz", 0, 4, 6, 1234567, 12345678),
    ]  # fmt: skip
    assert [r.be_path.split("/")[5] for r in rows if r.be_path] == ["qdisk", "vbd3", "vbd", "tap"]


def test_xm_network_and_block_lists() -> None:
    # xm (3.x): 'Idx BE     MAC Addr.     handle ...' (MAC in capitals) and rows
    # "%(idx)-3d %(backend-id)-3d%(mac)-17s    %(handle)-3d   %(state)-3d    %(event-ch)-3d
    # %(tx-ring-ref)-5d/%(rx-ring-ref)-5d   %(be-path)-30s  ": a 3-digit backend domid
    # glues to the MAC; block-list "%(idx)-5d  %(backend-id)-3d  %(handle)-3d   ..."
    nic = "%-3d %-3d%-17s    %-3d   %-3d    %-3d   %-5d/%-5d   %-30s  "
    text = "\n".join([
        "Idx BE     MAC Addr.     handle state evt-ch tx-/rx-ring-ref BE-path",
        _c(nic, 0, 0, "00:16:3e:5a:01:02", 0, 4, 8, 768, 769, "/local/domain/0/backend/vif/1/0"),
        _c(nic, 1, 100, "00:16:3e:5a:01:03", 1, 4, 9, -1, -1, "/local/domain/100/backend/vif/1/1"),
    ])  # fmt: skip
    a, b = parse_network_list(text)
    assert (a.idx, a.be_domid, a.mac, a.evtch, a.tx_ring_ref, a.rx_ring_ref) == (
        0, 0, "00:16:3e:5a:01:02", 8, 768, 769,
    )  # fmt: skip
    assert (b.be_domid, b.mac, b.tx_ring_ref, b.be_path) == (
        100, "00:16:3e:5a:01:03", None, "/local/domain/100/backend/vif/1/1",
    )  # fmt: skip
    vbd = "%-5d  %-3d  %-3d   %-3d    %-3d    %-5d %-30s  "
    text = "Vdev  BE handle state evt-ch ring-ref BE-path\n" + _c(
        vbd, 51712, 0, 1, 4, 6, 8, "/local/domain/0/backend/vbd/1/51712"
    )
    (v,) = parse_block_list(text)
    assert (v.vdev_name, v.handle, v.evtch, v.ring_ref) == ("xvda", 1, 6, 8)
