"""Commands that work offline, on files, with no service running.

    alphintra workflow validate FILE
    alphintra workflow compile FILE [--code out.py]
    alphintra backtest --data FILE.csv|.parquet --workflow FILE [--cash --commission
                       --slippage --start --end] [--json] [--report out.html]

A workflow file is the protobuf JSON mapping of the `alphintra.workflow.v1.Workflow`
message (the files in examples/). The domain does the work; this module reads
files, calls it, and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from google.protobuf import json_format

from alphintra.workflow.v1 import workflow_pb2
from services.core import strategy
from services.core.backtest import BacktestConfig
from services.core.backtest.inputs import Bars
from services.core.datasets.ohlcv import read_ohlcv
from services.core.errors import FieldViolation, InvalidArgument
from services.core.reports.backtest_html import ReportInfo, render_report
from services.mesh.cli.output import print_error, print_problems, result_json, show_metrics

EXIT_REFUSED = 1


def read_workflow(path: Path) -> workflow_pb2.Workflow:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidArgument(f"cannot read {path}", [FieldViolation("workflow", str(error))]) from None
    try:
        return json_format.Parse(text, workflow_pb2.Workflow())
    except json_format.ParseError as error:
        raise InvalidArgument(f"{path} is not a workflow", [FieldViolation("workflow", str(error))]) from None


def _validate(arguments: argparse.Namespace) -> int:
    workflow = read_workflow(Path(arguments.file))
    problems = strategy.validate_graph(workflow.graph)
    print_problems(problems)
    return 0 if strategy.is_valid(workflow.graph) else EXIT_REFUSED


def _compile(arguments: argparse.Namespace) -> int:
    workflow = read_workflow(Path(arguments.file))
    spec, warnings = strategy.compile_with_warnings(workflow.graph)
    print_problems(warnings, stream=sys.stderr)
    print(json_format.MessageToJson(spec, indent=2))
    if arguments.code:
        code = strategy.generate_code(
            spec, title=workflow.display_name, labels={n.id: n.label for n in workflow.graph.nodes}
        )
        Path(arguments.code).write_text(code, encoding="utf-8")
        print(f"wrote {arguments.code}", file=sys.stderr)
    return 0


def _time_bound(value: str | None, name: str) -> int | None:
    """A command-line date/time as int64 ns UTC (naive times are UTC)."""
    if not value:
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        raise InvalidArgument(
            f"--{name} is not a date", [FieldViolation(name, f"{value!r} is not a date/time")]
        ) from None
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).as_unit("ns").value


def _window(bars: Bars, start: str | None, end: str | None) -> Bars:
    low, high = _time_bound(start, "start"), _time_bound(end, "end")
    mask = np.ones(len(bars), dtype=bool)
    if low is not None:
        mask &= bars.timestamps >= low
    if high is not None:
        mask &= bars.timestamps <= high
    fields = ("open", "high", "low", "close", "volume", "timestamps")
    return Bars.from_arrays(**{field: getattr(bars, field)[mask] for field in fields})


def _backtest(arguments: argparse.Namespace) -> int:
    workflow = read_workflow(Path(arguments.workflow))
    spec = strategy.compile_graph(workflow.graph)
    data = Path(arguments.data)
    if not data.exists():
        raise InvalidArgument(f"{data} does not exist", [FieldViolation("data", "no such file")])
    bars = _window(read_ohlcv(data).bars(arguments.symbol), arguments.start, arguments.end)
    config = BacktestConfig(
        initial_cash=arguments.cash, commission=arguments.commission, slippage=arguments.slippage
    )
    result = strategy.backtest(spec, bars, config)
    if arguments.report:
        info = ReportInfo(
            title=workflow.display_name or Path(arguments.workflow).stem, symbol=arguments.symbol or ""
        )
        Path(arguments.report).write_text(render_report(result, bars, info), encoding="utf-8")
        print(f"wrote {arguments.report}", file=sys.stderr)
    if arguments.json:
        print(json.dumps(result_json(result), allow_nan=False))
    else:
        show_metrics(result, title=workflow.display_name)
    return 0


def _refusing(handler):
    def run(arguments: argparse.Namespace) -> int:
        try:
            return handler(arguments)
        except InvalidArgument as error:
            print_error(error)
            return EXIT_REFUSED

    return run


def register(commands: argparse._SubParsersAction) -> None:
    workflow = commands.add_parser("workflow", help="validate or compile a workflow file, offline")
    actions = workflow.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="list every problem of a workflow graph")
    validate.add_argument("file")
    validate.set_defaults(handler=_refusing(_validate))
    compile_ = actions.add_parser("compile", help="print the strategy spec (JSON); --code writes the Python")
    compile_.add_argument("file")
    compile_.add_argument("--code", metavar="OUT.py", help="also write the generated Python script")
    compile_.set_defaults(handler=_refusing(_compile))

    run = commands.add_parser("backtest", help="backtest a workflow on an OHLCV file, offline")
    run.add_argument(
        "--data",
        required=True,
        metavar="FILE",
        help="CSV or Parquet with time, open, high, low, close[, volume]",
    )
    run.add_argument("--workflow", required=True, metavar="FILE", help="workflow JSON (see examples/)")
    run.add_argument("--symbol", help="the symbol to use when the file holds several")
    run.add_argument("--cash", type=float, default=10_000.0)
    run.add_argument(
        "--commission", type=float, default=0.0, help="fraction of traded value per side, e.g. 0.002"
    )
    run.add_argument("--slippage", type=float, default=0.0, help="fraction of price, against the trader")
    run.add_argument("--start", help="first bar time (inclusive), e.g. 2010-01-01")
    run.add_argument("--end", help="last bar time (inclusive)")
    run.add_argument("--json", action="store_true", help="print one JSON object with metrics and trades")
    run.add_argument("--report", metavar="OUT.html", help="write the self-contained HTML report")
    run.set_defaults(handler=_refusing(_backtest))
