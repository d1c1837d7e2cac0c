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
    """

    async def _on_key(self, event: events.Key) -> None:
        chain = self.screen._binding_chain  # the focused widget first, the keymap applied
        if chain and chain[0][0] is self:
            for binding in chain[0][1].key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)
