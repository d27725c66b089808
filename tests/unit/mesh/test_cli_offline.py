"""`alphintra workflow validate|compile` and `alphintra backtest`, offline, on files."""

import ast
import json
from pathlib import Path

import pytest
from backtesting.test import GOOG

from services.mesh.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def goog_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "goog.csv"
    GOOG.to_csv(path, index_label="Date")
    return path


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda path: path.stem)
def test_every_example_validates(example, capsys):
    assert main(["workflow", "validate", str(example)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_an_invalid_workflow_lists_its_problems_and_exits_1(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"displayName": "x", "graph": {"nodes": [{"id": "a", "type": "bogus"}]}}))
    assert main(["workflow", "validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "UNKNOWN_NODE_TYPE" in out
    assert "node a" in out


def test_a_file_that_is_not_a_workflow_is_refused(tmp_path, capsys):
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"graph": {"nodes": "not a list"}}')
    assert main(["workflow", "validate", str(garbage)]) == 1
    assert "is not a workflow" in capsys.readouterr().err


def test_compile_prints_the_spec_and_writes_code_that_parses(tmp_path, capsys):
    code = tmp_path / "strategy.py"
    assert main(["workflow", "compile", str(EXAMPLES / "rsi_mean_reversion.json"), "--code", str(code)]) == 0
    spec = json.loads(capsys.readouterr().out)
    assert spec["specVersion"] == "1"
    assert spec["indicators"]
    ast.parse(code.read_text())


def test_backtest_json_has_metrics_and_trades(goog_csv, capsys):
    arguments = ["backtest", "--data", str(goog_csv), "--workflow", str(EXAMPLES / "sma_crossover.json")]
    assert main([*arguments, "--commission", "0.002", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["trade_count"] == len(result["trades"]) > 0
    first = result["trades"][0]
    assert {
        "entry_time",
        "exit_time",
        "side",
        "size",
        "entry_price",
        "exit_price",
        "pnl",
        "exit_reason",
    } <= set(first)


def test_backtest_window_and_report(goog_csv, tmp_path, capsys):
    report = tmp_path / "report.html"
    arguments = ["backtest", "--data", str(goog_csv), "--workflow", str(EXAMPLES / "sma_crossover.json")]
    assert (
        main([*arguments, "--start", "2010-01-01", "--end", "2011-12-31", "--json", "--report", str(report)])
        == 0
    )
    trades = json.loads(capsys.readouterr().out)["trades"]
    assert all("2010-01-01" <= trade["entry_time"] <= "2012" for trade in trades)
    assert report.read_text().startswith("<!doctype html>")


def test_backtest_on_a_broken_file_names_the_lines(tmp_path, capsys):
    data = tmp_path / "bad.csv"
    data.write_text("Date,Open,High,Low,Close\n2024-01-01,1,2,1,1\n2024-01-02,1,0.5,1,1\n")
    arguments = ["backtest", "--data", str(data), "--workflow", str(EXAMPLES / "sma_crossover.json")]
    assert main(arguments) == 1
    assert "line[3].high" in capsys.readouterr().err


def test_a_bad_date_is_refused(goog_csv, capsys):
    arguments = ["backtest", "--data", str(goog_csv), "--workflow", str(EXAMPLES / "sma_crossover.json")]
    assert main([*arguments, "--start", "yesterday-ish"]) == 1
    assert "start" in capsys.readouterr().err
