"""The XDG base directories xltop keeps its files in (config, journal, UI memory)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def xdg_dir(env: Mapping[str, str], var: str, *default: str) -> Path:
    """``$var`` if it is an absolute path, else ``~/<default...>``: the spec says a relative
    value is invalid and is ignored (it would depend on the directory xltop starts in)."""
    value = env.get(var, "")
    return Path(value) if Path(value).is_absolute() else Path.home().joinpath(*default)


def config_home(env: Mapping[str, str]) -> Path:
    return xdg_dir(env, "XDG_CONFIG_HOME", ".config")


def state_home(env: Mapping[str, str]) -> Path:
    return xdg_dir(env, "XDG_STATE_HOME", ".local", "state")
