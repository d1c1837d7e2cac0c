"""The box of the dialogs that stop before something with consequences (run this command?
quit while actions run?): centred, bordered in the theme's warning colour, buttons below."""

from __future__ import annotations

from tui.widgets.once_modal import OnceModal, ResultT


class WarningModal(OnceModal[ResultT]):
    """Compose one ``Vertical`` box (its border title is the question), buttons in a
    ``Horizontal`` at its end."""

    DEFAULT_CSS = """
    WarningModal {
        align: center middle;
    }
    WarningModal > Vertical {
        width: 90;
        max-width: 95%;
        height: auto;
        background: $surface;
        border: thick $warning;
        border-title-color: $warning;
        padding: 0 1;
    }
    WarningModal Horizontal {
        height: auto;
        margin-top: 1;
    }
    WarningModal Button {
        margin-right: 2;
    }
    """
