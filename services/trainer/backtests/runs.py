"""One backtest of a spec on bars as the BacktestService runs it: standard or Monte Carlo.

The domain computes (`services.core.analysis.strategy_run`); this picks the methodology and turns
the outcome into the protobuf result and the HTML report. Walk-forward re-optimises the graph's
parameters in every window, so it needs the workflow graph, which a spec does not carry: it runs
in the workflow service (inline bars) or as an optimisation job (stored datasets).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from services.core.analysis.strategy_run import StrategyRun, run_strategy
from services.core.backtest.inputs import Bars
from services.core.errors import FieldViolation, InvalidArgument
from services.core.reports.backtest_html import ReportInfo, render_report
from services.mesh import conversions


@dataclass(frozen=True, slots=True)
class BacktestOutput:
    result: backtest_pb2.BacktestResult
    run: StrategyRun


def _time_ns(stamp: object, present: bool) -> int | None:
    return stamp.ToNanoseconds() if present else None  # type: ignore[attr-defined]


def run_backtest(
    spec: strategy_spec_pb2.StrategySpec,
    bars: Bars,
    config: backtest_pb2.BacktestConfig,
    field: str = "config",
) -> BacktestOutput:
    if config.methodology == backtest_pb2.METHODOLOGY_WALK_FORWARD:
        raise InvalidArgument(
            "walk-forward needs the workflow graph",
            [
                FieldViolation(
                    f"{field}.methodology",
                    "walk-forward re-optimises the graph in every window: run it with "
                    "WorkflowService.ExecuteWorkflow, or as an optimisation job from the workflow",
                )
            ],
        )
    domain_config = conversions.config_from_proto(config, field)
    monte_carlo = (
        conversions.monte_carlo_request(config, field)
        if config.methodology == backtest_pb2.METHODOLOGY_MONTE_CARLO
        else None
    )
    run = run_strategy(
        spec,
        bars,
        domain_config,
        start_ns=_time_ns(config.start_time, config.HasField("start_time")),
        end_ns=_time_ns(config.end_time, config.HasField("end_time")),
        monte_carlo_request=monte_carlo,
    )
    result = conversions.result_to_proto(
        run.result, run.bars, run.result.config, config, monte_carlo=run.monte_carlo
    )
    return BacktestOutput(result=result, run=run)


def report_html(output: BacktestOutput, title: str, symbol: str = "") -> str:
    return render_report(
        output.run.result, output.run.bars, ReportInfo(title=title or "Backtest", symbol=symbol)
    )


def bars_content_hash(bars: Bars) -> str:
    """ "sha256:<hex>" of the bars' columns, for inline bars (stored datasets carry their own hash)."""
    digest = hashlib.sha256()
    for column in (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume):
        digest.update(np.ascontiguousarray(column).tobytes())
    return f"sha256:{digest.hexdigest()}"
