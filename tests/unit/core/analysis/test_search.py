"""Parameter search: each trial is its own backtest, grids are exhaustive, samplers replay by seed."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.search import KEY_METRICS, Method, search
from services.core.backtest import BacktestConfig, Bars, Metrics
from services.core.errors import InvalidArgument
from services.core.strategy import apply_parameters, backtest, compile_graph
from services.core.strategy.templates import rsi_mean_reversion, sma_crossover

GOOG_BARS = Bars.from_frame(GOOG)
BARS = Bars.from_frame(GOOG.iloc[:600])
CONFIG = BacktestConfig(commission=0.001)
FAST = "sma_fast.period"
SLOW = "sma_slow.period"


def sma_graph(fast: ParameterRange, slow: ParameterRange) -> WorkflowGraph:
    """The SMA-crossover template with its two period ranges replaced."""
    graph = sma_crossover()
    for node in graph.nodes:
        if node.id == "sma_fast":
            node.optimization_ranges["period"].CopyFrom(fast)
        if node.id == "sma_slow":
            node.optimization_ranges["period"].CopyFrom(slow)
    return graph


SMALL = sma_graph(ParameterRange(low=5, high=15, step=5), ParameterRange(low=20, high=40, step=10))
SMALL_GRID = [{FAST: fast, SLOW: slow} for fast, slow in itertools.product((5, 10, 15), (20, 30, 40))]


def assert_same_metrics(actual: Metrics, expected: Metrics) -> None:
    """Equal to rounding: a grid measures its combinations as one matrix, a backtest as one row."""
    assert actual.as_dict() == pytest.approx(expected.as_dict(), rel=1e-9, nan_ok=True)


def plain_backtest(graph: WorkflowGraph, parameters: dict, bars: Bars = BARS):
    return backtest(compile_graph(apply_parameters(graph, parameters)), bars, CONFIG)


def test_the_grid_finds_the_best_of_an_exhaustive_loop_over_backtest():
    result = search(SMALL, BARS, CONFIG, method=Method.GRID, objective="sharpe_ratio", n_trials=100)
    expected = [plain_backtest(SMALL, parameters).metrics for parameters in SMALL_GRID]
    table = result.trials
    assert table[[FAST, SLOW]].to_dict("records") == SMALL_GRID
    for name in KEY_METRICS:
        assert table[name].to_numpy() == pytest.approx([getattr(m, name) for m in expected], nan_ok=True)
    sharpes = [metrics.sharpe_ratio for metrics in expected]
    best = int(np.nanargmax(sharpes))
    assert result.best_trial == best
    assert result.best_parameters == SMALL_GRID[best]
    assert result.best_objective == pytest.approx(sharpes[best])
    assert_same_metrics(result.best_metrics, expected[best])
    assert result.best_spec == compile_graph(apply_parameters(SMALL, SMALL_GRID[best]))


def test_a_grid_larger_than_n_trials_is_sampled_by_seed():
    first = search(SMALL, BARS, CONFIG, method=Method.GRID, n_trials=4, seed=11)
    again = search(SMALL, BARS, CONFIG, method=Method.GRID, n_trials=4, seed=11)
    other = search(SMALL, BARS, CONFIG, method=Method.GRID, n_trials=4, seed=12)
    points = first.trials[[FAST, SLOW]].to_dict("records")
    assert len(points) == 4
    assert len({tuple(point.values()) for point in points}) == 4
    assert all(point in SMALL_GRID for point in points)
    pd.testing.assert_frame_equal(first.trials, again.trials)
    assert points != other.trials[[FAST, SLOW]].to_dict("records")


@pytest.mark.parametrize("method", [Method.RANDOM, Method.TPE])
def test_sampled_searches_replay_by_seed(method: Method):
    graph = sma_crossover()
    first = search(graph, BARS, CONFIG, method=method, n_trials=12, seed=5)
    again = search(graph, BARS, CONFIG, method=method, n_trials=12, seed=5)
    other = search(graph, BARS, CONFIG, method=method, n_trials=12, seed=6)
    pd.testing.assert_frame_equal(first.trials, again.trials)
    assert first.best_parameters == again.best_parameters
    assert not first.trials[[FAST, SLOW]].equals(other.trials[[FAST, SLOW]])


def test_sampled_trials_lie_on_the_ranges_and_equal_their_own_backtest():
    graph = rsi_mean_reversion()
    result = search(graph, BARS, CONFIG, method=Method.RANDOM, objective="total_return", n_trials=6, seed=2)
    table = result.trials
    assert set(table["rsi.period"]) <= set(range(7, 29))
    assert all(20 <= value <= 40 and float(value).is_integer() for value in table["oversold.threshold"])
    assert all(2 <= value <= 10 and (value * 2).is_integer() for value in table["risk.stop_loss_percent"])
    names = ["oversold.threshold", "overbought.threshold", "risk.stop_loss_percent", "rsi.period"]
    for row in table.to_dict("records"):
        metrics = plain_backtest(graph, {name: row[name] for name in names}).metrics
        assert row["objective"] == pytest.approx(metrics.total_return)
        assert row["trade_count"] == metrics.trade_count


def test_tpe_never_beats_the_exhaustive_grid_of_the_same_space():
    graph = sma_crossover()
    grid = search(graph, GOOG_BARS, CONFIG, method=Method.GRID, n_trials=1000)
    tpe = search(graph, GOOG_BARS, CONFIG, method=Method.TPE, n_trials=40, seed=3)
    assert len(grid.trials) == 26 * 17  # fast 5..30 by 1, slow 20..100 by 5
    assert grid.best_objective == grid.trials["objective"].max()
    assert math.isfinite(grid.best_objective)
    assert tpe.best_objective <= grid.best_objective * (1 + 1e-9)
    assert tpe.best_parameters[FAST] in range(5, 31)
    assert tpe.best_parameters[SLOW] in range(20, 101, 5)
    assert_same_metrics(grid.best_metrics, plain_backtest(graph, grid.best_parameters, GOOG_BARS).metrics)
    tuned = {tunable.name: tunable.current_value.integer for tunable in grid.best_spec.tunable_parameters}
    assert tuned == grid.best_parameters


def test_a_drawdown_over_the_cap_scores_minus_infinity():
    cap = 0.33
    capped = search(SMALL, BARS, CONFIG, method=Method.GRID, max_drawdown=cap)
    table = capped.trials
    over = table["max_drawdown"] > cap
    assert over.any()
    assert not over.all()
    assert (table.loc[over, "objective"] == -math.inf).all()
    assert (table.loc[~over, "objective"] == table.loc[~over, "sharpe_ratio"].fillna(-math.inf)).all()
    assert capped.trials.loc[capped.best_trial, "max_drawdown"] <= cap


def test_combinations_whose_warm_up_exceeds_the_bars_are_infeasible_not_fatal():
    short = Bars.from_frame(GOOG.iloc[:45])
    graph = sma_graph(ParameterRange(low=5, high=5), ParameterRange(low=20, high=60, step=20))
    result = search(graph, short, CONFIG, method=Method.GRID)
    table = result.trials
    assert table["feasible"].tolist() == [True, True, False]
    assert table["objective"].iloc[2] == -math.inf
    assert "warm-up of these parameters is 60" in table["problem"].iloc[2]
    assert result.best_parameters[SLOW] in (20, 40)


def test_no_feasible_combination_is_an_error():
    short = Bars.from_frame(GOOG.iloc[:30])
    graph = sma_graph(ParameterRange(low=5, high=5), ParameterRange(low=40, high=60, step=20))
    with pytest.raises(InvalidArgument) as raised:
        search(graph, short, CONFIG, method=Method.GRID)
    assert [violation.field for violation in raised.value.violations] == ["bars"]


def test_continuous_ranges_are_sampled_but_have_no_grid():
    graph = rsi_mean_reversion()
    for node in graph.nodes:
        if node.id == "oversold":
            node.optimization_ranges["threshold"].CopyFrom(ParameterRange(low=20.0, high=40.0))
    sampled = search(graph, BARS, CONFIG, method=Method.TPE, n_trials=3, seed=1)
    assert all(20 <= value <= 40 for value in sampled.trials["oversold.threshold"])
    with pytest.raises(InvalidArgument) as raised:
        search(graph, BARS, CONFIG, method=Method.GRID)
    assert [violation.field for violation in raised.value.violations] == ["oversold.threshold"]


def test_a_strategy_without_ranges_has_nothing_to_search():
    graph = sma_crossover()
    for node in graph.nodes:
        node.optimization_ranges.clear()
    with pytest.raises(InvalidArgument) as raised:
        search(graph, BARS, CONFIG, method=Method.RANDOM, n_trials=5)
    assert [violation.field for violation in raised.value.violations] == ["tunable_parameters"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"objective": "max_drawdown"}, "objective"),
        ({"objective": "sharpe"}, "objective"),
        ({"n_trials": 0}, "n_trials"),
        ({"n_trials": 10_001}, "n_trials"),
        ({"n_trials": True}, "n_trials"),
        ({"seed": -1}, "seed"),
        ({"max_drawdown": 0.0}, "max_drawdown"),
        ({"max_drawdown": 1.5}, "max_drawdown"),
        ({"method": "annealing"}, "method"),
    ],
)
def test_bad_settings_name_the_field(options: dict, field: str):
    with pytest.raises(InvalidArgument) as raised:
        search(SMALL, BARS, CONFIG, **options)
    assert [violation.field for violation in raised.value.violations] == [field]
