"""A process on a pseudo-terminal (for attaching to a domain console), local or over SSH."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

MAX_TERM_DIMENSION = 10_000
_TERM_CHARS = frozenset(string.ascii_letters + string.digits + "-_.+")


@runtime_checkable
class PtySession(Protocol):
    """A running process whose stdin/stdout are a terminal of a given type and size."""

    async def write(self, data: bytes) -> None:
        """Send bytes (keystrokes) to the terminal."""
        ...

    async def read(self, n: int = 65536) -> bytes:
        """Up to ``n`` bytes of terminal output; b"" at end of output.

        Over SSH, raises ConnectionLost if the connection drops.
        """
        ...

    def resize(self, cols: int, rows: int) -> None:
        """Change the terminal size (the process gets SIGWINCH)."""
        ...

    async def wait(self) -> int | None:
        """Wait for the process to end: its exit status, None if killed or unknown."""
        ...

    async def close(self) -> None:
        """Hang up the terminal and end the process."""
        ...


@runtime_checkable
class PtyRunner(Protocol):
    async def open_pty(
        self, argv: Sequence[str], *, term: str, cols: int, rows: int
    ) -> PtySession: ...


def check_pty_request(term: str, cols: int, rows: int) -> None:
    """ValueError for a terminal type or size no terminal could have."""
    if not 0 < len(term) <= 64 or not all(c in _TERM_CHARS for c in term):
        raise ValueError(f"invalid terminal type: {term!r}")
    for name, value in (("cols", cols), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an int, got {value!r}")
        if not 1 <= value <= MAX_TERM_DIMENSION:
            raise ValueError(f"{name} out of range: {value}")
