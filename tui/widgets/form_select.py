"""A Select for forms: Enter goes on (the form's "Continue ⏎"), as in a text field — or,
with nothing chosen and nothing typed in its companion field, opens the list (going on
would only say the value is missing); space and the arrow keys open the list."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input, Select


class FormSelect(Select[str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue", show=False),
        Binding("down,space,up", "show_overlay", "Show menu", show=False),
    ]

    def __init__(self, *args: Any, companion: Input | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companion = companion  # the text field a pick fills in, if any

    async def action_continue(self) -> None:
        typed = self.companion is not None and bool(self.companion.value.strip())
        choices = any(value is not self.NULL for _, value in self._options)
        if self.is_blank() and not typed and choices:
            self.action_show_overlay()
        else:
            await self.run_action("screen.submit")
