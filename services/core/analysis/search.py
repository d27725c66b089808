"""Parameter search over a strategy's tunable ranges: a grid, random sampling, or TPE.

    result = search(graph, bars, config, method=Method.TPE, objective="sharpe_ratio", n_trials=50, seed=7)
    result.trials              # one row per trial: parameters, objective, key metrics
    result.best_parameters     # {"sma_fast.period": 12, "sma_slow.period": 45}

The space is the compiled spec's tunable parameters, each with its `ParameterRange`: a list
of choices, or an interval low..high (inclusive) by step, optionally on a log scale. GRID
walks every combination of the interval's steps and the choices (a continuous interval, step
0 on a number, has no grid and is refused); when the grid has more than `n_trials` points, a
seeded sample of `n_trials` of them is walked, as optuna's GridSampler would. RANDOM and TPE
draw from optuna's samplers seeded with `seed`, so a search is reproduced exactly by its seed.

A trial is what a user would get by hand: the parameters written into the graph
(`apply_parameters`), the graph compiled, the spec backtested on the bars. Its objective is
one metric, maximised; NaN (nothing to measure, e.g. a Sharpe ratio without trades) counts as
−inf, and so does a max drawdown above the optional cap. A combination the graph refuses (an
indicator constraint such as MACD fast < slow) or whose warm-up leaves no bar to trade on these
bars is recorded as infeasible, with the reason, and scores −inf; the search goes on.

Speed: a repeated combination (TPE often proposes one twice) is evaluated once. GRID backtests
all its combinations through `run_grid`, which runs the kernel per combination and measures
them all at once (equal to one backtest's metrics up to rounding, ~1e-15 relative); each spec's
intents are computed only when its row is simulated, so memory does not grow with the grid.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterRange
from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec, TunableParameter
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.backtest import METRIC_NAMES, BacktestConfig, Bars, Metrics, run_grid
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy import apply_parameters, backtest, compile_graph, engine_config, evaluate
from services.core.strategy.parameters import PythonValue, to_python

MAX_TRIALS = 10_000
MAX_SEED = 2**32 - 1  # what numpy's and optuna's generators accept

# Metrics where more is better: the objectives a search may maximise.
OBJECTIVES: tuple[str, ...] = (
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "total_return",
    "annualized_return",
    "cagr",
    "alpha",
    "final_equity",
    "win_rate",
    "average_trade",
    "profit_factor",
    "profit_factor_cash",
    "expectancy",
    "expectancy_cash",
    "sqn",
    "kelly_criterion",
)

# The metrics the trial table shows beside the objective.
KEY_METRICS: tuple[str, ...] = (
    "total_return",
    "annualized_return",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown",
    "trade_count",
    "win_rate",
    "profit_factor",
    "final_equity",
)

# Grid values are rounded to this many decimals, so 0.1 + 2 × 0.1 is written as 0.3.
GRID_DECIMALS = 12


class Method(StrEnum):
    GRID = "grid"
    RANDOM = "random"
    TPE = "tpe"


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchSettings:
    """How to search, checked when built: every bad field is named at once."""

    method: Method = Method.TPE
    objective: str = "sharpe_ratio"
    n_trials: int = 100
    seed: int = 0
    max_drawdown: float | None = None  # a trial drawing down more than this fraction scores −inf

    def __post_init__(self) -> None:
        violations = _settings_violations(self)
        if violations:
            raise InvalidArgument("invalid search settings", violations)


def _settings_violations(settings: SearchSettings) -> list[FieldViolation]:
    violations = []
    if not isinstance(settings.method, Method):
        violations.append(FieldViolation("method", f"must be one of {', '.join(Method)}"))
    if settings.objective not in OBJECTIVES:
        violations.append(FieldViolation("objective", f"must be one of {', '.join(OBJECTIVES)}"))
    if not _is_integer(settings.n_trials) or not 1 <= settings.n_trials <= MAX_TRIALS:
        violations.append(FieldViolation("n_trials", f"must be an integer from 1 to {MAX_TRIALS}"))
    if not _is_integer(settings.seed) or not 0 <= settings.seed <= MAX_SEED:
        violations.append(FieldViolation("seed", f"must be an integer from 0 to {MAX_SEED}"))
    cap = settings.max_drawdown
    if cap is not None and not (_is_number(cap) and 0.0 < cap <= 1.0):
        violations.append(FieldViolation("max_drawdown", "must be a fraction in (0, 1], or unset"))
    return violations


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# -- the space -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dimension:
    """One tunable parameter's space: optuna's distribution, and its grid (None if continuous)."""

    name: str
    distribution: BaseDistribution
    grid: tuple[PythonValue, ...] | None


def search_space(spec: StrategySpec) -> tuple[Dimension, ...]:
    """The spec's tunable parameters as dimensions, in the spec's (name) order."""
    if not spec.tunable_parameters:
        raise InvalidArgument(
            "nothing to search",
            [
                FieldViolation(
                    "tunable_parameters", "the strategy has no parameter with an optimisation range"
                )
            ],
        )
    return tuple(_dimension(tunable) for tunable in spec.tunable_parameters)


def _dimension(tunable: TunableParameter) -> Dimension:
    search = tunable.range
    if search.choices:
        values = tuple(to_python(choice) for choice in search.choices)
        return Dimension(tunable.name, CategoricalDistribution(values), values)
    if tunable.kind == ParameterKind.PARAMETER_KIND_INTEGER:
        step = int(search.step) or 1
        low, high = int(search.low), _last_step(search, step)
        integers = tuple(range(low, int(high) + 1, step))
        return Dimension(tunable.name, IntDistribution(low, int(high), log=search.log, step=step), integers)
    if search.step > 0:
        high = _last_step(search, search.step)
        count = round((high - search.low) / search.step) + 1
        numbers = tuple(round(search.low + index * search.step, GRID_DECIMALS) for index in range(count))
        return Dimension(tunable.name, FloatDistribution(search.low, high, step=search.step), numbers)
    return Dimension(tunable.name, FloatDistribution(search.low, search.high, log=search.log), None)


def _last_step(search: ParameterRange, step: float) -> float:
    """The highest grid point ≤ high (optuna warns when high is off the grid; we say it here)."""
    steps = math.floor((search.high - search.low) / step + 1e-9)
    return round(search.low + steps * step, GRID_DECIMALS)


def grid_points(space: Sequence[Dimension], n_trials: int, seed: int) -> list[dict[str, PythonValue]]:
    """Every combination in grid order, or a seeded sample of n_trials of them (still in grid order)."""
    continuous = [dimension.name for dimension in space if dimension.grid is None]
    if continuous:
        raise InvalidArgument(
            "a grid needs a finite set of values per parameter",
            [
                FieldViolation(name, "its range is continuous (step 0): give a step or choices for GRID")
                for name in continuous
            ],
        )
    grids = [dimension.grid or () for dimension in space]
    shape = tuple(len(values) for values in grids)
    size = math.prod(shape)
    if size <= n_trials:
        chosen: Sequence[tuple[PythonValue, ...]] = list(itertools.product(*grids))
    else:
        picks = np.sort(np.random.default_rng(seed).choice(size, n_trials, replace=False))
        coordinates = np.unravel_index(picks, shape)
        chosen = [
            tuple(values[int(axis[row])] for values, axis in zip(grids, coordinates, strict=True))
            for row in range(n_trials)
        ]
    names = [dimension.name for dimension in space]
    return [dict(zip(names, point, strict=True)) for point in chosen]


# -- trials ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Outcome:
    """One combination's compiled strategy and metrics, or why it could not be backtested."""

    parameters: dict[str, PythonValue]
    graph: WorkflowGraph | None = None
    spec: StrategySpec | None = None
    metrics: Metrics | None = None
    problem: InvalidArgument | None = None

    @property
    def feasible(self) -> bool:
        return self.problem is None


class TrialRunner:
    """Evaluates combinations on one set of bars, each distinct combination once."""

    def __init__(self, graph: WorkflowGraph, bars: Bars, config: BacktestConfig) -> None:
        self._graph = graph
        self._bars = bars
        self._config = config
        self._outcomes: dict[tuple[tuple[str, PythonValue], ...], Outcome] = {}

    def run(self, parameters: Mapping[str, PythonValue]) -> Outcome:
        """The combination's outcome, backtested on its own."""
        outcome = self._compiled(parameters)
        if outcome.feasible and outcome.metrics is None:
            metrics = backtest(outcome.spec, self._bars, self._config).metrics
            outcome = self._remember(dataclasses.replace(outcome, metrics=metrics))
        return outcome

    def run_all(self, combinations: Sequence[Mapping[str, PythonValue]]) -> list[Outcome]:
        """Every combination's outcome; those not yet measured are backtested together."""
        compiled = [self._compiled(parameters) for parameters in combinations]
        pending = {_key(item.parameters): item for item in compiled if item.feasible and item.metrics is None}
        by_config: dict[BacktestConfig, list[Outcome]] = {}
        for item in pending.values():
            by_config.setdefault(engine_config(item.spec, self._config), []).append(item)
        for config, items in by_config.items():
            for item, metrics in zip(items, self._measure(items, config), strict=True):
                self._remember(dataclasses.replace(item, metrics=metrics))
        return [self._outcomes[_key(item.parameters)] for item in compiled]

    def _measure(self, items: list[Outcome], config: BacktestConfig) -> list[Metrics]:
        specs = [item.spec for item in items]
        bars = self._bars
        table = run_grid(
            bars, {"row": range(len(specs))}, lambda _, row: evaluate(specs[row["row"]], bars).intents, config
        )
        columns = {name: table[name].to_numpy() for name in METRIC_NAMES}
        return [Metrics.from_table(columns, row) for row in range(len(specs))]

    def _compiled(self, parameters: Mapping[str, PythonValue]) -> Outcome:
        known = self._outcomes.get(_key(parameters))
        if known is not None:
            return known
        try:
            tuned = apply_parameters(self._graph, parameters)
            spec = compile_graph(tuned)
            _check_tradable(spec, self._bars)
        except InvalidArgument as problem:
            return self._remember(Outcome(dict(parameters), problem=problem))
        return self._remember(Outcome(dict(parameters), graph=tuned, spec=spec))

    def _remember(self, outcome: Outcome) -> Outcome:
        self._outcomes[_key(outcome.parameters)] = outcome
        return outcome


def _key(parameters: Mapping[str, PythonValue]) -> tuple[tuple[str, PythonValue], ...]:
    return tuple(sorted(parameters.items()))


def _check_tradable(spec: StrategySpec, bars: Bars) -> None:
    """As `backtest` requires: a bar after the warm-up (checked before any array is computed)."""
    if len(bars) <= spec.warmup_bars:
        raise InvalidArgument(
            "not enough bars",
            [
                FieldViolation(
                    "bars", f"{len(bars)} bars; the warm-up of these parameters is {spec.warmup_bars}"
                )
            ],
        )


def objective_value(metrics: Metrics | None, settings: SearchSettings) -> float:
    """The trial's score: the metric, or −inf when infeasible, undefined or over the drawdown cap."""
    if metrics is None:
        return -math.inf
    value = float(getattr(metrics, settings.objective))
    over_cap = settings.max_drawdown is not None and metrics.max_drawdown > settings.max_drawdown
    return -math.inf if math.isnan(value) or over_cap else value


# -- the search ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class SearchResult:
    """Every trial, and the best one (the highest objective; the earliest on a tie).

    When no trial met the drawdown cap or had a defined objective, every score is −inf and the
    best is the first feasible trial: `best_objective` says so.
    """

    settings: SearchSettings
    trials: pd.DataFrame  # trial, each parameter, objective, feasible, problem, KEY_METRICS
    best_trial: int
    best_parameters: dict[str, PythonValue]
    best_objective: float
    best_metrics: Metrics
    best_graph: WorkflowGraph
    best_spec: StrategySpec


def search(
    graph: WorkflowGraph,
    bars: Bars,
    config: BacktestConfig | None = None,
    *,
    method: Method = Method.TPE,
    objective: str = "sharpe_ratio",
    n_trials: int = 100,
    seed: int = 0,
    max_drawdown: float | None = None,
) -> SearchResult:
    """Search the graph's tunable ranges for the parameters that maximise `objective` on `bars`."""
    settings = SearchSettings(
        method=method, objective=objective, n_trials=n_trials, seed=seed, max_drawdown=max_drawdown
    )
    return run_search(graph, bars, config, settings)


def run_search(
    graph: WorkflowGraph, bars: Bars, config: BacktestConfig | None, settings: SearchSettings
) -> SearchResult:
    """`search` with its settings already built (walk-forward runs one per window)."""
    space = search_space(compile_graph(graph))
    runner = TrialRunner(graph, bars, config or BacktestConfig())
    if settings.method is Method.GRID:
        outcomes = runner.run_all(grid_points(space, settings.n_trials, settings.seed))
    else:
        outcomes = _sample(space, runner, settings)
    return _result(outcomes, space, settings)


def _sample(space: Sequence[Dimension], runner: TrialRunner, settings: SearchSettings) -> list[Outcome]:
    """Ask the seeded sampler for a combination, tell it the score, n_trials times."""
    sampler: optuna.samplers.BaseSampler
    if settings.method is Method.RANDOM:
        sampler = optuna.samplers.RandomSampler(seed=settings.seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=settings.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    distributions = {dimension.name: dimension.distribution for dimension in space}
    outcomes = []
    for _ in range(settings.n_trials):
        trial = study.ask(distributions)
        outcome = runner.run(trial.params)
        study.tell(trial, objective_value(outcome.metrics, settings))
        outcomes.append(outcome)
    return outcomes


def _result(outcomes: list[Outcome], space: Sequence[Dimension], settings: SearchSettings) -> SearchResult:
    scores = [objective_value(outcome.metrics, settings) for outcome in outcomes]
    feasible = [index for index, outcome in enumerate(outcomes) if outcome.feasible]
    if not feasible:
        first = outcomes[0].problem
        raise InvalidArgument(
            f"no parameter combination could be backtested; the first: {first.message if first else ''}",
            first.violations if first else (),
        )
    best = max(feasible, key=lambda index: (scores[index], -index))
    winner = outcomes[best]
    return SearchResult(
        settings=settings,
        trials=_trial_table(outcomes, scores, space, settings),
        best_trial=best,
        best_parameters=dict(winner.parameters),
        best_objective=scores[best],
        best_metrics=winner.metrics,
        best_graph=winner.graph,
        best_spec=winner.spec,
    )


def _trial_table(
    outcomes: list[Outcome], scores: list[float], space: Sequence[Dimension], settings: SearchSettings
) -> pd.DataFrame:
    metric_names = list(dict.fromkeys([settings.objective, *KEY_METRICS]))
    rows = []
    for index, (outcome, score) in enumerate(zip(outcomes, scores, strict=True)):
        metrics = outcome.metrics.as_dict() if outcome.metrics is not None else {}
        rows.append(
            {
                "trial": index,
                **{dimension.name: outcome.parameters[dimension.name] for dimension in space},
                "objective": score,
                "feasible": outcome.feasible,
                "problem": _problem_text(outcome.problem),
                **{name: metrics.get(name, math.nan) for name in metric_names},
            }
        )
    return pd.DataFrame(rows)


def _problem_text(problem: InvalidArgument | None) -> str:
    if problem is None:
        return ""
    details = "; ".join(f"{item.field}: {item.description}" for item in problem.violations)
    return f"{problem.message} ({details})" if details else problem.message
