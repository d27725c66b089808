"""Look-ahead and warm-up checks: a prefix decides what the whole decides; nothing acts before warm-up."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.backtest import Bars
from services.core.errors import FailedPrecondition
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import Evaluation, evaluate
from services.core.strategy.lookahead import (
    default_prefixes,
    find_lookahead,
    find_warmup_problems,
    prefix,
    verify_strategy,
)
from services.core.strategy.templates import list_templates
from tests.unit.core.strategy.graphs import bars, property_settings, sma_cross, valid_graphs


@pytest.mark.parametrize("template", list_templates(), ids=lambda template: template.id)
def test_every_template_passes_both_checks(template, goog):
    verify_strategy(compile_graph(template.graph), goog)


@property_settings(25)
@given(graph=valid_graphs(), data=bars(min_size=40))
def test_random_strategies_never_look_ahead(graph, data):
    spec = compile_graph(graph)
    assert find_lookahead(spec, data, prefixes=range(2, len(data), 7)) == []
    assert find_warmup_problems(spec, evaluate(spec, data)) == []


def peeking(spec: StrategySpec, data: Bars) -> Evaluation:
    """An evaluator that reads tomorrow's close: the kind of bug the check exists for."""
    honest = evaluate(spec, data)
    tomorrow = np.append(data.close[1:], np.nan)
    intents = dataclasses.replace(honest.intents, enter_long=tomorrow > data.close)
    return dataclasses.replace(honest, intents=intents)


def test_an_evaluator_reading_the_next_bar_is_caught(goog):
    spec = compile_graph(sma_cross().build())
    findings = find_lookahead(spec, goog, evaluator=peeking)
    assert findings
    assert {finding.what for finding in findings} == {"intents.enter_long"}
    for finding in findings:
        assert finding.code == "LOOKAHEAD"
    with pytest.raises(FailedPrecondition) as raised:
        verify_strategy(spec, goog, evaluator=peeking)
    assert raised.value.violations[0][0] == "LOOKAHEAD"
    assert "intents.enter_long at bar" in raised.value.violations[0][1]


def late(spec: StrategySpec, data: Bars) -> Evaluation:
    """An evaluator whose indicator is undefined for longer than the spec's warm-up says."""
    honest = evaluate(spec, data)
    series = dict(honest.series)
    values = series[("slow", "value")].copy()
    values[: spec.warmup_bars + 3] = np.nan
    series[("slow", "value")] = values
    acting = honest.acting_rule.copy()
    acting[0] = 0
    return dataclasses.replace(honest, series=series, acting_rule=acting)


def test_an_indicator_longer_undefined_than_the_warm_up_is_caught(goog):
    spec = compile_graph(sma_cross().build())
    findings = find_warmup_problems(spec, late(spec, goog))
    assert [(finding.code, finding.what, finding.bar_index) for finding in findings] == [
        ("WARMUP", "series slow.value", spec.warmup_bars + 3),
        ("WARMUP", "rules", 0),
    ]


def test_prefixes_and_default_cut_points(goog):
    short = prefix(goog, 10)
    assert len(short) == 10
    assert short.close.tolist() == goog.close[:10].tolist()
    cuts = default_prefixes(len(goog), 20)
    assert len(cuts) == 5
    assert cuts[0] == 22
    assert cuts[-1] == len(goog) - 1
