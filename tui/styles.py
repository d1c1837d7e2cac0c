"""Rich styles and symbols for cells, taken from the current theme's variables.

Colours come only from the theme (``themes/*.toml``); every state also has a symbol and
a word, so nothing is told by colour alone (``NO_COLOR``, colour-blind users).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError

from collectors.model import DomainState, HostStatus

MARK = "✓"  # a domain marked for a bulk action
STATE_SYMBOLS: Mapping[str, str] = {
    "running": "●",
    "blocked": "○",
    "runnable": "◌",
    "paused": "‖",
    "shutdown": "■",
    "crashed": "✖",
    "dying": "†",
}

STATUS_SYMBOLS: Mapping[str, str] = {
    HostStatus.OK.value: "✔",
    HostStatus.STALE.value: "◷",
    HostStatus.UNREACHABLE.value: "✖",
    HostStatus.ERROR.value: "⚠",
    "waiting": "…",
}

_STATUS_VARS = {
    HostStatus.OK.value: "status-ok",
    HostStatus.STALE.value: "status-stale",
    HostStatus.UNREACHABLE.value: "status-down",
    HostStatus.ERROR.value: "status-down",
    "waiting": "status-stale",
}


def _style(variables: Mapping[str, str], name: str, **extra: bool) -> Style:
    value = variables.get(name)
    if value is None:
        return Style(**extra)  # type: ignore[arg-type]
    try:
        color = Color.parse(value).rich_color
    except ColorParseError:
        return Style(**extra)  # type: ignore[arg-type]
    return Style(color=color, **extra)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Palette:
    state: Mapping[str, Style]
    status: Mapping[str, Style]
    accent: Mapping[str, Style]
    banner: Mapping[str, Style]
    escaped: Style
    sparkline: Style
    muted: Style

    @classmethod
    def from_variables(cls, v: Mapping[str, str]) -> Palette:
        accents = ("red", "amber", "green", "blue", "purple", "cyan")
        # a banner is the accent as background with the theme's background as text: the
        # themes pick accents that contrast with their own background
        on = _style(v, "background").color
        banner = {a: Style(bgcolor=_style(v, f"accent-{a}").color, color=on, bold=True)
                  for a in accents}
        return cls(
            state={s: _style(v, f"state-{s}") for s in STATE_SYMBOLS},
            status={s: _style(v, var) for s, var in _STATUS_VARS.items()},
            accent={a: _style(v, f"accent-{a}", bold=True) for a in accents},
            banner=banner,
            escaped=_style(v, "escaped-text", reverse=True),
            sparkline=_style(v, "sparkline"),
            muted=_style(v, "text-muted"),
        )

    def state_text(self, state: DomainState) -> Text:
        label = state.label
        return Text(f"{STATE_SYMBOLS[label]} {label}", style=self.state.get(label, ""), end="")

    def status_text(self, status: str, detail: str = "") -> Text:
        sym = STATUS_SYMBOLS.get(status, "?")
        word = "down" if status == HostStatus.UNREACHABLE.value else status
        label = f"{sym} {word}{' ' + detail if detail else ''}"
        return Text(label, style=self.status.get(status, ""), end="")

