"""Generated Python code: a standalone script whose backtest equals the spec's, trade for trade."""

from __future__ import annotations

import ast
import json
import math
import runpy
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from backtesting.test import GOOG

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.backtest import BacktestConfig, BacktestResult, Bars, FillTiming
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.codegen import generate_code
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import backtest
from services.core.strategy.templates import get_template, list_templates
from tests.unit.core.strategy.graphs import sma_cross

ROOT = Path(__file__).resolve().parents[4]
ARGUMENTS = ["--cash", "25000", "--commission", "0.002", "--slippage", "0.0005", "--no-short"]
CONFIG = BacktestConfig(initial_cash=25_000.0, commission=0.002, slippage=0.0005, allow_short=False)


def everything_graph() -> WorkflowGraph:
    """Between, trend, NOT, offsets, derived prices, reverse and fixed-quantity sizing in one graph."""
    return (
        GraphBuilder()
        .node("data", "dataSource", price_field="typical")
        .node("rsi", "technicalIndicator", indicator="RSI", period=9)
        .node("bands", "technicalIndicator", indicator="BBANDS", period=15, deviations=1.5)
        .node("calm", "condition", operator="between", lower_bound=35.0, upper_bound=65.0, exclusive=True)
        .node("up", "condition", operator="rising", bars=2)
        .node("above", "condition", operator=">=", left_offset=1)
        .node("not_calm", "logic", operator="not")
        .node("go", "logic", operator="or")
        .node("buy", "action", action="buy", sizing="fixed_quantity", quantity=10.0)
        .node("flip", "action", action="reverse", priority=1, sizing="fixed_quantity", quantity=10.0)
        .node("risk", "risk", trailing_stop_percent=4.0, max_drawdown_halt_percent=40.0)
        .connect("data.bars", "rsi.bars")
        .connect("data.bars", "bands.bars")
        .connect("rsi.value", "calm.left")
        .connect("data.price", "up.left")
        .connect("data.close", "above.left")
        .connect("bands.upper", "above.right")
        .connect("calm.result", "not_calm.inputs")
        .connect("up.result", "go.inputs")
        .connect("above.result", "go.inputs")
        .connect("go.result", "buy.signal")
        .connect("not_calm.result", "flip.signal")
        .build()
    )


def risk_per_trade_graph() -> WorkflowGraph:
    return sma_cross(sizing="risk_per_trade", risk_percent=2.0, atr_period=10, stop_loss_percent=3.0).build()


CASES = {
    **{template.id: template.graph for template in list_templates()},
    "everything": everything_graph(),
    "risk_per_trade": risk_per_trade_graph(),
}


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bars") / "goog.csv"
    GOOG.to_csv(path)
    return path


@pytest.fixture(scope="module")
def csv_bars(csv_path: Path) -> Bars:
    """The CSV read the way the script reads it."""
    return Bars.from_frame(pd.read_csv(csv_path, index_col=0, parse_dates=True))


def expected_report(result: BacktestResult) -> dict:
    trades = result.trades
    columns = {
        "entry_bar": trades.entry_bar,
        "exit_bar": trades.exit_bar,
        "side": trades.side,
        "size": trades.size,
        "entry_price": trades.entry_price,
        "exit_price": trades.exit_price,
        "pnl": trades.pnl,
        "return": trades.returns,
        "commission": trades.commission,
        "exit_reason": trades.exit_reason,
    }
    rows = [{name: values[row].item() for name, values in columns.items()} for row in range(len(trades))]
    return {"trades": rows, "metrics": result.metrics.as_dict()}


def assert_same_report(actual: dict, expected: dict) -> None:
    assert actual["trades"] == expected["trades"]
    assert actual["metrics"].keys() == expected["metrics"].keys()
    for name, value in expected["metrics"].items():
        got = actual["metrics"][name]
        assert got == value or (math.isnan(got) and math.isnan(value)), name


def write_script(spec: StrategySpec, directory: Path, name: str) -> Path:
    path = directory / f"{name}.py"
    path.write_text(generate_code(spec, title=name), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_the_generated_script_reproduces_the_backtest(case, csv_path, csv_bars, tmp_path, capsys):
    spec = compile_graph(CASES[case])
    script = runpy.run_path(str(write_script(spec, tmp_path, case)), run_name="generated")
    script["main"]([str(csv_path), *ARGUMENTS, "--json"])
    actual = json.loads(capsys.readouterr().out)
    expected = expected_report(backtest(spec, csv_bars, CONFIG))
    assert expected["trades"], "a comparison without trades would prove little"
    assert_same_report(actual, expected)


def test_scripts_run_standalone_as_subprocesses(csv_path, csv_bars, tmp_path):
    """Two scripts in separate interpreters (in parallel, each loads the libraries once)."""
    specs = {name: compile_graph(CASES[name]) for name in ("macd_adx_trend", "everything")}
    processes = {
        name: subprocess.Popen(
            [
                sys.executable,
                str(write_script(spec, tmp_path, name)),
                str(csv_path),
                *ARGUMENTS,
                "--fill",
                "this_close",
                "--json",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, spec in specs.items()
    }
    config = BacktestConfig(
        initial_cash=25_000.0,
        commission=0.002,
        slippage=0.0005,
        allow_short=False,
        fill_timing=FillTiming.THIS_CLOSE,
    )
    for name, process in processes.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert_same_report(json.loads(out), expected_report(backtest(specs[name], csv_bars, config)))


def test_the_script_prints_a_readable_summary(csv_path, tmp_path, capsys):
    spec = compile_graph(get_template("sma_crossover").graph)
    script = runpy.run_path(str(write_script(spec, tmp_path, "summary")), run_name="generated")
    script["main"]([str(csv_path)])
    out = capsys.readouterr().out
    assert "total_return" in out
    assert out.strip().endswith("trades")


def test_the_code_is_readable_python_with_generated_names():
    spec = compile_graph(get_template("rsi_mean_reversion").graph)
    code = generate_code(spec, title="RSI mean reversion", labels={"rsi": "RSI 14"})
    tree = ast.parse(code)
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"compute_indicators", "compute_conditions", "decide", "backtest_config", "main"} <= functions
    assert "compute('rsi', prices, period=14, source='close')" in code
    assert "# indicator_1: RSI (node rsi, label RSI 14)" in code
    assert (
        "conditions['condition_2'] = compare('<', series['indicator_1.value'], np.full(bar_count, 30.0))"
        in code
    )
    assert "stop_loss=0.05," in code
    assert "take_profit=0.1," in code
    assert f"# Spec content hash: {spec.content_hash}" in code
    assert "WARMUP_BARS = 14" in code
