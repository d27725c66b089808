"""A stored backtest row (with its job's state) as the `Backtest` message, and comparisons."""

from __future__ import annotations

import math

import asyncpg
from google.protobuf import duration_pb2, timestamp_pb2
from google.rpc import status_pb2

from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from alphintra.trainer.v1 import backtest_service_pb2 as messages

STATE_OF_JOB_STATE = {
    "queued": messages.BACKTEST_STATE_QUEUED,
    "running": messages.BACKTEST_STATE_RUNNING,
    "succeeded": messages.BACKTEST_STATE_SUCCEEDED,
    "failed": messages.BACKTEST_STATE_FAILED,
    "cancelled": messages.BACKTEST_STATE_CANCELLED,
}
JOB_STATE_OF_STATE = {state: name for name, state in STATE_OF_JOB_STATE.items()}

# BacktestMetrics fields where less is better (CompareBacktests' best_by_metric)
LOWER_IS_BETTER = ("drawdown", "duration", "volatility", "commissions")


def backtest_from_row(row: asyncpg.Record, *, metrics_only: bool = False) -> messages.Backtest:
    backtest = messages.Backtest(
        name=f"backtests/{row['id']}",
        id=row["id"],
        owner_id=row["owner_id"],
        display_name=row["display_name"],
        state=STATE_OF_JOB_STATE[row["state"]],
        spec=strategy_spec_pb2.StrategySpec.FromString(row["spec"]),
        workflow_id=row["workflow_id"],
        workflow_version=row["workflow_version"],
        dataset_id=row["dataset_id"],
        dataset_content_hash=row["dataset_content_hash"],
        config=backtest_pb2.BacktestConfig.FromString(row["config"]),
        job_id=row["job_id"],
    )
    if row["state"] == "succeeded" and row["result"]:
        backtest.result.ParseFromString(row["result"])
        if metrics_only:
            backtest.result.ClearField("equity_curve")
            backtest.result.ClearField("walk_forward_windows")
    if row["error"]:
        backtest.error.CopyFrom(status_pb2.Status.FromString(row["error"]))
    for field in ("create_time", "start_time", "end_time"):
        if row[field] is not None:
            getattr(backtest, field).FromDatetime(row[field])
    return backtest


def _comparable(value: object) -> float | None:
    if isinstance(value, duration_pb2.Duration):
        return value.ToNanoseconds() / 1e9
    if isinstance(value, timestamp_pb2.Timestamp):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def best_by_metric(compared: list[messages.ComparedBacktest]) -> dict[str, str]:
    """Metric name → id of the best backtest by it (the first one on ties)."""
    best: dict[str, str] = {}
    for field in backtest_pb2.BacktestMetrics.DESCRIPTOR.fields:
        lower = any(word in field.name for word in LOWER_IS_BETTER)
        scored = []
        for item in compared:
            value = _comparable(getattr(item.metrics, field.name))
            if value is not None and not math.isnan(value):  # NaN never wins
                scored.append((-value if lower else value, item.backtest_id))
        if scored:
            top = max(score for score, _ in scored)
            best[field.name] = next(backtest_id for score, backtest_id in scored if score == top)
    return best


def normalized_curve(result: backtest_pb2.BacktestResult, max_points: int) -> list[backtest_pb2.EquityPoint]:
    curve = list(result.equity_curve)
    if not curve:
        return []
    start = curve[0].equity or 1.0
    if len(curve) > max_points:
        step = (len(curve) - 1) / (max_points - 1)
        curve = [curve[round(index * step)] for index in range(max_points)]
    return [
        backtest_pb2.EquityPoint(
            bar_index=point.bar_index, time=point.time, equity=point.equity / start, drawdown=point.drawdown
        )
        for point in curve
    ]
