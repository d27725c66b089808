"""The trace: each bar's values, each rule's outcome with its reason, position and equity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alphintra.strategy.v1.strategy_spec_pb2 import RuleAction
from alphintra.workflow.v1.trace_pb2 import RuleOutcome
from services.core.backtest import BacktestConfig, FillTiming
from services.core.backtest.inputs import Bars
from services.core.errors import InvalidArgument
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.compiler import compile_graph
from services.core.strategy.evaluator import backtest
from services.core.strategy.templates import get_template, list_templates
from services.core.strategy.trace import bars_needed, trace, window_bars
from tests.unit.core.strategy.graphs import bars_from_closes, threshold_graph

EXECUTED = RuleOutcome.RULE_OUTCOME_EXECUTED
SUPPRESSED = RuleOutcome.RULE_OUTCOME_SUPPRESSED
NOT_TRIGGERED = RuleOutcome.RULE_OUTCOME_NOT_TRIGGERED

CLOSES = [100, 106, 107, 108, 94, 93, 98, 101, 100, 106]


@pytest.fixture
def story():
    spec = compile_graph(
        threshold_graph(
            ("buy", ">", 105.0, "buy", 1),
            ("exit", "<", 95.0, "close", 0),
            ("dip", "<", 100.0, "sell", 2),
        )
    )
    bars = bars_from_closes(CLOSES)
    config = BacktestConfig(allow_short=False)
    return spec, bars, config, trace(spec, bars, config, start_index=0)


def outcomes(result, rule_node_id: str) -> list[tuple[int, str]]:
    found = []
    for bar in result.bars:
        rule = next(rule for rule in bar.rules if rule.rule_node_id == rule_node_id)
        found.append(
            (rule.outcome, rule.explanation.split("; ", 1)[-1] if rule.outcome != NOT_TRIGGERED else "")
        )
    return found


def test_each_rule_says_what_happened_and_why(story):
    _, _, _, result = story
    assert outcomes(result, "buy") == [
        (NOT_TRIGGERED, ""),
        (EXECUTED, "executed: go long at the next open"),
        (SUPPRESSED, "suppressed: already long"),
        (SUPPRESSED, "suppressed: already long"),
        *[(NOT_TRIGGERED, "")] * 5,
        (SUPPRESSED, "suppressed: last bar, no next open to fill at"),
    ]
    assert outcomes(result, "exit")[4:6] == [
        (EXECUTED, "executed: close at the next open"),
        (SUPPRESSED, "suppressed: no open position"),
    ]
    assert outcomes(result, "dip")[4:7] == [
        (SUPPRESSED, "suppressed: overridden by exit (priority 0)"),
        (SUPPRESSED, "suppressed: overridden by exit (priority 0)"),
        (SUPPRESSED, "suppressed: short selling is not allowed"),
    ]


def test_explanations_show_the_operands_values(story):
    _, _, _, result = story
    bar = result.bars[1]
    buy = next(rule for rule in bar.rules if rule.rule_node_id == "buy")
    assert buy.explanation == "close (106.00) > 105 → true; executed: go long at the next open"
    assert buy.action == RuleAction.RULE_ACTION_BUY
    exit_rule = next(rule for rule in bar.rules if rule.rule_node_id == "exit")
    assert exit_rule.explanation == "close (106.00) < 95 → false"


def test_rules_are_listed_in_priority_order(story):
    _, _, _, result = story
    assert [rule.rule_node_id for rule in result.bars[0].rules] == ["exit", "buy", "dip"]


def test_position_and_equity_are_the_backtests(story):
    spec, bars, config, result = story
    expected = backtest(spec, bars, config)
    assert [bar.position_size for bar in result.bars] == expected.position.tolist()
    assert [bar.equity for bar in result.bars] == expected.equity.tolist()
    assert result.bars[2].position_size > 0


def test_bars_and_condition_values(story):
    _, bars, _, result = story
    first = result.bars[1]
    assert first.bar_index == 1
    assert first.bar.close == 106.0
    assert first.bar.high == bars.high[1]
    assert first.bar.time.ToNanoseconds() == int(bars.timestamps[1])
    values = {(value.node_id, value.port): value for value in first.values}
    assert values[("buy_if", "result")].flag is True
    assert values[("buy_if", "result")].ready is True


def test_the_warm_up_suppresses_and_indicators_are_not_ready():
    graph = (
        GraphBuilder()
        .node("data", "dataSource")
        .node("sma", "technicalIndicator", period=4)
        .node("always", "condition", operator=">", threshold=0.0)
        .node("above", "condition", operator=">")
        .node("buy", "action", action="buy")
        .node("sell", "action", action="sell")
        .connect("data.bars", "sma.bars")
        .connect("data.close", "always.left")
        .connect("data.close", "above.left")
        .connect("sma.value", "above.right")
        .connect("always.result", "buy.signal")
        .connect("above.result", "sell.signal")
        .build()
    )
    spec = compile_graph(graph)
    result = trace(spec, bars_from_closes(CLOSES), start_index=0, max_bars=4)
    buy = [next(rule for rule in bar.rules if rule.rule_node_id == "buy") for bar in result.bars]
    assert [rule.outcome for rule in buy[:3]] == [SUPPRESSED] * 3
    assert buy[0].explanation.endswith("suppressed: warm-up (3 bars)")
    assert buy[3].outcome == EXECUTED
    sma = [next(value for value in bar.values if value.node_id == "sma") for bar in result.bars]
    assert [value.ready for value in sma] == [False, False, False, True]
    assert math.isnan(sma[0].number)
    above = next(rule for rule in result.bars[0].rules if rule.rule_node_id == "sell")
    assert above.explanation == "close (100.00) > sma.value (no value yet) → false (not defined yet)"


def test_the_window_defaults_to_the_first_bar_after_the_warm_up(goog):
    spec = compile_graph(get_template("macd_adx_trend").graph)
    result = trace(spec, goog, max_bars=30, node_ids=("adx",))
    assert [bar.bar_index for bar in result.bars] == list(range(spec.warmup_bars, spec.warmup_bars + 30))
    assert result.truncated
    assert {value.node_id for bar in result.bars for value in bar.values} == {"adx"}
    assert {value.port for value in result.bars[0].values} == {"adx", "plus_di", "minus_di"}
    end = trace(spec, goog, start_index=len(goog) - 5)
    assert len(end.bars) == 5
    assert not end.truncated


def test_crosses_and_logic_explain_their_parts(goog):
    spec = compile_graph(get_template("macd_adx_trend").graph)
    result = trace(spec, goog, max_bars=2000)
    executed = [
        rule.explanation
        for bar in result.bars
        for rule in bar.rules
        if rule.rule_node_id == "buy" and rule.outcome == EXECUTED
    ]
    assert executed
    assert executed[0].startswith("macd_up (true) and trending (true) → true; executed: go long")


def test_fills_at_the_close_are_explained_as_such(goog):
    spec = compile_graph(get_template("sma_crossover").graph)
    config = BacktestConfig(fill_timing=FillTiming.THIS_CLOSE)
    result = trace(spec, goog, config, max_bars=2000)
    executed = [rule.explanation for bar in result.bars for rule in bar.rules if rule.outcome == EXECUTED]
    assert executed
    assert all("at this close" in explanation for explanation in executed)
    crossing = executed[0]
    assert "sma_fast.value (" in crossing
    assert "crosses above sma_slow.value" in crossing or "crosses below sma_slow.value" in crossing
    assert "(previous bar: sma_fast.value (" in crossing
    expected = backtest(spec, goog, config)
    np.testing.assert_array_equal([bar.position_size for bar in result.bars], expected.position[20:2020])


@pytest.mark.parametrize(("start_index", "max_bars"), [(0, 2001), (0, -1), (99, 10)])
def test_windows_out_of_range_are_refused(start_index, max_bars):
    spec = compile_graph(threshold_graph(("buy", ">", 105.0, "buy", 0)))
    with pytest.raises(InvalidArgument):
        trace(spec, bars_from_closes(CLOSES), start_index=start_index, max_bars=max_bars)


def _first(bars: Bars, count: int) -> Bars:
    return Bars(
        open=bars.open[:count],
        high=bars.high[:count],
        low=bars.low[:count],
        close=bars.close[:count],
        volume=bars.volume[:count],
        timestamps=bars.timestamps[:count],
    )


@pytest.mark.parametrize("template", [template.id for template in list_templates()])
@pytest.mark.parametrize(
    "config",
    [
        BacktestConfig(allow_short=True),
        BacktestConfig(fill_timing=FillTiming.THIS_CLOSE),
        BacktestConfig(allow_short=True, max_drawdown_halt=0.05),
    ],
    ids=["next-open", "this-close", "halt"],
)
def test_a_trace_of_the_bars_it_needs_equals_the_trace_of_all_of_them(goog, template, config):
    spec = compile_graph(get_template(template).graph)
    for start_index, max_bars in [
        (None, 0),
        (400, 50),
        (1000, 2000),
        (len(goog) - 40, 30),
        (len(goog) - 5, 10),
    ]:
        start = spec.warmup_bars if start_index is None else start_index
        needed = bars_needed(start, max_bars)
        whole = trace(spec, goog, config, start_index=start_index, max_bars=max_bars)
        part = trace(spec, _first(goog, needed), config, start_index=start_index, max_bars=max_bars)
        assert part == whole, (template, start_index, max_bars)


def test_without_the_bar_after_the_window_its_last_order_would_not_fill(goog):
    spec = compile_graph(get_template("sma_crossover").graph)
    whole = trace(spec, goog, max_bars=2000)
    acted = next(bar.bar_index for bar in whole.bars if any(rule.outcome == EXECUTED for rule in bar.rules))
    start, count = acted - 9, 10
    assert bars_needed(start, count) == acted + 2
    short = trace(spec, _first(goog, acted + 1), start_index=start, max_bars=count)
    enough = trace(spec, _first(goog, acted + 2), start_index=start, max_bars=count)
    assert enough.bars[-1] == trace(spec, goog, start_index=start, max_bars=count).bars[-1]
    last_rules = {rule.outcome for rule in short.bars[-1].rules}
    assert EXECUTED not in last_rules


def test_the_window_is_the_default_or_at_most_the_maximum():
    assert window_bars(0) == 200
    assert window_bars(2000) == 2000
    with pytest.raises(InvalidArgument):
        window_bars(2001)
