"""Templates and the example files generated from them: current, valid, and trading on real data."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format

from alphintra.workflow.v1.template_pb2 import Difficulty
from alphintra.workflow.v1.workflow_pb2 import Workflow
from services.core.errors import NotFound
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import backtest
from services.core.strategy.templates import example_json, get_template, list_templates, write_examples
from services.core.strategy.validation import validate_graph

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
TEMPLATES = list_templates()
REGENERATE = "stale: run `python -m services.core.strategy.examples examples`"


def test_the_four_classic_strategies_are_templates():
    assert [template.id for template in TEMPLATES] == [
        "sma_crossover",
        "rsi_mean_reversion",
        "macd_adx_trend",
        "bollinger_breakout",
    ]
    for template in TEMPLATES:
        assert template.display_name
        assert len(template.description) > 40
        assert template.difficulty != Difficulty.DIFFICULTY_UNSPECIFIED
        assert template.tags


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda template: template.id)
def test_each_example_file_is_current(template):
    path = EXAMPLES / f"{template.id}.json"
    assert path.exists(), REGENERATE
    assert path.read_text(encoding="utf-8") == example_json(template), REGENERATE


def test_no_example_file_is_left_from_a_removed_template():
    assert {path.stem for path in EXAMPLES.glob("*.json")} == {template.id for template in TEMPLATES}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda template: template.id)
def test_each_example_parses_as_a_workflow_that_validates(template):
    workflow = json_format.Parse((EXAMPLES / f"{template.id}.json").read_text(encoding="utf-8"), Workflow())
    assert workflow.display_name == template.display_name
    assert workflow.graph == template.graph
    assert validate_graph(workflow.graph) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda template: template.id)
def test_each_template_compiles_and_trades_on_goog(template, goog):
    spec = compile_graph(template.graph)
    names = [tunable.name for tunable in spec.tunable_parameters]
    assert names, "templates mark parameters for optimisation"
    assert len(names) == len(set(names))
    result = backtest(spec, goog)
    assert result.metrics.trade_count >= 10
    assert result.metrics.final_equity > 0


def test_the_sma_crossover_template_is_the_classic_10_20():
    spec = compile_graph(get_template("sma_crossover").graph)
    assert [node.parameters["period"].integer for node in spec.indicators] == [10, 20]


def test_writing_the_examples_reproduces_the_committed_files(tmp_path):
    for path in write_examples(tmp_path):
        assert path.read_text(encoding="utf-8") == (EXAMPLES / path.name).read_text(encoding="utf-8")


def test_an_unknown_template_is_not_found():
    with pytest.raises(NotFound):
        get_template("golden_goose")
