"""On-demand queries: what a view asks for when the user opens it, not what the pollers
collect every tick. A domain's stored config, XenStore nodes and subtrees, cpupools, the
tail of the hypervisor log.

Every query goes through the host's Runner (argv lists from :mod:`collectors.commands`,
never a shell string) and returns parsed data, or raises :class:`QueryError` with one
line saying why (the host's own error text where it gave one). Error text and values
come from the host and are untrusted: the UI shows them with ``tui.text.safe_text``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from collectors import commands as cmd
from collectors.model import CpuSet, HostId
from collectors.parse.common import ParseError, parse_cpu_list
from collectors.parse.xenstore import parse_xenstore_ls, unescape_value
from collectors.parse.xl_info import parse_cpupool_list
from collectors.parse.xl_list import XlDomainConfig, parse_xl_list_long
from collectors.transport.base import CommandResult, Runner, TransportError

DEFAULT_TIMEOUT_S = 30.0
XENSTORE_MAX_PATH = 3072  # XenStore's limit for an absolute path
PATHS_PER_COMMAND = 256  # keeps an argv far below ARG_MAX on any Dom0


class QueryError(Exception):
    """An on-demand query failed. ``message`` is one line; the host's text is untrusted."""

    def __init__(self, host: HostId, what: str, message: str) -> None:
        super().__init__(f"{what}: {message}")
        self.host = host
        self.what = what
        self.message = message


@dataclass(frozen=True, slots=True)
class XenstoreNode:
    """One XenStore node: every node has a value (often empty) and may have children."""

    path: str
    name: str
    value: str | None  # None when it could not be read
    has_children: bool | None  # None when unknown (the listing failed part way)


@dataclass(frozen=True, slots=True)
class Cpupool:
    name: str
    cpus: int | None
    sched: str | None
    active: bool | None
    domains: int | None
    cpu_list: CpuSet | None  # from ``xl cpupool-list -c``; None when it failed


# --- running commands ------------------------------------------------------------------


def _why(res: CommandResult) -> str:
    """The host's reason for a failed command, in one line."""
    lines = [ln.strip() for ln in res.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "not" in ln.lower()]
    text = (errors or lines or [f"exit status {res.exit_code}"])[-1]
    return text[:300]


async def _run(runner: Runner, argv: Sequence[str], what: str, timeout: float) -> CommandResult:
    try:
        res = await runner.run(argv, timeout=timeout)
    except TransportError as e:
        raise QueryError(runner.host, what, e.message) from e
    except ValueError as e:  # an argv the transport refuses
        raise QueryError(runner.host, what, str(e)) from e
    if not res.ok:
        raise QueryError(runner.host, what, _why(res))
    return res


async def _batch(runner: Runner, argvs: Sequence[Sequence[str]], what: str,
                 timeout: float) -> list[CommandResult]:
    try:
        return await runner.run_batch(argvs, timeout=timeout)
    except TransportError as e:
        raise QueryError(runner.host, what, e.message) from e
    except ValueError as e:
        raise QueryError(runner.host, what, str(e)) from e


# --- xl list -l <domid> ------------------------------------------------------------------


async def domain_config(runner: Runner, domid: int, *,
                        timeout: float = DEFAULT_TIMEOUT_S) -> XlDomainConfig:
    """The domain's stored configuration (``xl list -l DOMID``)."""
    what = f"xl list -l {domid}"
    if isinstance(domid, bool) or not isinstance(domid, int) or domid < 0:
        raise QueryError(runner.host, what, "a domain id is a number ≥ 0")
    res = await _run(runner, cmd.xl_list_long(domid), what, timeout)
    try:
        configs = parse_xl_list_long(res.stdout)
    except ParseError as e:
        raise QueryError(runner.host, what, str(e)) from e
    if not configs:
        # xl sometimes exits 0 after printing its error (fixtures: err-pause-unknown-domid)
        why = _why(res) if res.stderr.strip() else "xl printed no configuration"
        raise QueryError(runner.host, what, why)
    return next((c for c in configs if c.domid == domid), configs[0])


# --- XenStore ------------------------------------------------------------------------------


def check_xenstore_path(path: str) -> str:
    """An absolute XenStore path, or ValueError (nothing that could be read as an option,
    no control characters, within XenStore's length limit)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("a XenStore path starts with /")
    if len(path) > XENSTORE_MAX_PATH:
        raise ValueError(f"a XenStore path is at most {XENSTORE_MAX_PATH} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise ValueError("a XenStore path has no control characters")
    return path if path == "/" else path.rstrip("/") or "/"


def child_path(parent: str, name: str) -> str:
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def _checked(runner: Runner, path: str, what: str) -> str:
    try:
        return check_xenstore_path(path)
    except ValueError as e:
        raise QueryError(runner.host, what, str(e)) from e


def _chunks(items: Sequence[str], size: int = PATHS_PER_COMMAND) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def xenstore_children(runner: Runner, path: str, *,
                            timeout: float = DEFAULT_TIMEOUT_S) -> list[XenstoreNode]:
    """The children of one node with their values and whether they have children.

    Two round trips: ``xenstore-list PATH``, then one batch with ``xenstore-read`` and
    ``xenstore-list -p`` of all the children (a child that vanished in between costs a
    third round trip, reading the others one by one).
    """
    what = f"xenstore-list {path}"
    path = _checked(runner, path, what)
    res = await _run(runner, cmd.xenstore_list(path), what, timeout)
    names = [n for n in res.stdout.split("\n") if n and "/" not in n]
    paths = [child_path(path, n) for n in names]
    if not paths:
        return []
    chunks = _chunks(paths)
    argvs = [cmd.xenstore_read(*c) for c in chunks] + [cmd.xenstore_list_prefixed(*c)
                                                       for c in chunks]
    results = await _batch(runner, argvs, f"reading the children of {path}", timeout)
    reads, lists = results[:len(chunks)], results[len(chunks):]
    values: dict[str, str | None] = {}
    retry: list[str] = []
    for chunk, r in zip(chunks, reads, strict=True):
        lines = r.stdout.split("\n")
        if r.ok and len(lines) == len(chunk) + 1 and lines[-1] == "":
            values.update(zip(chunk, (unescape_value(v) for v in lines[:-1]), strict=True))
        else:
            retry.extend(chunk)
    if retry:
        singles = await _batch(runner, [cmd.xenstore_read(p) for p in retry],
                               f"reading the children of {path}", timeout)
        for p, r in zip(retry, singles, strict=True):
            values[p] = unescape_value(r.stdout.removesuffix("\n")) if r.ok else None
    parents: set[str] = set()
    complete = True
    for r in lists:
        for line in r.stdout.split("\n"):
            if line:
                parents.add(line.rpartition("/")[0])
        complete = complete and r.ok
    return [XenstoreNode(p, n, values.get(p),
                         True if p in parents else (False if complete else None))
            for p, n in zip(paths, names, strict=True)]


async def xenstore_subtree(runner: Runner, path: str, *,
                           timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, str]:
    """Every node below ``path`` (full path → value) from one ``xenstore-ls -f PATH``."""
    what = f"xenstore-ls -f {path}"
    path = _checked(runner, path, what)
    res = await _run(runner, cmd.xenstore_ls(path), what, timeout)
    try:
        return parse_xenstore_ls(res.stdout, root=path)
    except ParseError as e:
        raise QueryError(runner.host, what, str(e)) from e


# --- cpupools ------------------------------------------------------------------------------

_CPU_LIST = re.compile(r"\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*")


def _pool_cpu_lists(text: str) -> dict[str, CpuSet]:
    """``xl cpupool-list -c``: pool name → its CPUs (a pool without CPUs has no list)."""
    out: dict[str, CpuSet] = {}
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip() or re.fullmatch(r"Name\s+CPU list", line):
            continue
        name, _, last = line.rpartition(" ")
        if name.strip() and _CPU_LIST.fullmatch(last):
            try:
                out[name.strip()] = parse_cpu_list(last)
            except ValueError:
                continue
        else:
            out[line.strip()] = CpuSet.of(())
    return out


async def cpupools(runner: Runner, *, timeout: float = DEFAULT_TIMEOUT_S) -> list[Cpupool]:
    """``xl cpupool-list`` and its ``-c`` CPU lists, in one round trip."""
    what = "xl cpupool-list"
    plain, cpus = await _batch(runner, [cmd.XL_CPUPOOL_LIST, cmd.XL_CPUPOOL_LIST_CPUS],
                               what, timeout)
    if not plain.ok:
        raise QueryError(runner.host, what, _why(plain))
    try:
        rows = parse_cpupool_list(plain.stdout)
    except ParseError as e:
        raise QueryError(runner.host, what, str(e)) from e
    lists = _pool_cpu_lists(cpus.stdout) if cpus.ok else {}
    return [Cpupool(r.name, r.cpus, r.sched, r.active, r.domains, lists.get(r.name))
            for r in rows]


# --- xl dmesg --------------------------------------------------------------------------------


async def dmesg_tail(runner: Runner, lines: int = 200, *,
                     timeout: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """The last ``lines`` lines of the hypervisor's console ring (``xl dmesg``)."""
    what = "xl dmesg"
    if lines < 1:
        raise QueryError(runner.host, what, "ask for at least one line")
    res = await _run(runner, cmd.XL_DMESG, what, timeout)
    text = res.stdout.replace("\r\n", "\n")
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out[-lines:]


# --- a domain's logs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogFile:
    path: str
    lines: tuple[str, ...] | None  # None when it could not be read
    error: str | None = None  # why not (the host's words), when it could not


async def domain_logs(runner: Runner, name: str, lines: int = cmd.DOMAIN_LOG_LINES, *,
                      timeout: float = DEFAULT_TIMEOUT_S) -> list[LogFile]:
    """The tail of each of a domain's log files (:func:`collectors.commands.domain_log_paths`),
    a missing one with the reason tail gave."""
    what = "tail of the domain's logs"
    if not name or "/" in name or name in (".", ".."):
        raise QueryError(runner.host, what, f"no log file can be named after {name!r}")
    paths = cmd.domain_log_paths(name)
    try:
        res = await runner.run(cmd.domain_logs(name, lines), timeout=timeout)
    except TransportError as e:
        raise QueryError(runner.host, what, e.message) from e
    sections = _tail_sections(res.stdout, paths)
    errors = _tail_errors(res.stderr, paths)
    if res.exit_code not in (0, 1) or not (sections or errors):
        raise QueryError(runner.host, what, _why(res))
    return [LogFile(p, sections.get(p), None if p in sections else
                    errors.get(p, "not read (tail said nothing about it)")) for p in paths]


def _tail_sections(text: str, paths: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``tail`` of several files: each file's lines after its ``==> path <==`` header, the
    blank line tail puts before the next header dropped."""
    headers = {f"==> {p} <==": p for p in paths}
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        path = headers.get(line)
        if path is not None and path not in out:
            if current and current[-1] == "":
                current.pop()
            current = out[path] = []
        elif current is not None:
            current.append(line)
    if current and current[-1] == "":
        current.pop()
    return {p: tuple(lines) for p, lines in out.items()}


def _tail_errors(text: str, paths: Sequence[str]) -> dict[str, str]:
    """``tail: cannot open '/path' for reading: No such file or directory`` → {path: the
    reason} (GNU and busybox word it differently; the reason is after the last ': ')."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        named = [p for p in paths if p in line]  # xl-x.log is in xl-x.log.1: the longest
        if named:
            out.setdefault(max(named, key=len), line.rsplit(": ", 1)[-1].strip()[:200])
    return out
