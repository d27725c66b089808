"""The streaming evaluator decides, bar by bar, exactly what the vectorised evaluator decides."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.backtest import Bars
from services.core.features.state_codec import decode_evaluator_state, encode_evaluator_state
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import Evaluation, evaluate
from services.core.strategy.streaming import BarDecision, StreamingEvaluator
from services.core.strategy.templates import list_templates
from tests.unit.core.strategy.graphs import bars, property_settings, sma_cross, valid_graphs

FLAGS = ("enter_long", "exit_long", "enter_short", "exit_short")


def run(
    evaluator: StreamingEvaluator, data: Bars, start: int = 0, stop: int | None = None
) -> list[BarDecision]:
    window = slice(start, stop)
    fields = (data.open, data.high, data.low, data.close, data.volume)
    return [evaluator.update(*values) for values in zip(*(field[window] for field in fields), strict=True)]


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


def comparable(decisions: list[BarDecision]) -> list[tuple]:
    """The decisions with their ATR as text (NaN equals NaN)."""
    return [(*astuple(decision)[:-1], repr(float(decision.atr))) for decision in decisions]


@property_settings(40)
@given(graph=valid_graphs(), data=bars(), cut=st.floats(0.0, 1.0))
def test_a_restored_snapshot_decides_what_the_original_would(graph, data, cut):
    """Snapshot after some bars, through bytes into a new evaluator: the rest of the bars decide the same."""
    spec = compile_graph(graph)
    split = int(cut * len(data))
    original = StreamingEvaluator(spec)
    uninterrupted = run(original, data)
    resumed = StreamingEvaluator(spec)
    run(resumed, data, stop=split)
    restored = StreamingEvaluator(spec)
    restored.restore(decode_evaluator_state(encode_evaluator_state(resumed.snapshot())))
    assert comparable(run(restored, data, start=split)) == comparable(uninterrupted[split:])


def test_a_snapshot_of_another_strategy_is_refused(goog):
    templates = list_templates()
    other = StreamingEvaluator(compile_graph(templates[0].graph))
    run(other, goog, stop=50)
    evaluator = StreamingEvaluator(compile_graph(templates[2].graph))
    with pytest.raises(ValueError, match="another strategy"):
        evaluator.restore(other.snapshot())


def test_a_restored_snapshot_remembers_the_side_a_reversal_takes(goog):
    """A reversal reads the side of the latest entry, which the bars since the snapshot may not show."""
    graph = sma_cross().build()
    for node in graph.nodes:
        if node.id == "sell":
            node.parameters["action"].text = "reverse"
    spec = compile_graph(graph)
    uninterrupted = run(StreamingEvaluator(spec), goog)
    assert sum(decision.enter_short for decision in uninterrupted) > 10
    for split in range(100, len(goog), 250):
        resumed = StreamingEvaluator(spec)
        run(resumed, goog, stop=split)
        restored = StreamingEvaluator(spec)
        restored.restore(decode_evaluator_state(encode_evaluator_state(resumed.snapshot())))
        assert comparable(run(restored, goog, start=split)) == comparable(uninterrupted[split:])
