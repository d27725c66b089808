"""When a job that failed temporarily runs again: exponential backoff with a ceiling."""

from __future__ import annotations


def backoff_seconds(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """The wait before the attempt after `attempt` (1-based): base, 2×base, 4×base, ... at most max."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    # past 2^30 the ceiling has long been reached; the cap keeps the float finite
    return min(max_seconds, base_seconds * 2.0 ** min(attempt - 1, 30))
