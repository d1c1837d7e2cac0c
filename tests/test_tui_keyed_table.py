"""KeyedTable: rows whose token did not change are not formatted again, and an update
repaints only the lines that show another or a changed row (and the cursor's)."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot

from tui.table_diff import Cell
from tui.widgets.keyed_table import Column, KeyedTable

COLUMNS = [Column("name", "Name", 8), Column("value", "Value", 6, "right")]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable[str](COLUMNS, id="t")

    @property
    def table(self) -> KeyedTable[str]:
        return self.query_one("#t", KeyedTable)


class Source:
    """Rows from a dict of values; counts the rows it formats."""

    def __init__(self, values: dict[str, int]) -> None:
        self.values = values
        self.formatted: list[str] = []

    def row(self, key: str) -> list[Cell]:
        self.formatted.append(key)
        return [key, str(self.values[key])]

    def token(self, key: str) -> object:
        return self.values[key]


async def show_rows(app: TableApp, pilot: Pilot[None], values: dict[str, int]
                    ) -> tuple[KeyedTable[str], Source, list[str]]:
    """The table showing ``values`` in key order, painted once."""
    table, src = app.table, Source(values)
    order = sorted(values)
    table.set_rows(order, src.row, src.token)
    await pilot.pause()
    return table, src, order


def spy_refresh(table: KeyedTable[str]) -> list[tuple[Region, ...]]:
    """Record every refresh: () is the whole widget, else the widget regions."""
    calls: list[tuple[Region, ...]] = []
    original = table.refresh

    def refresh(*regions: Region, **kw: Any) -> Any:
        calls.append(tuple(regions))
        return original(*regions, **kw)

    table.refresh = refresh  # type: ignore[method-assign]
    return calls


def lines_of(calls: list[tuple[Region, ...]]) -> set[int]:
    return {y for regions in calls for r in regions for y in range(r.y, r.y + r.height)}


async def test_rows_with_an_unchanged_token_are_not_formatted_again() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table, src, order = await show_rows(app, pilot, {f"r{i}": i for i in range(30)})
        shown = set(src.formatted)
        assert shown and len(shown) < 30  # only what is on screen
        src.formatted.clear()
        src.values["r1"] = 100
        table.set_rows(order, src.row, src.token)
        assert src.formatted == ["r1"]
        await pilot.pause()
        assert table._row_strip("r1").text.split()[-1] == "100"
        # no token: every visible row is asked again (the cells are still diffed)
        src.formatted.clear()
        table.set_rows(order, src.row)
        assert set(src.formatted) == shown


async def test_an_update_repaints_only_changed_lines() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table, src, order = await show_rows(app, pilot, {f"r{i:02d}": i for i in range(30)})
        calls = spy_refresh(table)
        table.set_rows(order, src.row, src.token)  # nothing changed
        assert lines_of(calls) <= {1}  # at most the cursor's line (row 0 = line 1)
        assert () not in calls
        calls.clear()
        src.values["r03"] = 99  # row 3 is drawn on widget line 4 (line 0 is the header)
        table.set_rows(order, src.row, src.token)
        assert () not in calls and lines_of(calls) - {1} == {4}
        calls.clear()
        swapped = list(order)
        swapped[5], swapped[7] = swapped[7], swapped[5]
        table.set_rows(swapped, src.row, src.token)
        assert () not in calls and lines_of(calls) - {1} == {6, 8}
        await pilot.pause()
        assert table._row_strip("r07").text.startswith("r07")
        # fewer rows: the lines that emptied are repainted too (and Textual repaints
        # everything itself as the virtual size changed)
        calls.clear()
        table.set_rows(swapped[:4], src.row, src.token)
        assert set(range(5, 12)) <= lines_of(calls)


async def test_the_cursor_keeps_its_row_and_repaints_both_lines_when_it_moves() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table, src, order = await show_rows(app, pilot, {f"r{i:02d}": i for i in range(30)})
        assert table.move_cursor_to("r02")
        calls = spy_refresh(table)
        moved = [order[2], *order[:2], *order[3:]]  # r02 goes to the top
        table.set_rows(moved, src.row, src.token)
        assert table.cursor_key == "r02" and table.cursor_row == 0
        assert {1, 2, 3} <= lines_of(calls)
        # scrolled away: the whole table is repainted
        calls.clear()
        assert table.move_cursor_to("r29")
        await pilot.pause()
        calls.clear()
        table.set_rows(list(reversed(order)), src.row, src.token)
        assert table.cursor_key == "r29" and () in calls


async def test_the_sort_arrow_stays_when_the_label_fills_its_column() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 8)) as pilot:
        table, _, _ = await show_rows(app, pilot, {"a": 1})
        table.set_sort_indicator("value", True)  # "Value" + arrow = 6: fits
        await pilot.pause()
        assert "Value▼" in table.render_line(0).text
        table.set_columns([Column("name", "Name", 8), Column("value", "VBD OO", 6, "right")])
        table.set_sort_indicator("value", False)
        await pilot.pause()
        assert "VBD O▲" in table.render_line(0).text  # not "VBD O…": the arrow says sorted


async def test_a_cells_own_style_is_rendered_with_or_without_spans() -> None:
    """Rich renders a Text without spans unstyled: the table keeps its style anyway, and a
    Text with spans keeps both its base style and (over it) its spans."""
    red, blue = Style(color="red"), Style(color="blue", bold=True)
    spans = Text("ab", style=red, end="")
    spans.stylize(blue, 1, 2)
    rows: dict[str, list[Cell]] = {"a": [Text("run", style=red), "1"],
                                   "b": [spans, Text("7", style="bold")]}
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.set_rows(["a", "b"], lambda k: rows[k])
        await pilot.pause()
        segs = list(table._row_strip("a"))
        assert [s.style.color for s in segs if s.text.strip() == "run"] == [red.color]  # type: ignore[union-attr]
        segs = list(table._row_strip("b"))
        styled = {s.text.strip(): s.style for s in segs if s.text.strip()}
        assert styled["a"] == red and styled["b"] == red + blue
        assert styled["7"] is not None and styled["7"].bold
        table.set_rows([], lambda k: [])
        await pilot.pause()
        empty = [s for s in table.render_line(1) if "nothing" in s.text]
        assert empty and empty[0].style is not None and empty[0].style.italic
