"""A text field that applies keys in the order they were typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """Input whose own bindings (backspace, delete, arrows, home/end, ctrl+u, enter…) run
    when the key reaches it.

    Textual runs a focused widget's bindings only once the key has bubbled up to the app,
    while printable keys are inserted as they arrive: keys read in one burst (fast typing,
    a paste without bracketed paste, ``tmux send-keys``) came out of order, e.g. "150m",
    7 × backspace, "web" gave "1 5" instead of "web".

    Focus moves the same way: "300", Tab, "25" in one burst put "30025" in the first
    field, as the keys after Tab reached it before the screen's Tab binding ran. Here Tab
    moves the focus at once, and a key that arrives once the focus has gone is passed on
    to the field that has it now.
    """

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self:  # queued here before a Tab moved the focus: pass it on
            event.stop()
            event.prevent_default()
            if focused is not None:
                focused.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab"):
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        chain = self.screen._binding_chain  # the focused widget first, the keymap applied
        if chain and chain[0][0] is self:
            for binding in chain[0][1].key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)
