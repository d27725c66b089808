"""An optimisation's outcome as the OptimizationResult message, and the summary of what it changed."""

from __future__ import annotations

import math
from collections.abc import Mapping

from alphintra.strategy.v1 import backtest_pb2, optimization_pb2, strategy_spec_pb2
from services.core.backtest import Bars
from services.core.modeling.optimization import OptimizationOutcome, TrialRecord
from services.core.strategy.parameters import PythonValue, from_python, to_python
from services.mesh.conversions import metric_values_to_proto

TRIAL_STATES = {
    "complete": optimization_pb2.TRIAL_STATE_COMPLETE,
    "pruned": optimization_pb2.TRIAL_STATE_PRUNED,
    "failed": optimization_pb2.TRIAL_STATE_FAILED,
}
_METRIC_FIELDS = backtest_pb2.BacktestMetrics.DESCRIPTOR.fields_by_name
SUMMARY_LIMIT = 900


def _trial_message(record: TrialRecord) -> optimization_pb2.OptimizationTrial:
    trial = optimization_pb2.OptimizationTrial(
        number=record.number,
        state=TRIAL_STATES[record.state],
        objective_value=record.value,
        message=record.message,
    )
    for name, value in record.parameters.items():
        trial.parameters[name].CopyFrom(from_python(value))
    for name, value in record.metrics.items():
        found = _METRIC_FIELDS.get(name)
        if found is not None and math.isfinite(value):
            is_integer = found.type in (found.TYPE_INT32, found.TYPE_INT64)
            setattr(trial.in_sample_metrics, name, int(value) if is_integer else value)
    trial.duration.FromNanoseconds(int(record.duration_seconds * 1e9))
    return trial


def result_message(
    outcome: OptimizationOutcome, bars: Bars, initial_cash: float
) -> optimization_pb2.OptimizationResult:
    times = bars.timestamps
    result = optimization_pb2.OptimizationResult(
        best_objective_value=outcome.best.value,
        best_trial_number=outcome.best.number,
        overfitting_warning=bool(outcome.overfitting_reason),
        overfitting_reason=outcome.overfitting_reason,
    )
    for name, value in outcome.best.parameters.items():
        result.best_parameters[name].CopyFrom(from_python(value))
    result.trials.extend(_trial_message(record) for record in outcome.trials)
    for target, span in ((result.in_sample_metrics, outcome.in_sample),
                         (result.out_of_sample_metrics, outcome.out_of_sample)):  # fmt: skip
        target.CopyFrom(metric_values_to_proto(span.metrics, times[span.start : span.stop], initial_cash))
    for window, in_sample, out_of_sample in outcome.windows:
        entry = result.walk_forward_windows.add(index=window.index)
        entry.in_sample_start_time.FromNanoseconds(int(times[window.in_sample_start]))
        entry.in_sample_end_time.FromNanoseconds(int(times[window.in_sample_end - 1]))
        entry.out_of_sample_start_time.FromNanoseconds(int(times[window.out_of_sample_start]))
        entry.out_of_sample_end_time.FromNanoseconds(int(times[window.out_of_sample_end - 1]))
        for target, span in ((entry.in_sample_metrics, in_sample),
                             (entry.out_of_sample_metrics, out_of_sample)):  # fmt: skip
            target.CopyFrom(metric_values_to_proto(span.metrics, times[span.start : span.stop], initial_cash))
        for name, value in outcome.best.parameters.items():
            entry.parameters[name].CopyFrom(from_python(value))
    return result


def changed_parameters(
    spec: strategy_spec_pb2.StrategySpec, best: Mapping[str, PythonValue]
) -> list[tuple[str, PythonValue, PythonValue]]:
    """(name, current, best) of every tunable parameter the best trial changed, in spec order."""
    changes = []
    for tunable in spec.tunable_parameters:
        current = to_python(tunable.current_value)
        if tunable.name in best and best[tunable.name] != current:
            changes.append((tunable.name, current, best[tunable.name]))
    return changes


def change_summary(changes: list[tuple[str, PythonValue, PythonValue]], job_id: str) -> str:
    """E.g. "optimised: rsi_1.period 14 → 21, rsi_1.oversold 30 → 25 (job 7f3c2a1b…)"."""
    parts = ", ".join(f"{name} {_shown(old)} → {_shown(new)}" for name, old, new in changes)
    suffix = f" (job {job_id[:8]}…)"
    return "optimised: " + parts[: SUMMARY_LIMIT - len(suffix)] + suffix


def _shown(value: PythonValue | None) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
