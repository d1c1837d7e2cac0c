"""Keys that reach the app in one burst (fast typing, a paste without bracketed paste,
``tmux send-keys``) are applied in the order they were typed, in every text field."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from tests.test_tui_sim import sim_app, wait_until
from tui.views.domains import DomainsScreen
from tui.widgets.ordered_input import OrderedInput


class Form(App[None]):
    def compose(self) -> ComposeResult:
        yield OrderedInput(id="ordered")
        yield Input(id="plain")


def burst(app: App[None], *keys: str) -> None:
    """Keys as the terminal driver hands them over from one read: all queued at once."""
    assert app._driver is not None
    for key in keys:
        char = key if len(key) == 1 else None
        app._driver.send_message(events.Key(key, char))


async def typed(field: str, *bursts: tuple[str, ...]) -> str:
    app = Form()
    async with app.run_test() as pilot:
        box = app.query_one(f"#{field}", Input)
        box.focus()
        await pilot.pause()
        for keys in bursts:
            burst(app, *keys)
            for _ in range(10):
                await pilot.pause()
        return box.value


async def test_editing_keys_in_a_burst_apply_in_order() -> None:
    keys = (("a", "b", "c", "d", "e", "f", "g", "h"),
            ("backspace", "backspace", "backspace", "w", "e", "b"),
            ("home", "x", "end", "left", "delete", "y"))
    assert await typed("ordered", *keys) == "xabcdewey"


async def test_textual_input_alone_reorders_them() -> None:
    # why OrderedInput exists: should Textual fix this, the subclass can go
    keys = (("a", "b", "c"), ("backspace", "z"))
    assert await typed("plain", *keys) != "abz"


async def test_the_domain_filter_takes_a_burst_in_order() -> None:
    app, _ = sim_app(hosts=1, domains=4)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("2", "slash")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        burst(app, *"state:p", "backspace", "r")
        screen = app.screen
        assert isinstance(screen, DomainsScreen)
        await wait_until(pilot, lambda: screen.query_one("#domains-filter", Input).value
                         == "state:r")
        burst(app, "enter")
        await wait_until(pilot, lambda: screen.filter.text == "state:r")


class TwoFields(App[None]):
    def compose(self) -> ComposeResult:
        yield OrderedInput(id="first")
        yield OrderedInput(id="second")
        yield OrderedInput(id="third")


async def test_tab_in_a_burst_moves_the_keys_after_it_to_the_next_field() -> None:
    app = TwoFields()
    async with app.run_test() as pilot:
        app.query_one("#first", Input).focus()
        await pilot.pause()
        burst(app, *"300", "tab", *"25", "tab", *"x", "shift+tab", "backspace", "7")
        for _ in range(20):
            await pilot.pause()
        got = [app.query_one(f"#{n}", Input).value for n in ("first", "second", "third")]
        # back in the second field its text is selected (Textual's select-on-focus), so
        # backspace clears it: the same as typed slowly
        assert got == ["300", "7", "x"]


async def test_keys_right_after_slash_go_to_the_filter_not_to_domain_actions() -> None:
    app, _ = sim_app(hosts=1, domains=4)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, DomainsScreen))
        screen = app.screen
        assert isinstance(screen, DomainsScreen)
        depth = len(app.screen_stack)
        # '/' and the text in one read: c (console), a (actions), p (pause) must be text
        burst(app, "slash", *"cap")
        field = screen.query_one("#domains-filter", Input)
        await wait_until(pilot, lambda: field.value == "cap")
        await pilot.pause(0.3)
        assert len(app.screen_stack) == depth and app.screen is screen  # nothing opened
        burst(app, "escape", "slash", *"x1")  # closed and re-opened in one burst
        await wait_until(pilot, lambda: field.value == "x1")
        assert app.screen is screen
