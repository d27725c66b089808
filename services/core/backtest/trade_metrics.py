"""Trade statistics for many backtests at once: the trades of all runs in one flat list.

`run[k]` says which backtest trade k belongs to (trades of one run consecutive, in order);
every statistic is a group reduction (bincount, ufunc.at), so a grid of a thousand
combinations costs a handful of numpy calls. Definitions are in `services.core.backtest.metrics`.
"""

from __future__ import annotations

import numpy as np

from services.core.backtest.trades import Trades

NANOSECONDS_PER_SECOND = 1e9


def trade_metrics(trades: Trades, run: np.ndarray, rows: int, bar_count: int) -> dict[str, np.ndarray]:
    """One array per trade metric, one value per run (NaN where a run has no trades)."""
    pnl = trades.pnl
    returns = trades.returns
    count = np.bincount(run, minlength=rows).astype(np.float64)
    durations = (trades.exit_time - trades.entry_time) / NANOSECONDS_PER_SECOND
    # NaN where a run has no trades (0/0); ±inf where a ratio's denominator is zero or, with a
    # subnormal average win, a quotient overflows (Kelly of a vanishing payoff ratio is -inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        win_rate = _sum(run, pnl > 0, rows) / count
        wins = _mean_where(run, pnl, pnl > 0, rows)
        losses = -_mean_where(run, pnl, pnl < 0, rows)
        mean_pnl = _sum(run, pnl, rows) / count
        return {
            "exposure_time": _exposure(trades, run, rows) / bar_count,
            "commissions": _sum(run, trades.commission, rows),
            "trade_count": count,
            "win_rate": win_rate,
            "best_trade": _extreme(np.maximum, run, returns, rows, count),
            "worst_trade": _extreme(np.minimum, run, returns, rows, count),
            "average_trade": _geometric_means(run, returns, rows, count),
            "max_trade_duration_seconds": _extreme(np.maximum, run, durations, rows, count),
            "average_trade_duration_seconds": _sum(run, durations, rows) / count,
            "profit_factor": _sum(run, np.where(returns > 0, returns, 0.0), rows)
            / _nan_if_zero(np.abs(_sum(run, np.where(returns < 0, returns, 0.0), rows))),
            "profit_factor_cash": _sum(run, np.where(pnl > 0, pnl, 0.0), rows)
            / _nan_if_zero(np.abs(_sum(run, np.where(pnl < 0, pnl, 0.0), rows))),
            "expectancy": _sum(run, returns, rows) / count,
            "expectancy_cash": mean_pnl,
            "sqn": np.sqrt(count)
            * mean_pnl
            / _nan_if_zero(_standard_deviation(run, pnl, rows, count, mean_pnl)),
            "kelly_criterion": win_rate - (1 - win_rate) / (wins / losses),
            "longest_winning_streak": _longest_streak(run, pnl > 0, rows),
            "longest_losing_streak": _longest_streak(run, pnl < 0, rows),
        }


def _sum(run: np.ndarray, values: np.ndarray, rows: int) -> np.ndarray:
    return np.bincount(run, weights=values.astype(np.float64, copy=False), minlength=rows)


def _nan_if_zero(values: np.ndarray) -> np.ndarray:
    return np.where(values == 0, np.nan, values)


def _mean_where(run: np.ndarray, values: np.ndarray, mask: np.ndarray, rows: int) -> np.ndarray:
    return _sum(run[mask], values[mask], rows) / np.bincount(run[mask], minlength=rows)


def _extreme(
    ufunc: np.ufunc, run: np.ndarray, values: np.ndarray, rows: int, count: np.ndarray
) -> np.ndarray:
    result = np.full(rows, -np.inf if ufunc is np.maximum else np.inf)
    ufunc.at(result, run, values)
    result[count == 0] = np.nan
    return result


def _geometric_means(run: np.ndarray, returns: np.ndarray, rows: int, count: np.ndarray) -> np.ndarray:
    """exp(mean(log(1 + r))) − 1; 0 for a run with a trade losing 100 % or more (backtesting.py)."""
    growth = returns + 1
    ruined = np.bincount(run, weights=growth <= 0, minlength=rows) > 0
    logs = np.log(np.where(growth > 0, growth, 1.0))
    means = np.exp(_sum(run, logs, rows) / count) - 1
    return np.where(ruined, 0.0, means)


def _standard_deviation(
    run: np.ndarray, values: np.ndarray, rows: int, count: np.ndarray, means: np.ndarray
) -> np.ndarray:
    """Sample standard deviation (n − 1) per run; NaN below two trades."""
    if run.shape[0] == 0:
        return np.full(rows, np.nan)
    squares = _sum(run, (values - means[run]) ** 2, rows)
    return np.sqrt(squares / np.where(count > 1, count - 1, np.nan))


def _exposure(trades: Trades, run: np.ndarray, rows: int) -> np.ndarray:
    """Bars with a trade open, counting both the entry and the exit bar, as backtesting.py.

    Trades of a run never overlap; a reversal's exit bar is the next trade's entry bar and is
    counted once.
    """
    spans = _sum(run, trades.exit_bar - trades.entry_bar + 1, rows)
    shared = np.zeros(trades.entry_bar.shape[0], dtype=np.bool_)
    shared[1:] = (run[1:] == run[:-1]) & (trades.entry_bar[1:] == trades.exit_bar[:-1])
    return spans - _sum(run, shared, rows)


def _longest_streak(run: np.ndarray, hits: np.ndarray, rows: int) -> np.ndarray:
    """The most consecutive trades of a run for which `hits` holds."""
    longest = np.zeros(rows)
    if not hits.any():
        return longest
    new_run = np.ones(hits.shape[0], dtype=np.bool_)
    new_run[1:] = run[1:] != run[:-1]
    previous = np.zeros(hits.shape[0], dtype=np.bool_)
    previous[1:] = hits[:-1]
    starts = hits & (new_run | ~previous)
    streak = np.cumsum(starts) - 1
    lengths = np.bincount(streak[hits])
    np.maximum.at(longest, run[starts], lengths)
    return longest
