"""Host key checking against an OpenSSH known_hosts file, with messages that say what to do.

asyncssh matches the server's key against the entries we load; when the key is not among
them it asks :meth:`HostKeyCheck.validate`, which records the offered key, decides
(accept-new: a host with no entry at all), and lets us explain an unknown or CHANGED key.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from collectors.transport.ssh_target import HostKeyPolicy, host_port


def known_hosts_pattern(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, else ``[host]:port``."""
    return host if port == 22 else f"[{host}]:{port}"


@dataclass(frozen=True, slots=True)
class KnownHostsFile:
    """Parsed known_hosts files (``path`` first: where new keys go, then any others ssh
    also reads), and their entry lines by file and number (to name them in errors)."""

    path: Path
    entries: asyncssh.SSHKnownHosts
    lines: tuple[tuple[Path, int, str], ...]

    @classmethod
    def read(cls, path: Path, others: Sequence[Path] = ()) -> KnownHostsFile:
        """Blocking read. A missing file is empty (an unreadable other one too); a line
        that can't be parsed is skipped."""
        lines = _entry_lines(path)
        for other in others:
            with contextlib.suppress(OSError):
                lines += _entry_lines(other)
        text = "\n".join(line for _, _, line in lines)
        try:
            entries = asyncssh.import_known_hosts(text)
        except (ValueError, asyncssh.KeyImportError):  # as OpenSSH: skip bad lines
            lines = tuple(item for item in lines if _parse_line(item[2]) is not None)
            entries = asyncssh.import_known_hosts("\n".join(line for _, _, line in lines))
        return cls(path, entries, lines)

    def matching_lines(self, host: str, addr: str, port: int) -> list[tuple[Path, int]]:
        """The files and line numbers of the entries (keys or CAs) that name this host."""
        found = []
        for path, no, line in self.lines:
            entry = _parse_line(line)
            if entry is None:
                continue
            keys, cas, *_ = entry.match(host, addr, None if port == 22 else port)
            if keys or cas:
                found.append((path, no))
        return found

    def key_types(self, host: str, addr: str, port: int) -> list[str]:
        keys, *_ = self.entries.match(host, addr, None if port == 22 else port)
        return sorted({k.get_algorithm() for k in keys})


def _entry_lines(path: Path) -> tuple[tuple[Path, int, str], ...]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ()
    return tuple(
        (path, no, line)
        for no, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )


def _lines_text(found: list[tuple[Path, int]]) -> str:
    """``/a line 1, 3; /b line 2``."""
    paths = list(dict.fromkeys(path for path, _ in found))
    return "; ".join(
        f"{path} line {', '.join(str(no) for p, no in found if p == path)}" for path in paths
    )


def _parse_line(line: str) -> asyncssh.SSHKnownHosts | None:
    try:
        return asyncssh.import_known_hosts(line)
    except (ValueError, asyncssh.KeyImportError):
        return None


def describe_key(key: asyncssh.SSHKey) -> str:
    return f"{key.get_algorithm()} {key.get_fingerprint()}"


@dataclass
class HostKeyCheck:
    """One connection attempt's host key decision."""

    policy: HostKeyPolicy
    path: Path
    others: tuple[Path, ...] = ()  # also read (more UserKnownHostsFile, GlobalKnownHostsFile)
    known: KnownHostsFile | None = None
    offered: tuple[str, str, int, asyncssh.SSHKey] | None = None  # host, addr, port, key
    accepted: bool = False
    _entries_for_host: list[tuple[Path, int]] = field(default_factory=list)

    async def load(self) -> asyncssh.SSHKnownHosts | None:
        """What to pass asyncssh as ``known_hosts`` (None: no checking at all)."""
        if self.policy == "off":
            return None
        self.known = await asyncio.to_thread(KnownHostsFile.read, self.path, self.others)
        return self.known.entries

    def validate(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """The offered key is not in known_hosts: trust it only for accept-new and a new host."""
        self.offered = (host, addr, port, key)
        assert self.known is not None
        self._entries_for_host = self.known.matching_lines(host, addr, port)
        if self.policy == "accept-new" and not self._entries_for_host:
            self.accepted = True
            return True
        return False

    async def commit(self) -> None:
        """After a successful connection: append an accepted new key to known_hosts."""
        if not self.accepted or self.offered is None:
            return
        host, _addr, port, key = self.offered
        algorithm, data = key.export_public_key("openssh").decode().split()[:2]
        line = f"{known_hosts_pattern(host, port)} {algorithm} {data}\n"
        await asyncio.to_thread(_append_line, self.path, line)
        self.accepted = False

    def rejection(self, host: str, port: int, jumped_by: str | None = None) -> str:
        """Why the key was refused and how to trust it (asyncssh said: not verifiable).
        ``jumped_by``: for a host reached through a ProxyJump (ssh-keyscan from here would
        not go through it), the ssh command that takes the same route."""
        if self.offered is None:  # refused before asking us, e.g. a @revoked key
            return (
                f"host key for {host_port(host, port)} was refused: it is revoked or not "
                f"trusted by {self.path}"
            )
        host, _addr, port, key = self.offered
        where = host_port(host, port)
        pattern = known_hosts_pattern(host, port)
        if self._entries_for_host:
            first_path, first = self._entries_for_host[0]
            return (
                f"host key for {where} has CHANGED: the server now offers {describe_key(key)},"
                f" which does not match {_lines_text(self._entries_for_host)}. This can be an "
                f"attack or a reinstalled host; if the change is expected, remove line {first}"
                f" (ssh-keygen -R {shlex.quote(pattern)} -f {shlex.quote(str(first_path))}) "
                "and add the new key"
            )
        if jumped_by is not None:
            return (
                f"host key for {where} ({describe_key(key)}) is not in {self.path}; verify "
                f"it and add it: connect once with {jumped_by} (through its ProxyJump)"
            )
        return (
            f"host key for {where} ({describe_key(key)}) is not in {self.path}; verify it and "
            f"add it with ssh-keyscan -p {port} {shlex.quote(host)} >> "
            f"{shlex.quote(str(self.path))} (or connect once with ssh)"
        )

    def key_type_mismatch(self, host: str, addr: str, port: int) -> str | None:
        """When the key exchange failed for want of a host key type that known_hosts lists.

        asyncssh offers the server only the key types known_hosts has for the host; a
        server without such a key has CHANGED its key. None when known_hosts has no entry.
        """
        if self.known is None:
            return None
        lines = self.known.matching_lines(host, addr, port)
        if not lines:
            return None
        types = ", ".join(self.known.key_types(host, addr, port)) or "CA-signed"
        pattern = known_hosts_pattern(host, port)
        return (
            f"host key for {host_port(host, port)} has CHANGED: {_lines_text(lines)} "
            f"lists {types} keys and the server offers none of that type. If the change is "
            f"expected, remove the old key (ssh-keygen -R {shlex.quote(pattern)} -f "
            f"{shlex.quote(str(lines[0][0]))}) and add the new one"
        )


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size > 0 and not _ends_with_newline(path):
        line = "\n" + line
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "ab") as f:
        f.write(line.encode())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"
