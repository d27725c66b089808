"""The sliding row window: time-bounded, row-capped, cheap to append."""

from __future__ import annotations

import numpy as np

from services.core.monitoring.window import SlidingRowWindow


def batch(value: float, rows: int = 10) -> np.ndarray:
    return np.full((rows, 2), value, dtype=np.float32)


def test_rows_older_than_the_window_are_dropped() -> None:
    window = SlidingRowWindow(2, max_age_seconds=60.0, max_rows=1_000)
    window.append(0.0, batch(1.0))
    window.append(30.0, batch(2.0))

    rows = window.rows_since(0.0, now=70.0)

    assert rows.shape == (10, 2)
    assert set(rows[:, 0].tolist()) == {2.0}


def test_rows_since_selects_by_arrival_time() -> None:
    window = SlidingRowWindow(2, max_age_seconds=600.0, max_rows=1_000)
    for second in range(5):
        window.append(float(second), batch(float(second)))

    assert window.rows_since(3.0, now=5.0).shape == (20, 2)
    assert window.oldest_since(2.5) == 3.0
    assert window.oldest_since(9.0) is None


def test_the_row_cap_keeps_the_most_recent_batches() -> None:
    window = SlidingRowWindow(2, max_age_seconds=600.0, max_rows=25)
    for second in range(10):
        window.append(float(second), batch(float(second)))

    rows = window.rows_since(0.0, now=10.0)

    assert 25 <= window.row_count < 35
    assert rows[-1, 0] == 9.0
    assert rows[0, 0] >= 7.0


def test_an_empty_window_gives_an_empty_matrix_with_the_right_columns() -> None:
    window = SlidingRowWindow(3, max_age_seconds=1.0, max_rows=10)
    window.append(0.0, np.empty((0, 3), dtype=np.float32))

    assert window.rows_since(0.0, now=0.5).shape == (0, 3)
