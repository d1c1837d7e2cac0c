"""Settings: the TOML config file (hosts, groups, intervals, theme, keys) and CLI overrides.

The file is ``$XLTOP_CONFIG`` if set, else ``$XDG_CONFIG_HOME/xltop/config.toml``
(``~/.config/xltop/config.toml``); ``--config PATH`` wins over both. Example::

    interval = 2.0
    theme = "xltop-dark"

    [keys]
    "domain.pause" = "p"

    [groups.prod]
    accent = "red"
    banner = "PROD"
    production = true
    sudo = true

    [[hosts]]
    name = "xen1"
    target = "admin@10.0.0.5:22"   # or an alias from ~/.ssh/config; default: name
    group = "prod"
    tags = ["rack1"]
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from collectors.xdg import config_home

ACCENTS = ("red", "amber", "green", "blue", "purple", "cyan")
HOST_KEY_POLICIES = ("strict", "accept-new", "off")


class ConfigError(ValueError):
    """The config file is unreadable or has a wrong value; the message says where."""


@dataclass(frozen=True, slots=True)
class HostConfig:
    """One host to watch. ``target`` is ``local``, ``[user@]host[:port]`` or an SSH alias."""

    name: str
    target: str
    group: str | None = None
    tags: tuple[str, ...] = ()
    sudo: bool = False
    user: str | None = None
    port: int | None = None
    key: str | None = None
    known_hosts: str | None = None
    host_key_policy: str | None = None  # None: ~/.ssh/config decides, else strict
    read_only: bool = False
    production: bool = False
    accent: str | None = None  # one of ACCENTS; colours come from the theme
    banner: str | None = None  # e.g. "PROD"
    mount_debugfs: bool = True

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    @property
    def is_demo(self) -> bool:
        return self.target.startswith("demo:")


# While a view shows vCPU placement (the pinning map, a domain's detail), that view's host
# reads ``xl vcpu-list`` every max(interval, VCPU_DEMAND_S) seconds instead of every
# ``Cadence.vcpus_s``: fresh enough to trust, for one host at a time.
VCPU_DEMAND_S = 5.0


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often each family of data is refreshed, in poll ticks or seconds."""

    # Every spawn costs Dom0 far more than a tick of the running xentop stream (sshd + sh +
    # exec ~0.3 s per round trip in the lab), so the periodic families share one period:
    # one round trip a minute (info joins every other one). Tuned with
    # benchmarks/bench_dom0_cost.py (target: ≤ 1.5 × ``xentop -b -d 1``).
    vcpus_s: float = 60.0  # xl list -v + xl vcpu-list (at once after a domain appears/goes;
    # vcpu-list every VCPU_DEMAND_S while a view shows vCPUs)
    info_s: float = 120.0  # xl info, xl uptime
    rings_s: float = 60.0  # netback debugfs + blkback statistics (every tick on demand)
    xenstore_s: float = 600.0  # full re-read; changes arrive through xenstore-watch
    dom0_s: float = 60.0  # /proc/net/dev + loadavg over SSH (every tick when xentop sees no
    # vifs, i.e. Open vSwitch, or while a view shows rings)


@dataclass(frozen=True, slots=True)
class Settings:
    hosts: tuple[HostConfig, ...] = ()
    interval_s: float = 2.0
    theme: str = "xltop-dark"
    theme_chosen: bool = False  # set by the config file or --theme (else remembered or default)
    keys: Mapping[str, str] = field(default_factory=dict)
    read_only: bool = False
    dom0_first: bool = True
    cadence: Cadence = Cadence()
    connect_timeout_s: float = 10.0
    command_timeout_s: float = 30.0
    config_path: Path | None = None

    def host(self, name: str) -> HostConfig | None:
        """A configured host by its name, else by its target (``root@h:22``)."""
        by_name = next((h for h in self.hosts if h.name == name), None)
        return by_name or next((h for h in self.hosts if h.target == name), None)


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    if env.get("XLTOP_CONFIG"):
        return Path(env["XLTOP_CONFIG"]).expanduser()
    return config_home(env) / "xltop" / "config.toml"


def load_settings(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Settings:
    """Read the config file; a missing default file gives the defaults."""
    explicit = path is not None or bool(env.get("XLTOP_CONFIG"))
    p = path if path is not None else default_config_path(env)
    if not p.exists():
        if explicit:
            raise ConfigError(f"{p}: config file not found")
        return Settings()
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"{p}: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8-sig")  # (an editor's BOM too)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{p}: {_not_utf8(raw, e.start)}") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: {e}") from e
    return settings_from_dict(data, source=str(p), config_path=p)


def _not_utf8(raw: bytes, start: int) -> str:
    """Where a file that is not UTF-8 goes wrong, as an editor counts: line and column."""
    before = raw[:start]
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return (f"not UTF-8 text: byte 0x{raw[start]:02x} at line {line}, column {column} "
            "(save the file as UTF-8)")


_TOP_KEYS = frozenset({"hosts", "groups", "cadence", "keys", "interval", "theme", "read_only",
                       "dom0_first", "connect_timeout", "command_timeout"})
_HOST_KEYS = frozenset(HostConfig.__dataclass_fields__)  # a host's keys are its fields
MAX_INTERVAL_S = 3600.0
_SSH_ONLY_KEYS = frozenset({"user", "port", "key", "known_hosts", "host_key_policy"})


def _known_keys(table: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    """A misspelt key is an error that names it (it would otherwise be silently ignored)."""
    unknown = sorted(str(k) for k in table if k not in known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} "
                          f"(known: {', '.join(sorted(known))})")


def settings_from_dict(
    data: Mapping[str, Any], *, source: str = "config", config_path: Path | None = None
) -> Settings:
    _known_keys(data, _TOP_KEYS, source)
    groups = _table(data, "groups", source)
    for gname, g in groups.items():
        if not isinstance(g, Mapping):
            raise ConfigError(f"{source}: [groups.{gname}] must be a table")
        _known_keys(g, _HOST_KEYS - {"name", "group"}, f"{source}: [groups.{gname}]")
        _host_from({**g, "name": gname}, f"{source}: [groups.{gname}]")  # its values' types
    hosts_raw = data.get("hosts", [])
    if not isinstance(hosts_raw, list):
        raise ConfigError(f"{source}: hosts must be an array of tables ([[hosts]])")
    hosts: list[HostConfig] = []
    seen: set[str] = set()
    for i, h in enumerate(hosts_raw):
        where = f"{source}: hosts[{i}]"
        if not isinstance(h, Mapping):
            raise ConfigError(f"{where} must be a table")
        _known_keys(h, _HOST_KEYS, where)
        group = h.get("group")
        merged: dict[str, Any] = {}
        if group is not None:
            if not isinstance(group, str) or group not in groups:
                raise ConfigError(f"{where}: unknown group {group!r}")
            merged.update(groups[group])
        merged.update(h)
        hc = _host_from(merged, where)
        ssh_only = sorted(k for k in _SSH_ONLY_KEYS if k in h)
        if hc.is_local and ssh_only:  # (a group's SSH options are for its SSH hosts)
            raise ConfigError(f"{where}: {', '.join(ssh_only)}: for SSH, but target is "
                              f"\"local\" (this machine's Xen tools, run without SSH)")
        if hc.name in seen:
            raise ConfigError(f"{where}: duplicate host name {hc.name!r}")
        seen.add(hc.name)
        hosts.append(hc)
    cad_raw = _table(data, "cadence", source)
    _known_keys(cad_raw, Cadence.__dataclass_fields__, f"{source}: [cadence]")
    cadence = Cadence(**{k: _positive(v, f"{source}: cadence.{k}") for k, v in cad_raw.items()})
    keys = _table(data, "keys", source)
    for k, v in keys.items():
        if isinstance(v, Mapping):  # ``domain.pause = "z"`` unquoted: TOML's dotted key
            bid = f"{k}.{next(iter(v), 'id')}"
            raise ConfigError(f"{source}: [keys]: a binding id needs quotes: \"{bid}\" = …, "
                              f"not {bid} = … (TOML reads that as a table {k})")
        if not isinstance(v, str):
            raise ConfigError(f"{source}: keys.{k} must be a string of key names")
    interval = _num(data.get("interval", 2.0), f"{source}: interval")
    if not 0.2 <= interval <= MAX_INTERVAL_S:
        raise ConfigError(f"{source}: interval must be 0.2-{MAX_INTERVAL_S:g} seconds")
    theme = data.get("theme", "xltop-dark")
    if not isinstance(theme, str) or not theme.strip():
        raise ConfigError(f"{source}: theme must be a theme's name (e.g. \"xltop-light\")")
    return Settings(
        hosts=tuple(hosts),
        interval_s=interval,
        theme=theme,
        theme_chosen="theme" in data,
        keys=dict(keys),
        read_only=_bool(data.get("read_only", False), f"{source}: read_only"),
        dom0_first=_bool(data.get("dom0_first", True), f"{source}: dom0_first"),
        cadence=cadence,
        connect_timeout_s=_positive(data.get("connect_timeout", 10.0),
                                    f"{source}: connect_timeout"),
        command_timeout_s=_positive(data.get("command_timeout", 30.0),
                                    f"{source}: command_timeout"),
        config_path=config_path,
    )


def production_names(hosts: Iterable[HostConfig]) -> frozenset[str]:
    """Every name a host marked production goes by here: its configured name and the host
    part of its target (``root@xen1:22`` → ``xen1``, ``[fe80::1]:22`` → ``fe80::1``), as DNS
    compares them (lower case, no trailing dot: see control.syntax.destination_host)."""
    from collectors.control.syntax import host_name_key
    from collectors.transport.ssh_target import split_spec  # (asyncssh: only when asked)

    out: set[str] = set()
    for h in hosts:
        if h.production:
            try:
                out.update((h.name, split_spec(h.target)[1]))
            except ValueError:  # an alias split_spec cannot read: its name and target as they are
                out.update((h.name, h.target))
    return frozenset(host_name_key(n) for n in out)


def host_from_spec(spec: str, settings: Settings | None = None) -> HostConfig:
    """A HOST argument: a configured host's name, ``local``, ``demo:N`` or an SSH target."""
    if settings is not None and (known := settings.host(spec)) is not None:
        return known
    if not spec or spec.strip() != spec or "\n" in spec or spec.startswith("-"):
        raise ConfigError(f"invalid host {spec!r}")
    hc = HostConfig(name=spec, target=spec)
    if settings is None:
        return hc
    # another spelling of a configured host (``root@xen1``, ``xen1:22`` for ``xen1``) is
    # still that host for the safety flags: its read_only and production hold
    key = _host_key(spec)
    same = [h for h in settings.hosts if key & (_host_key(h.name) | _host_key(h.target))]
    return replace(hc, read_only=any(h.read_only for h in same),
                   production=any(h.production for h in same))


def _host_key(spec: str) -> set[str]:
    """The host a name or target names, as DNS compares names (empty for ``local``)."""
    from collectors.control.syntax import host_name_key
    from collectors.transport.ssh_target import split_spec  # (asyncssh: only when asked)

    if spec == "local" or spec.startswith("demo:"):
        return set()
    try:
        return {host_name_key(split_spec(spec)[1])}
    except ValueError:
        return {host_name_key(spec)}


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})


def _host_from(h: Mapping[str, Any], where: str) -> HostConfig:
    name = h.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: name is required")
    target = h.get("target", name)
    if not isinstance(target, str) or not target:
        raise ConfigError(f"{where}: target must be a string")
    accent = h.get("accent")
    if accent is not None and accent not in ACCENTS:
        raise ConfigError(f"{where}: accent must be one of {', '.join(ACCENTS)}")
    policy = h.get("host_key_policy")
    if policy is not None and policy not in HOST_KEY_POLICIES:
        raise ConfigError(f"{where}: host_key_policy must be one of {', '.join(HOST_KEY_POLICIES)}")
    port = h.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                             or not 0 < port < 65536):
        raise ConfigError(f"{where}: port must be a whole number 1-65535, not {port!r}")
    tags = h.get("tags", [])
    if (not isinstance(tags, Sequence) or isinstance(tags, str)
            or not all(isinstance(t, str) for t in tags)):
        raise ConfigError(f"{where}: tags must be a list of strings")
    return HostConfig(
        name=name,
        target=target,
        group=_opt_str(h.get("group"), where, "group"),
        tags=tuple(str(t) for t in tags),
        sudo=_bool(h.get("sudo", False), f"{where}: sudo"),
        user=_opt_str(h.get("user"), where, "user"),
        port=port,
        key=_opt_str(h.get("key"), where, "key"),
        known_hosts=_opt_str(h.get("known_hosts"), where, "known_hosts"),
        host_key_policy=policy,
        read_only=_bool(h.get("read_only", False), f"{where}: read_only"),
        production=_bool(h.get("production", False), f"{where}: production"),
        accent=accent,
        banner=_opt_str(h.get("banner"), where, "banner"),
        mount_debugfs=_bool(h.get("mount_debugfs", True), f"{where}: mount_debugfs"),
    )


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, Mapping):
        raise ConfigError(f"{source}: [{key}] must be a table")
    return v


def _num(v: Any, where: str) -> float:
    if (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
            or v < 0):
        raise ConfigError(f"{where} must be a non-negative number")
    return float(v)


def _positive(v: Any, where: str) -> float:
    if _num(v, where) == 0:
        raise ConfigError(f"{where} must be more than 0")
    return float(v)


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{where} must be true or false")
    return v


def _opt_str(v: Any, where: str, key: str) -> str | None:
    if v is not None and not isinstance(v, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return v
