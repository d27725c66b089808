"""The checks a backtest passes before it is queued or run: a valid spec, a dataset, a valid config."""

from __future__ import annotations

from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from alphintra.trainer.v1 import training_service_pb2
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy import check_spec
from services.mesh import conversions


def spec_violations(spec: strategy_spec_pb2.StrategySpec, present: bool, field: str) -> list[FieldViolation]:
    if not present:
        return [FieldViolation(field, "required: the compiled strategy (WorkflowService.CompileWorkflow)")]
    try:
        check_spec(spec)
    except InvalidArgument as error:
        return [
            FieldViolation(f"{field}.{violation.field}", violation.description)
            for violation in error.violations
        ]
    return []


def config_violations(config: backtest_pb2.BacktestConfig, field: str) -> list[FieldViolation]:
    try:
        conversions.config_from_proto(config, field)
    except InvalidArgument as error:
        return list(error.violations)
    return []


def backtest_job_violations(
    config: training_service_pb2.BacktestJobConfig, field: str
) -> list[FieldViolation]:
    """Every problem of a BACKTEST job's config (`kinds.VALIDATORS`)."""
    violations = spec_violations(config.spec, config.HasField("spec"), f"{field}.spec")
    if not config.dataset_id:
        violations.append(FieldViolation(f"{field}.dataset_id", "required: the dataset to backtest on"))
    violations += config_violations(config.backtest, f"{field}.backtest")
    return violations
