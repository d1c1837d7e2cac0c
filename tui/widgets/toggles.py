"""Checkboxes and radio buttons whose state shows without colour.

Textual draws an unticked box and an unselected radio button with the same glyph as the
ticked one, in another colour; under NO_COLOR or a colour-blind eye they look alike.
These leave the glyph out when off.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = type(self).BUTTON_INNER if self.value else " "
        return super()._button


class MarkedRadioButton(RadioButton):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = type(self).BUTTON_INNER if self.value else " "
        return super()._button
