"""Seeded OHLCV series shaped like a market: regimes, volatility clustering, volume that follows it.

Tests and benchmarks need data with structure a strategy or a model can find (trends that
persist, calm and turbulent stretches) and that is the same on every run. The close follows a
Markov chain of regimes (bull, bear, sideways), each with its drift, and GARCH(1,1) volatility;
volume rises with the size of the move. Bars are daily, from 2015-01-01.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.core.backtest import Bars

# per regime: daily drift, and the probability of staying in it on the next bar
_DRIFTS = np.array([0.0012, -0.0010, 0.0])
_STAY = np.array([0.985, 0.97, 0.98])


def synthetic_bars(count: int, seed: int, *, start: str = "2015-01-01", frequency: str = "D") -> Bars:
    rng = np.random.default_rng(seed)
    regimes = np.empty(count, dtype=np.int64)
    regime = 0
    for index in range(count):
        if rng.uniform() > _STAY[regime]:
            regime = int(rng.integers(0, 3))
        regimes[index] = regime
    shocks = rng.standard_normal(count)
    variance = np.empty(count)
    returns = np.empty(count)
    level = 0.012**2
    previous = 0.0
    for index in range(count):
        level = 0.000004 + 0.08 * previous**2 + 0.9 * level
        variance[index] = level
        previous = np.sqrt(level) * shocks[index]
        returns[index] = _DRIFTS[regimes[index]] + previous
    close = 100.0 * np.exp(np.cumsum(returns))
    opened = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0.0, 0.002, count))
    wick = np.sqrt(variance) * np.abs(rng.standard_normal((2, count))) * 0.6
    high = np.maximum(opened, close) * np.exp(wick[0])
    low = np.minimum(opened, close) * np.exp(-wick[1])
    volume = np.round(1e6 * (1.0 + 30.0 * np.abs(returns)) * rng.lognormal(0.0, 0.25, count))
    stamps = pd.date_range(start, periods=count, freq=frequency).to_numpy()
    return Bars.from_arrays(open=opened, high=high, low=low, close=close, volume=volume, timestamps=stamps)
