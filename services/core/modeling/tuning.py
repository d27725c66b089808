"""Hyperparameter search: each trial fits on the train split and is scored on validation.

The space is the user's `search_space` (hyperparameter name → ParameterRange); a trial's values
override the fixed hyperparameters. Integer hyperparameters (`families.INTEGER_HYPERPARAMETERS`)
and ranges whose bounds and step are whole numbers are drawn as integers, others as floats
(log-uniform when asked), choices as categories. The sampler is seeded, so the same seed, data
and config give the same trials. A trial whose values the library refuses scores as a failure
and the search goes on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.strategy.v1.optimization_pb2 import Sampler
from alphintra.strategy.v1.training_pb2 import HyperparameterSearch
from services.core.errors import FieldViolation, InvalidArgument
from services.core.modeling.families import INTEGER_HYPERPARAMETERS, fit_model
from services.core.modeling.scoring import LOWER_IS_BETTER, METRIC_NAMES, default_metric, score_metrics
from services.core.strategy.parameters import PythonValue, to_python

MAX_TRIALS = 1_000

# (trial number, metric value) after each trial, for progress and per-trial metrics
TrialReport = Callable[[int, float], None]


@dataclass(frozen=True, slots=True)
class TuningResult:
    best_hyperparameters: dict[str, PythonValue]
    best_value: float
    metric: str
    trial_count: int


def distribution(name: str, search: ParameterRange) -> BaseDistribution:
    if search.choices:
        return CategoricalDistribution(tuple(to_python(choice) for choice in search.choices))
    if search.high < search.low or (search.log and search.low <= 0):
        raise InvalidArgument(
            "invalid search space",
            [
                FieldViolation(
                    f"hyperparameter_search.search_space.{name}", "needs low ≤ high (and low > 0 for log)"
                )
            ],
        )
    whole = all(float(value).is_integer() for value in (search.low, search.high, search.step))
    if name in INTEGER_HYPERPARAMETERS or (whole and search.step > 0):
        step = int(search.step) or 1
        return IntDistribution(int(search.low), int(search.high), log=search.log and step == 1, step=step)
    if search.step > 0 and not search.log:
        return FloatDistribution(search.low, search.high, step=search.step)
    return FloatDistribution(search.low, search.high, log=search.log)


def tune(
    family: int,
    fixed: Mapping[str, PythonValue],
    search: HyperparameterSearch,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    regression: bool,
    seed: int,
    report: TrialReport | None = None,
    check_cancelled: Callable[[], None] | None = None,
) -> TuningResult:
    """The best hyperparameters on validation; `data` is (train X, train y, validation X, validation y)."""
    if not 1 <= search.trial_count <= MAX_TRIALS:
        raise InvalidArgument(
            "invalid search", [FieldViolation("hyperparameter_search.trial_count", f"from 1 to {MAX_TRIALS}")]
        )
    if not search.search_space:
        raise InvalidArgument(
            "nothing to search",
            [FieldViolation("hyperparameter_search.search_space", "give at least one range")],
        )
    metric = METRIC_NAMES.get(search.metric, default_metric(regression))
    distributions = {
        name: distribution(name, search.search_space[name]) for name in sorted(search.search_space)
    }
    sampler_seed = search.seed & 0xFFFFFFFF
    sampler: optuna.samplers.BaseSampler = (
        optuna.samplers.RandomSampler(seed=sampler_seed)
        if search.sampler == Sampler.SAMPLER_RANDOM
        else optuna.samplers.TPESampler(seed=sampler_seed)
    )
    direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    study = optuna.create_study(direction=direction, sampler=sampler)
    train_x, train_y, valid_x, valid_y = data
    best: tuple[float, dict[str, PythonValue]] | None = None
    for number in range(search.trial_count):
        if check_cancelled is not None:
            check_cancelled()
        trial = study.ask(distributions)
        values = {**fixed, **trial.params}
        try:
            model = fit_model(family, values, train_x, train_y, regression=regression, seed=seed)
            value = score_metrics(model.scores(valid_x), valid_y, regression=regression).get(metric, math.nan)
        except InvalidArgument:
            value = math.nan
        if math.isnan(value):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
            if best is None or (value < best[0] if direction == "minimize" else value > best[0]):
                best = (value, values)
        if report is not None:
            report(number, value)
    if best is None:
        raise InvalidArgument(
            "no hyperparameter trial could be fitted and scored",
            [FieldViolation("hyperparameter_search.search_space", "every trial failed; check the ranges")],
        )
    return TuningResult(dict(best[1]), best[0], metric, search.trial_count)
