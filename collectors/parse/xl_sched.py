"""``xl sched-credit`` / ``xl sched-credit2`` [``-d DOMAIN``]: each domain's weight and cap.

Listing every domain, each cpupool's table follows a ``Cpupool Pool-0: …`` line (the
scheduler's own parameters). The table is ``Name ID Weight Cap``, printed with
``%-33s %4d %6d %4d``; credit2 before Xen 4.10 has no Cap. A name may hold blanks, so the
numbers are read from the right, as many as the header names."""

from __future__ import annotations

from dataclasses import dataclass

from collectors.parse.common import ParseError, lines_of, uint
from collectors.parse.guard import parse_errors
from collectors.parse.noise import is_tool_log_line

SOURCE = "xl sched-credit"


@dataclass(frozen=True, slots=True)
class SchedParams:
    name: str
    domid: int
    weight: int
    cap: int | None  # None: this scheduler has no cap (credit2 before Xen 4.10)


@parse_errors(SOURCE)
def parse_sched_params(text: str) -> list[SchedParams]:
    out: list[SchedParams] = []
    numbers: int | None = None  # how many number columns the last header names
    for no, line in lines_of(text):
        tokens = line.split()
        if not tokens or tokens[0] == "Cpupool":
            continue
        if tokens[0] == "Name" and tokens[1:3] == ["ID", "Weight"]:
            numbers = len(tokens) - 1
            if tokens[3:] not in ([], ["Cap"]):
                raise ParseError(SOURCE, no, line, "unknown columns")
            continue
        if numbers is None or len(tokens) <= numbers:
            if is_tool_log_line(line):
                continue
            raise ParseError(SOURCE, no, line, "not a row of the Name ID Weight table")
        name = line.rstrip().rsplit(None, numbers)[0].strip()
        try:
            values = [uint(t) for t in tokens[-numbers:]]
        except ValueError:
            if is_tool_log_line(line):
                continue
            raise ParseError(SOURCE, no, line, "ID, Weight and Cap must be numbers") from None
        out.append(SchedParams(name, values[0], values[1],
                               values[2] if numbers == 3 else None))
    return out
