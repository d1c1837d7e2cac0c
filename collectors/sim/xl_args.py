"""How xl reads its command line: getopt_long, domain qualifiers, sizes, CPU lists.

Every function mirrors the C code's quirks (``xl pause 99`` takes any number as a domid,
``xl mem-set d 12x`` is an invalid size, ``xl vcpu-pin d 0 9-2`` an invalid range), and
reports through :class:`XlExit` with xl's exact text and exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from collectors.model import CpuSet
from collectors.parse.common import is_uint
from collectors.sim import xl_usage
from collectors.sim.state import SimHost

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


@dataclass
class Io:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # both, in the order they were written
    duration: float = 0.0  # how long the command takes on a real host (simulated)

    def print(self, text: str) -> None:
        self.out.append(text)
        self.merged.append(text)

    def eprint(self, text: str) -> None:
        self.err.append(text)
        self.merged.append(text)


class XlExit(Exception):
    """xl exited (``exit(code)``); what it printed is already in the Io."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def die(io: Io, message: str, code: int = 1) -> NoReturn:
    io.eprint(message)
    raise XlExit(code)


@dataclass
class Parsed:
    opts: list[tuple[str, str | None]]
    args: list[str]

    def has(self, opt: str) -> bool:
        return any(o == opt for o, _ in self.opts)

    def value(self, opt: str) -> str | None:
        vals = [v for o, v in self.opts if o == opt]
        return vals[-1] if vals else None


def getopt(
    io: Io,
    cmd: str,
    argv: list[str],
    shorts: str,
    longs: dict[str, tuple[str, bool]] | None = None,
    required: int = 0,
) -> Parsed:
    """GNU getopt_long as xl's SWITCH_FOREACH_OPT drives it: ``"+" opts``, so the options
    end at the first argument that is not one (the lab: ``xl mem-set db1 -5`` sets -5,
    ``xl pause db1 --help`` pauses db1); ``h`` implied.

    ``shorts`` uses getopt syntax (``"f:"`` takes an argument); ``longs`` maps a long
    name to (short letter, takes argument).
    """
    longs = dict(longs or {})
    longs.setdefault("help", ("h", False))
    opts: list[tuple[str, str | None]] = []
    args: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            args += argv[i:]
            break
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            matches = [n for n in longs if n.startswith(name)] if name else []
            exact = name in longs
            if not exact and len(matches) != 1:  # glibc: optopt 0, printed with %c
                die(io, "option `\0' not supported.\n", 2)
            short, takes = longs[name if exact else matches[0]]
            if eq and not takes:  # `--long=x`: optopt is the option's letter
                if short == "h":
                    io.print(xl_usage.usage(cmd))
                    raise XlExit(0)
                die(io, f"option `{short}' not supported.\n", 2)
            if takes and not eq:
                if i >= len(argv):
                    die(io, f"option `{short}' not supported.\n", 2)
                val, i = argv[i], i + 1
            opts.append((short, val if takes else None))
            continue
        if a.startswith("-") and a != "-":
            j = 1
            while j < len(a):
                c = a[j]
                pos = shorts.find(c)
                if c == "h":
                    io.print(xl_usage.usage(cmd))
                    raise XlExit(0)
                if pos < 0 or c == ":":
                    die(io, f"option `{c}' not supported.\n", 2)
                takes = pos + 1 < len(shorts) and shorts[pos + 1] == ":"
                if takes:
                    rest = a[j + 1 :]
                    if rest:
                        opts.append((c, rest))
                    elif i < len(argv):
                        opts.append((c, argv[i]))
                        i += 1
                    else:
                        die(io, f"option `{c}' not supported.\n", 2)
                    break
                opts.append((c, None))
                j += 1
            continue
        args += argv[i - 1 :]
        break
    for o, _ in opts:
        if o == "h":
            io.print(xl_usage.usage(cmd))
            raise XlExit(0)
    if len(args) < required:
        plural = "s" if required > 1 else ""
        io.eprint(f"'xl {cmd}' requires at least {required} argument{plural}.\n\n")
        io.print(xl_usage.usage(cmd))
        raise XlExit(2)
    return Parsed(opts, args)


# --- domains ---------------------------------------------------------------------------


def qualifier_to_domid(host: SimHost, text: str) -> int | None:
    """libxl_domain_qualifier_to_domid: digits are a domid (unchecked), else a name."""
    if all("0" <= c <= "9" for c in text):
        return strtoul(text) & 0xFFFFFFFF
    d = host.by_name(text)
    return None if d is None else d.domid


def find_domain(io: Io, host: SimHost, text: str) -> int:
    domid = qualifier_to_domid(host, text)
    if domid is None:
        die(io, f"{text} is an invalid domain identifier (rc=-6)\n")
    return domid


def leading_digits(text: str) -> str:
    """The digits ``text`` starts with, as C's isdigit() sees them: ASCII only
    (str.isdigit() takes "٣")."""
    end = 0
    while end < len(text) and is_uint(text[end]):
        end += 1
    return text[:end]


def strtoul(text: str) -> int:
    digits = leading_digits(text.lstrip())
    if len(digits) > 20:  # past ULONG_MAX whatever they are: strtoul saturates
        return (1 << 64) - 1
    return min(int(digits), (1 << 64) - 1) if digits else 0


def atoi(text: str) -> int:
    t = text.lstrip()
    sign = 1
    if t[:1] in "+-" and t:
        sign, t = (-1 if t[0] == "-" else 1), t[1:]
    digits = leading_digits(t)
    val = sign * int(digits[:20]) if digits else 0
    return ((val + (1 << 31)) % (1 << 32)) - (1 << 31)


def domain_label(domid: int) -> str:
    """libxl's ``Domain N:`` log prefix, present only for guest domids."""
    return f"Domain {domid}:" if 0 < domid < 32752 else ""


# --- sizes -----------------------------------------------------------------------------


def _wrap64(v: int) -> int:
    return ((v - INT64_MIN) % (1 << 64)) + INT64_MIN


def parse_mem_size_kb(text: str) -> int:
    """xl's parse_mem_size_kb: strtoll, then one optional b/k/m/g/t suffix (default m)."""
    t = text.lstrip(" \t\n\r\f\v")
    sign, body = 1, t
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    digits = ""
    for c in body:
        if not ("0" <= c <= "9"):
            break
        digits += c
    if digits:
        kb = max(INT64_MIN, min(INT64_MAX, sign * int(digits)))
        end = body[len(digits) :]
    else:
        kb, end = 0, text
    if len(end) > 1:
        return -1
    suffix = end.lower()
    if suffix == "t":
        kb = _wrap64(kb << 30)
    elif suffix == "g":
        kb = _wrap64(kb << 20)
    elif suffix in ("", "m"):
        kb = _wrap64(kb << 10)
    elif suffix == "k":
        pass
    elif suffix == "b":
        kb >>= 10
    else:
        return -1
    return kb


# --- CPU lists -------------------------------------------------------------------------


class CpuListError(ValueError):
    pass


def parse_cpu_list(text: str, nr_cpus: int, nr_nodes: int = 1) -> CpuSet:
    """vcpu-pin's cpumap syntax: ``all``, ``N``, ``A-B``, ``^N``, ``node:N``, comma lists."""
    if text == "all":
        return CpuSet(all=True)
    cpus: set[int] = set()
    for item in filter(None, text.split(",")):  # strtok_r: empty items are skipped
        neg = item.startswith("^")
        body = item[1:] if neg else item
        if body.startswith(("node:", "nodes:")) and body.endswith(":all"):
            body = "all"  # update_cpumap_range drops the prefix before comparing with "all"
        if body == "all":
            if neg:
                raise CpuListError('Can\'t combine "^" and "all".')
            rng = set(range(nr_cpus))
        elif body.startswith(("node:", "nodes:")):
            lo, hi = _range(body.split(":", 1)[1], item, "node")
            per_node = max(1, nr_cpus // max(1, nr_nodes))
            rng = {c for c in range(nr_cpus) if lo <= min(nr_nodes - 1, c // per_node) <= hi}
        else:
            lo, hi = _range(body, item, "pcpu")
            rng = set(range(lo, hi + 1))
        if neg:
            cpus -= rng
        else:
            cpus |= rng
    return CpuSet.of(cpus)


def _range(spec: str, item: str, what: str) -> tuple[int, int]:
    a, dash, b = spec.partition("-")
    a, b = a.lstrip(" \t\n"), b.lstrip(" \t\n")  # strtoul skips leading blanks
    if not is_uint(a) or (dash and not is_uint(b)):
        raise CpuListError(f"Invalid {what} range: {item}.")
    lo, hi = int(a), int(b) if dash else int(a)
    if lo > hi:
        raise CpuListError(f"Invalid {what} range: {item}.")
    return lo, hi
