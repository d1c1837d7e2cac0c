"""Checkboxes and radio buttons whose state shows without colour, and whose Enter goes on
with the form (its "Continue ⏎") instead of changing the choice.

Textual draws an unticked box and an unselected radio button with the same glyph as the
ticked one, in another colour; under NO_COLOR or a colour-blind eye they look alike.
These leave the glyph out when off. Textual also binds Enter to toggling: in a form whose
every other field continues on Enter, that silently flipped "overwrite" or ``-i``.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Checkbox, RadioButton, RadioSet


class MarkedCheckbox(Checkbox, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", "Toggle", show=False),
        Binding("enter", "screen.submit", "Continue", show=False),
    ]

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = type(self).BUTTON_INNER if self.value else " "
        return super()._button


class MarkedRadioButton(RadioButton):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = type(self).BUTTON_INNER if self.value else " "
        return super()._button


class FormRadioSet(RadioSet, inherit_bindings=False):
    """Arrows move, space chooses; Enter chooses the option moved to, or goes on when it
    is the chosen one already (never on with another choice than the one shown)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,right", "next_button", "Next option", show=False),
        Binding("space", "toggle_button", "Toggle", show=False),
        Binding("enter", "choose_or_continue", "Continue", show=False),
        Binding("up,left", "previous_button", "Previous option", show=False),
    ]

    async def action_choose_or_continue(self) -> None:
        if self._selected is not None and self._selected != self.pressed_index:
            self.action_toggle_button()
        else:
            await self.run_action("screen.submit")
