"""A history chart: a legend line with the current values and a plotext plot of the last
minutes, sized to the widget (textual-plotext renders at the widget's size), coloured
from the theme's ``chart-*`` variables and redrawn when the theme changes. The owner
calls :meth:`HistoryChart.set_data` when a snapshot brings new samples (never a timer).

Series are told apart by marker as well as colour: the first is drawn in braille dots,
the second with ``•``, and the legend shows each marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.format import DASH, fmt_duration

MARKERS = (("braille", "⣿"), ("dot", "•"))
RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    variable: str  # theme variable with its colour, e.g. "chart-cpu"


def nice_top(value: float, base: int = 1000) -> float:
    """The smallest 1/2/5 × 10ⁿ (× 1024ᵏ for ``base=1024``) at or above ``value``; 1 for
    nothing."""
    if not value > 0 or math.isinf(value):
        return 1.0
    scale = 1.0
    if base == 1024:
        while value >= 1024 * scale:
            scale *= 1024
    v = value / scale
    if base == 1024 and v > 500 * (1 + 1e-9):
        # 1000 of a unit would read "0.98" of the next one (and 2000 "1.95"): take that one
        return 1024 * scale
    exp = math.floor(math.log10(v))
    for m in (1.0, 2.0, 5.0, 10.0):
        top = m * 10.0 ** exp
        if top >= v * (1 - 1e-9):
            return top * scale
    return 10.0 ** (exp + 1) * scale


def downsample(xs: Sequence[float], ys: Sequence[float], points: int
               ) -> tuple[list[float], list[float]]:
    """At most ``points`` points: the mean of each bucket of known values (NaN skipped)."""
    known = [(x, y) for x, y in zip(xs, ys, strict=True) if not math.isnan(y)]
    if len(known) <= points or points < 1:
        return [x for x, _ in known], [y for _, y in known]
    size = len(known) / points
    out_x: list[float] = []
    out_y: list[float] = []
    for i in range(points):
        chunk = known[int(i * size):int((i + 1) * size)] or known[int(i * size):][:1]
        out_x.append(chunk[-1][0])
        out_y.append(sum(y for _, y in chunk) / len(chunk))
    return out_x, out_y


def known_runs(xs: Sequence[float], ys: Sequence[float], points: int
               ) -> list[tuple[list[float], list[float]]]:
    """The runs of known values (split where a value is unknown, so the plot shows a gap
    there rather than a line across it), each downsampled: about ``points`` in all."""
    runs: list[tuple[list[float], list[float]]] = []
    start = None
    for i, y in enumerate([*ys, math.nan]):
        if not math.isnan(y):
            if start is None:
                start = i
        elif start is not None:
            share = max(1, round(points * (i - start) / max(1, len(ys))))
            runs.append(downsample(xs[start:i], ys[start:i], share))
            start = None
    return runs


_FRAME_ROWS = 3  # the top border, the x axis and its labels
NO_DATA = "no data"


class ChartPlot(PlotextPlot):
    """The plot part; keeps its data so it can redraw at any size or theme."""

    def __init__(self, series: Sequence[Series], fmt: Callable[[float], str], *,
                 base: int = 1000, min_top: float = 1.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series = list(series)
        self.fmt = fmt
        self.base = base
        self.min_top = min_top
        self.xs: list[float] = []
        self.ys: list[list[float]] = [[] for _ in series]
        self.series_colors: list[RGB] = []  # what the last replot used (tests read it)
        self.replots = 0
        self.plotted = 0  # points the last replot drew

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.replot())
        self.replot()

    def on_resize(self) -> None:
        self.replot()

    def theme_colors(self) -> list[RGB]:
        variables = self.app.theme_variables
        out: list[RGB] = []
        for s in self.series:
            try:
                out.append(Color.parse(variables.get(s.variable, "")).rgb)
            except ColorParseError:
                out.append(Color.parse(variables.get("foreground", "white")).rgb)
        return out

    def set_data(self, xs: list[float], ys: list[list[float]]) -> None:
        self.xs, self.ys = xs, ys
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_figure()
        self.replots += 1
        self.series_colors = self.theme_colors()
        width = max(10, self.size.width)
        span = -min(self.xs) if self.xs else 60.0
        span = max(span, 10.0)
        top = 0.0
        self.plotted = 0
        for i, ys in enumerate(self.ys):
            marker = MARKERS[i % len(MARKERS)][0]
            for xs, vs in known_runs(self.xs, ys, width * 2):
                top = max(top, max(vs))
                plt.plot(xs, vs, color=self.series_colors[i], marker=marker)
                self.plotted += len(vs)
        top = nice_top(max(top, self.min_top), self.base)
        if not self.plotted:  # nothing known: say so (no line at a made-up 0)
            plt.text(NO_DATA, -span / 2, top / 2, alignment="center")
        plt.ylim(0, top)
        if self.size.height - _FRAME_ROWS >= 3:
            plt.yticks([0, top / 2, top], ["0", self.fmt(top / 2), self.fmt(top)])
        else:  # a row or two: plotext would label one with whichever tick fell in it
            plt.yticks([top], [self.fmt(top)])
        plt.xlim(-span, 0)
        plt.xticks([-span, -span / 2, 0], [f"-{fmt_duration(span)}",
                                           f"-{fmt_duration(span / 2)}", "now"])
        self.refresh()


class HistoryChart(Vertical):
    """A legend line over a :class:`ChartPlot`."""

    DEFAULT_CSS = """
    HistoryChart {
        height: 1fr;
        width: 1fr;
    }
    HistoryChart > .history-chart--legend {
        height: 1;
        background: $panel;
    }
    HistoryChart > ChartPlot {
        height: 1fr;
    }
    """

    def __init__(self, title: str, series: Sequence[Series], fmt: Callable[[float], str],
                 *, short_title: str | None = None, base: int = 1000, min_top: float = 1.0,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.short_title = short_title  # instead of the title when the legend is too wide
        self.series = list(series)
        self.fmt = fmt
        self.base = base
        self.min_top = min_top
        self.latest: list[float | None] = [None for _ in series]

    def compose(self) -> ComposeResult:
        yield Static(self._legend(), classes="history-chart--legend")
        yield ChartPlot(self.series, self.fmt, base=self.base, min_top=self.min_top)

    @property
    def plot(self) -> ChartPlot:
        return self.query_one(ChartPlot)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _t: self._show_legend())

    def set_data(self, times: Sequence[float], values: Sequence[Sequence[float]]) -> None:
        """Samples oldest first (NaN = unknown); x is seconds before the newest one."""
        last = times[-1] if times else 0.0
        xs = [t - last for t in times]
        ys = [list(v) for v in values]
        self.latest = [next((x for x in reversed(v) if not math.isnan(x)), None) for v in ys]
        self.plot.set_data(xs, ys)
        self._show_legend()

    def _show_legend(self) -> None:
        if self.is_mounted:
            self.query_one(".history-chart--legend", Static).update(self._legend())

    def on_resize(self) -> None:
        self._show_legend()

    def _legend(self) -> Text:
        text = self._legend_with(self.title)
        width = self.size.width if self.is_mounted else 0
        if self.short_title is not None and 0 < width < text.cell_len:
            text = self._legend_with(self.short_title)  # the values matter more than words
        return text

    def _legend_with(self, title: str) -> Text:
        text = Text(f" {title}", style="bold", end="", no_wrap=True, overflow="ellipsis")
        colors: list[RGB] = []
        if self.is_mounted:
            colors = self.plot.theme_colors()
        for i, s in enumerate(self.series):
            text.append("  ")
            marker = MARKERS[i % len(MARKERS)][1]
            style = f"rgb({colors[i][0]},{colors[i][1]},{colors[i][2]})" if colors else ""
            text.append(f"{marker} ", style=style)
            value = self.latest[i]
            text.append(f"{s.label} {DASH if value is None else self.fmt(value)}")
        return text
