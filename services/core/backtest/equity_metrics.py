"""Return and risk statistics for many equity curves at once: one row per backtest.

Every statistic is a numpy reduction along the bars, so a grid's curves are measured in one
pass. Definitions are in `services.core.backtest.metrics`.
"""

from __future__ import annotations

import numpy as np

from services.core.backtest.drawdown import drawdown_episodes
from services.core.backtest.inputs import Bars
from services.core.backtest.periods import Calendar
from services.core.backtest.runs import Runs

NANOSECONDS_PER_SECOND = 1e9


def equity_metrics(runs: Runs, *, bars: Bars, risk_free_rate: float) -> dict[str, np.ndarray]:
    """One array per equity metric, one value per run (row of the equity matrix)."""
    equity, drawdowns, close, calendar = runs.equity, runs.drawdowns, bars.close, bars.calendar
    rows = equity.shape[0]
    first, final = equity[:, 0], equity[:, -1]
    total_return = (final - first) / first
    start_close = close[runs.warmup_bars]
    buy_and_hold = (close[-1] - start_close) / start_close
    max_drawdown = np.nan_to_num(drawdowns.max(axis=1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        annual = _annualised(equity, calendar, risk_free_rate)
        beta, correlation = _beta_and_correlation(equity, bars.log_returns)
        cagr = (final / first) ** (1 / calendar.years) - 1 if calendar.years else np.full(rows, np.nan)
        return {
            "final_equity": final.copy(),
            "peak_equity": equity.max(axis=1),
            "total_return": total_return,
            "buy_and_hold_return": buy_and_hold,
            **annual,
            "cagr": cagr,
            "calmar_ratio": annual["annualized_return"] / np.where(max_drawdown == 0, np.nan, max_drawdown),
            "alpha": total_return - risk_free_rate - beta * (buy_and_hold - risk_free_rate),
            "beta": beta,
            "correlation": correlation,
            "max_drawdown": max_drawdown,
            **_episode_statistics(drawdowns, bars.timestamps),
        }


def _annualised(equity: np.ndarray, calendar: Calendar, risk_free_rate: float) -> dict[str, np.ndarray]:
    """Annualised return, volatility, Sharpe and Sortino from per-period (daily...) returns."""
    rows = equity.shape[0]
    periods = calendar.periods_per_year
    sampled = equity[:, calendar.sample_bars]
    returns = sampled[:, 1:] / sampled[:, :-1] - 1
    count = returns.shape[1]
    if count == 0:
        nothing = np.full(rows, np.nan)
        return {
            "annualized_return": nothing,
            "annualized_volatility": nothing,
            "sharpe_ratio": nothing,
            "sortino_ratio": nothing,
        }
    growth = returns + 1
    logs = np.log(np.where(growth > 0, growth, 1.0))
    mean_return = np.where((growth <= 0).any(axis=1), 0.0, np.exp(logs.sum(axis=1) / count) - 1)
    annualized = (1 + mean_return) ** periods - 1
    variance = returns.var(axis=1, ddof=1) if count > 1 else np.full(rows, np.nan)
    volatility = np.sqrt((variance + (1 + mean_return) ** 2) ** periods - (1 + mean_return) ** (2 * periods))
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2, axis=1)) * np.sqrt(periods)
    return {
        "annualized_return": annualized,
        "annualized_volatility": volatility,
        "sharpe_ratio": (annualized - risk_free_rate) / np.where(volatility == 0, np.nan, volatility),
        "sortino_ratio": (annualized - risk_free_rate) / downside,
    }


def _beta_and_correlation(equity: np.ndarray, market: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta and Pearson correlation of the equity's bar log returns to the market's."""
    rows, bars = equity.shape
    if bars < 3:
        return np.full(rows, np.nan), np.full(rows, np.nan)
    strategy = np.log(equity[:, 1:] / equity[:, :-1])
    strategy_deviation = strategy - strategy.mean(axis=1, keepdims=True)
    market_deviation = market - market.mean()
    covariance = strategy_deviation @ market_deviation
    market_variance = market_deviation @ market_deviation
    strategy_variance = np.einsum("ij,ij->i", strategy_deviation, strategy_deviation)
    beta = covariance / market_variance
    correlation = covariance / np.sqrt(strategy_variance * market_variance)
    return beta, correlation


def _episode_statistics(drawdowns: np.ndarray, timestamps: np.ndarray) -> dict[str, np.ndarray]:
    rows = drawdowns.shape[0]
    episodes = drawdown_episodes(drawdowns)
    durations = (timestamps[episodes.end_bar] - timestamps[episodes.start_bar]) / NANOSECONDS_PER_SECOND
    count = np.bincount(episodes.row, minlength=rows)
    longest = np.full(rows, -np.inf)
    np.maximum.at(longest, episodes.row, durations)
    longest[count == 0] = np.nan
    return {
        "average_drawdown": np.bincount(episodes.row, weights=episodes.depth, minlength=rows) / count,
        "max_drawdown_duration_seconds": longest,
        "average_drawdown_duration_seconds": (
            np.bincount(episodes.row, weights=durations, minlength=rows) / count
        ),
    }
