"""The backtest's metric set on a paper account's live equity curve and closed trades.

The account's curve becomes the `Bars` and `Runs` the backtest metrics take, so every figure
means what it means for a backtest (`services.core.backtest.metrics`):
- one point per distinct bar time, the equity after everything that time did (an account
  following several symbols gets a point for each of their bars); a point older than the one
  before it (a bar that arrived late) is left out, the curve must move forward in time;
- the benchmark for buy & hold, beta and correlation is the first symbol the curve was marked
  with (the account's first traded symbol), its close carried forward between its own bars;
- a trade is each closing fill: entered at the average price of what it closed, at the time
  that position opened; its commission is both sides' (as the backtest's trades).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from services.core.backtest.drawdown import drawdown_curves
from services.core.backtest.inputs import Bars
from services.core.backtest.metrics import Metrics, metric_table
from services.core.backtest.runs import Runs
from services.core.backtest.trades import ExitReason, Trades
from services.core.signals.paper import EquityPoint, Fill, FillReason

EXIT_REASONS = {
    FillReason.ORDER: ExitReason.SIGNAL,
    FillReason.STOP_LOSS: ExitReason.STOP_LOSS,
    FillReason.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
}


def forward_curve(points: Sequence[EquityPoint]) -> list[EquityPoint]:
    """One point per time, in increasing time, with the benchmark close carried in `close`."""
    if not points:
        return []
    benchmark = points[0].symbol
    close = math.nan
    curve: list[EquityPoint] = []
    for point in points:
        if point.symbol == benchmark:
            close = point.close
        if curve and point.time < curve[-1].time:
            continue
        marked = EquityPoint(point.time, point.equity, benchmark, close)
        if curve and point.time == curve[-1].time:
            curve[-1] = marked
        else:
            curve.append(marked)
    return curve


def closed_trades(fills: Sequence[Fill], times: np.ndarray, commission_rate: float) -> Trades:
    closing = [fill for fill in fills if fill.closing]
    side = np.array([-int(fill.side) for fill in closing], dtype=np.int8)
    size = np.array([fill.quantity for fill in closing], dtype=np.float64)
    entry = np.array([fill.entry_price for fill in closing], dtype=np.float64)
    exit_ = np.array([fill.price for fill in closing], dtype=np.float64)
    commission = np.array(
        [fill.commission + fill.quantity * fill.entry_price * commission_rate for fill in closing],
        dtype=np.float64,
    )
    entry_time = np.array([fill.entry_time for fill in closing], dtype=np.int64)
    exit_time = np.array([fill.time for fill in closing], dtype=np.int64)
    return Trades(
        entry_bar=_bar_index(times, entry_time),
        exit_bar=_bar_index(times, exit_time),
        entry_time=entry_time,
        exit_time=exit_time,
        side=side,
        size=size,
        entry_price=entry,
        exit_price=exit_,
        pnl=np.array([fill.realized_pnl for fill in closing], dtype=np.float64),
        returns=side * (exit_ / entry - 1.0) - commission / (size * entry),
        commission=commission,
        exit_reason=np.array([EXIT_REASONS[fill.reason] for fill in closing], dtype=np.int8),
    )


def _bar_index(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(times, at, side="right") - 1, 0, max(len(times) - 1, 0)).astype(np.int64)


def performance(
    points: Sequence[EquityPoint],
    fills: Sequence[Fill],
    *,
    commission_rate: float,
    risk_free_rate: float = 0.0,
) -> tuple[list[EquityPoint], Metrics | None]:
    """The curve the metrics were measured on, and the metrics (None before two distinct bar times)."""
    curve = forward_curve(points)
    if len(curve) < 2:
        return curve, None
    times = np.array([point.time for point in curve], dtype=np.int64)
    equity = np.array([point.equity for point in curve], dtype=np.float64)
    closes = np.array([point.close for point in curve], dtype=np.float64)
    bars = Bars.from_arrays(open=closes, high=closes, low=closes, close=closes, timestamps=times)
    trades = closed_trades(fills, times, commission_rate)
    runs = Runs(
        equity=equity[np.newaxis, :],
        drawdowns=drawdown_curves(equity)[np.newaxis, :],
        trades=trades,
        trade_run=np.zeros(len(trades), dtype=np.int64),
        warmup_bars=np.array([0]),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table = metric_table(runs, bars=bars, risk_free_rate=risk_free_rate)
    return curve, Metrics.from_table(table)
