"""xltop's colour themes: TOML files in this package (and a user directory) → Textual themes.

A theme file has a ``name``, ``dark``, a ``[colors]`` table with Textual's base colours
(``primary`` … ``panel``) and a ``[variables]`` table with xltop's domain colours
(:data:`REQUIRED_VARIABLES`: domain states, host status, rings, vCPUs, host accents,
charts). Widgets and ``.tcss`` files use only these variables, never colour literals.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "xltop-dark"
MONO_THEME = "xltop-mono"
THEME_PREFIX = "xltop-"


def resolve_theme(wanted: str, available: Iterable[str]) -> str | None:
    """A theme name as given, or with xltop's prefix left out ("light" → "xltop-light"),
    spelt either way ("colour-blind", "colorblind", "high contrast")."""
    names = set(available)
    loose = wanted.strip().lower().replace("colour", "color").replace(" ", "-")
    for name in (wanted, THEME_PREFIX + wanted, loose, THEME_PREFIX + loose,
                 loose.replace("-", ""), THEME_PREFIX + loose.replace("-", "")):
        if name in names:
            return name
    return None

BASE_COLORS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel",
)

REQUIRED_VARIABLES = (
    # domain states (``xl list`` flags)
    "state-running", "state-blocked", "state-runnable", "state-paused",
    "state-shutdown", "state-crashed", "state-dying",
    # host status
    "status-ok", "status-stale", "status-down",
    # ring occupancy
    "ring-ok", "ring-warn", "ring-full",
    # vCPU pinning map
    "vcpu-running", "vcpu-blocked", "vcpu-runnable", "vcpu-offline", "vcpu-hard", "vcpu-soft",
    # per-host / per-group accents from the config (collectors.config.ACCENTS)
    "accent-red", "accent-amber", "accent-green", "accent-blue", "accent-purple", "accent-cyan",
    # charts
    "chart-cpu", "chart-mem", "chart-net-in", "chart-net-out", "chart-disk-read",
    "chart-disk-write", "sparkline",
    # untrusted text: how escaped control/bidi characters are highlighted
    "escaped-text",
)


class ThemeError(ValueError):
    """A theme file is unreadable or incomplete; the message names the file and the key."""


def theme_from_toml(text: str, source: str = "theme") -> Theme:
    """Parse one theme file's text into a validated Textual Theme."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ThemeError(f"{source}: {e}") from e
    return theme_from_dict(data, source)


def theme_from_dict(data: Mapping[str, Any], source: str = "theme") -> Theme:
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{source}: 'name' is required")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{source}: 'dark' must be true or false")
    colors = _table(data, "colors", source)
    variables = _table(data, "variables", source)
    for key in colors:
        if key not in BASE_COLORS:
            raise ThemeError(f"{source}: unknown colour {key!r} in [colors]")
    if "primary" not in colors:
        raise ThemeError(f"{source}: [colors] needs 'primary'")
    missing = [v for v in REQUIRED_VARIABLES if v not in variables]
    if missing:
        raise ThemeError(f"{source}: [variables] misses {', '.join(missing)}")
    for table, values in (("colors", colors), ("variables", variables)):
        for key, value in values.items():
            _check_color(value, f"{source}: {table}.{key}")
    spread = _number(data.get("luminosity_spread", 0.15), f"{source}: luminosity_spread")
    alpha = _number(data.get("text_alpha", 0.95), f"{source}: text_alpha")
    c = {k: str(v) for k, v in colors.items()}
    return Theme(
        name=name,
        primary=c["primary"],
        secondary=c.get("secondary"),
        accent=c.get("accent"),
        warning=c.get("warning"),
        error=c.get("error"),
        success=c.get("success"),
        foreground=c.get("foreground"),
        background=c.get("background"),
        surface=c.get("surface"),
        panel=c.get("panel"),
        dark=dark,
        luminosity_spread=spread,
        text_alpha=alpha,
        variables={str(k): str(v) for k, v in variables.items()},
    )


def builtin_themes() -> dict[str, Theme]:
    """The themes shipped in this package, by name."""
    themes: dict[str, Theme] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            theme = theme_from_toml(entry.read_text(encoding="utf-8"), f"themes/{entry.name}")
            themes[theme.name] = theme
    return themes


def load_themes(user_dirs: Iterable[Path] = ()) -> tuple[dict[str, Theme], list[str]]:
    """Built-in themes plus ``*.toml`` from ``user_dirs`` (a user theme may override one).

    A broken user theme is skipped; its error is returned so the app can show it.
    """
    themes = builtin_themes()
    errors: list[str] = []
    for d in user_dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            try:
                theme = theme_from_toml(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError, ThemeError) as e:
                errors.append(str(e))
                continue
            themes[theme.name] = theme
    return themes, errors


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ThemeError(f"{source}: [{key}] must be a table")
    return value


def _check_color(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise ThemeError(f"{where} must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError as e:
        raise ThemeError(f"{where}: {e}") from e


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThemeError(f"{where} must be a number")
    return float(value)
