"""TextBar grows with a value that wraps, not only with one that has more lines."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from tui.views.base import TextBar


class Bar(App[None]):
    CSS = "TextBar { height: auto; max-height: 4; }"

    def compose(self) -> ComposeResult:
        yield TextBar(id="bar")


async def test_a_long_value_wraps_onto_more_rows_and_shrinks_back() -> None:
    app = Bar()
    async with app.run_test(size=(40, 10)) as pilot:
        bar = app.query_one(TextBar)
        bar.show(Text("/local/domain/1/name = web1"))
        await pilot.pause()
        assert bar.size.height == 1
        bar.show(Text("/local/domain/0/backend/vbd/14/51712/params = " + "x" * 50))
        await pilot.pause()
        assert bar.size.height == 4  # wrapped as Rich wraps it: the value is not cut off
        bar.show(Text("short"))
        await pilot.pause()
        assert bar.size.height == 1
