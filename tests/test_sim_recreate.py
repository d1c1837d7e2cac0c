"""Every domain of the demo fleet can be destroyed and created again from its own
/etc/xen/NAME.cfg: empty CD drives are written and read back as real xl does
(xl-disk-configuration: an empty target is no media)."""

from __future__ import annotations

import pytest

from collectors.sim.xl_cfg import parse_disk_spec
from tests.sim_support import Demo


@pytest.mark.parametrize("spec", [",,hdc:cdrom,r", ",empty,hdc:cdrom,r",
                                  "vdev=hdc, devtype=cdrom, format=raw, target=",
                                  "format=empty, vdev=hdc, access=r, devtype=cdrom, target="])
def test_empty_cdrom_specs_have_no_media(spec: str) -> None:
    k = parse_disk_spec(spec)
    assert (k.vdev, k.target, k.cdrom, k.mode, k.format) == ("hdc", "", True, "r", "empty")


@pytest.mark.parametrize(
    ("spec", "want"),
    [("/srv/a.img,,xvdb,,discard", ("xvdb", "/srv/a.img", False, "w", "raw")),
     ("/root/image.iso,,hdc,,cdrom", ("hdc", "/root/image.iso", True, "r", "raw")),
     ("tap:qcow2:/srv/a.qcow2,xvdb,w", ("xvdb", "/srv/a.qcow2", False, "w", "qcow2")),
     ("qcow:/srv/a.qcow,xvdb:disk,r", ("xvdb", "/srv/a.qcow", False, "r", "qcow")),
     ("drbd:res0,xvdb", ("xvdb", "res0", False, "w", "raw")),
     ("format=raw,vdev=xvdc,access=rw,backendtype=standalone,backend=dd1,script=block-x,"
      "no-discard,direct-io-safe,target=iqn.x:d", ("xvdc", "iqn.x:d", False, "w", "raw"))],
)
def test_disk_specs_with_flags_and_prefixes(spec: str, want: tuple[object, ...]) -> None:
    k = parse_disk_spec(spec)
    assert (k.vdev, k.target, k.cdrom, k.mode, k.format) == want


def test_every_demo_domain_can_be_destroyed_and_created_again() -> None:
    for host_name in ("xen-prod-01", "xen-lab-02", "xen-prod-03"):
        demo = Demo(host_name)
        blocks = {}
        for d in demo.host.sorted_domains()[1:]:
            if f"/etc/xen/{d.name}.cfg" not in demo.host.files:
                continue
            out = demo.ok("xl", "block-list", str(d.domid))
            blocks[d.name] = sorted(line.split()[0] for line in out.splitlines()[1:])
        assert any(len(v) > 2 for v in blocks.values())  # an HVM guest with its CD drives
        for name, vdevs in blocks.items():
            d = demo.host.by_name(name)
            assert d is not None
            want = (d.max_vcpus, [k.target for k in d.disks if k.cdrom],
                    {v.hard for v in d.vcpus})  # pinned guests stay pinned
            demo.ok("xl", "destroy", name)
            code, _, err = demo.run("xl", "create", f"/etc/xen/{name}.cfg")
            assert code == 0, (host_name, name, err)
            new = demo.host.by_name(name)
            assert new is not None
            assert (new.max_vcpus, [k.target for k in new.disks if k.cdrom],
                    {v.hard for v in new.vcpus}) == want, (host_name, name)
            out = demo.ok("xl", "block-list", str(new.domid))
            assert sorted(line.split()[0] for line in out.splitlines()[1:]) == vdevs
