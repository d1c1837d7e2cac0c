"""Writing results to stdout when the reader may have gone (``xltop --once | head -0``)."""

from __future__ import annotations

import os
import sys


def write_stdout(text: str) -> None:
    """Write and flush ``text``. A reader that has gone raises BrokenPipeError, once:
    stdout then points at /dev/null, so nothing later (the exit's own flush) fails again."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise
