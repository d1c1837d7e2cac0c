"""A VerticalScroll that also scrolls with j and k, as the tables and trees do (the help
and the action log list j/k as Up/Down; there the keys did nothing)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll


class KeyScroll(VerticalScroll):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="scroll.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="scroll.up"),
    ]
