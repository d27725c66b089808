"""Evaluate a StrategySpec one bar at a time, as a live deployment sees bars.

    evaluator = StreamingEvaluator(spec)
    for bar in bars:
        decision = evaluator.update(bar.open, bar.high, bar.low, bar.close, bar.volume)
        if decision.acting_rule: publish(decision)

It decides exactly what `evaluate` decides on the same bars (a property test proves it on
random strategies and bars): the indicators' streaming objects equal their vectorised forms to
the bit, and the conditions and rule resolution below restate `signals.py` for one bar, reading
earlier values from short histories instead of shifted arrays.

A deployment that restarts keeps its place with `snapshot()` / `restore()` (and
`services.core.features.state_codec` for bytes), as a feature pipeline does: restoring a snapshot
into an evaluator of the same spec and feeding it the next bars decides what the original would.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alphintra.strategy.v1.strategy_spec_pb2 import Condition, Operand, StrategySpec
from services.core.indicators import StreamingIndicator, stream
from services.core.strategy import signals
from services.core.strategy.engine_config import atr_period
from services.core.strategy.evaluator import acting_order
from services.core.strategy.parameters import to_python
from services.core.strategy.spec_check import check_spec
from services.core.strategy.vocabulary import (
    ACTION_WORDS,
    COMPARISON_WORDS,
    LOGIC_WORDS,
    PRICE_WORDS,
    TREND_WORDS,
)

# (value, defined) on one bar
Flag = tuple[bool, bool]
# an operand's value `extra` bars further back than it reads
Reader = Callable[[int], float]


@dataclass(frozen=True, slots=True)
class BarDecision:
    """What the strategy decided on one bar's close (intents as the backtest engine takes them)."""

    bar_index: int
    acting_rule: str  # node id of the rule that acted, "" when none did
    enter_long: bool
    exit_long: bool
    enter_short: bool
    exit_short: bool
    atr: float  # for risk-per-trade sizing; NaN when the sizing reads none


@dataclass(frozen=True, slots=True, eq=False)
class EvaluatorState:
    """An independent copy of an evaluator's state (restore it into an evaluator of the same spec)."""

    bar_index: int  # of the latest bar consumed, -1 before the first
    side: int  # of the latest entry, for REVERSE: 1 long, -1 short, 0 none yet
    indicators: dict[str, StreamingIndicator]
    atr: StreamingIndicator | None
    # (indicator node id or "" for a bar field, port or field) → its latest values, newest last
    history: dict[tuple[str, str], deque[float]]


class StreamingEvaluator:
    def __init__(self, spec: StrategySpec) -> None:
        check_spec(spec)
        self._spec = spec
        self._rules = acting_order(spec)
        self._actions = [ACTION_WORDS[rule.action] for rule in self._rules]
        self._depth = _history_depth(spec)
        self.reset()

    def reset(self) -> None:
        """Forget every bar: the evaluator then behaves exactly as a new one."""
        self._bar = -1
        self._side = 0
        self._indicators: dict[str, StreamingIndicator] = {
            node.node_id: stream(
                node.indicator.lower(), **{name: to_python(value) for name, value in node.parameters.items()}
            )
            for node in self._spec.indicators
        }
        period = atr_period(self._spec)
        self._atr = stream("atr", period=period) if period else None
        self._history: dict[tuple[str, str], deque[float]] = {}
        self._values: dict[str, Flag] = {}
        self._conditions: dict[str, Callable[[], Flag]] = {}
        for node in self._spec.conditions:
            self._conditions[node.node_id] = self._condition(node.condition)

    def snapshot(self) -> EvaluatorState:
        return EvaluatorState(
            bar_index=self._bar,
            side=self._side,
            indicators=copy.deepcopy(self._indicators),
            atr=copy.deepcopy(self._atr),
            history=copy.deepcopy(self._history),
        )

    def restore(self, state: EvaluatorState) -> None:
        """Continue from `state`; ValueError (and nothing changed) when it is another strategy's."""
        if (
            state.indicators.keys() != self._indicators.keys()
            or (state.atr is None) != (self._atr is None)
            or any(values.maxlen != self._depth for values in state.history.values())
            or state.bar_index < -1
            or state.side not in (-1, 0, 1)
        ):
            raise ValueError("the snapshot belongs to an evaluator of another strategy")
        self._bar = state.bar_index
        self._side = state.side
        self._indicators = copy.deepcopy(state.indicators)
        self._atr = copy.deepcopy(state.atr)
        self._history = copy.deepcopy(state.history)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> BarDecision:
        """Consume one bar and decide on its close."""
        self._bar += 1
        fields = {"open": open, "high": high, "low": low, "close": close, "volume": volume}
        fields["median"] = (high + low) / 2.0
        fields["typical"] = (high + low + close) / 3.0
        for name, value in fields.items():
            self._record(("", name), value)
        for node in self._spec.indicators:
            outputs = self._indicators[node.node_id].update(open, high, low, close, volume)
            for port, value in zip(node.outputs, outputs, strict=True):
                self._record((node.node_id, port), value)
        self._values.clear()
        for node_id, condition in self._conditions.items():
            self._values[node_id] = condition()  # in spec order: a reference reads an earlier entry
        atr = self._atr.update(open, high, low, close, volume)[0] if self._atr is not None else math.nan
        return self._decide(self._values, atr)

    def _decide(self, values: dict[str, Flag], atr: float) -> BarDecision:
        flags = {"enter_long": False, "exit_long": False, "enter_short": False, "exit_short": False}
        acting = ""
        if self._bar >= self._spec.warmup_bars:
            for rule, action in zip(self._rules, self._actions, strict=True):
                if values[rule.condition_node_id][0]:
                    acting = rule.node_id
                    self._apply(action, flags)
                    break
        return BarDecision(self._bar, acting, atr=atr, **flags)

    def _apply(self, action: str, flags: dict[str, bool]) -> None:
        if action == signals.BUY:
            self._side = 1
            flags["enter_long"] = True
        elif action == signals.SELL:
            self._side = -1
            flags["enter_short"] = True
        elif action == signals.CLOSE:
            flags["exit_long"] = flags["exit_short"] = True
        elif self._side != 0:
            self._side = -self._side
            flags["enter_long" if self._side > 0 else "enter_short"] = True

    def _record(self, key: tuple[str, str], value: float) -> None:
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = deque(maxlen=self._depth)
        history.append(value)

    def _reader(self, operand: Operand) -> Reader:
        kind = operand.WhichOneof("value")
        if kind == "constant":
            constant = operand.constant
            return lambda extra: constant if self._bar >= extra else math.nan
        key = (
            ("", PRICE_WORDS[operand.price])
            if kind == "price"
            else (operand.series.node_id, operand.series.port)
        )
        offset = operand.offset_bars

        def read(extra: int) -> float:
            history = self._history[key]
            back = offset + extra
            return history[-1 - back] if back < len(history) else math.nan

        return read

    def _condition(self, condition: Condition) -> Callable[[], Flag]:
        kind = condition.WhichOneof("kind")
        if kind == "comparison":
            item = condition.comparison
            return _comparison(
                COMPARISON_WORDS[item.operator], self._reader(item.left), self._reader(item.right)
            )
        if kind == "between":
            item = condition.between
            readers = (self._reader(item.value), self._reader(item.lower), self._reader(item.upper))
            return _between(*readers, exclusive=item.exclusive)
        if kind == "trend":
            item = condition.trend
            return _trend(self._reader(item.value), item.bars, rising=TREND_WORDS[item.direction] == "rising")
        if kind == "logic":
            operands = [self._condition(operand) for operand in condition.logic.operands]
            return _combine(LOGIC_WORDS[condition.logic.operator], operands)
        referenced = condition.condition_node_id
        return lambda: self._values[referenced]


def _comparison(operator: str, left: Reader, right: Reader) -> Callable[[], Flag]:
    def evaluate() -> Flag:
        now_left, now_right = left(0), right(0)
        defined = not math.isnan(now_left) and not math.isnan(now_right)
        if operator == ">":
            value = now_left > now_right
        elif operator == "<":
            value = now_left < now_right
        elif operator == ">=":
            value = now_left >= now_right
        elif operator == "<=":
            value = now_left <= now_right
        else:
            before_left, before_right = left(1), right(1)
            defined = defined and not math.isnan(before_left) and not math.isnan(before_right)
            if operator == "crosses_above":
                value = now_left > now_right and before_left <= before_right
            else:
                value = now_left < now_right and before_left >= before_right
        return value and defined, defined

    return evaluate


def _between(value: Reader, lower: Reader, upper: Reader, *, exclusive: bool) -> Callable[[], Flag]:
    def evaluate() -> Flag:
        now, low, high = value(0), lower(0), upper(0)
        defined = not (math.isnan(now) or math.isnan(low) or math.isnan(high))
        inside = (low < now < high) if exclusive else (low <= now <= high)
        return inside and defined, defined

    return evaluate


def _trend(values: Reader, bars: int, *, rising: bool) -> Callable[[], Flag]:
    def evaluate() -> Flag:
        defined = not math.isnan(values(0))
        result = True
        for step in range(bars):
            newer, older = values(step), values(step + 1)
            defined = defined and not math.isnan(older)
            result = result and ((newer > older) if rising else (newer < older))
        return result and defined, defined

    return evaluate


def _combine(operator: str, operands: list[Callable[[], Flag]]) -> Callable[[], Flag]:
    def evaluate() -> Flag:
        flags = [operand() for operand in operands]
        defined = all(item[1] for item in flags)
        if operator == "not":
            return (not flags[0][0]) and defined, defined
        combined = all(item[0] for item in flags) if operator == "and" else any(item[0] for item in flags)
        return combined and defined, defined

    return evaluate


def _history_depth(spec: StrategySpec) -> int:
    """Values each series keeps: enough for the deepest read (offset + a cross's or trend's look-back)."""
    deepest = 0
    for node in spec.conditions:
        deepest = max(deepest, _condition_depth(node.condition))
    return deepest + 1


def _condition_depth(condition: Condition) -> int:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        item = condition.comparison
        return max(item.left.offset_bars, item.right.offset_bars) + 1
    if kind == "between":
        item = condition.between
        return max(item.value.offset_bars, item.lower.offset_bars, item.upper.offset_bars)
    if kind == "trend":
        return condition.trend.value.offset_bars + condition.trend.bars
    if kind == "logic":
        return max((_condition_depth(operand) for operand in condition.logic.operands), default=0)
    return 0
