"""A Select for forms: Enter goes on (the form's "Continue ⏎"), as in a text field;
space and the arrow keys open the list."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Select


class FormSelect(Select[str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.submit", "Continue", show=False),
        Binding("down,space,up", "show_overlay", "Show menu", show=False),
    ]
