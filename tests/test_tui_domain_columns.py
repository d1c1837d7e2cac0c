"""Domain cells: a rate of a device the domain does not have is not a zero."""

from __future__ import annotations

from collectors.model import Domain
from themes import DEFAULT_THEME, load_themes
from tui.styles import Palette
from tui.views.domain_columns import COLUMNS_BY_KEY, RowContext

CTX = RowContext(Palette.from_variables(dict(load_themes([])[0][DEFAULT_THEME].variables)),
                 None, None)


def cells(d: Domain) -> dict[str, str]:
    keys = ("net_in", "net_out", "disk_rd", "disk_wr")
    return {k: str(COLUMNS_BY_KEY[k].cell(d, CTX)) for k in keys}


def test_no_vif_no_vbd_shows_a_dash_not_0_bytes() -> None:
    dom0 = Domain(host="h", domid=0, name="Domain-0", nets=0, vbds=0, net_tx_rate=0.0,
                  net_rx_rate=0.0, vbd_rd_rate=0.0, vbd_wr_rate=0.0)
    assert cells(dom0) == dict.fromkeys(("net_in", "net_out", "disk_rd", "disk_wr"), "-")
    assert COLUMNS_BY_KEY["net_in"].sort(dom0) is None  # sorted with the unknown
    idle = Domain(host="h", domid=3, name="web1", nets=1, vbds=1, net_tx_rate=0.0,
                  net_rx_rate=2048.0, vbd_rd_rate=0.0, vbd_wr_rate=None)
    assert cells(idle) == {"net_in": "0B/s", "net_out": "2.00K/s", "disk_rd": "0B/s",
                           "disk_wr": "-"}


def test_vbd_oo_of_a_domain_without_vbds_is_a_dash_like_its_disk_rates() -> None:
    """Domain-0 showed 'Disk rd -  Disk wr -  VBD OO 0'."""
    dom0 = Domain(host="h", domid=0, name="Domain-0", nets=0, vbds=0, vbd_oo=0,
                  vbd_rd_rate=0.0, vbd_wr_rate=0.0)
    column = COLUMNS_BY_KEY["vbd_oo"]
    assert str(column.cell(dom0, CTX)) == "-" and column.sort(dom0) is None
    web = Domain(host="h", domid=3, name="web1", vbds=1, vbd_oo=0)
    assert str(column.cell(web, CTX)) == "0" and column.sort(web) == 0  # a real 0 stays
    assert str(column.cell(Domain(host="h", domid=4, name="x", vbds=2, vbd_oo=17), CTX)) == "17"
    assert str(column.cell(Domain(host="h", domid=5, name="y", vbds=None, vbd_oo=3), CTX)) == "3"


def test_a_dying_domains_detail_keeps_its_known_identity() -> None:
    from collectors.model import DomainType
    from tui.views.domain_detail import _known_identity

    live = Domain(host="h", domid=7, name="proxy-02", uuid="u-1", type=DomainType.HVM)
    dying = Domain(host="h", domid=None, name="proxy-02")  # xentop's row alone
    kept = _known_identity(dying, live)
    assert (kept.domid, kept.uuid, kept.type) == (7, "u-1", DomainType.HVM)
    again = Domain(host="h", domid=9, name="proxy-02")  # re-created: another domain
    assert _known_identity(again, live) is again
