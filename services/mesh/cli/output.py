"""How the CLI shows results: tables for people (rich), JSON for scripts."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import pandas as pd
from rich.console import Console
from rich.table import Table

from alphintra.workflow.v1 import validation_pb2
from services.core.backtest.engine import BacktestResult
from services.core.backtest.trades import ExitReason, Side
from services.core.errors import AlphintraError, InvalidArgument
from services.core.reports.backtest_html import METRIC_FORMATS, format_metric


def print_problems(
    problems: Sequence[validation_pb2.ValidationProblem], stream: TextIO | None = None
) -> None:
    console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
    if not problems:
        console.print("no problems found")
        return
    for problem in problems:
        where = ", ".join(
            f"{label} {value}"
            for label, value in (("node", problem.node_id), ("edge", problem.edge_id), ("port", problem.port),
                                 ("parameter", problem.parameter)) if value
        )  # fmt: skip
        severity = (
            validation_pb2.ProblemSeverity.Name(problem.severity).removeprefix("PROBLEM_SEVERITY_").lower()
        )
        console.print(f"{severity:<7} {problem.code:<24} {where:<32} {problem.message}")


def print_error(error: AlphintraError) -> None:
    console = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    console.print(f"error: {error.message}")
    if isinstance(error, InvalidArgument):
        for violation in error.violations:
            console.print(f"  {violation.field}: {violation.description}")


def _finite(value: float) -> float | None:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def result_json(result: BacktestResult) -> dict[str, Any]:
    trades = result.trades
    return {
        "metrics": {name: _finite(value) for name, value in dataclasses.asdict(result.metrics).items()},
        "trades": [
            {
                "entry_time": pd.Timestamp(int(trades.entry_time[i]), unit="ns").isoformat(),
                "exit_time": pd.Timestamp(int(trades.exit_time[i]), unit="ns").isoformat(),
                "entry_bar": int(trades.entry_bar[i]),
                "exit_bar": int(trades.exit_bar[i]),
                "side": Side(trades.side[i]).name.lower(),
                "size": float(trades.size[i]),
                "entry_price": float(trades.entry_price[i]),
                "exit_price": float(trades.exit_price[i]),
                "pnl": float(trades.pnl[i]),
                "return": float(trades.returns[i]),
                "commission": float(trades.commission[i]),
                "exit_reason": ExitReason(trades.exit_reason[i]).name.lower(),
            }
            for i in range(len(trades))
        ],
    }


def show_metrics(result: BacktestResult, title: str) -> None:
    values = dataclasses.asdict(result.metrics)
    table = Table(title=title or "backtest", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, (label, kind) in METRIC_FORMATS.items():
        if name in values:
            table.add_row(label, format_metric(values[name], kind))
    Console().print(table)
