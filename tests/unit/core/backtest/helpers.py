"""Small hand-made bar series and intents for the backtest tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from services.core.backtest import Bars

DAY = np.timedelta64(1, "D")
START = np.datetime64("2024-01-01", "ns")


def make_bars(rows: Sequence[tuple[float, float, float, float]]) -> Bars:
    """Bars from (open, high, low, close) rows, one calendar day apart from 2024-01-01."""
    table = np.asarray(rows, dtype=np.float64)
    return Bars.from_arrays(
        open=table[:, 0],
        high=table[:, 1],
        low=table[:, 2],
        close=table[:, 3],
        timestamps=START + np.arange(len(rows)) * DAY,
    )


def flat_bars(prices: Sequence[float]) -> Bars:
    """Bars whose open, high, low and close are all the given price."""
    return make_bars([(price, price, price, price) for price in prices])


def flags(count: int, bars: Iterable[int]) -> np.ndarray:
    """A boolean array of `count` values, True on the given bars."""
    result = np.zeros(count, dtype=np.bool_)
    result[list(bars)] = True
    return result


def crossover(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """True where `first` closes above `second` after being below it the bar before (backtesting.py)."""
    crossed = np.zeros(first.shape[0], dtype=np.bool_)
    crossed[1:] = (first[:-1] < second[:-1]) & (first[1:] > second[1:])
    return crossed
