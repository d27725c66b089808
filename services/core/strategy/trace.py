"""Explain a strategy bar by bar: every node's value, every rule's outcome and why, position and equity.

    result = trace(spec, bars, config, start_index=None, max_bars=200)
    result.bars[0].rules[0].explanation  # "rsi_1.value (28.41) < 30 → true; executed: buy at the next open"

The strategy is evaluated and backtested on all the bars (so it warms up before the window); the
window starts at `start_index` (default: the first bar after the warm-up). A rule's outcome is
NOT_TRIGGERED (its condition was false), EXECUTED (it acted and the engine took the order) or
SUPPRESSED, with the reason: warm-up, overridden by a rule of higher priority, already long,
no position to close, short selling not allowed, drawdown halt, last bar, size rounds to zero.

A trace reads nothing after the bar that follows its window (`bars_needed`), so a caller with a
long stored history reads only up to there and gets the trace of the whole data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp

from alphintra.common.v1.bar_pb2 import Bar
from alphintra.strategy.v1.strategy_spec_pb2 import Rule, StrategySpec
from alphintra.workflow.v1.trace_pb2 import NodeValue, RuleEvaluation, RuleOutcome, TraceBar
from services.core.backtest import BacktestConfig, BacktestResult, Bars, ExitReason, FillTiming
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy.evaluator import Evaluation, evaluate, price_fields, run_evaluation
from services.core.strategy.explain import Context, explain

MAX_TRACE_BARS = 2000
DEFAULT_TRACE_BARS = 200

NOT_TRIGGERED = RuleOutcome.RULE_OUTCOME_NOT_TRIGGERED
EXECUTED = RuleOutcome.RULE_OUTCOME_EXECUTED
SUPPRESSED = RuleOutcome.RULE_OUTCOME_SUPPRESSED


@dataclass(frozen=True, slots=True)
class Trace:
    bars: list[TraceBar]
    truncated: bool  # the data continues past the last bar reported


@dataclass(frozen=True, slots=True)
class _Run:
    """The evaluation and backtest a trace reads, with what each bar's outcome needs."""

    spec: StrategySpec
    evaluation: Evaluation
    result: BacktestResult
    context: Context
    held: np.ndarray  # position when the bar's decision is taken (after that bar's stops)
    entries: frozenset[int]  # bars on which a position was opened


def window_bars(max_bars: int) -> int:
    """How many bars a trace reports for a requested `max_bars` (0: the default)."""
    count = max_bars or DEFAULT_TRACE_BARS
    if not 0 < count <= MAX_TRACE_BARS:
        raise InvalidArgument(
            "invalid trace window", [FieldViolation("max_bars", f"must be 0..{MAX_TRACE_BARS}")]
        )
    return count


def bars_needed(start_index: int, max_bars: int) -> int:
    """How many bars, from the first, the trace of the window at `start_index` depends on.

    Indicators, conditions and the backtest are causal, so later bars change nothing in the window
    but one: the bar after it, where an order decided on the window's last close fills at the open
    (and which keeps that close from being the data's last, where no order is placed and an open
    trade is closed). Tracing these bars gives the same window as tracing all of them.
    """
    return start_index + window_bars(max_bars) + 1


def trace(
    spec: StrategySpec,
    bars: Bars,
    config: BacktestConfig | None = None,
    *,
    start_index: int | None = None,
    max_bars: int = 0,
    node_ids: tuple[str, ...] = (),
) -> Trace:
    count = window_bars(max_bars)
    evaluation = evaluate(spec, bars)
    result = run_evaluation(evaluation, spec, config)
    start = spec.warmup_bars if start_index is None else start_index
    if not 0 <= start < len(bars):
        raise InvalidArgument("invalid trace window", [FieldViolation("start_time", "is after the last bar")])
    context = Context(price_fields(bars), evaluation.series, evaluation.conditions)
    run = _Run(spec, evaluation, result, context, _held(result), _entries(result))
    stop = min(len(bars), start + count)
    wanted = frozenset(node_ids)
    return Trace([_bar(run, index, wanted) for index in range(start, stop)], truncated=stop < len(bars))


def _bar(run: _Run, index: int, wanted: frozenset[str]) -> TraceBar:
    bars = run.evaluation.bars
    time = Timestamp()
    time.FromNanoseconds(int(bars.timestamps[index]))
    bar = Bar(
        symbol=run.spec.data_source.symbol,
        timeframe=run.spec.data_source.timeframe,
        time=time,
        open=float(bars.open[index]),
        high=float(bars.high[index]),
        low=float(bars.low[index]),
        close=float(bars.close[index]),
        volume=float(bars.volume[index]),
    )
    return TraceBar(
        bar_index=index,
        bar=bar,
        values=_values(run.evaluation, index, wanted),
        rules=[_rule(run, position, rule, index) for position, rule in enumerate(run.evaluation.rules)],
        position_size=float(run.result.position[index]),
        equity=float(run.result.equity[index]),
    )


def _values(evaluation: Evaluation, index: int, wanted: frozenset[str]) -> list[NodeValue]:
    values = []
    for (node_id, port), series in evaluation.series.items():
        if not wanted or node_id in wanted:
            number = float(series[index])
            values.append(NodeValue(node_id=node_id, port=port, number=number, ready=not np.isnan(number)))
    for node_id, (value, defined) in evaluation.conditions.items():
        if not wanted or node_id in wanted:
            values.append(
                NodeValue(node_id=node_id, port="result", flag=bool(value[index]), ready=bool(defined[index]))
            )
    return values


def _rule(run: _Run, position: int, rule: Rule, index: int) -> RuleEvaluation:
    evaluation = run.evaluation
    condition = next(node.condition for node in run.spec.conditions if node.node_id == rule.condition_node_id)
    words = explain(condition, index, run.context)
    true_now = bool(evaluation.conditions[rule.condition_node_id][0][index])
    acting = int(evaluation.acting_rule[index])
    if not true_now:
        outcome, reason = NOT_TRIGGERED, ""
    elif index < run.spec.warmup_bars:
        outcome, reason = SUPPRESSED, f"suppressed: warm-up ({run.spec.warmup_bars} bars)"
    elif acting != position:
        winner = evaluation.rules[acting]
        outcome, reason = (
            SUPPRESSED,
            f"suppressed: overridden by {winner.node_id} (priority {winner.priority})",
        )
    else:
        outcome, reason = _acted(run, index)
    explanation = f"{words}; {reason}" if reason else words
    return RuleEvaluation(
        rule_node_id=rule.node_id, action=rule.action, outcome=outcome, explanation=explanation
    )


def _acted(run: _Run, index: int) -> tuple[int, str]:
    """Whether the engine took the acting rule's order on this bar, and in words."""
    result, intents = run.result, run.evaluation.intents
    config = result.config
    next_open = config.fill_timing is FillTiming.NEXT_OPEN
    if result.halted_bar is not None and index >= result.halted_bar:
        return SUPPRESSED, "suppressed: drawdown halt"
    if next_open and index == len(run.evaluation.bars) - 1:
        return SUPPRESSED, "suppressed: last bar, no next open to fill at"
    held = float(run.held[index])
    when = "at the next open" if next_open else "at this close"
    if intents.exit_long[index]:
        return (EXECUTED, f"executed: close {when}") if held else (SUPPRESSED, "suppressed: no open position")
    if intents.enter_long[index]:
        return _entry(run, index, held, 1, when)
    if intents.enter_short[index]:
        return _entry(run, index, held, -1, when)
    return SUPPRESSED, "suppressed: no earlier buy or sell to reverse"


def _entry(run: _Run, index: int, held: float, side: int, when: str) -> tuple[int, str]:
    word = "long" if side > 0 else "short"
    if held * side > 0:
        return SUPPRESSED, f"suppressed: already {word}"
    shorting = run.result.config.allow_short
    if side < 0 and not shorting:
        return (
            (EXECUTED, f"executed: close the long {when}")
            if held
            else (
                SUPPRESSED,
                "suppressed: short selling is not allowed",
            )
        )
    fill_bar = index + 1 if run.result.config.fill_timing is FillTiming.NEXT_OPEN else index
    if fill_bar not in run.entries:
        if held:
            return EXECUTED, f"executed: close {when}; the new {word} position rounds to zero units"
        return SUPPRESSED, "suppressed: the position size rounds to zero units"
    action = "reverse to" if held else "go"
    return EXECUTED, f"executed: {action} {word} {when}"


def _held(result: BacktestResult) -> np.ndarray:
    """Signed position at decision time: with fills at the next open, the bar's closing position;
    with fills at this close, the previous bar's, less any stop, target or halt exit on this bar."""
    if result.config.fill_timing is FillTiming.NEXT_OPEN:
        return result.position
    held = np.concatenate(([0.0], result.position[:-1]))
    trades = result.trades
    for bar, reason in zip(trades.exit_bar, trades.exit_reason, strict=True):
        if reason != ExitReason.SIGNAL:
            held[bar] = 0.0
    return held


def _entries(result: BacktestResult) -> frozenset[int]:
    bars = {int(bar) for bar in result.trades.entry_bar}
    if result.open_position is not None:
        bars.add(result.open_position.entry_bar)
    return frozenset(bars)
