"""The metrics of a backtest, and the table of them for many backtests (a parameter grid).

Every figure is a fraction (0.05 is 5 %), a ratio, a count or a duration in seconds. Each
equals backtesting.py 0.6's `Backtest.run()` figure named on the right (which is in percent
where it says [%]; durations there are rounded up to the bar resolution, here they are exact),
except the ones marked "ours", which backtesting.py does not have or defines differently.

Notation: E = equity per bar (marked to the close), C = close, w = warm-up bars, r = equity
returns per period (see `periods.py`: daily for daily or intraday bars, weekly, monthly or
yearly for such bars), A = periods per year (252, 365, 52, 12 or 1), g = geometric mean of r
(0 if any r ≤ −1), rf = risk-free rate (annual, config; backtesting.py's `risk_free_rate`).
Trade returns R and pnl P as in `Trades`.

| metric | definition | backtesting.py |
|---|---|---|
| final_equity, peak_equity | E[−1], max E | Equity Final / Peak [$] |
| commissions | Σ trade commission | Commissions [$] |
| exposure_time | bars with a trade open (entry to exit bar, inclusive) / bars | Exposure Time [%] |
| total_return | E[−1] / E[0] − 1 | Return [%] |
| buy_and_hold_return | C[−1] / C[w] − 1 | Buy & Hold Return [%] |
| annualized_return | (1 + g)^A − 1 | Return (Ann.) [%] |
| annualized_volatility | √((var(r, n−1) + (1+g)²)^A − (1+g)^(2A)), compounded | Volatility (Ann.) [%] |
| cagr | (E[−1]/E[0])^(1/years) − 1, years = (end − start) / 365.25 days | CAGR [%] |
| sharpe_ratio | (annualized_return − rf) / annualized_volatility | Sharpe Ratio |
| sortino_ratio | (annualized_return − rf) / (√mean(min(r, 0)²) · √A) | Sortino Ratio |
| calmar_ratio | annualized_return / max_drawdown | Calmar Ratio |
| alpha | total_return − rf − beta · (buy_and_hold_return − rf) (Jensen) | Alpha [%] |
| beta | cov(log E returns, log C returns) / var(log C returns), per bar | Beta |
| correlation | Pearson correlation of the same per-bar log returns | ours |
| max_drawdown | max(1 − E / running max E), positive | −Max. Drawdown [%] |
| average_drawdown | mean depth of the drawdown episodes (`drawdown.py`), positive | −Avg. Drawdown [%] |
| max_drawdown_duration_seconds | longest episode | Max. Drawdown Duration |
| average_drawdown_duration_seconds | mean episode duration | Avg. Drawdown Duration |
| trade_count | closed trades (with close_at_end, the end-of-data one too) | # Trades |
| win_rate | share of trades with P > 0 | Win Rate [%] |
| best_trade, worst_trade | max R, min R | Best / Worst Trade [%] |
| average_trade | geometric mean of R: exp(mean log(1 + R)) − 1, 0 if any R ≤ −1 | Avg. Trade [%] |
| max_trade_duration_seconds | max of exit time − entry time | Max. Trade Duration |
| average_trade_duration_seconds | mean of exit time − entry time | Avg. Trade Duration |
| profit_factor | Σ R⁺ / \\|Σ R⁻\\|, on trade returns | Profit Factor |
| profit_factor_cash | Σ P⁺ / \\|Σ P⁻\\|, gross profit over gross loss in cash, the usual definition | ours |
| expectancy | mean R | Expectancy [%] |
| expectancy_cash | mean P | ours |
| sqn | √n · mean P / std(P, n−1) (Van Tharp's system quality number) | SQN |
| kelly_criterion | W − (1 − W) / (mean P⁺ / mean \\|P⁻\\|), W = win_rate | Kelly Criterion |
| longest_winning_streak, longest_losing_streak | most consecutive trades with P > 0, with P < 0 | ours |

A metric with nothing to measure is NaN: trade statistics without trades, ratios over a zero
(no drawdown, no volatility, no losing trade).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from services.core.backtest.equity_metrics import equity_metrics
from services.core.backtest.inputs import Bars
from services.core.backtest.runs import Runs
from services.core.backtest.trade_metrics import trade_metrics


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every figure of one backtest, as defined in this module's table."""

    final_equity: float
    peak_equity: float
    commissions: float
    exposure_time: float
    total_return: float
    buy_and_hold_return: float
    annualized_return: float
    annualized_volatility: float
    cagr: float
    sharpe_ratio: float
    sortino_ratio: float
    calmar_ratio: float
    alpha: float
    beta: float
    correlation: float
    max_drawdown: float
    average_drawdown: float
    max_drawdown_duration_seconds: float
    average_drawdown_duration_seconds: float
    trade_count: int
    win_rate: float
    best_trade: float
    worst_trade: float
    average_trade: float
    max_trade_duration_seconds: float
    average_trade_duration_seconds: float
    profit_factor: float
    profit_factor_cash: float
    expectancy: float
    expectancy_cash: float
    sqn: float
    kelly_criterion: float
    longest_winning_streak: int
    longest_losing_streak: int

    @classmethod
    def from_table(cls, table: dict[str, np.ndarray], row: int = 0) -> Metrics:
        values = {name: float(table[name][row]) for name in METRIC_NAMES}
        return cls(**{name: int(value) if name in COUNT_METRICS else value for name, value in values.items()})

    def as_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in METRIC_NAMES}


METRIC_NAMES: tuple[str, ...] = tuple(item.name for item in fields(Metrics))
COUNT_METRICS = frozenset({"trade_count", "longest_winning_streak", "longest_losing_streak"})


def metric_table(runs: Runs, *, bars: Bars, risk_free_rate: float) -> dict[str, np.ndarray]:
    """Every metric as one array with a value per run, in METRIC_NAMES order."""
    rows, bar_count = runs.equity.shape
    columns = {
        **equity_metrics(runs, bars=bars, risk_free_rate=risk_free_rate),
        **trade_metrics(runs.trades, runs.trade_run, rows, bar_count),
    }
    return {name: columns[name] for name in METRIC_NAMES}


def metric_frame(table: dict[str, np.ndarray]) -> pd.DataFrame:
    """The table as a frame, counts as integers."""
    frame = pd.DataFrame(table)
    for name in COUNT_METRICS:
        frame[name] = frame[name].astype(np.int64)
    return frame
