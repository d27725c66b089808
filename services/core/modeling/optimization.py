"""Optimisation of a workflow's tunable parameters as an Optuna study, scored out-of-sample.

    outcome = optimize(graph, bars, backtest_config, optimization_config, storage=storage, study_name=job_id)

The space is the graph's optimisation ranges, with `parameter_ranges` overriding or adding
ranges by tunable name ("node_id.parameter"); it becomes optuna distributions through
`analysis.search.search_space`. A trial writes its values into the graph (`apply_parameters`),
compiles it, and backtests it:
- with walk-forward settings, on each window's out-of-sample bars in turn (warmed up on the bars
  before them, as `walk_forward` trades them); each window's objective is reported to the trial,
  so the MedianPruner stops a trial that is already worse than the median of earlier trials at
  the same window; the trial scores the mean over the windows;
- without, on the first 70 % of the bars (in-sample); the last 30 % are kept for the result.
The study starts with the graph's current values (so the best is never worse than the
defaults), then asks the seeded sampler (TPE or random); a grid study enqueues its grid points
(all, or a seeded sample of `trial_count` of them) and runs exactly those.

The study lives in `storage` (Optuna RDB storage on PostgreSQL in the trainer), named by the
job: several workers may run trials of one study, and a retried job continues it. Trials stop
at `trial_count` trials in the study (however many workers ran them), at the time budget, or
on cancellation (`Hooks.check_cancelled` between trials). One worker with one seed reproduces
the same trials; a resumed or shared study is not bit-reproducible (samplers keep their random
state in memory).

The result: the best trial (highest score; the earliest on a tie), every trial, and the best
parameters' metrics in-sample (the bars before the first out-of-sample bar) and out-of-sample
(the bars after it, traded continuously), with a warning when the latter falls far below.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import optuna
from optuna.trial import FrozenTrial, TrialState

from alphintra.strategy.v1.backtest_pb2 import WindowMode
from alphintra.strategy.v1.optimization_pb2 import OptimizationConfig, Sampler
from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.search import KEY_METRICS, MAX_TRIALS, grid_points, search_space
from services.core.analysis.strategy_run import run_strategy
from services.core.analysis.walk_forward import Mode, Window, slice_bars, walk_forward_windows
from services.core.backtest import BacktestConfig, Bars, Metrics
from services.core.errors import FieldViolation, InvalidArgument
from services.core.modeling.objectives import ObjectiveRule, objective_rule, overfitting_warning
from services.core.strategy import apply_parameters, compile_graph
from services.core.strategy.parameters import PythonValue, to_python

HOLDOUT_FRACTION = 0.3
METRICS_ATTRIBUTE = "metrics"
MESSAGE_ATTRIBUTE = "message"
FAILED_SCORE = -1e300


@dataclass(frozen=True, slots=True)
class Hooks:
    progress: Callable[[float, str], None] = lambda fraction, message: None
    trial: Callable[[int, float], None] = lambda number, value: None
    check_cancelled: Callable[[], None] = lambda: None


@dataclass(frozen=True, slots=True)
class TrialRecord:
    number: int
    state: str  # "complete", "pruned", "failed"
    parameters: dict[str, PythonValue]
    value: float
    metrics: dict[str, float]
    duration_seconds: float
    message: str


@dataclass(frozen=True, slots=True, eq=False)
class Span:
    """The best parameters' backtest over bars [start, stop) of the input."""

    start: int
    stop: int
    metrics: Metrics
    objective: float
    reason: str = ""  # why the objective is a failure (−inf)


@dataclass(frozen=True, slots=True, eq=False)
class OptimizationOutcome:
    trials: list[TrialRecord]
    best: TrialRecord
    best_graph: WorkflowGraph
    best_spec: StrategySpec
    in_sample: Span
    out_of_sample: Span
    windows: list[tuple[Window, Span, Span]] = field(default_factory=list)
    overfitting_reason: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class _Plan:
    """Where trials are scored: out-of-sample windows, or the in-sample part of a holdout split."""

    windows: tuple[Window, ...]
    first_out_of_sample: int


def with_ranges(
    graph: WorkflowGraph, config: OptimizationConfig, field_name: str = "optimization"
) -> WorkflowGraph:
    """The graph with `parameter_ranges` written into its nodes' optimisation ranges."""
    tuned = WorkflowGraph()
    tuned.CopyFrom(graph)
    nodes = {node.id: node for node in tuned.nodes}
    violations = []
    for name in sorted(config.parameter_ranges):
        node_id, _, parameter = name.rpartition(".")
        node = nodes.get(node_id)
        if node is None or parameter not in node.parameters:
            violations.append(
                FieldViolation(f"{field_name}.parameter_ranges[{name}]", "no node parameter of that name")
            )
            continue
        node.optimization_ranges[parameter].CopyFrom(config.parameter_ranges[name])
    if violations:
        raise InvalidArgument("invalid parameter ranges", violations)
    return tuned


def _plan(config: OptimizationConfig, bar_count: int, warmup: int, field_name: str) -> _Plan:
    settings = config.walk_forward
    if not config.HasField("walk_forward"):
        first = int(bar_count * (1.0 - HOLDOUT_FRACTION))
        if first < warmup + 2 or bar_count - first < 2:
            raise InvalidArgument(
                "not enough bars to optimise",
                [FieldViolation("dataset_id", f"{bar_count} bars; the strategy warms up on {warmup}")],
            )
        return _Plan(windows=(), first_out_of_sample=first)
    mode = Mode.ANCHORED if settings.window_mode == WindowMode.WINDOW_MODE_ANCHORED else Mode.ROLLING
    try:
        windows = walk_forward_windows(
            bar_count, in_sample_bars=settings.in_sample_bars, out_of_sample_bars=settings.out_of_sample_bars,
            mode=mode,
        )  # fmt: skip
    except InvalidArgument as error:
        raise InvalidArgument(
            error.message,
            [
                FieldViolation(f"{field_name}.walk_forward.{item.field}", item.description)
                for item in error.violations
            ],
        ) from None
    if settings.max_windows > 0:
        windows = windows[-settings.max_windows :]
    return _Plan(windows=windows, first_out_of_sample=windows[0].out_of_sample_start)


def _sampler(config: OptimizationConfig, seed: int) -> optuna.samplers.BaseSampler:
    """TPE or random; a grid is enqueued point by point (`_first_trials`) and never sampled."""
    if config.sampler in (Sampler.SAMPLER_TPE, Sampler.SAMPLER_UNSPECIFIED):
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def _first_trials(
    config: OptimizationConfig, spec: StrategySpec, space: tuple, seed: int, trial_count: int
) -> list[dict[str, PythonValue]]:
    """What a new study tries first: every grid point (GRID), else the graph's current values.

    optuna's GridSampler stops the study from inside its callback, which only works under
    `study.optimize`; enqueued points work the same under ask/tell and across workers.
    """
    if config.sampler == Sampler.SAMPLER_GRID:
        return grid_points(space, trial_count, seed)
    return [{tunable.name: to_python(tunable.current_value) for tunable in spec.tunable_parameters}]


def _trial_count(config: OptimizationConfig, space: tuple, field_name: str) -> int:
    count = config.trial_count
    if config.sampler == Sampler.SAMPLER_GRID and count == 0:
        return min(math.prod(len(dimension.grid or ()) for dimension in space), MAX_TRIALS)
    if not 1 <= count <= MAX_TRIALS:
        raise InvalidArgument(
            "invalid trial count", [FieldViolation(f"{field_name}.trial_count", f"from 1 to {MAX_TRIALS}")]
        )
    return count


class _Evaluator:
    """Backtests a parameter combination where the plan scores it."""

    def __init__(
        self, graph: WorkflowGraph, bars: Bars, config: BacktestConfig, rule: ObjectiveRule, plan: _Plan
    ):
        self.graph, self.bars, self.config, self.rule, self.plan = graph, bars, config, rule, plan

    def compile(self, parameters: Mapping[str, PythonValue]) -> tuple[WorkflowGraph, StrategySpec]:
        tuned = apply_parameters(self.graph, parameters)
        return tuned, compile_graph(tuned)

    def span(self, spec: StrategySpec, start: int, stop: int) -> Span:
        """The spec traded on bars [start, stop), warmed up on the bars before `start`."""
        lead = min(spec.warmup_bars, start)
        window = slice_bars(self.bars, start - lead, stop)
        result = run_strategy(spec, window, self.config, start_ns=int(window.timestamps[lead])).result
        return Span(start, stop, result.metrics, *self.rule.score(result.metrics))

    def folds(self) -> list[tuple[int, int]]:
        if self.plan.windows:
            return [(window.out_of_sample_start, window.out_of_sample_end) for window in self.plan.windows]
        return [(0, self.plan.first_out_of_sample)]


def optimize(
    graph: WorkflowGraph,
    bars: Bars,
    backtest_config: BacktestConfig,
    config: OptimizationConfig,
    *,
    storage: optuna.storages.BaseStorage | None = None,
    study_name: str | None = None,
    hooks: Hooks | None = None,
    field_name: str = "optimization",
) -> OptimizationOutcome:
    hooks = hooks or Hooks()
    rule = objective_rule(config, field_name)
    graph = with_ranges(graph, config, field_name)
    spec = compile_graph(graph)
    space = search_space(spec)
    trial_count = _trial_count(config, space, field_name)
    seed = config.seed & 0xFFFFFFFF
    plan = _plan(config, len(bars), spec.warmup_bars, field_name)
    evaluator = _Evaluator(graph, bars, backtest_config, rule, plan)
    study = optuna.create_study(
        storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=_sampler(config, seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
    )  # fmt: skip
    if not study.trials:
        for parameters in _first_trials(config, spec, space, seed, trial_count):
            study.enqueue_trial(parameters)
    distributions = {dimension.name: dimension.distribution for dimension in space}
    budget = config.time_budget.ToTimedelta().total_seconds() if config.HasField("time_budget") else math.inf
    started = time.monotonic()
    while (done := _finished(study)) < trial_count and time.monotonic() - started < budget:
        hooks.check_cancelled()
        trial = study.ask(distributions)
        value = _run_trial(trial, evaluator, study)
        hooks.trial(trial.number, value)
        hooks.progress(min(done + 1, trial_count) / trial_count * 0.9, f"trial {done + 1}/{trial_count}")
    return _outcome(study, evaluator, space, rule)


def _finished(study: optuna.Study) -> int:
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return len(study.get_trials(deepcopy=False, states=states))


def _run_trial(trial: optuna.Trial, evaluator: _Evaluator, study: optuna.Study) -> float:
    started = time.monotonic()
    try:
        _, spec = evaluator.compile(trial.params)
    except InvalidArgument as problem:
        details = "; ".join(f"{item.field}: {item.description}" for item in problem.violations)
        trial.set_user_attr(MESSAGE_ATTRIBUTE, f"{problem.message} ({details})"[:500])
        study.tell(trial, state=TrialState.FAIL)
        return math.nan
    values, reasons = [], []
    folds = evaluator.folds()
    for step, (start, stop) in enumerate(folds):
        try:
            span = evaluator.span(spec, start, stop)
        except InvalidArgument as problem:
            trial.set_user_attr(MESSAGE_ATTRIBUTE, problem.message[:500])
            study.tell(trial, state=TrialState.FAIL)
            return math.nan
        values.append(span.objective)
        reasons.append(span.reason)
        if step == 0:
            trial.set_user_attr(METRICS_ATTRIBUTE, _key_metrics(span.metrics))
        if math.isfinite(span.objective):
            trial.report(span.objective, step)
            # pruning saves the folds still to run: after the last there is nothing left to save
            if step < len(folds) - 1 and trial.should_prune():
                trial.set_user_attr(MESSAGE_ATTRIBUTE, f"pruned after window {step}")
                study.tell(trial, state=TrialState.PRUNED)
                return math.nan
    score = sum(values) / len(values)
    trial.set_user_attr("seconds", time.monotonic() - started)
    reason = next((reason for reason in reasons if reason), "")
    if reason:
        trial.set_user_attr(MESSAGE_ATTRIBUTE, reason)
    # RDB storage cannot hold −inf: a failed objective is stored as the lowest finite value
    study.tell(trial, score if math.isfinite(score) else FAILED_SCORE)
    return score


def _key_metrics(metrics: Metrics) -> dict[str, float]:
    values = metrics.as_dict()
    return {name: float(values[name]) for name in KEY_METRICS if math.isfinite(float(values[name]))}


def _record(trial: FrozenTrial) -> TrialRecord:
    states = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned"}
    value = trial.value if trial.state == TrialState.COMPLETE and trial.value is not None else math.nan
    if value <= FAILED_SCORE:
        value = -math.inf
    duration = (
        (trial.datetime_complete - trial.datetime_start).total_seconds()
        if trial.datetime_complete and trial.datetime_start
        else 0.0
    )
    return TrialRecord(
        number=trial.number,
        state=states.get(trial.state, "failed"),
        parameters=dict(trial.params),
        value=value,
        metrics=dict(trial.user_attrs.get(METRICS_ATTRIBUTE, {})),
        duration_seconds=duration,
        message=str(trial.user_attrs.get(MESSAGE_ATTRIBUTE, "")),
    )


def _outcome(
    study: optuna.Study, evaluator: _Evaluator, space: tuple, rule: ObjectiveRule
) -> OptimizationOutcome:
    records = sorted(
        (_record(trial) for trial in study.get_trials(deepcopy=False)), key=lambda item: item.number
    )
    records = [
        record for record in records if record.state != "failed" or record.message or record.parameters
    ]
    scored = [record for record in records if record.state == "complete"]
    if not scored:
        first = next((record.message for record in records if record.message), "")
        raise InvalidArgument(
            "no parameter combination could be backtested" + (f"; the first: {first}" if first else ""),
            [FieldViolation("optimization.parameter_ranges", "every trial failed")],
        )
    best = max(scored, key=lambda record: (record.value, -record.number))
    best_graph, best_spec = evaluator.compile(best.parameters)
    first = evaluator.plan.first_out_of_sample
    in_sample = evaluator.span(best_spec, 0, first)
    out_of_sample = evaluator.span(best_spec, first, len(evaluator.bars) if not evaluator.plan.windows
                                   else evaluator.plan.windows[-1].out_of_sample_end)  # fmt: skip
    windows = [
        (window, evaluator.span(best_spec, window.in_sample_start, window.in_sample_end),
         evaluator.span(best_spec, window.out_of_sample_start, window.out_of_sample_end))
        for window in evaluator.plan.windows
    ]  # fmt: skip
    return OptimizationOutcome(
        trials=records,
        best=best,
        best_graph=best_graph,
        best_spec=best_spec,
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        windows=windows,
        overfitting_reason=overfitting_warning(
            in_sample.objective, _raw_objective(out_of_sample.metrics, rule), rule.metric
        ),
    )


def _raw_objective(metrics: Metrics, rule: ObjectiveRule) -> float:
    return float(getattr(metrics, rule.metric))
