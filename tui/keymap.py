"""A ``[keys]`` value of the config: key names separated by commas (``"f5, ctrl+r"``), as
Textual's keymap reads it."""

from __future__ import annotations


def keys_of(value: str) -> list[str]:
    """The key names of a ``[keys]`` value, in order, without the blanks around them."""
    return [k.strip() for k in value.split(",")]
