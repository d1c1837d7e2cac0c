"""Each vCPU's CPU % from the time xl vcpu-list reports, between two reads."""

from __future__ import annotations

from collectors.assemble import Merger
from collectors.parse.xl_vcpu import parse_xl_vcpu_list

HEADER = ("Name                                ID  VCPU   CPU State   Time(s) "
          "Affinity (Hard / Soft)\n")


def rows(*lines: tuple[str, int, int, float]) -> list:  # type: ignore[type-arg]
    text = HEADER + "".join(f"{n:<35}{d:>4}{v:>6}{1:>6}   -b-  {t:>8.1f}  all / all\n"
                            for n, d, v, t in lines)
    return parse_xl_vcpu_list(text)


def test_vcpu_percent_between_two_reads_and_none_where_it_cannot_be_known() -> None:
    m = Merger("h")
    first = m.vcpus(rows(("db1", 1, 0, 100.0), ("db1", 1, 1, 50.0), ("web1", 3, 0, 10.0)), 1000.0)
    assert [v.cpu_pct for v in first] == [None, None, None]  # one read: no rate yet
    # 5 s later: vCPU 0 ran 2.5 s (50%), vCPU 1 went backwards, web1 came back as domid 4
    second = m.vcpus(rows(("db1", 1, 0, 102.5), ("db1", 1, 1, 1.0), ("web1", 4, 0, 12.0)),
                     1005.0)
    assert second[0].cpu_pct == 50.0
    assert second[1].cpu_pct is None and second[2].cpu_pct is None
    same = m.vcpus(rows(("db1", 1, 0, 103.5)), 1005.0)  # no time passed: no new rate
    assert same[0].cpu_pct == 50.0
    assert m.vcpus(rows(("db1", 1, 0, 104.0)), None)[0].cpu_pct is None  # when is unknown
