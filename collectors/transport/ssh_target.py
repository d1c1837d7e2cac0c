"""Where and how to reach a host over SSH: the target, its parser, its ~/.ssh/config view."""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from asyncssh.config import SSHClientConfig, SSHConfig

from collectors.model import HostId

HostKeyPolicy = Literal["strict", "accept-new", "off"]
HOST_KEY_POLICIES: tuple[HostKeyPolicy, ...] = get_args(HostKeyPolicy)

# Host names, ~/.ssh/config aliases and user names: no spaces, quotes, shell or markup
# characters, nothing that could be read as an option.
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_USER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")

# OpenSSH StrictHostKeyChecking values and the policy each one means here ("ask" cannot
# ask from a dashboard, so it is strict).
_STRICT_VALUES: dict[str, HostKeyPolicy] = {
    "yes": "strict",
    "ask": "strict",
    "accept-new": "accept-new",
    "no": "off",
    "off": "off",
}


def default_ssh_dir() -> Path:
    return Path("~", ".ssh").expanduser()


@dataclass(frozen=True, slots=True)
class SshTarget:
    """One Dom0 reachable over SSH. ``None`` fields come from ~/.ssh/config or defaults."""

    host: str
    alias: str | None = None
    user: str | None = None
    port: int | None = None
    key: str | None = None  # IdentityFile
    known_hosts: str | None = None  # default: UserKnownHostsFile, else ~/.ssh/known_hosts
    # None: ~/.ssh/config's StrictHostKeyChecking decides, else strict; a policy given
    # here wins over it (as ``ssh -o StrictHostKeyChecking=...`` does)
    host_key_policy: HostKeyPolicy | None = None
    ssh_config: str | None = None  # default: ~/.ssh/config if it exists
    sudo: bool = False
    connect_timeout: float = 10.0
    command_timeout: float = 30.0
    keepalive_interval: float = 15.0

    def __post_init__(self) -> None:
        check_host(self.host)
        if self.alias is not None and not _NAME_RE.fullmatch(self.alias):
            raise ValueError(f"invalid host alias: {self.alias!r}")
        if self.user is not None and not _USER_RE.fullmatch(self.user):
            raise ValueError(f"invalid user name: {self.user!r}")
        if self.port is not None and (
            isinstance(self.port, bool) or not isinstance(self.port, int)
            or not 1 <= self.port <= 65535
        ):
            raise ValueError(f"invalid port: {self.port!r}")
        if self.host_key_policy is not None and self.host_key_policy not in HOST_KEY_POLICIES:
            raise ValueError(
                f"invalid host key policy {self.host_key_policy!r}; "
                f"use one of {', '.join(HOST_KEY_POLICIES)}"
            )
        for name in ("connect_timeout", "command_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.keepalive_interval < 0:
            raise ValueError("keepalive_interval must not be negative")

    @property
    def name(self) -> HostId:
        """The host as the user named it: the alias, else ``[user@]host[:port]``."""
        if self.alias is not None:
            return self.alias
        return format_spec(self.host, self.user, self.port)

    def config_paths(self) -> list[str]:
        """The OpenSSH client config files to read (empty when there is none)."""
        if self.ssh_config is not None:
            return [str(Path(self.ssh_config).expanduser())]
        default = default_ssh_dir() / "config"
        return [str(default)] if default.is_file() else []


def check_host(host: str) -> None:
    """ValueError unless ``host`` is a host name, alias or IP address."""
    if not isinstance(host, str) or not host:
        raise ValueError("empty host name")
    if _NAME_RE.fullmatch(host) or _is_ipv6(host):
        return
    raise ValueError(f"invalid host name: {host!r}")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def format_spec(host: str, user: str | None = None, port: int | None = None) -> str:
    shown = f"[{host}]" if ":" in host and port is not None else host
    return f"{user + '@' if user else ''}{shown}{'' if port is None else f':{port}'}"


def host_port(host: str, port: int) -> str:
    """``10.0.0.5:22`` / ``[fe80::1]:22`` for messages."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_spec(spec: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` / ``[user@][v6addr][:port]`` → (user, host, port).

    Raises ValueError with the reason.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty SSH target")
    if spec != spec.strip() or any(c.isspace() or not c.isprintable() for c in spec):
        raise ValueError(f"SSH target contains whitespace or control characters: {spec!r}")
    user: str | None = None
    rest = spec
    if "@" in spec:
        user, rest = spec.rsplit("@", 1)
        if not _USER_RE.fullmatch(user):
            raise ValueError(f"invalid user name in {spec!r}: {user!r}")
    port_text: str | None = None
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ValueError(f"missing ']' in {spec!r}")
        host, after = rest[1:end], rest[end + 1 :]
        if not _is_ipv6(host):
            raise ValueError(f"not an IPv6 address in {spec!r}: {host!r}")
        if after:
            if not after.startswith(":"):
                raise ValueError(f"unexpected text after ']' in {spec!r}")
            port_text = after[1:]
    elif rest.count(":") > 1:  # a bare IPv6 address (no port possible)
        host = rest
        if not _is_ipv6(host):
            raise ValueError(f"invalid host in {spec!r}: {host!r}")
    elif ":" in rest:
        host, port_text = rest.split(":", 1)
    else:
        host = rest
    if not host:
        raise ValueError(f"missing host in {spec!r}")
    check_host(host)
    port: int | None = None
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"invalid port in {spec!r}: {port_text!r}")
        port = int(port_text)
    return user, host, port


def parse_target(spec: str) -> SshTarget:
    """An SshTarget from ``[user@]host[:port]``, ``[user@][v6addr]:port`` or a plain name.

    A plain name (no user, no port) is kept as the target's alias, so an ~/.ssh/config
    ``Host`` block of that name applies. ``local`` means this machine, not SSH.
    """
    user, host, port = split_spec(spec)
    if host == "local" and user is None and port is None:
        raise ValueError("'local' is this machine, not an SSH target")
    plain = user is None and port is None and _NAME_RE.fullmatch(host) is not None
    return SshTarget(host=host, alias=host if plain else None, user=user, port=port)


# --- what ~/.ssh/config says about one host ------------------------------------------


class _ClientConfig(SSHClientConfig):
    """asyncssh's OpenSSH config reader, also keeping StrictHostKeyChecking."""

    _handlers = {
        **SSHClientConfig._handlers,
        "stricthostkeychecking": ("StrictHostKeyChecking", SSHConfig._set_string),
    }


@dataclass(frozen=True, slots=True)
class HostConfig:
    """The settings one SSH hop uses, with ~/.ssh/config applied (explicit values win)."""

    name: str  # as given (alias or host name); what asyncssh is asked to connect to
    hostname: str  # after HostName
    port: int
    user: str | None
    host_key_policy: HostKeyPolicy
    known_hosts: Path
    proxy_jump: str | None  # None for no jump (also for "ProxyJump none")
    # the other files ssh reads host keys from: more UserKnownHostsFile, GlobalKnownHostsFile
    other_known_hosts: tuple[Path, ...] = ()

    @property
    def display(self) -> str:
        return host_port(self.hostname, self.port)


def resolve_host(
    name: str,
    *,
    user: str | None,
    port: int | None,
    config_paths: list[str],
    policy: HostKeyPolicy | None,
    known_hosts: str | None,
) -> HostConfig:
    """Apply the OpenSSH client config files to one host (blocking: it reads files).
    Explicit values (``user``, ``port``, ``policy``, ``known_hosts``) win over the files.

    Raises ValueError when a config file cannot be parsed, OSError when it cannot be read.
    """
    config = _ClientConfig.load(
        None,
        config_paths,
        False,
        False,
        False,
        _local_user(),
        user if user is not None else (),
        name,
        port if port is not None else (),
    )
    if policy is None:
        strict = config.get("StrictHostKeyChecking")
        policy = (_STRICT_VALUES.get(strict.lower(), "strict") if isinstance(strict, str)
                  else "strict")
    files = _paths(config.get("UserKnownHostsFile"), [
        default_ssh_dir() / "known_hosts", default_ssh_dir() / "known_hosts2"])
    if known_hosts is not None:  # (a file given replaces the user's, as with ssh -o)
        files = [Path(known_hosts).expanduser()]
    files += _paths(config.get("GlobalKnownHostsFile"), _GLOBAL_KNOWN_HOSTS)
    jump = config.get("ProxyJump")
    configured_user = config.get("User")
    return HostConfig(
        name=name,
        hostname=str(config.get("Hostname", name)),
        port=cast(int, config.get("Port", 22)),
        user=configured_user if isinstance(configured_user, str) else None,
        host_key_policy=policy,
        known_hosts=files[0],
        proxy_jump=jump if isinstance(jump, str) and jump.lower() != "none" else None,
        other_known_hosts=tuple(files[1:]),
    )


# OpenSSH's defaults for GlobalKnownHostsFile
_GLOBAL_KNOWN_HOSTS = [Path("/etc/ssh/ssh_known_hosts"), Path("/etc/ssh/ssh_known_hosts2")]


def _paths(value: object, default: list[Path]) -> list[Path]:
    """A known_hosts files option's paths (its default when not set, or set to none)."""
    if not isinstance(value, list) or not value:
        return list(default)
    return [Path(str(v)).expanduser() for v in value]


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no USER/LOGNAME (some containers)
        return str(os.getuid())


def parse_jump(spec: str) -> tuple[str | None, str, int | None]:
    """One ProxyJump hop: ``[user@]host[:port]`` or ``ssh://[user@]host[:port]``."""
    if spec.startswith("ssh://"):
        spec = spec[len("ssh://") :]
    return split_spec(spec)
