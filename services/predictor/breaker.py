"""A circuit breaker per served version: after repeated inference failures, stop sending it traffic.

Closed: traffic flows, consecutive failures are counted. After `failures_to_open` in a row it
opens for `open_seconds`: the router sends the version's traffic to the model's fallback
version (or answers UNAVAILABLE with a retry delay when there is none). When the time is up
one request is let through (half-open): a success closes the circuit, a failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self, failures_to_open: int, open_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._failures_to_open = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._consecutive_failures = 0
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._consecutive_failures >= self._failures_to_open and self._clock() < self._open_until

    def retry_after_seconds(self) -> float:
        return max(self._open_until - self._clock(), 0.0)

    def record_success(self) -> None:
        self._consecutive_failures = 0

    def record_failure(self) -> bool:
        """Count one failure; True when this one opened (or re-opened) the circuit."""
        self._consecutive_failures += 1
        if self._consecutive_failures >= self._failures_to_open and self._clock() >= self._open_until:
            self._open_until = self._clock() + self._open_seconds
            return True
        return False
