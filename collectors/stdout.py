"""Writing results to stdout when the reader may have gone (``xltop --once | head -0``),
the disk is full (``> /dev/full``) or there is no stdout at all (``>&-``): for
``xltop --once``/``--batch``, ``xltop do`` and ``xltop parse``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OutputFailed(Exception):
    """stdout cannot be written (a full disk, closed): said in one line, not a traceback."""


def write_stdout(text: str) -> None:
    """Write and flush ``text``. A reader that has gone raises BrokenPipeError, once;
    another write error (or no stdout) raises OutputFailed, whose message says why. After
    either, stdout points at /dev/null, so nothing later (the exit's own flush of what is
    still buffered) fails again or prints a traceback."""
    if sys.stdout is None:
        raise OutputFailed("stdout is closed")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _to_devnull()
        raise
    except OSError as e:
        _to_devnull()
        raise OutputFailed(e.strerror or str(e)) from None


def write_or_say(text: str, failed: str) -> bool:
    """:func:`write_stdout`, for a command whose exit code stands whatever happens to its
    output: a reader that has gone (``| head``) is no error; any other failure is said on
    stderr as ``failed: why``. False when it was said."""
    try:
        write_stdout(text)
    except BrokenPipeError:
        pass
    except OutputFailed as e:
        sys.stderr.write(f"{failed}: {e}\n")
        return False
    return True


def write_json(write: Callable[[str], T], value: object, *, indent: int | None = None,
               allow_nan: bool = True) -> T:
    """``write`` (write_stdout, or a caller's write_or_say) of ``value`` as JSON and a
    newline, names as they are; on an output whose encoding cannot take them (LANG=…
    ISO-8859-1, PYTHONIOENCODING=ascii) the same JSON in \\u escapes (TextIOWrapper encodes
    the whole text before writing any of it, so nothing of the first try went out).
    json.dumps's ValueError (NaN with ``allow_nan=False``) comes before any write."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=allow_nan)
    try:
        return write(text + "\n")
    except UnicodeEncodeError:
        return write(json.dumps(value, indent=indent, allow_nan=allow_nan) + "\n")


def _to_devnull() -> None:
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout until the exit)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
