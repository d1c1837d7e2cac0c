"""A text field that applies keys in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tui.widgets.key_order import pass_on_if_unfocused, run_bindings_now


class OrderedInput(Input):
    """Input whose own bindings (backspace, delete, arrows, home/end, ctrl+u, enter…) run
    when the key reaches it.

    Textual runs a focused widget's bindings only once the key has bubbled up to the app,
    while printable keys are inserted as they arrive: keys read in one burst (fast typing,
    a paste without bracketed paste, ``tmux send-keys``) came out of order, e.g. "150m",
    7 × backspace, "web" gave "1 5" instead of "web".

    Focus moves the same way: "300", Tab, "25" in one burst put "30025" in the first
    field, and Escape then "/x" in the domain filter typed "/x" into it. Here every
    binding a key has (the field's, its view's: Tab, Escape, Enter...) runs as the key
    arrives, and a key that arrives once the focus has gone is passed on to the widget
    that has it now. Printable keys are text, as in any Input.
    """

    async def _on_key(self, event: events.Key) -> None:
        if pass_on_if_unfocused(self, event):
            return
        if not event.is_printable and await run_bindings_now(self, event):
            return
        await super()._on_key(event)
