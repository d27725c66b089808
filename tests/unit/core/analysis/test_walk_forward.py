"""Walk-forward: window boundaries, out-of-sample runs that warm up unseen, a continuous stitched curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from backtesting.test import GOOG

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.search import Method, SearchSettings
from services.core.analysis.walk_forward import (
    Mode,
    Window,
    slice_bars,
    walk_forward,
    walk_forward_windows,
)
from services.core.backtest import BacktestConfig, Bars
from services.core.errors import InvalidArgument
from services.core.strategy import backtest
from services.core.strategy.templates import sma_crossover

BARS = Bars.from_frame(GOOG)
CONFIG = BacktestConfig(commission=0.001)
GRID = SearchSettings(method=Method.GRID, objective="sharpe_ratio")


def small_sma_graph() -> WorkflowGraph:
    """The SMA-crossover template searched over a 3 × 3 grid."""
    graph = sma_crossover()
    for node in graph.nodes:
        if node.id == "sma_fast":
            node.optimization_ranges["period"].CopyFrom(ParameterRange(low=5, high=15, step=5))
        if node.id == "sma_slow":
            node.optimization_ranges["period"].CopyFrom(ParameterRange(low=20, high=40, step=10))
    return graph


def test_rolling_windows_slide_by_the_out_of_sample_length():
    windows = walk_forward_windows(100, in_sample_bars=40, out_of_sample_bars=20, mode=Mode.ROLLING)
    assert windows == (
        Window(0, 0, 40, 40, 60),
        Window(1, 20, 60, 60, 80),
        Window(2, 40, 80, 80, 100),
    )


def test_anchored_windows_grow_from_the_first_bar():
    windows = walk_forward_windows(100, in_sample_bars=40, out_of_sample_bars=20, mode=Mode.ANCHORED)
    assert windows == (
        Window(0, 0, 40, 40, 60),
        Window(1, 0, 60, 60, 80),
        Window(2, 0, 80, 80, 100),
    )


def test_only_whole_out_of_sample_windows_are_made():
    windows = walk_forward_windows(99, in_sample_bars=40, out_of_sample_bars=20, mode=Mode.ROLLING)
    assert [window.out_of_sample_end for window in windows] == [60, 80]
    assert walk_forward_windows(3, in_sample_bars=2, out_of_sample_bars=1, mode=Mode.ANCHORED) == (
        Window(0, 0, 2, 2, 3),
    )


@pytest.mark.parametrize(
    ("bar_count", "in_sample", "out_of_sample", "mode", "fields"),
    [
        (100, 0, 20, Mode.ROLLING, ["in_sample_bars"]),
        (100, 40, 0, Mode.ROLLING, ["out_of_sample_bars"]),
        (100, 40.0, -1, Mode.ROLLING, ["in_sample_bars", "out_of_sample_bars"]),
        (100, 40, 20, "rolling-ish", ["mode"]),
        (59, 40, 20, Mode.ANCHORED, ["bars"]),
    ],
)
def test_bad_windows_name_the_field(bar_count, in_sample, out_of_sample, mode, fields):
    with pytest.raises(InvalidArgument) as raised:
        walk_forward_windows(bar_count, in_sample_bars=in_sample, out_of_sample_bars=out_of_sample, mode=mode)
    assert [violation.field for violation in raised.value.violations] == fields


def test_in_sample_must_cover_the_warm_up_and_out_of_sample_must_be_tradable():
    # the template's current SMA 20 warms up on 19 bars (20 with the cross)
    with pytest.raises(InvalidArgument) as raised:
        walk_forward(
            sma_crossover(),
            BARS,
            CONFIG,
            mode=Mode.ROLLING,
            in_sample_bars=21,
            out_of_sample_bars=1,
            settings=GRID,
        )
    assert [violation.field for violation in raised.value.violations] == [
        "out_of_sample_bars",
        "in_sample_bars",
    ]


def test_one_window_equals_a_plain_backtest_of_it_with_the_same_warm_up():
    bars = slice_bars(BARS, 0, 700)
    result = walk_forward(
        small_sma_graph(),
        bars,
        CONFIG,
        mode=Mode.ROLLING,
        in_sample_bars=500,
        out_of_sample_bars=200,
        settings=GRID,
    )
    (window,) = result.windows
    spec = window.search.best_spec
    warmup = spec.warmup_bars
    assert window.warmup_bars == warmup > 0
    plain = backtest(spec, slice_bars(bars, 500 - warmup, 700), CONFIG)
    assert result.first_bar == 500
    assert np.array_equal(result.equity, plain.equity[warmup:])
    assert np.array_equal(result.trades.entry_bar, plain.trades.entry_bar - warmup)
    assert np.array_equal(result.trades.exit_bar, plain.trades.exit_bar - warmup)
    assert np.array_equal(result.trades.pnl, plain.trades.pnl)
    assert len(result.trades) > 0
    for name in ("final_equity", "total_return", "max_drawdown", "trade_count", "win_rate", "profit_factor"):
        assert getattr(result.metrics, name) == pytest.approx(getattr(plain.metrics, name)), name
    assert result.metrics == window.out_of_sample_metrics
    assert window.best_parameters == window.search.best_parameters
    assert window.in_sample_objective == window.search.best_objective


def test_the_stitched_curve_continues_each_window_from_the_previous_final_equity():
    result = walk_forward(
        small_sma_graph(),
        slice_bars(BARS, 0, 1000),
        CONFIG,
        mode=Mode.ROLLING,
        in_sample_bars=400,
        out_of_sample_bars=150,
        settings=GRID,
    )
    assert len(result.windows) == 4
    assert len(result.equity) == 600
    returns = [window.out_of_sample_metrics.total_return for window in result.windows]
    assert result.equity[-1] == pytest.approx(CONFIG.initial_cash * np.prod(1 + np.array(returns)))
    for window in result.windows[1:]:
        start = window.window.out_of_sample_start - result.first_bar
        # an entry decided on the first out-of-sample close fills at the next open: the first bar is flat
        assert result.equity[start] == result.equity[start - 1]
    # every trade is closed by the end of its window, so the equity moved by the trades' P&L alone
    assert result.equity[-1] == pytest.approx(CONFIG.initial_cash + result.trades.pnl.sum())
    assert result.metrics.trade_count == len(result.trades)
    assert len(result.trades) == sum(window.out_of_sample_metrics.trade_count for window in result.windows)
    assert np.array_equal(result.trades.entry_time, result.bars.timestamps[result.trades.entry_bar])
    assert np.array_equal(result.trades.exit_time, result.bars.timestamps[result.trades.exit_bar])
    assert np.all(np.diff(result.trades.entry_bar) > 0)
    assert result.drawdown == pytest.approx(1 - result.equity / np.maximum.accumulate(result.equity))


def test_anchored_windows_optimise_on_everything_before_the_test():
    bars = slice_bars(BARS, 0, 800)
    result = walk_forward(
        small_sma_graph(),
        bars,
        CONFIG,
        mode=Mode.ANCHORED,
        in_sample_bars=400,
        out_of_sample_bars=200,
        settings=GRID,
    )
    assert [window.window.in_sample_end for window in result.windows] == [400, 600]
    for window in result.windows:
        assert window.window.in_sample_start == 0
        again = backtest(window.search.best_spec, slice_bars(bars, 0, window.window.in_sample_end), CONFIG)
        assert window.in_sample_metrics.as_dict() == pytest.approx(
            again.metrics.as_dict(), rel=1e-9, nan_ok=True
        )


def test_the_sma_crossover_template_walks_forward_on_goog():
    settings = SearchSettings(method=Method.TPE, objective="sharpe_ratio", n_trials=15, seed=3)
    result = walk_forward(
        sma_crossover(),
        BARS,
        CONFIG,
        mode=Mode.ROLLING,
        in_sample_bars=500,
        out_of_sample_bars=250,
        settings=settings,
    )
    assert len(result.windows) == (len(BARS) - 500) // 250 == 6
    assert result.first_bar == 500
    assert len(result.equity) == len(result.bars) == 1500
    for window in result.windows:
        assert window.best_parameters["sma_fast.period"] in range(5, 31)
        assert window.best_parameters["sma_slow.period"] in range(20, 101, 5)
        assert len(window.search.trials) == 15
        assert math.isfinite(window.in_sample_objective)
    metrics = result.metrics
    assert metrics.trade_count > 10
    assert all(math.isfinite(value) for value in (metrics.sharpe_ratio, metrics.cagr, metrics.max_drawdown))
    assert metrics.buy_and_hold_return == pytest.approx(BARS.close[1999] / BARS.close[500] - 1)
    overfitting = result.overfitting
    in_sample = [window.in_sample_objective for window in result.windows]
    out_of_sample = [window.out_of_sample_objective for window in result.windows]
    assert overfitting.mean_in_sample_objective == pytest.approx(np.mean(in_sample))
    assert overfitting.mean_out_of_sample_objective == pytest.approx(np.mean(out_of_sample))
    assert overfitting.objective_ratio == pytest.approx(np.mean(out_of_sample) / np.mean(in_sample))
    annual_in = np.mean([window.in_sample_metrics.annualized_return for window in result.windows])
    annual_out = np.mean([window.out_of_sample_metrics.annualized_return for window in result.windows])
    assert overfitting.walk_forward_efficiency == pytest.approx(annual_out / annual_in)
    profitable = [window.out_of_sample_metrics.total_return > 0 for window in result.windows]
    assert overfitting.profitable_windows == pytest.approx(np.mean(profitable))


def test_windows_after_the_account_is_wiped_out_stay_flat():
    # rising, then falling (the SMA 5/20 cross sells short), then a gap to 400 the short cannot survive
    close = np.concatenate([np.linspace(100, 150, 150), np.linspace(150, 120, 60), np.full(90, 400.0)])
    opens = np.concatenate([[close[0]], close[:-1]])
    bars = Bars.from_arrays(
        open=opens,
        high=np.maximum(opens, close),
        low=np.minimum(opens, close),
        close=close,
        timestamps=np.arange(300) * 86_400_000_000_000,
    )
    graph = sma_crossover()
    for node in graph.nodes:
        if node.id in ("sma_fast", "sma_slow"):
            period = 5 if node.id == "sma_fast" else 20
            node.optimization_ranges["period"].CopyFrom(ParameterRange(low=period, high=period))
    result = walk_forward(
        graph, bars, CONFIG, mode=Mode.ROLLING, in_sample_bars=150, out_of_sample_bars=75, settings=GRID
    )
    first, second = result.windows
    assert first.out_of_sample_metrics.final_equity < 0
    assert second.out_of_sample_metrics.trade_count == 0
    assert np.all(result.equity[75:] == first.out_of_sample_metrics.final_equity)
    assert len(result.trades) == 1
    assert second.best_parameters == {"sma_fast.period": 5, "sma_slow.period": 20}
