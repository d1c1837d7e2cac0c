"""xl sched-credit / sched-credit2 tables: every domain's weight and cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.parse.common import ParseError
from collectors.parse.xl_sched import SchedParams, parse_sched_params

FIX = Path("/work/shared/fixtures")


@pytest.mark.skipif(not FIX.is_dir(), reason="shared fixtures not present")
def test_the_lab_s_credit2_table() -> None:
    text = (FIX / "xen-4.17-lab-a" / "xl-sched-credit2.out").read_text()
    rows = parse_sched_params(text)
    names = [line.split()[0] for line in text.splitlines()[2:] if line.strip()]
    assert [r.name for r in rows] == names and "Domain-0" in names
    assert all(r.weight == 256 and r.cap == 0 for r in rows)


def test_pools_names_with_blanks_and_the_old_credit2_without_cap() -> None:
    text = (
        "Cpupool Pool-0: tslice=30ms ratelimit=1000us\r\n"
        "Name                                ID Weight  Cap\r\n"
        "Domain-0                             0    256    0\r\n"
        "my web server                        7    512   50\r\n"
        "\r\n"
        "Cpupool rt-pool: tslice=30ms ratelimit=1000us\r\n"
        "Name                                ID Weight  Cap\r\n"
        "a-name-that-is-longer-than-33-characters   12  65535  400\r\n"
    )
    assert parse_sched_params(text) == [
        SchedParams("Domain-0", 0, 256, 0), SchedParams("my web server", 7, 512, 50),
        SchedParams("a-name-that-is-longer-than-33-characters", 12, 65535, 400)]
    old = "Name                                ID Weight\n\tdb 1\t 3\t128\n"  # Xen < 4.10 credit2
    assert parse_sched_params(old) == [SchedParams("db 1", 3, 128, None)]
    logged = ("libxl: warning: libxl_sched.c:1: something\n"
              "Name                                ID Weight  Cap\n"
              "(XEN) d3v0 noise\ndb1  1  256  0\n")
    assert parse_sched_params(logged) == [SchedParams("db1", 1, 256, 0)]


@pytest.mark.parametrize("text", [
    "db1 1 256 0\n",  # a row before any header
    "Name ID Weight Cap\ndb1 one 256 0\n",
    "Name ID Weight Cap\ndb1 1 -256 0\n",
    "Name ID Weight Cap Extra\n",
    "Name ID Weight Cap\n256 0\n",
])
def test_garbage_names_its_line(text: str) -> None:
    with pytest.raises(ParseError, match="line"):
        parse_sched_params(text)
