"""Shared helpers for the parsers: errors that name the line, line splitting, CPU lists,
and the one vocabulary of numbers a host may print (ASCII digits, no sign, no exponent)."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.model import CpuSet


class ParseError(ValueError):
    """Text that does not match the expected format. Names the offending line."""

    def __init__(self, source: str, line_no: int | None, line: str | None, reason: str) -> None:
        where = f" line {line_no}" if line_no is not None else ""
        shown = f": {line[:120]!r}" if line is not None else ""
        super().__init__(f"{source}{where}: {reason}{shown}")
        self.source = source
        self.line_no = line_no
        self.line = line
        self.reason = reason


def lines_of(text: str) -> Iterator[tuple[int, str]]:
    """(1-based number, line) for every line, CRLF/CR normalised, trailing space kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    yield from enumerate(text.split("\n"), start=1)


CPU_ID_LIMIT = 1 << 16  # far above any Xen build: bounds what a host's text can make us build


def parse_cpu_list(text: str, *, max_cpu: int | None = None) -> CpuSet:
    """Parse xl's CPU bitmap text: ``all``, ``none``, ``0-3,6,8-9``.

    Also accepts ``^N`` exclusions (``0-7,^3``) as vcpu-pin does. Raises ValueError, also
    for a CPU at or above CPU_ID_LIMIT and for a list naming more CPUs, counted with
    repeats, than twice that (``0-65535,0-65535,…`` from a host is garbage, not work).
    """
    t = text.strip()
    if t == "all":
        return CpuSet(all=True)
    if t in ("none", ""):
        return CpuSet.of(())
    cpus: set[int] = set()
    is_all = False
    budget = 2 * CPU_ID_LIMIT
    for item in t.split(","):
        item = item.strip()
        neg = item.startswith("^")
        if neg:
            item = item[1:]
        if item == "all":
            if neg:
                raise ValueError('can\'t combine "^" and "all"')
            is_all = True
            if max_cpu is not None:
                cpus.update(range(min(max_cpu, CPU_ID_LIMIT - 1) + 1))
            continue
        if "-" in item:
            a, _, b = item.partition("-")
            lo, hi = _cpu_id(a), _cpu_id(b)
            if lo > hi or lo < 0:
                raise ValueError(f"invalid pcpu range: {item}")
            budget -= hi - lo + 1
            if budget < 0:
                raise ValueError("CPU list names too many CPUs")
            rng = set(range(lo, hi + 1))
        else:
            n = _cpu_id(item)
            if n < 0:
                raise ValueError(f"invalid pcpu: {item}")
            rng = {n}
        if neg:
            if is_all and max_cpu is None:
                raise ValueError("cannot exclude from 'all' without knowing the host's CPUs")
            cpus -= rng
        else:
            cpus |= rng
    if is_all and max_cpu is None:
        return CpuSet(all=True)
    return CpuSet.of(cpus)


def _cpu_id(text: str) -> int:
    """A CPU number of at most 5 digits below CPU_ID_LIMIT (ValueError otherwise)."""
    t = text.strip()
    if len(t) > 5 or not is_uint(t) or int(t) >= CPU_ID_LIMIT:
        raise ValueError(f"invalid pcpu: {text}")
    return int(t)


# --- numbers as the Xen tools print them ----------------------------------------------------
#
# Every number a parser takes from a host is what a printf could print: ASCII digits, and for
# a float ``digits[.digits]`` (``%.1f`` never prints an exponent, ``+``, ``_`` or a Unicode
# digit). int()/float() and str.isdecimal()/isdigit() and the regex ``\d`` take far more
# (``١٢٨`` is 128, ``1_000``, ``+7``, `` 7 ``, ``nan``, ``inf``, ``1e400``): never use them on
# host text unchecked. Regexes take the pieces below (``[0-9]``, not ``\d``); code takes the
# functions. A ``-`` only where the tool really prints one (xl's ``-1`` for "not in XenStore",
# netback's relative ring indices): counters, sizes, CPU seconds, percentages and ids have none.

UINT = r"[0-9]+"  # an unsigned integer field (regex piece)
DECIMAL = r"[0-9]+(?:\.[0-9]+)?"  # a "%.Nf" field: digits, optionally a dot and digits
FIXED = r"[0-9]+\.[0-9]+"  # a "%.Nf" field with N > 0: the dot is always there
MINUS_ONE = r"(?:-1|[0-9]+)"  # an unsigned field where xl prints -1 for "missing"

_INF = float("inf")


def is_uint(text: str) -> bool:
    """ASCII digits only (at least one)."""
    return text.isascii() and text.isdecimal()


def uint(text: str) -> int:
    """An unsigned integer of ASCII digits; ValueError for anything else (also for more
    digits than int() converts: callers turn it into a ParseError naming the line)."""
    if is_uint(text):
        return int(text)
    raise ValueError(f"not an unsigned integer: {text[:40]!r}")


def is_decimal(text: str) -> bool:
    """``digits[.digits]`` in ASCII."""
    whole, dot, frac = text.partition(".")
    return text.isascii() and whole.isdecimal() and (not dot or frac.isdecimal())


def decimal(text: str) -> float:
    """A ``digits[.digits]`` number as a finite float; ValueError for anything else, also
    for one too long to be a finite double (float() would make it inf)."""
    if is_decimal(text):
        value = float(text)
        if value < _INF:
            return value
    raise ValueError(f"not a decimal number: {text[:40]!r}")


DOMID_MAX = (1 << 32) - 1  # libxl_domid is a uint32_t


def domid_int(text: str) -> int:
    """A printed domid (ValueError past 32 bits: no tool can print one)."""
    n = int(text)
    if n > DOMID_MAX:
        raise ValueError(f"domid {text} does not fit 32 bits")
    return n


def unusable_number(e: Exception) -> str:
    """A ParseError's reason for a number int()/float() or uint()/decimal() refused."""
    if "Exceeds the limit" in str(e):  # int()'s message suggests raising the limit
        return "unusable number: thousands of digits"
    return f"unusable number: {e}"


def to_int(text: str) -> int | None:
    """An unsigned integer, or None for ``-``, ``n/a`` and empty fields (ValueError for
    anything else)."""
    t = text.strip()
    if t in ("", "-", "n/a", "N/A"):
        return None
    return uint(t)


def to_float(text: str) -> float | None:
    """A ``digits[.digits]`` number, or None for ``-``, ``n/a`` and empty fields."""
    t = text.strip()
    if t in ("", "-", "n/a", "N/A"):
        return None
    return decimal(t)
