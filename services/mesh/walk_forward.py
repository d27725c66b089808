"""A walk-forward backtest of a graph, request to result: shared by the workflow service (inline
bars) and the trainer (stored datasets), which must give the same answer for the same bars.

Walk-forward re-optimises the graph's parameter ranges in every window, so it needs the graph,
not only a compiled spec; both services have it (the trainer reads it from the workflow service).
"""

from __future__ import annotations

from alphintra.strategy.v1 import backtest_pb2
from alphintra.workflow.v1 import workflow_pb2
from services.core.analysis.strategy_run import run_walk_forward
from services.core.analysis.walk_forward import Mode
from services.core.backtest import BacktestConfig
from services.core.backtest.inputs import Bars
from services.core.errors import FieldViolation, InvalidArgument
from services.mesh import conversions


def _time_ns(stamp: object, present: bool) -> int | None:
    return stamp.ToNanoseconds() if present else None  # type: ignore[attr-defined]


def walk_forward_backtest(
    graph: workflow_pb2.WorkflowGraph,
    bars: Bars,
    domain_config: BacktestConfig,
    config: backtest_pb2.BacktestConfig,
    field: str = "backtest_config",
) -> backtest_pb2.BacktestResult:
    settings = config.walk_forward
    anchored = settings.window_mode == backtest_pb2.WINDOW_MODE_ANCHORED
    try:
        result, used = run_walk_forward(
            graph, bars, domain_config,
            mode=Mode.ANCHORED if anchored else Mode.ROLLING,
            in_sample_bars=settings.in_sample_bars,
            out_of_sample_bars=settings.out_of_sample_bars,
            max_windows=settings.max_windows,
            end_ns=_time_ns(config.end_time, config.HasField("end_time")),
        )  # fmt: skip
    except InvalidArgument as error:
        prefixed = [
            FieldViolation(f"{field}.walk_forward.{v.field}", v.description) for v in error.violations
        ]
        raise InvalidArgument(error.message, prefixed) from None
    return conversions.walk_forward_to_proto(result, used, domain_config, config)
