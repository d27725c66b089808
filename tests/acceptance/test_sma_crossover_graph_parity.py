"""The product path equals backtesting.py: the SMA crossover *graph*, validated, compiled to a
spec and evaluated by the domain, gives backtesting.py's trades and metrics on GOOG.

The engine-level parity (intents computed by hand) is in tests/unit/core/backtest; this is the
same promise kept through the workflow graph, the compiler and the evaluator.

One deliberate difference: buy & hold (and alpha and beta, which compare against it) start at
the strategy's warm-up, the first bar on which it could act — bar 20 here, since a cross reads
the bar before. backtesting.py starts them where its indicators first have values (bar 19).
The test checks our figures under our definition, and all of backtesting.py's when measured
from its bar.
"""

import dataclasses

import numpy as np
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import GOOG, SMA

from services.core import strategy
from services.core.backtest import BacktestConfig, FractionOfEquity
from services.core.backtest.engine import run_backtest
from services.core.backtest.inputs import Bars
from tests.unit.core.backtest.test_parity_backtesting_py import (
    COMMISSION,
    FULL_EQUITY,
    assert_same_metrics,
    assert_same_trades,
)

pytestmark = [
    # backtesting.py's own warnings: the last trade left open on purpose, pandas 3 deprecations
    pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning"),
    pytest.mark.filterwarnings("ignore:DatetimeIndex.dayofweek is deprecated"),
]

CONFIG = BacktestConfig(
    initial_cash=10_000.0,
    commission=COMMISSION,
    allow_short=True,
    sizing=FractionOfEquity(FULL_EQUITY),  # backtesting.py's "all available cash"
    close_at_end=False,  # backtesting.py's default leaves the last trade open
)


class SmaCross(Strategy):
    """backtesting.py's own example: each new signal closes the open trade and opens the opposite."""

    def init(self) -> None:
        self.fast = self.I(SMA, self.data.Close, 10)
        self.slow = self.I(SMA, self.data.Close, 20)

    def next(self) -> None:
        if crossover(self.fast, self.slow):
            self.position.close()
            self.buy()
        elif crossover(self.slow, self.fast):
            self.position.close()
            self.sell()


@pytest.fixture(scope="module")
def theirs():
    return Backtest(GOOG, SmaCross, cash=10_000, commission=COMMISSION).run()


@pytest.fixture(scope="module")
def spec():
    graph = strategy.get_template("sma_crossover").graph
    assert strategy.is_valid(graph)
    return strategy.compile_graph(graph)


def test_the_graph_trades_exactly_as_backtesting_py(theirs, spec):
    ours = strategy.backtest(spec, Bars.from_frame(GOOG), CONFIG)
    assert_same_trades(theirs._trades, ours.trades)
    assert ours.metrics.total_return == pytest.approx(theirs["Return [%]"] / 100, rel=1e-12)
    close = GOOG["Close"].to_numpy()
    assert spec.warmup_bars == 20
    expected_buy_and_hold = close[-1] / close[spec.warmup_bars] - 1
    assert ours.metrics.buy_and_hold_return == pytest.approx(expected_buy_and_hold, rel=1e-12)


def test_measured_from_backtesting_pys_first_bar_every_metric_is_equal(theirs, spec):
    bars = Bars.from_frame(GOOG)
    evaluation = strategy.evaluate(spec, bars)
    their_first_bar = spec.warmup_bars - 1  # where SMA(20) first has a value
    slow = np.asarray(SMA(GOOG["Close"], 20))
    assert np.isnan(slow[their_first_bar - 1])
    assert not np.isnan(slow[their_first_bar])
    intents = dataclasses.replace(evaluation.intents, warmup_bars=their_first_bar)
    ours = run_backtest(bars, intents, strategy.engine_config(spec, CONFIG))
    assert_same_trades(theirs._trades, ours.trades)
    assert_same_metrics(theirs, ours.metrics)
