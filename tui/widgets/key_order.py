"""Keys read in one burst (fast typing, a paste, ``tmux send-keys``) act in the order typed.

The app hands every key of a burst to the widget focused when it reads them, and runs
bindings only once a key has bubbled back up to it. So after ``/`` (the filter takes the
focus), Tab, or a key that opens a screen, the keys behind it still reached the old widget
and ran its view's bindings: '/cap' attached a console on 'c'.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget


def pass_on_if_unfocused(widget: Widget, event: events.Key) -> bool:
    """Hand a key that arrived after the focus left ``widget`` (or its screen was covered)
    to the widget that has the focus now; True if it was handed on."""
    screen = widget.app.screen
    target: Widget = screen.focused or screen
    if target is widget:
        return False
    event.stop()
    event.prevent_default()
    target.post_message(events.Key(event.key, event.character))
    return True


async def run_bindings_now(widget: Widget, event: events.Key) -> bool:
    """Run the key's binding (the focused widget's, its view's, the app's) as it arrives
    rather than after bubbling, so the keys behind it meet the focus it leaves; True if a
    binding took it."""
    app = widget.app
    if app.screen is not widget.screen:
        return False
    if await app._check_bindings(event.key):  # what the app runs once the key bubbled up
        event.stop()
        event.prevent_default()
        return True
    return False
