"""Drive ``xltop`` in a real pseudo-terminal: pexpect runs it, pyte keeps the screen."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

import pexpect
import pyte


class Term:
    def __init__(self, argv: Sequence[str], env: dict[str, str], cols: int = 120,
                 rows: int = 40) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""  # everything written since the last mark()
        self.child = pexpect.spawn(argv[0], list(argv[1:]), env=env, dimensions=(rows, cols),
                                   timeout=30)

    def pump(self, wait: float = 0.05) -> None:
        try:
            while True:
                data = self.child.read_nonblocking(65536, timeout=wait)
                self.raw += data
                self.stream.feed(data)
                wait = 0.0
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            return

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise AssertionError(f"{what}: not seen within {timeout} s\n{self.text()}")
            if not self.child.isalive():
                self.pump()
                if not cond():
                    raise AssertionError(f"{what}: xltop exited\n{self.raw[-3000:]!r}")
                return
            self.pump()

    def wait_screen(self, pattern: str, timeout: float = 30.0) -> None:
        self.wait(lambda: re.search(pattern, self.text()) is not None, repr(pattern), timeout)

    def wait_raw(self, pattern: bytes, timeout: float = 30.0) -> None:
        self.wait(lambda: re.search(pattern, self.raw) is not None, repr(pattern), timeout)

    def mark(self) -> None:
        self.raw = b""

    def send(self, data: str) -> None:
        self.child.send(data)
        self.pump()

    def keys(self, *keys: str, gap: float = 0.15) -> None:
        for k in keys:
            self.send(k)
            time.sleep(gap)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()
