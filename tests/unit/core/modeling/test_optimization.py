"""Parameter optimisation as an in-memory Optuna study (the trainer gives it RDB storage)."""

from __future__ import annotations

import math

import pytest

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.strategy.v1.backtest_pb2 import WalkForwardSettings, WindowMode
from alphintra.strategy.v1.optimization_pb2 import Objective, OptimizationConfig, Sampler
from services.core.backtest import BacktestConfig
from services.core.errors import InvalidArgument
from services.core.modeling.objectives import overfitting_warning
from services.core.modeling.optimization import Hooks, optimize
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import compile_graph, get_template
from services.core.strategy.parameters import to_python


@pytest.fixture(scope="module")
def graph():
    return get_template("sma_crossover").graph


@pytest.fixture(scope="module")
def bars():
    return synthetic_bars(1200, seed=5)


def test_tpe_improves_on_the_defaults_and_reports_out_of_sample(graph, bars):
    config = OptimizationConfig(
        sampler=Sampler.SAMPLER_TPE, objective=Objective.OBJECTIVE_SHARPE, trial_count=12, seed=7
    )
    seen = []
    outcome = optimize(graph, bars, BacktestConfig(), config, hooks=Hooks(trial=lambda n, v: seen.append(n)))
    defaults = outcome.trials[0]
    spec = compile_graph(graph)
    assert defaults.parameters == {
        tunable.name: to_python(tunable.current_value) for tunable in spec.tunable_parameters
    }
    assert outcome.best.value >= defaults.value
    assert outcome.in_sample.objective == pytest.approx(outcome.best.value)
    assert outcome.out_of_sample.start == int(len(bars) * 0.7)
    assert outcome.out_of_sample.stop == len(bars)
    assert seen == list(range(12))
    again = optimize(graph, bars, BacktestConfig(), config)
    assert [trial.parameters for trial in again.trials] == [trial.parameters for trial in outcome.trials]


def test_walk_forward_scores_the_mean_out_of_sample_objective_and_prunes(graph, bars):
    config = OptimizationConfig(
        sampler=Sampler.SAMPLER_RANDOM,
        trial_count=14,
        seed=1,
        walk_forward=WalkForwardSettings(
            window_mode=WindowMode.WINDOW_MODE_ROLLING, in_sample_bars=300, out_of_sample_bars=150
        ),
    )
    outcome = optimize(graph, bars, BacktestConfig(), config)
    assert len(outcome.windows) == (1200 - 300) // 150
    complete = [trial for trial in outcome.trials if trial.state == "complete"]
    best = max(complete, key=lambda trial: (trial.value, -trial.number))
    assert outcome.best.number == best.number
    spans = [out for _, _, out in outcome.windows]
    finite = [span.objective for span in spans]
    assert outcome.best.value == pytest.approx(sum(finite) / len(finite))
    assert {trial.state for trial in outcome.trials} <= {"complete", "pruned", "failed"}


def test_grid_walks_the_grid_and_a_drawdown_cap_fails_trials(graph, bars):
    config = OptimizationConfig(
        sampler=Sampler.SAMPLER_GRID,
        objective=Objective.OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP,
        max_drawdown_cap=0.01,
        parameter_ranges={
            "sma_fast.period": ParameterRange(low=5, high=10, step=5),
            "sma_slow.period": ParameterRange(low=20, high=40, step=20),
        },
    )
    capped = optimize(graph, bars, BacktestConfig(), config)
    assert capped.best.value == -math.inf  # as the search: every score failed, the first trial is "best"
    assert all("over the cap" in trial.message for trial in capped.trials)
    config.max_drawdown_cap = 1.0
    outcome = optimize(graph, bars, BacktestConfig(), config)
    assert sorted(tuple(trial.parameters.values()) for trial in outcome.trials) == [
        (5, 20),
        (5, 40),
        (10, 20),
        (10, 40),
    ]


def test_bad_configs_name_their_fields(graph, bars):
    with pytest.raises(InvalidArgument) as caught:
        optimize(
            graph,
            bars,
            BacktestConfig(),
            OptimizationConfig(objective=Objective.OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP, trial_count=3),
        )
    assert caught.value.violations[0].field == "optimization.max_drawdown_cap"
    with pytest.raises(InvalidArgument) as caught:
        optimize(
            graph,
            bars,
            BacktestConfig(),
            OptimizationConfig(
                trial_count=3, parameter_ranges={"nope.period": ParameterRange(low=1, high=2)}
            ),
        )
    assert caught.value.violations[0].field == "optimization.parameter_ranges[nope.period]"


def test_overfitting_warning():
    assert overfitting_warning(2.0, 0.8, "sharpe_ratio")
    assert overfitting_warning(2.0, math.nan, "sharpe_ratio")
    assert not overfitting_warning(2.0, 1.5, "sharpe_ratio")
    assert not overfitting_warning(-0.5, -2.0, "sharpe_ratio")
