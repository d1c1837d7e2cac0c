"""Table cells for devices and their rings: gauges per queue, xenbus states by name, levels
with a symbol and a word (never colour alone). Colours are the theme's ``ring-*``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError

from collectors.model import Device, DeviceKind, NetIfCounters, XenbusState
from tui.format import DASH, fmt_rate
from tui.ring_watch import device_pressure, level, queue_pressures
from tui.styles import STATE_SYMBOLS
from tui.text import safe_text

_EIGHTHS = " ▏▎▍▌▋▊▉"
TRACK = "·"
LEVEL_SYMBOLS: Mapping[str, str] = {"ok": "", "busy": "▲", "full": "✖", "unknown": "?"}
_LEVEL_VARS = {"ok": "ring-ok", "busy": "ring-warn", "full": "ring-full"}


def _color(variables: Mapping[str, str], name: str) -> Style:
    value = variables.get(name)
    if value is None:
        return Style()
    try:
        return Style(color=Color.parse(value).rich_color)
    except ColorParseError:
        return Style()


@dataclass(frozen=True, slots=True)
class RingStyles:
    level: Mapping[str, Style]
    muted: Style
    escaped: Style

    @classmethod
    def from_variables(cls, v: Mapping[str, str]) -> RingStyles:
        levels = {k: _color(v, var) for k, var in _LEVEL_VARS.items()}
        levels["unknown"] = _color(v, "text-muted")
        escaped = _color(v, "escaped-text") + Style(reverse=True)
        return cls(levels, _color(v, "text-muted"), escaped)


def bar(fraction: float, width: int) -> str:
    """A bar of ``width`` cells in eighths, the rest a dotted track: ``███▌····``."""
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text + TRACK * (width - len(text))


def gauges(pressures: Sequence[float | None], width: int, styles: RingStyles,
           limit: int = 4) -> Text:
    """One small bar per queue, separated by a space; ``+N`` when there are more."""
    text = Text(end="", no_wrap=True)
    for i, p in enumerate(pressures[:limit]):
        if i:
            text.append(" ")
        if p is None:
            text.append("?" + TRACK * (width - 1), style=styles.muted)
        else:
            text.append(bar(p, width), style=styles.level[level(p)])
    if len(pressures) > limit:
        text.append(f" +{len(pressures) - limit}", style=styles.muted)
    return text


def pct_cell(pressure: float | None, styles: RingStyles) -> Text:
    """`` 81% ▲`` / `` 97% ✖`` / `` 12%  ``; unknown is ``   ?  ``: one width, so the
    numbers line up whether or not a mark follows them."""
    lvl = level(pressure)
    body = "?" if pressure is None else f"{pressure * 100:.0f}%"
    sym = "" if pressure is None else LEVEL_SYMBOLS[lvl]
    return Text(f"{body:>4} {sym or ' '}", style=styles.level[lvl], end="")


def xenbus_label(state: XenbusState | None) -> str:
    return DASH if state is None else state.label


def states_cell(dev: Device) -> str:
    """``Connected/Connected`` (frontend/backend)."""
    return f"{xenbus_label(dev.frontend_state)}/{xenbus_label(dev.backend_state)}"


def device_name(dev: Device) -> str:
    if dev.kind is DeviceKind.VIF:
        return dev.interface_name
    return dev.name or f"vbd {dev.devid}"


def why_unknown(dev: Device) -> str:
    """Why a device's occupancy is not shown (short), from ``ring_source``."""
    if dev.kind is DeviceKind.VBD:
        return "blkback: no indices"
    return dev.ring_source or "not read yet"


def occupancy_cells(dev: Device, styles: RingStyles, width: int = 4) -> tuple[Text, Text]:
    """(TX or requests, RX) gauges per queue; unknown occupancy says why instead of 0."""
    if not any(r.entries for r in dev.rings):
        why = safe_text(f"? {why_unknown(dev)}", style=styles.muted,
                        escaped_style=styles.escaped)
        return why, Text("", end="")
    if dev.kind is DeviceKind.VIF:
        return (gauges(queue_pressures(dev, "tx"), width, styles),
                gauges(queue_pressures(dev, "rx"), width, styles))
    return gauges(queue_pressures(dev, None), width, styles), Text("", end="")


def fullest_cell(dev: Device, styles: RingStyles) -> Text:
    return pct_cell(device_pressure(dev), styles)


def oo_cell(dev: Device) -> str:
    """A vbd's out-of-request waits per second (blkback statistics), total in brackets."""
    if dev.kind is not DeviceKind.VBD:
        return ""
    if dev.oo_rate is None and dev.oo_req is None:
        return DASH
    rate = DASH if dev.oo_rate is None else f"{dev.oo_rate:.1f}/s"
    return rate if dev.oo_req is None else f"{rate} ({dev.oo_req})"


def traffic_cell(dev: Device, counters: NetIfCounters | None) -> str:
    """A vif's rates in the guest's view (as the Domains view): RX is what Dom0 sends it.
    ``counters`` are its Dom0 interface's (HostSnapshot.vif_counters)."""
    if dev.kind is not DeviceKind.VIF:
        return ""
    sent, received = (None, None) if counters is None else (counters.tx_rate, counters.rx_rate)
    return f"RX {fmt_rate(sent)} TX {fmt_rate(received)}"


STAYS_FULL_WIDTH = 16  # "■ full, shutdown"


def stays_full_cell(flag: bool, styles: RingStyles, guest: str | None = None) -> Text:
    """``⚠ stays full`` for a ring ``flag``ged as staying full. ``guest``: the state word
    of a guest that is not running ("paused", "crashed"...): its rings are not drained, so
    a full one is expected, not an alarm; the cell says why (``‖ full, paused``, or
    ``‖ paused`` before it has stayed full), in no alarm colour."""
    if guest is not None:
        words = f"full, {guest}" if flag else guest
        return Text(f"{STATE_SYMBOLS.get(guest, '?')} {words}", style=styles.muted, end="")
    if not flag:
        return Text("", end="")
    return Text("⚠ stays full", style=styles.level["full"] + Style(bold=True), end="")
