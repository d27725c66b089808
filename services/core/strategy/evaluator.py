"""Evaluate a StrategySpec on whole series: indicator values, conditions, rule decisions, intents.

    evaluation = evaluate(spec, bars)          # every series and decision, per bar
    result = backtest(spec, bars, config)      # the engine's BacktestResult

Semantics, per bar t (all decided on the bar's close):
- indicators: the registry's vectorised functions on the bar fields;
- operands: a series, a price field or a constant, read `offset_bars` back;
- conditions: as `signals.py` (false while an operand is undefined);
- rules: before `warmup_bars` nothing triggers; afterwards the triggered rule with the lowest
  (priority, position in the spec) acts and the others are overridden; BUY → enter long, SELL →
  enter short, CLOSE → exit both sides, REVERSE → the side opposite the latest entry;
- the engine then fills, sizes, stops and halts per its own rules (see `engine_config`).
Nothing the user typed runs: the spec is data, read by this fixed code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import Condition, Operand, Rule, StrategySpec
from services.core.backtest import BacktestConfig, BacktestResult, Bars, Intents, run_backtest
from services.core.errors import FieldViolation, InvalidArgument
from services.core.indicators import compute
from services.core.strategy import signals
from services.core.strategy.engine_config import atr_period, engine_config
from services.core.strategy.parameters import to_python
from services.core.strategy.spec_check import check_spec
from services.core.strategy.vocabulary import (
    ACTION_WORDS,
    COMPARISON_WORDS,
    LOGIC_WORDS,
    PRICE_WORDS,
    TREND_WORDS,
)

Series = dict[tuple[str, str], np.ndarray]


@dataclass(frozen=True, slots=True, eq=False)
class Evaluation:
    """Everything a spec computes on some bars; the arrays have one element per bar."""

    bars: Bars
    series: Series  # (indicator node id, output port) → values, NaN while warming up
    conditions: dict[str, signals.Signal]  # condition node id → (value, defined)
    rules: tuple[Rule, ...]  # in acting order: (priority, position in the spec)
    triggers: tuple[np.ndarray, ...]  # per rule: its condition is true and the warm-up is over
    acting_rule: np.ndarray  # per bar: index into `rules` of the rule that acted, or -1
    intents: Intents


def evaluate(spec: StrategySpec, bars: Bars) -> Evaluation:
    check_spec(spec)
    count = len(bars)
    prices = price_fields(bars)
    series: Series = {}
    for node in spec.indicators:
        parameters = {name: to_python(value) for name, value in node.parameters.items()}
        for port, values in compute(node.indicator.lower(), prices, **parameters).items():
            series[(node.node_id, port)] = values
    conditions: dict[str, signals.Signal] = {}
    for node in spec.conditions:
        conditions[node.node_id] = condition_signal(node.condition, prices, series, conditions)
    rules = acting_order(spec)
    after_warmup = np.arange(count) >= spec.warmup_bars
    triggers = tuple(conditions[rule.condition_node_id][0] & after_warmup for rule in rules)
    acting, enter_long, exit_long, enter_short, exit_short = signals.resolve_rules(
        [ACTION_WORDS[rule.action] for rule in rules], list(triggers), count
    )
    period = atr_period(spec)
    intents = Intents(
        enter_long=enter_long,
        exit_long=exit_long,
        enter_short=enter_short,
        exit_short=exit_short,
        atr=compute("atr", prices, period=period)["value"] if period else None,
        warmup_bars=spec.warmup_bars,
    )
    return Evaluation(bars, series, conditions, tuple(rules), triggers, acting, intents)


def backtest(spec: StrategySpec, bars: Bars, config: BacktestConfig | None = None) -> BacktestResult:
    """The spec's intents run through the backtest engine with the spec's risk settings."""
    return run_evaluation(evaluate(spec, bars), spec, config)


def run_evaluation(
    evaluation: Evaluation, spec: StrategySpec, config: BacktestConfig | None
) -> BacktestResult:
    bars = evaluation.bars
    if len(bars) <= spec.warmup_bars:
        raise InvalidArgument(
            "not enough bars",
            [
                FieldViolation(
                    "bars",
                    f"{len(bars)} bars; the strategy needs more than its {spec.warmup_bars} warm-up bars",
                )
            ],
        )
    return run_backtest(bars, evaluation.intents, engine_config(spec, config))


def acting_order(spec: StrategySpec) -> list[Rule]:
    """Rules by ascending priority, ties in the spec's order."""
    ranked = sorted(enumerate(spec.rules), key=lambda item: (item[1].priority, item[0]))
    return [rule for _, rule in ranked]


def price_fields(bars: Bars) -> dict[str, np.ndarray]:
    """The bar fields by name, with the derived median and typical prices."""
    return {
        "open": bars.open,
        "high": bars.high,
        "low": bars.low,
        "close": bars.close,
        "volume": bars.volume,
        "median": signals.median_price(bars.high, bars.low),
        "typical": signals.typical_price(bars.high, bars.low, bars.close),
    }


def operand_values(operand: Operand, prices: dict[str, np.ndarray], series: Series) -> np.ndarray:
    kind = operand.WhichOneof("value")
    if kind == "constant":
        return np.full(prices["close"].shape[0], operand.constant)
    if kind == "price":
        values = prices[PRICE_WORDS[operand.price]]
    else:
        values = series[(operand.series.node_id, operand.series.port)]
    return signals.lagged(values, operand.offset_bars) if operand.offset_bars else values


def condition_signal(
    condition: Condition, prices: dict[str, np.ndarray], series: Series, conditions: dict[str, signals.Signal]
) -> signals.Signal:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        item = condition.comparison
        left, right = (operand_values(operand, prices, series) for operand in (item.left, item.right))
        return signals.compare(COMPARISON_WORDS[item.operator], left, right)
    if kind == "between":
        item = condition.between
        value, lower, upper = (
            operand_values(operand, prices, series) for operand in (item.value, item.lower, item.upper)
        )
        return signals.between(value, lower, upper, item.exclusive)
    if kind == "trend":
        item = condition.trend
        rising = TREND_WORDS[item.direction] == "rising"
        return signals.trend(operand_values(item.value, prices, series), item.bars, rising)
    if kind == "logic":
        operands = [
            condition_signal(operand, prices, series, conditions) for operand in condition.logic.operands
        ]
        return signals.combine(LOGIC_WORDS[condition.logic.operator], operands)
    return conditions[condition.condition_node_id]
