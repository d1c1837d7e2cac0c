"""Textual's Footer, recomposed only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[object]) -> tuple[tuple[object, ...], ...]:
    """What a Footer on ``screen`` would show: its keys, labels and enabled states."""
    return tuple(
        (b.key, b.action, b.description, b.group.description if b.group else None, enabled,
         tooltip)
        for _, b, enabled, tooltip in screen.active_bindings.values()
        if b.show
    )


class StableFooter(Footer):
    """Textual recomposes its footer on every focus change and binding refresh: some
    thirty FooterKey widgets rebuilt, thousands of objects left to the garbage collector
    (a collection of 50-150 ms later, felt as a stalled keypress). Focusing the filter box
    or moving the cursor usually leaves the keys shown as they were: then nothing is
    rebuilt."""

    _shown: tuple[tuple[object, ...], ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = shown_keys(screen)
        app_focus = screen.app.app_focus
        if self._bindings_ready and app_focus and shown == self._shown:
            return
        if app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # it recomposes now
        super().bindings_changed(screen)
