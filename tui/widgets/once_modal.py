"""A modal screen that goes away once, however many keys ask it to."""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class OnceModal(ModalScreen[ResultT]):
    """Keys read in one burst (Enter Enter, a quick ``s s``) are all handled before the
    first dismissal pops the screen: a second ``dismiss`` would call the result callback
    again and pop the screen below, or crash on an empty stack. Here it does nothing."""

    _dismissed = False

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if self._dismissed or not self.is_active:
            return AwaitComplete()
        self._dismissed = True
        return super().dismiss(result)
