"""A modal screen that goes away once, however many keys ask it to."""

from __future__ import annotations

from typing import TypeVar

from textual import events, on
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class OnceModal(ModalScreen[ResultT]):
    """Opening it clears the toasts on screen (they would cover it; the action log keeps
    them).

    Keys read in one burst (Enter Enter, a quick ``s s``) are all handled before the
    first dismissal pops the screen: a second ``dismiss`` would call the result callback
    again and pop the screen below, or crash on an empty stack. Here it does nothing."""

    _dismissed = False

    @on(events.Mount)
    def _clear_toasts(self) -> None:
        # a toast from the last action (kept in the action log) would cover this dialog
        self.app.clear_notifications()

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if self._dismissed or not self.is_active:
            return AwaitComplete()
        self._dismissed = True
        return super().dismiss(result)
