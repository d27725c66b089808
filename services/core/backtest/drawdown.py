"""Drawdown curves and drawdown episodes, for one equity curve or a matrix of them (one per row).

An episode is backtesting.py's (`compute_drawdown_duration_peaks`): a run of bars below the
running peak, from the last bar at the peak before it to the first bar back at a peak after
it (or to the last bar, if equity never recovers). Its duration is the time between those two
bars and its depth the largest drawdown within. As in backtesting.py, a run that is only the
very last bar is not an episode (it still counts for the max drawdown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def drawdown_curves(equity: np.ndarray) -> np.ndarray:
    """1 − equity / running peak: 0 at a new high, 0.25 a quarter below the best so far."""
    return 1.0 - equity / np.maximum.accumulate(equity, axis=-1)


@dataclass(frozen=True, slots=True, eq=False)
class Episodes:
    row: np.ndarray  # which equity curve
    start_bar: np.ndarray  # the last bar at the peak before the drawdown
    end_bar: np.ndarray  # the first bar back at a peak, or the last bar
    depth: np.ndarray  # the largest drawdown in the episode


def drawdown_episodes(drawdowns: np.ndarray) -> Episodes:
    """Every episode of every row of a (rows, bars) drawdown matrix, in row then time order."""
    rows, bars = drawdowns.shape
    width = bars + 2
    # each row framed by a bar at the peak on either side, so that runs never span two rows
    below = np.zeros((rows, width), dtype=np.int8)
    below[:, 1:-1] = drawdowns > 0.0
    change = np.diff(below.ravel())
    first_flat = np.flatnonzero(change == 1) + 1  # framed index of each run's first bar
    last_flat = np.flatnonzero(change == -1)  # framed index of each run's last bar
    row = first_flat // width
    first = first_flat - row * width - 1
    last = last_flat - row * width - 1
    start_bar = first - 1
    end_bar = np.minimum(last + 1, bars - 1)
    flat = np.append(drawdowns.ravel(), 0.0)
    bounds = np.empty(2 * row.shape[0], dtype=np.int64)
    bounds[0::2] = row * bars + first
    bounds[1::2] = row * bars + last + 1
    depth = np.maximum.reduceat(flat, bounds)[0::2] if row.shape[0] else np.zeros(0)
    keep = end_bar - start_bar > 1
    return Episodes(row=row[keep], start_bar=start_bar[keep], end_bar=end_bar[keep], depth=depth[keep])
