"""The vectorised evaluator: conditions, warm-up, rule priority, actions, and the backtest it drives."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from alphintra.common.v1.parameter_pb2 import ParameterValue
from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.backtest import (
    BacktestConfig,
    ExitReason,
    FillTiming,
    FixedQuantity,
    OppositeSignal,
    RiskPerTrade,
)
from services.core.errors import InvalidArgument
from services.core.strategy import signals
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.compiler import compile_graph
from services.core.strategy.engine_config import engine_config
from services.core.strategy.evaluator import backtest, evaluate
from services.core.strategy.spec_check import check_spec
from tests.unit.core.strategy.graphs import bars_from_closes, random_bars, sma_cross, threshold_graph

NAN = np.nan


def flags(*values: int) -> np.ndarray:
    return np.array(values, dtype=bool)


def test_comparisons_are_false_where_an_operand_is_undefined():
    value, defined = signals.compare(">", np.array([NAN, 2.0, 1.0]), np.array([1.0, 1.0, 1.0]))
    assert value.tolist() == [False, True, False]
    assert defined.tolist() == [False, True, True]


def test_crosses_read_the_previous_bar_and_count_touching_as_below():
    left = np.array([1.0, 2.0, 3.0, 3.0, 1.0])
    right = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    assert signals.compare("crosses_above", left, right)[0].tolist() == [False, False, True, False, False]
    assert signals.compare("crosses_below", left, right)[0].tolist() == [False, False, False, False, True]
    assert signals.compare("crosses_above", left, right)[1].tolist() == [False, True, True, True, True]


def test_between_and_trend():
    value = np.array([1.0, 2.0, 3.0, 2.0, 3.0, 4.0])
    assert signals.between(value, np.full(6, 2.0), np.full(6, 3.0), False)[0].tolist() == [0, 1, 1, 1, 1, 0]
    assert signals.between(value, np.full(6, 2.0), np.full(6, 3.0), True)[0].tolist() == [0, 0, 0, 0, 0, 0]
    rising, defined = signals.trend(value, 2, True)
    assert rising.tolist() == [False, False, True, False, False, True]
    assert defined.tolist() == [False, False, True, True, True, True]
    assert signals.trend(value, 1, False)[0].tolist() == [False, False, False, True, False, False]


def test_not_of_an_undefined_condition_stays_false():
    undefined = (flags(0, 0, 1), flags(0, 1, 1))
    assert signals.combine("not", [undefined])[0].tolist() == [False, True, False]
    both = signals.combine("and", [undefined, (flags(1, 1, 1), flags(1, 1, 1))])
    assert both[0].tolist() == [False, False, True]
    either = signals.combine("or", [undefined, (flags(1, 1, 1), flags(1, 1, 1))])
    assert either[0].tolist() == [False, True, True], "OR is false while an operand is undefined"


def test_rules_act_by_priority_and_the_rest_are_overridden():
    acting, enter_long, exit_long, enter_short, exit_short = signals.resolve_rules(
        ["close", "buy", "sell"], [flags(1, 0, 0, 1), flags(1, 1, 0, 0), flags(0, 1, 1, 0)], 4
    )
    assert acting.tolist() == [0, 1, 2, 0]
    assert enter_long.tolist() == [False, True, False, False]
    assert enter_short.tolist() == [False, False, True, False]
    assert (exit_long & exit_short).tolist() == [True, False, False, True]


def test_reverse_takes_the_side_opposite_the_latest_entry():
    acting, enter_long, _, enter_short, _ = signals.resolve_rules(
        ["reverse", "buy", "close"],
        [flags(1, 0, 1, 1, 0, 1), flags(0, 1, 0, 0, 0, 0), flags(0, 0, 0, 0, 1, 0)],
        6,
    )
    assert acting.tolist() == [0, 1, 0, 0, 2, 0]
    assert enter_short.tolist() == [False, False, True, False, False, True]
    assert enter_long.tolist() == [False, True, False, True, False, False]


def test_threshold_rules_on_bars():
    bars = bars_from_closes([100, 106, 107, 94, 93, 101])
    graph = threshold_graph(("buy", ">", 105.0, "buy", 0), ("sell", "<", 95.0, "sell", 0))
    evaluation = evaluate(compile_graph(graph), bars)
    assert evaluation.intents.enter_long.tolist() == [False, True, True, False, False, False]
    assert evaluation.intents.enter_short.tolist() == [False, False, False, True, True, False]
    assert [rule.node_id for rule in evaluation.rules] == ["buy", "sell"]


def test_nothing_triggers_during_the_warm_up():
    graph = (
        GraphBuilder()
        .node("data", "dataSource")
        .node("sma", "technicalIndicator", period=4)
        .node("below", "condition", operator="<")
        .node("not_below", "logic", operator="not")
        .node("buy", "action")
        .connect("data.bars", "sma.bars")
        .connect("data.close", "below.left")
        .connect("sma.value", "below.right")
        .connect("below.result", "not_below.inputs")
        .connect("not_below.result", "buy.signal")
        .build()
    )
    spec = compile_graph(graph)
    evaluation = evaluate(spec, bars_from_closes([10, 11, 12, 13, 14, 15]))
    assert spec.warmup_bars == 3
    assert evaluation.conditions["not_below"][1].tolist() == [False, False, False, True, True, True]
    assert evaluation.intents.enter_long.tolist() == [False, False, False, True, True, True]
    assert np.isnan(evaluation.series[("sma", "value")][:3]).all()


def test_the_backtest_uses_the_spec_risk_and_the_callers_costs():
    spec = compile_graph(sma_cross(stop_loss_percent=1.0, take_profit_percent=3.0).build())
    config = engine_config(spec, BacktestConfig(initial_cash=5000.0, commission=0.001, allow_short=False))
    assert (config.initial_cash, config.commission, config.allow_short) == (5000.0, 0.001, False)
    assert (config.stop_loss, config.take_profit, config.trailing_stop) == (0.01, 0.03, None)
    assert config.on_opposite_signal is OppositeSignal.REVERSE
    result = backtest(spec, random_bars(400, 3), BacktestConfig(commission=0.001))
    reasons = set(result.trades.exit_reason.tolist())
    assert {ExitReason.STOP_LOSS, ExitReason.TAKE_PROFIT} <= reasons
    assert result.metrics.trade_count == len(result.trades) > 0


def test_sizing_reaches_the_engine():
    assert engine_config(compile_graph(sma_cross(sizing="fixed_quantity", quantity=2.0).build())).sizing == (
        FixedQuantity(2.0)
    )
    spec = compile_graph(sma_cross(sizing="risk_per_trade", risk_percent=1.0, atr_multiplier=2.0).build())
    assert engine_config(spec).sizing == RiskPerTrade(0.01, 2.0)
    evaluation = evaluate(spec, random_bars(120, 5))
    assert evaluation.intents.atr is not None
    assert np.isnan(evaluation.intents.atr[:14]).all()
    result = backtest(spec, random_bars(120, 5), BacktestConfig(quantity_step=0.0))
    assert len(result.trades) > 0


def test_entries_on_the_last_bar_and_fills_at_the_close():
    bars = bars_from_closes([100, 100, 100, 106])
    spec = compile_graph(threshold_graph(("buy", ">", 105.0, "buy", 0)))
    assert backtest(spec, bars).metrics.trade_count == 0
    result = backtest(
        spec, bars_from_closes([100, 106, 107, 108]), BacktestConfig(fill_timing=FillTiming.THIS_CLOSE)
    )
    assert result.trades.entry_bar.tolist() == [1]


def test_too_few_bars_for_the_warm_up():
    spec = compile_graph(sma_cross().build())
    with pytest.raises(InvalidArgument, match="not enough bars"):
        backtest(spec, bars_from_closes([1, 2, 3, 4, 5]))


def mutated(change: Callable[[StrategySpec], object]) -> StrategySpec:
    spec = compile_graph(sma_cross().build())
    change(spec)
    return spec


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda spec: setattr(spec, "spec_version", "2"), "spec_version"),
        (
            lambda spec: setattr(spec.conditions[0].condition.comparison.left, "offset_bars", -1),
            "comparison.left",
        ),
        (
            lambda spec: setattr(spec.conditions[0].condition.comparison.left.series, "port", "upper"),
            "comparison.left",
        ),
        (lambda spec: setattr(spec.indicators[0], "indicator", "ALCHEMY"), "indicators[fast].indicator"),
        (
            lambda spec: spec.indicators[0].parameters["period"].CopyFrom(ParameterValue(integer=1)),
            "indicators[fast].parameters.period",
        ),
        (lambda spec: setattr(spec.rules[0], "condition_node_id", "ghost"), "rules[buy]"),
        (lambda spec: setattr(spec.rules[0], "action", 0), "rules[buy].action"),
        (lambda spec: setattr(spec, "warmup_bars", 2), "warmup_bars"),
        (lambda spec: setattr(spec.risk, "stop_loss_fraction", 1.5), "risk.stop_loss_fraction"),
        (lambda spec: setattr(spec.rules[0].sizing, "fixed_quantity", 2.0), "rules"),
    ],
    ids=[
        "version",
        "lookahead",
        "unknown-port",
        "unknown-indicator",
        "bad-parameter",
        "unknown-condition",
        "no-action",
        "short-warmup",
        "bad-risk",
        "two-sizings",
    ],
)
def test_the_spec_check_refuses_what_cannot_be_evaluated(change, field):
    with pytest.raises(InvalidArgument) as raised:
        check_spec(mutated(change))
    assert any(field in violation.field for violation in raised.value.violations), raised.value.violations


def test_a_condition_may_only_reference_an_earlier_condition():
    spec = compile_graph(sma_cross().build())
    spec.conditions[0].condition.Clear()
    spec.conditions[0].condition.condition_node_id = spec.conditions[1].node_id
    with pytest.raises(InvalidArgument):
        check_spec(spec)
