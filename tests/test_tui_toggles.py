"""Form toggles show their state by glyph, not by colour alone."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import RadioSet

from tui.widgets.toggles import MarkedCheckbox, MarkedRadioButton


class Toggles(App[None]):
    def compose(self) -> ComposeResult:
        yield MarkedCheckbox("overwrite", value=False, id="box")
        with RadioSet():
            yield MarkedRadioButton("keep running", value=True, id="keep")
            yield MarkedRadioButton("leave paused", id="paused")


async def test_off_toggles_draw_no_mark_and_on_ones_do() -> None:
    app = Toggles()
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one("#box", MarkedCheckbox)
        keep = app.query_one("#keep", MarkedRadioButton)
        paused = app.query_one("#paused", MarkedRadioButton)
        assert box._button.plain[1] == " "
        assert keep._button.plain[1] == "\u25cf" and paused._button.plain[1] == " "
        box.value = True
        paused.value = True
        await pilot.pause()
        assert box._button.plain[1] == "X"
        assert keep._button.plain[1] == " " and paused._button.plain[1] == "\u25cf"
