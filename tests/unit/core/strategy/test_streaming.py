"""The streaming evaluator decides, bar by bar, exactly what the vectorised evaluator decides."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from services.core.backtest import Bars
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import Evaluation, evaluate
from services.core.strategy.streaming import BarDecision, StreamingEvaluator
from services.core.strategy.templates import list_templates
from tests.unit.core.strategy.graphs import bars, property_settings, sma_cross, valid_graphs

FLAGS = ("enter_long", "exit_long", "enter_short", "exit_short")


def run(evaluator: StreamingEvaluator, data: Bars) -> list[BarDecision]:
    return [
        evaluator.update(*values)
        for values in zip(data.open, data.high, data.low, data.close, data.volume, strict=True)
    ]


def assert_same_decisions(decisions: list[BarDecision], evaluation: Evaluation) -> None:
    for name in FLAGS:
        streamed = np.array([getattr(decision, name) for decision in decisions])
        np.testing.assert_array_equal(streamed, getattr(evaluation.intents, name), err_msg=name)
    acting = [evaluation.rules[index].node_id if index >= 0 else "" for index in evaluation.acting_rule]
    assert [decision.acting_rule for decision in decisions] == acting
    if evaluation.intents.atr is not None:
        np.testing.assert_array_equal([decision.atr for decision in decisions], evaluation.intents.atr)
    assert [decision.bar_index for decision in decisions] == list(range(len(evaluation.bars)))


@property_settings(60)
@given(graph=valid_graphs(), data=bars())
def test_streaming_equals_vectorised_on_random_strategies_and_bars(graph, data):
    spec = compile_graph(graph)
    assert_same_decisions(run(StreamingEvaluator(spec), data), evaluate(spec, data))


@pytest.mark.parametrize("template", list_templates(), ids=lambda template: template.id)
def test_streaming_equals_vectorised_on_the_templates(template, goog):
    spec = compile_graph(template.graph)
    evaluation = evaluate(spec, goog)
    decisions = run(StreamingEvaluator(spec), goog)
    assert_same_decisions(decisions, evaluation)
    assert sum(bool(decision.acting_rule) for decision in decisions) > 10


def test_risk_per_trade_streams_its_atr(goog):
    spec = compile_graph(sma_cross(sizing="risk_per_trade", atr_period=10).build())
    assert_same_decisions(run(StreamingEvaluator(spec), goog), evaluate(spec, goog))


def test_a_reset_evaluator_behaves_as_a_new_one(goog):
    spec = compile_graph(list_templates()[2].graph)
    evaluator = StreamingEvaluator(spec)
    first = run(evaluator, goog)
    evaluator.reset()
    assert run(evaluator, goog) == first
