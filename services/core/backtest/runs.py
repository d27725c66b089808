"""The raw outcome of backtests on the same bars, as the metrics take it (one row per run)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.core.backtest.trades import Trades


@dataclass(frozen=True, slots=True, eq=False)
class Runs:
    """The outcome of many backtests on the same bars, to be measured together."""

    equity: np.ndarray  # (runs, bars)
    drawdowns: np.ndarray  # (runs, bars)
    trades: Trades  # every run's trades, run after run
    trade_run: np.ndarray  # which run each trade belongs to
    warmup_bars: np.ndarray  # per run
