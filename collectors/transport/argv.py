"""Checks every transport applies to an argv before running it."""

from __future__ import annotations

from collections.abc import Sequence

SUDO_PREFIX: tuple[str, ...] = ("sudo", "-n")


def checked_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """The argv as a tuple; ValueError when it is empty or not a list of strings.

    A bare string is refused (it would be split into characters), and so is a NUL byte,
    which no exec or remote shell can carry.
    """
    if isinstance(argv, str | bytes):
        raise ValueError(f"argv must be a sequence of strings, not {type(argv).__name__}")
    args = tuple(argv)
    if not args:
        raise ValueError("empty command")
    for arg in args:
        if not isinstance(arg, str):
            raise ValueError(f"argv items must be strings, got {type(arg).__name__}")
        if "\0" in arg:
            raise ValueError(f"argument contains a NUL byte: {arg!r}")
    return args


def with_sudo(argv: tuple[str, ...], sudo: bool) -> tuple[str, ...]:
    return (*SUDO_PREFIX, *argv) if sudo else argv
