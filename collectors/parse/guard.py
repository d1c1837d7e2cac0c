"""Keep out-of-range input errors inside the ParseError contract.

``int()`` refuses numbers longer than 4300 digits, ``float()`` can overflow and deep JSON
recurses: such input is garbage too, so it must surface as a ParseError, never as a bare
ValueError or RecursionError from somewhere inside a parser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from collectors.parse.common import ParseError

P = ParamSpec("P")
R = TypeVar("R")


def parse_errors(source: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: re-raise ValueError/OverflowError/RecursionError as ParseError."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except ParseError:
                raise
            except (ValueError, OverflowError, RecursionError) as e:
                raise ParseError(source, None, None, f"unusable input: {e}") from None

        return guarded

    return wrap
