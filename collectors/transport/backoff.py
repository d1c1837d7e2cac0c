"""Exponential reconnect backoff with jitter: 1 s, 2 s, 4 s ... 60 s between attempts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """When the next connection attempt may be made.

    Each failure doubles the wait (from ``base_s`` up to ``max_s``) and adds up to
    ``jitter`` of it at random, so many hosts that fail together do not retry together.
    """

    base_s: float = 1.0
    max_s: float = 60.0
    jitter: float = 0.2
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = field(default=random.random, repr=False)
    failures: int = 0
    retry_at: float = 0.0

    def delay_for(self, failures: int) -> float:
        """The wait before the next attempt after ``failures`` failures in a row."""
        step = min(self.max_s, self.base_s * 2.0 ** min(failures - 1, 62))
        return step * (1.0 + self.jitter * self.rng())

    def failed(self) -> float:
        """Record a failure; returns the wait before the next attempt."""
        self.failures += 1
        delay = self.delay_for(self.failures)
        self.retry_at = self.clock() + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0

    def may_retry_now(self) -> None:
        """No wait for the next attempt, but the failures so far still count (a connection
        made is not yet one that lasts)."""
        self.retry_at = 0.0

    def remaining(self) -> float:
        """Seconds until the next attempt is allowed (0 when it is allowed now)."""
        return max(0.0, self.retry_at - self.clock())

    def retry_at_text(self, wall: Callable[[], float] = time.time) -> str:
        """When the next attempt is allowed, as a local time of day (a message that is
        shown for a while stays true, where "in 2 s" would not)."""
        return time.strftime("%H:%M:%S", time.localtime(wall() + self.remaining()))
