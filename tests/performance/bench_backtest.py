"""Backtest engine against vectorbt and backtesting.py: one long backtest, and a parameter grid.

- Single backtest: a long-only SMA(20)/SMA(50) crossover on 1,000,000 synthetic one-minute
  bars, commission 0.1 %, fills at the signal bar's close (vectorbt's default, our
  THIS_CLOSE), all cash in fractional units, the last trade left open. The signals are computed
  once beforehand and handed to all three engines. Ours is `run_backtest` with its whole result
  (trades, equity and drawdown curves, every metric); vectorbt's is `Portfolio.from_signals`
  plus its total return; backtesting.py's is `Backtest.run()` on the first 20,000 bars (a
  million would take minutes: the rate is what is compared).
- Grid: fast 5..50 step 5 × slow 10..100 step 10 with fast < slow (75 combinations) on
  backtesting.py's GOOG daily bars, same rules, commission 0.2 %, indicators included:
  ours is `run_grid` (each SMA period computed once by the platform's indicator registry),
  vectorbt's is `MA.run` over the combinations' windows, `ma_crossed_above/below` and one
  broadcast `Portfolio.from_signals` with its total returns, backtesting.py's is
  `Backtest.optimize` (which forks a worker per core).

Every figure is a median over repeats after a warm-up run, so numba compilation and
vectorbt's own JIT are not timed; ours and vectorbt's runs alternate, so that a busy spell on
the shared machine slows both. What our metrics need from the bars alone (their calendar and
log returns) is cached on the immutable `Bars`, so the warm-up run pays for it, as the first
backtest on a dataset does in a grid or a walk-forward. Our results are checked against
vectorbt's on the way: the total returns must agree, or the comparison would be meaningless.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover as crosses
from backtesting.test import GOOG, SMA

from services.core.backtest import (
    BacktestConfig,
    Bars,
    FillTiming,
    IndicatorCache,
    Intents,
    run_backtest,
    run_grid,
    warmup_of,
)
from tests.performance.measurement import Measurement, median_rate

SINGLE_BARS = 1_000_000
BACKTESTING_PY_BARS = 20_000
SINGLE_COMMISSION = 0.001
GRID_COMMISSION = 0.002
FAST_PERIODS = range(5, 55, 5)
SLOW_PERIODS = range(10, 110, 10)
INITIAL_CASH = 10_000.0


def run() -> list[Measurement]:
    import vectorbt  # noqa: PLC0415 - takes seconds to import: only when this benchmark runs

    with warnings.catch_warnings():
        # backtesting.py warns about open trades and forking; vectorbt about its own deprecations
        warnings.simplefilter("ignore")
        return [*_single_backtest(vectorbt), *_grid(vectorbt)]


# -- one long backtest ---------------------------------------------------------------------------


def _single_backtest(vectorbt: Any) -> list[Measurement]:
    frame = synthetic_minute_bars(SINGLE_BARS, seed=7)
    bars = Bars.from_frame(frame)
    fast, slow = _sma(bars.close, 20), _sma(bars.close, 50)
    entries, exits = crossover(fast, slow), crossover(slow, fast)
    intents = Intents(enter_long=entries, exit_long=exits, warmup_bars=warmup_of(fast, slow))
    config = _config(SINGLE_COMMISSION, quantity_step=0.0)

    def ours() -> int:
        run_backtest(bars, intents, config)
        return SINGLE_BARS

    close = frame["Close"]
    entry_series = pd.Series(entries, index=frame.index)
    exit_series = pd.Series(exits, index=frame.index)

    def vectorbt_run() -> int:
        portfolio = vectorbt.Portfolio.from_signals(
            close, entry_series, exit_series, fees=SINGLE_COMMISSION, init_cash=INITIAL_CASH, freq="1min"
        )
        portfolio.total_return()
        return SINGLE_BARS

    ours_return = run_backtest(bars, intents, config).metrics.total_return
    reference = vectorbt.Portfolio.from_signals(
        close, entry_series, exit_series, fees=SINGLE_COMMISSION, init_cash=INITIAL_CASH, freq="1min"
    ).total_return()
    _check_agreement("single backtest total return", np.array([ours_return]), np.array([reference]))
    ours_rate, vectorbt_rate = paired_rates(ours, vectorbt_run, repeats=7)
    backtesting_rate = _backtesting_py_single(frame.iloc[:BACKTESTING_PY_BARS], entries, exits)
    return [
        Measurement(
            "backtest: 1M-bar SMA crossover", "bars/s", ours_rate, "vectorbt", vectorbt_rate, aim="≥ 1×"
        ),
        Measurement(
            "backtest: SMA crossover (backtesting.py on 20k bars)",
            "bars/s",
            ours_rate,
            "backtesting.py",
            backtesting_rate,
            aim="≥ 50×",
        ),
    ]


def _backtesting_py_single(frame: pd.DataFrame, entries: np.ndarray, exits: np.ndarray) -> float:
    backtest = Backtest(
        frame, PrecomputedSignals, cash=INITIAL_CASH, commission=SINGLE_COMMISSION, trade_on_close=True
    )

    def work() -> int:
        backtest.run(entries=entries, exits=exits)
        return len(frame)

    work()
    return median_rate(work, repeats=3)


class PrecomputedSignals(Strategy):
    """backtesting.py following the same precomputed signals (a class its optimiser can pickle)."""

    entries: np.ndarray = np.zeros(0, dtype=np.bool_)
    exits: np.ndarray = np.zeros(0, dtype=np.bool_)

    def init(self) -> None:
        pass

    def next(self) -> None:
        bar = len(self.data) - 1
        if self.entries[bar] and not self.position:
            self.buy()
        elif self.exits[bar] and self.position:
            self.position.close()


# -- a parameter grid ----------------------------------------------------------------------------


def _grid(vectorbt: Any) -> list[Measurement]:
    bars = Bars.from_frame(GOOG)
    config = _config(GRID_COMMISSION, quantity_step=0.0)
    parameters = {"fast": FAST_PERIODS, "slow": SLOW_PERIODS}
    combinations = [(fast, slow) for fast in FAST_PERIODS for slow in SLOW_PERIODS if fast < slow]

    def ours_table() -> pd.DataFrame:
        return run_grid(
            bars, parameters, _sma_cross, config, constraint=_fast_below_slow, indicators=IndicatorCache(bars)
        )

    def vectorbt_returns() -> pd.Series:
        fast = vectorbt.MA.run(GOOG["Close"], window=[fast for fast, _ in combinations], short_name="fast")
        slow = vectorbt.MA.run(GOOG["Close"], window=[slow for _, slow in combinations], short_name="slow")
        portfolio = vectorbt.Portfolio.from_signals(
            GOOG["Close"],
            fast.ma_crossed_above(slow),
            fast.ma_crossed_below(slow),
            fees=GRID_COMMISSION,
            init_cash=INITIAL_CASH,
            freq="1D",
        )
        return portfolio.total_return()

    _check_agreement(
        "grid total returns", ours_table()["total_return"].to_numpy(), vectorbt_returns().to_numpy()
    )
    count = len(combinations)
    ours_rate, vectorbt_rate = paired_rates(
        lambda: len(ours_table()), lambda: len(vectorbt_returns()), repeats=9
    )
    backtesting_rate = _backtesting_py_grid(count)
    return [
        Measurement(
            "backtest grid: 75 SMA pairs on GOOG",
            "combinations/s",
            ours_rate,
            "vectorbt",
            vectorbt_rate,
            aim="≥ 1×",
        ),
        Measurement(
            "backtest grid: 75 SMA pairs on GOOG",
            "combinations/s",
            ours_rate,
            "backtesting.py optimize",
            backtesting_rate,
            aim="≥ 50×",
        ),
    ]


def _backtesting_py_grid(count: int) -> float:
    backtest = Backtest(GOOG, SmaCross, cash=INITIAL_CASH, commission=GRID_COMMISSION, trade_on_close=True)

    def work() -> int:
        backtest.optimize(
            fast=list(FAST_PERIODS), slow=list(SLOW_PERIODS), constraint=lambda grid: grid.fast < grid.slow
        )
        return count

    return median_rate(work, repeats=3)


class SmaCross(Strategy):
    """backtesting.py's long-only SMA crossover: buy on a cross up, close on a cross down."""

    fast = 10
    slow = 20

    def init(self) -> None:
        self.fast_average = self.I(SMA, self.data.Close, self.fast)
        self.slow_average = self.I(SMA, self.data.Close, self.slow)

    def next(self) -> None:
        if crosses(self.fast_average, self.slow_average):
            self.buy()
        elif crosses(self.slow_average, self.fast_average):
            self.position.close()


# -- shared pieces --------------------------------------------------------------------------------


def _config(commission: float, *, quantity_step: float) -> BacktestConfig:
    return BacktestConfig(
        initial_cash=INITIAL_CASH,
        commission=commission,
        fill_timing=FillTiming.THIS_CLOSE,
        allow_short=False,
        quantity_step=quantity_step,
        close_at_end=False,
    )


def _sma_cross(indicators: IndicatorCache, parameters: Mapping[str, Any]) -> Intents:
    fast = indicators.get("sma", period=parameters["fast"])
    slow = indicators.get("sma", period=parameters["slow"])
    return Intents(
        enter_long=crossover(fast, slow), exit_long=crossover(slow, fast), warmup_bars=warmup_of(fast, slow)
    )


def _fast_below_slow(parameters: Mapping[str, Any]) -> bool:
    return parameters["fast"] < parameters["slow"]


def _sma(values: np.ndarray, period: int) -> np.ndarray:
    return pd.Series(values).rolling(period).mean().to_numpy()


def crossover(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """True on the bars where `first` closes above `second` after being below it the bar before."""
    crossed = np.zeros(first.shape[0], dtype=np.bool_)
    crossed[1:] = (first[:-1] < second[:-1]) & (first[1:] > second[1:])
    return crossed


def synthetic_minute_bars(count: int, seed: int) -> pd.DataFrame:
    """A geometric random walk in one-minute bars, with opens gapping a little from the last close."""
    generator = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(generator.normal(0.0, 0.0005, count)))
    opened = np.concatenate([[100.0], close[:-1]]) * (1.0 + generator.normal(0.0, 0.0001, count))
    high = np.maximum(opened, close) * (1.0 + generator.uniform(0.0, 0.0005, count))
    low = np.minimum(opened, close) * (1.0 - generator.uniform(0.0, 0.0005, count))
    index = pd.date_range("2020-01-01", periods=count, freq="1min")
    volume = generator.integers(100, 10_000, count).astype(np.float64)
    return pd.DataFrame(
        {"Open": opened, "High": high, "Low": low, "Close": close, "Volume": volume}, index=index
    )


def paired_rates(ours: Callable[[], int], reference: Callable[[], int], repeats: int) -> tuple[float, float]:
    """Median items/s of each, their runs alternating so that a busy spell on the shared
    machine slows both rather than one (each has had its warm-up run before)."""
    rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for work, sink in ((ours, rates[0]), (reference, rates[1])):
            started = time.perf_counter()
            items = work()
            sink.append(items / (time.perf_counter() - started))
    return statistics.median(rates[0]), statistics.median(rates[1])


def _check_agreement(what: str, ours: np.ndarray, reference: np.ndarray) -> None:
    if ours.shape != reference.shape or not np.allclose(ours, reference, rtol=1e-6, atol=1e-9):
        difference = np.max(np.abs(ours - reference)) if ours.shape == reference.shape else "shape"
        print(f"  ! {what} differ from vectorbt's (max difference {difference})", file=sys.stderr)
    else:
        print(f"  {what} equal vectorbt's (rtol 1e-6)", flush=True)
