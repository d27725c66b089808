"""A sliding window of recently received rows, for drift statistics over "the last hour".

Rows arrive in batches (one per onnxruntime call), so the window keeps whole batches with
their arrival time instead of one entry per row: appending is O(1) on the serving path and
all the numpy work happens when a report is asked for. A row cap bounds memory whatever the
traffic: past it the oldest batches go first, so at high load the window is the most recent
`max_rows` rows rather than the full time span.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class SlidingRowWindow:
    def __init__(self, columns: int, *, max_age_seconds: float, max_rows: int) -> None:
        self.columns = columns
        self.max_age_seconds = max_age_seconds
        self.max_rows = max_rows
        self._batches: deque[tuple[float, np.ndarray]] = deque()
        self._rows = 0

    @property
    def row_count(self) -> int:
        return self._rows

    def append(self, now: float, rows: np.ndarray) -> None:
        """Add a batch received at `now` (seconds on any monotonic clock)."""
        if rows.shape[0] == 0:
            return
        self._batches.append((now, rows))
        self._rows += rows.shape[0]
        self._evict(now)

    def _evict(self, now: float) -> None:
        oldest_allowed = now - self.max_age_seconds
        while self._batches and (
            self._batches[0][0] < oldest_allowed or self._rows - self._batches[0][1].shape[0] >= self.max_rows
        ):
            _, dropped = self._batches.popleft()
            self._rows -= dropped.shape[0]

    def rows_since(self, start: float, now: float) -> np.ndarray:
        """Every kept row that arrived at or after `start`, as one matrix."""
        self._evict(now)
        recent = [rows for arrived, rows in self._batches if arrived >= start]
        if not recent:
            return np.empty((0, self.columns), dtype=np.float32)
        return np.concatenate(recent, axis=0)

    def oldest_since(self, start: float) -> float | None:
        """Arrival time of the oldest kept batch at or after `start`."""
        for arrived, _ in self._batches:
            if arrived >= start:
                return arrived
        return None
