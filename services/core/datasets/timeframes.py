"""Bar lengths the platform knows, and the one a series of timestamps most likely has.

A dataset declares its timeframe so that gaps can be counted; a file that does not is given the
timeframe its most common spacing matches exactly, or none (and then no gap report), because a
guess that is off by a little would call every bar a gap.
"""

from __future__ import annotations

import numpy as np

SECOND_NS = 1_000_000_000

# code -> length in nanoseconds; the codes are what the database stores
TIMEFRAME_NANOSECONDS: dict[str, int] = {
    "1m": 60 * SECOND_NS,
    "5m": 5 * 60 * SECOND_NS,
    "15m": 15 * 60 * SECOND_NS,
    "30m": 30 * 60 * SECOND_NS,
    "1h": 3_600 * SECOND_NS,
    "4h": 4 * 3_600 * SECOND_NS,
    "1d": 86_400 * SECOND_NS,
    "1w": 7 * 86_400 * SECOND_NS,
}
UNKNOWN = ""


def interval_ns(timeframe: str) -> int:
    """The bar length of `timeframe`; 0 when it is unknown."""
    return TIMEFRAME_NANOSECONDS.get(timeframe, 0)


def infer_timeframe(timestamps: np.ndarray, starts: np.ndarray) -> str:
    """The timeframe whose length is the most common spacing between consecutive bars of a symbol.

    `timestamps` are int64 ns, sorted per symbol; `starts` are the first row of each symbol's run,
    so that the step from one symbol's last bar to the next symbol's first is not counted.
    """
    if len(timestamps) < 2:
        return UNKNOWN
    steps = np.diff(timestamps)
    boundary = np.asarray(starts[1:], dtype=np.int64) - 1
    keep = np.ones(len(steps), dtype=bool)
    keep[boundary[(boundary >= 0) & (boundary < len(steps))]] = False
    steps = steps[keep & (steps > 0)]
    if len(steps) == 0:
        return UNKNOWN
    values, counts = np.unique(steps, return_counts=True)
    modal = int(values[np.argmax(counts)])
    return next((code for code, length in TIMEFRAME_NANOSECONDS.items() if length == modal), UNKNOWN)
