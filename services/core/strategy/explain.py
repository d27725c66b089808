"""Conditions in words, with the values they saw on one bar: "rsi_1.value (28.41) < 30 → true".

The words come from the spec (node ids, ports, enums), never from labels, and values are
formatted numbers, so an explanation is safe to show anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import Condition, Operand
from services.core.strategy import signals
from services.core.strategy.evaluator import Series, condition_signal, operand_values
from services.core.strategy.vocabulary import COMPARISON_WORDS, LOGIC_WORDS, PRICE_WORDS, TREND_WORDS


@dataclass(frozen=True, slots=True)
class Context:
    """What the explanations read: the evaluation's arrays, and those derived from them once."""

    prices: dict[str, np.ndarray]
    series: Series
    conditions: dict[str, signals.Signal]
    _cache: dict[bytes, object] = field(default_factory=dict)

    def values(self, operand: Operand) -> np.ndarray:
        key = b"o" + operand.SerializeToString(deterministic=True)
        if key not in self._cache:
            self._cache[key] = operand_values(operand, self.prices, self.series)
        return self._cache[key]

    def signal(self, condition: Condition) -> signals.Signal:
        key = b"c" + condition.SerializeToString(deterministic=True)
        if key not in self._cache:
            self._cache[key] = condition_signal(condition, self.prices, self.series, self.conditions)
        return self._cache[key]


def explain(condition: Condition, bar: int, context: Context) -> str:
    """The condition with its operand values on `bar`, and its truth."""
    return f"{_statement(condition, bar, context)} → {_truth(context.signal(condition), bar)}"


def number(value: float) -> str:
    if math.isnan(value):
        return "no value yet"
    return f"{value:.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4g}"


def operand_name(operand: Operand) -> str:
    kind = operand.WhichOneof("value")
    if kind == "constant":
        return f"{operand.constant:g}"
    name = (
        PRICE_WORDS[operand.price] if kind == "price" else f"{operand.series.node_id}.{operand.series.port}"
    )
    if operand.offset_bars:
        name += f" {operand.offset_bars} bar{'s' if operand.offset_bars > 1 else ''} ago"
    return name


def _operand(operand: Operand, bar: int, context: Context) -> str:
    if operand.WhichOneof("value") == "constant":
        return operand_name(operand)
    value = context.values(operand)[bar]
    return f"{operand_name(operand)} ({number(float(value))})"


def _statement(condition: Condition, bar: int, context: Context) -> str:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        item = condition.comparison
        operator = COMPARISON_WORDS[item.operator].replace("_", " ")
        left, right = _operand(item.left, bar, context), _operand(item.right, bar, context)
        text = f"{left} {operator} {right}"
        if "crosses" in operator and bar > 0:
            before = f"{_operand(item.left, bar - 1, context)} vs {_operand(item.right, bar - 1, context)}"
            text += f" (previous bar: {before})"
        return text
    if kind == "between":
        item = condition.between
        word = "strictly between" if item.exclusive else "between"
        return (
            f"{_operand(item.value, bar, context)} {word} {_operand(item.lower, bar, context)} "
            f"and {_operand(item.upper, bar, context)}"
        )
    if kind == "trend":
        item = condition.trend
        return f"{_operand(item.value, bar, context)} {TREND_WORDS[item.direction]} over {item.bars} bar(s)"
    if kind == "logic":
        return _logic(condition, bar, context)
    return f"{condition.condition_node_id} ({_truth(context.conditions[condition.condition_node_id], bar)})"


def _logic(condition: Condition, bar: int, context: Context) -> str:
    word = LOGIC_WORDS[condition.logic.operator]
    parts = [_part(operand, bar, context) for operand in condition.logic.operands]
    return f"not {parts[0]}" if word == "not" else f" {word} ".join(parts)


def _part(condition: Condition, bar: int, context: Context) -> str:
    if condition.WhichOneof("kind") == "condition_node_id":
        return _statement(condition, bar, context)
    return f"({_statement(condition, bar, context)} → {_truth(context.signal(condition), bar)})"


def _truth(signal: signals.Signal, bar: int) -> str:
    value, defined = signal
    if not defined[bar]:
        return "false (not defined yet)"
    return "true" if value[bar] else "false"
