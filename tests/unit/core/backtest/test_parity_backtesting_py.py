"""Differential tests: our engine against backtesting.py 0.6 on its GOOG daily data.

The reference strategy is backtesting.py's SmaCross: SMA(10) crossing SMA(20), each signal
closing the open trade and opening the opposite one (`position.close(); buy()` / `sell()`),
10,000 cash, commission 0.2 % per side, whole units bought with all available cash (its
default order size is 1 − 2⁻⁵², which our FractionOfEquity takes as given). Variants: the
trade left open at the end or closed, fractional units, fills at the close, stop-loss and
take-profit levels, long only. Trades must be equal (bar for bar, bit for bit where the
arithmetic is the same) and every metric equal to a relative 1e-6.

Where the semantics differ only in bookkeeping, the test says how and checks that too:
with fills at the close, backtesting.py books a close's fill commission in the next bar's
equity (ours in that bar's), so its equity curve is checked against ours shifted by exactly
those commissions, and the metrics against its own `compute_stats` fed our equity curve.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting._stats import compute_stats
from backtesting.lib import FractionalBacktest
from backtesting.lib import crossover as crosses
from backtesting.test import GOOG, SMA

from services.core.backtest import (
    METRIC_NAMES,
    BacktestConfig,
    BacktestResult,
    Bars,
    ExitReason,
    FillTiming,
    FractionOfEquity,
    IndicatorCache,
    Intents,
    Metrics,
    OppositeSignal,
    run_backtest,
    run_grid,
    warmup_of,
)
from services.core.backtest.trades import Trades
from tests.unit.core.backtest.helpers import crossover

pytestmark = [
    # backtesting.py's own warnings: a trade left open on purpose, and pandas 3 deprecating an
    # attribute its statistics use
    pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning"),
    pytest.mark.filterwarnings("ignore:DatetimeIndex.dayofweek is deprecated"),
]

FULL_EQUITY = 1 - sys.float_info.epsilon  # backtesting.py's Strategy._FULL_EQUITY
COMMISSION = 0.002
STOP, TARGET = 0.05, 0.10

# backtesting.py figure -> (our metric, scale)
METRICS: dict[str, tuple[str, float]] = {
    "Equity Final [$]": ("final_equity", 1),
    "Equity Peak [$]": ("peak_equity", 1),
    "Commissions [$]": ("commissions", 1),
    "Exposure Time [%]": ("exposure_time", 100),
    "Return [%]": ("total_return", 100),
    "Buy & Hold Return [%]": ("buy_and_hold_return", 100),
    "Return (Ann.) [%]": ("annualized_return", 100),
    "Volatility (Ann.) [%]": ("annualized_volatility", 100),
    "CAGR [%]": ("cagr", 100),
    "Sharpe Ratio": ("sharpe_ratio", 1),
    "Sortino Ratio": ("sortino_ratio", 1),
    "Calmar Ratio": ("calmar_ratio", 1),
    "Alpha [%]": ("alpha", 100),
    "Beta": ("beta", 1),
    "Max. Drawdown [%]": ("max_drawdown", -100),
    "Avg. Drawdown [%]": ("average_drawdown", -100),
    "# Trades": ("trade_count", 1),
    "Win Rate [%]": ("win_rate", 100),
    "Best Trade [%]": ("best_trade", 100),
    "Worst Trade [%]": ("worst_trade", 100),
    "Avg. Trade [%]": ("average_trade", 100),
    "Profit Factor": ("profit_factor", 1),
    "Expectancy [%]": ("expectancy", 100),
    "SQN": ("sqn", 1),
    "Kelly Criterion": ("kelly_criterion", 1),
}
# backtesting.py rounds durations up to the bar period (a day here); ours are exact seconds
DURATIONS = {
    "Max. Drawdown Duration": "max_drawdown_duration_seconds",
    "Avg. Drawdown Duration": "average_drawdown_duration_seconds",
    "Max. Trade Duration": "max_trade_duration_seconds",
    "Avg. Trade Duration": "average_trade_duration_seconds",
}


class SmaCross(Strategy):
    """backtesting.py's SmaCross, with optional stop-loss / take-profit fractions of the signal close."""

    fast = 10
    slow = 20
    stop: float | None = None
    target: float | None = None
    long_only = False

    def init(self) -> None:
        self.fast_average = self.I(SMA, self.data.Close, self.fast)
        self.slow_average = self.I(SMA, self.data.Close, self.slow)

    def next(self) -> None:
        if crosses(self.fast_average, self.slow_average):
            self.position.close()
            self.buy(**self.levels(1))
        elif crosses(self.slow_average, self.fast_average):
            self.position.close()
            if not self.long_only:
                self.sell(**self.levels(-1))

    def levels(self, side: int) -> dict[str, float]:
        price = self.data.Close[-1]
        levels = {}
        if self.stop:
            levels["sl"] = price * (1 - side * self.stop)
        if self.target:
            levels["tp"] = price * (1 + side * self.target)
        return levels


def reference(data: pd.DataFrame = GOOG, backtest: type[Backtest] = Backtest, **options: Any) -> pd.Series:
    """backtesting.py's result for SmaCross with these Backtest and strategy options."""
    strategy_options = {key: options.pop(key) for key in ("stop", "target", "long_only") if key in options}
    return backtest(data, SmaCross, cash=10_000, commission=COMMISSION, **options).run(**strategy_options)


def sma_intents(data: pd.DataFrame, *, long_only: bool = False) -> Intents:
    fast = SMA(data["Close"], 10).to_numpy()
    slow = SMA(data["Close"], 20).to_numpy()
    up, down = crossover(fast, slow), crossover(slow, fast)
    if long_only:
        return Intents(enter_long=up, exit_long=down, warmup_bars=warmup_of(fast, slow))
    return Intents(enter_long=up, enter_short=down, warmup_bars=warmup_of(fast, slow))


CONFIG = BacktestConfig(
    initial_cash=10_000.0,
    commission=COMMISSION,
    sizing=FractionOfEquity(FULL_EQUITY),
    close_at_end=False,
)


def assert_same_trades(theirs: pd.DataFrame, ours: Trades, rtol: float = 0.0) -> None:
    assert len(ours) == len(theirs)
    np.testing.assert_array_equal(ours.entry_bar, theirs["EntryBar"].to_numpy())
    np.testing.assert_array_equal(ours.exit_bar, theirs["ExitBar"].to_numpy())
    np.testing.assert_array_equal(
        ours.entry_time, theirs["EntryTime"].to_numpy().astype("datetime64[ns]").view("i8")
    )
    for name, column in (
        ("size", ours.size * ours.side),
        ("entry_price", ours.entry_price),
        ("exit_price", ours.exit_price),
        ("pnl", ours.pnl),
        ("returns", ours.returns),
        ("commission", ours.commission),
    ):
        expected = theirs[_trade_columns[name]].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(column, expected, rtol=rtol, atol=0, err_msg=name)


_trade_columns = {
    "size": "Size",
    "entry_price": "EntryPrice",
    "exit_price": "ExitPrice",
    "pnl": "PnL",
    "returns": "ReturnPct",
    "commission": "Commission",
}


def assert_same_metrics(theirs: pd.Series, ours: Metrics, rtol: float = 1e-6) -> None:
    compared = 0
    for key, (name, scale) in METRICS.items():
        if key not in theirs:  # Commissions [$] is shown only when there were some
            continue
        expected, actual = float(theirs[key]), getattr(ours, name) * scale
        if np.isnan(expected):
            assert np.isnan(actual), key
        else:
            assert actual == pytest.approx(expected, rel=rtol, abs=1e-9), key
        compared += 1
    for key, name in DURATIONS.items():
        assert pd.Timedelta(seconds=getattr(ours, name)).ceil("D") == theirs[key], key
    assert compared >= len(METRICS) - 1


@pytest.fixture(scope="module")
def bars() -> Bars:
    return Bars.from_frame(GOOG)


@pytest.fixture(scope="module")
def reversing() -> tuple[pd.Series, BacktestResult]:
    ours = run_backtest(Bars.from_frame(GOOG), sma_intents(GOOG), CONFIG)
    return reference(), ours


def test_sma_cross_with_the_last_trade_left_open(reversing: tuple[pd.Series, BacktestResult]) -> None:
    theirs, ours = reversing

    assert_same_trades(theirs["_trades"], ours.trades)
    np.testing.assert_array_equal(ours.equity, theirs["_equity_curve"]["Equity"].to_numpy())
    np.testing.assert_allclose(ours.drawdown, theirs["_equity_curve"]["DrawdownPct"].to_numpy(), rtol=1e-12)
    assert_same_metrics(theirs, ours.metrics)
    (still_open,) = theirs["_strategy"].trades
    held = ours.open_position
    assert held is not None
    assert (held.size * held.side, held.entry_bar, held.entry_price) == (
        still_open.size,
        still_open.entry_bar,
        still_open.entry_price,
    )


def test_the_last_trade_closed_at_the_end(bars: Bars) -> None:
    # backtesting.py's finalize_trades closes at the last bar's open; with that open equal to the
    # last close, it is our END_OF_DATA close
    data = GOOG.copy()
    data.iloc[-1, data.columns.get_loc("Open")] = data["Close"].iloc[-1]
    theirs = reference(data, finalize_trades=True)
    ours = run_backtest(Bars.from_frame(data), sma_intents(data), replace(CONFIG, close_at_end=True))

    assert_same_trades(theirs["_trades"], ours.trades)
    assert ours.trades.exit_reason[-1] == ExitReason.END_OF_DATA
    np.testing.assert_array_equal(ours.equity, theirs["_equity_curve"]["Equity"].to_numpy())
    assert_same_metrics(theirs, ours.metrics)


def test_fractional_units(bars: Bars) -> None:
    theirs = reference(backtest=FractionalBacktest, fractional_unit=1e-8)
    ours = run_backtest(bars, sma_intents(GOOG), replace(CONFIG, quantity_step=1e-8))

    assert not np.all(ours.trades.size == np.round(ours.trades.size))
    assert_same_trades(theirs["_trades"], ours.trades, rtol=1e-9)
    np.testing.assert_allclose(ours.equity, theirs["_equity_curve"]["Equity"].to_numpy(), rtol=1e-9)
    assert_same_metrics(theirs, ours.metrics)


def test_long_only_with_exits(bars: Bars) -> None:
    theirs = reference(long_only=True)
    config = replace(CONFIG, allow_short=False, on_opposite_signal=OppositeSignal.EXIT_ONLY)
    ours = run_backtest(bars, sma_intents(GOOG, long_only=True), config)

    assert np.all(ours.trades.side == 1)
    assert_same_trades(theirs["_trades"], ours.trades)
    np.testing.assert_array_equal(ours.equity, theirs["_equity_curve"]["Equity"].to_numpy())
    assert_same_metrics(theirs, ours.metrics)


def test_stop_loss_and_take_profit_prices_set_at_the_signal(bars: Bars) -> None:
    theirs = reference(stop=STOP, target=TARGET)
    intents = sma_intents(GOOG)
    close = GOOG["Close"].to_numpy()
    side = np.where(intents.enter_long, 1, -1)
    intents = replace(
        intents, stop_loss_price=close * (1 - side * STOP), take_profit_price=close * (1 + side * TARGET)
    )
    ours = run_backtest(bars, intents, CONFIG)

    reasons = set(ours.trades.exit_reason.tolist())
    assert {ExitReason.STOP_LOSS, ExitReason.TAKE_PROFIT, ExitReason.SIGNAL} <= reasons
    assert_same_trades(theirs["_trades"], ours.trades)
    np.testing.assert_array_equal(ours.equity, theirs["_equity_curve"]["Equity"].to_numpy())
    assert_same_metrics(theirs, ours.metrics)


@pytest.mark.parametrize("stops", [False, True], ids=["signals", "stop-fractions"])
def test_fills_at_the_close(bars: Bars, stops: bool) -> None:
    levels = {"stop": STOP, "target": TARGET} if stops else {}
    theirs = reference(trade_on_close=True, **levels)
    config = replace(
        CONFIG,
        fill_timing=FillTiming.THIS_CLOSE,
        stop_loss=STOP if stops else None,
        take_profit=TARGET if stops else None,
    )
    ours = run_backtest(bars, sma_intents(GOOG), config)

    their_trades = theirs["_trades"]
    assert_same_trades(their_trades, ours.trades)
    if stops:
        assert ExitReason.STOP_LOSS in ours.trades.exit_reason
    # their equity books a close's fill commissions one bar later than ours
    booked_late = _commissions_paid_at_closes(ours, COMMISSION)
    np.testing.assert_allclose(
        ours.equity + booked_late, theirs["_equity_curve"]["Equity"].to_numpy(), rtol=1e-12
    )
    assert booked_late.any()
    # every metric as backtesting.py computes it from our equity curve and these trades
    expected = compute_stats(their_trades, ours.equity, GOOG, theirs["_strategy"])
    assert_same_metrics(expected, ours.metrics)
    # and the trade figures, which no equity curve enters, as in backtesting.py's own run
    trade_figures = [
        "# Trades",
        "Win Rate [%]",
        "Best Trade [%]",
        "Worst Trade [%]",
        "SQN",
        "Kelly Criterion",
    ]
    for key, (name, scale) in METRICS.items():
        if key in trade_figures:
            assert getattr(ours.metrics, name) * scale == pytest.approx(theirs[key], rel=1e-6), key


def _commissions_paid_at_closes(result: BacktestResult, rate: float) -> np.ndarray:
    """Per bar, the commission of the fills that happened at that bar's close."""
    trades = result.trades
    paid = np.zeros(result.equity.shape[0])
    np.add.at(paid, trades.entry_bar, trades.size * trades.entry_price * rate)
    at_close = trades.exit_reason == ExitReason.SIGNAL
    np.add.at(paid, trades.exit_bar[at_close], trades.size[at_close] * trades.exit_price[at_close] * rate)
    if result.open_position is not None:
        held = result.open_position
        paid[held.entry_bar] += held.size * held.entry_price * rate
    return paid


def test_risk_free_rate(reversing: tuple[pd.Series, BacktestResult], bars: Bars) -> None:
    theirs, _ = reversing
    ours = run_backtest(bars, sma_intents(GOOG), replace(CONFIG, risk_free_rate=0.02))
    expected = compute_stats(theirs["_trades"], ours.equity, GOOG, theirs["_strategy"], risk_free_rate=0.02)

    assert ours.metrics.sharpe_ratio != pytest.approx(theirs["Sharpe Ratio"], rel=1e-3)
    assert_same_metrics(expected, ours.metrics)


def test_a_grid_row_equals_backtesting_py(reversing: tuple[pd.Series, BacktestResult], bars: Bars) -> None:
    theirs, _ = reversing

    def backtesting_py_sma(name: str, bars: Bars, *, period: int) -> np.ndarray:
        return SMA(pd.Series(bars.close), period).to_numpy()

    def sma_cross(indicators: IndicatorCache, parameters: Mapping[str, Any]) -> Intents:
        fast = indicators.get("sma", period=parameters["fast"])
        slow = indicators.get("sma", period=parameters["slow"])
        return Intents(
            enter_long=crossover(fast, slow),
            enter_short=crossover(slow, fast),
            warmup_bars=warmup_of(fast, slow),
        )

    indicators = IndicatorCache(bars, compute=backtesting_py_sma)
    table = run_grid(bars, {"fast": [5, 10], "slow": [20, 30]}, sma_cross, CONFIG, indicators=indicators)
    row = table.index[(table["fast"] == 10) & (table["slow"] == 20)][0]

    assert_same_metrics(
        theirs, Metrics.from_table({name: table[name].to_numpy() for name in METRIC_NAMES}, row)
    )
