"""Runtime proofs that a strategy does not peek at the future and warms up as long as it claims.

Look-ahead (after freqtrade's lookahead analysis): evaluating on a prefix of the bars must give,
on that prefix, exactly what evaluating on all the bars gives: the same indicator values, the
same conditions, the same decisions. A strategy that read bar t+1 at bar t would change its past
decisions once more data arrived, and this comparison shows where.

Warm-up (after freqtrade's recursive analysis): every indicator output must be defined from the
spec's `warmup_bars` on, and nothing may be decided before it.

    verify_strategy(spec, bars)    # raises FailedPrecondition naming the first differing bar
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.backtest import Bars
from services.core.errors import FailedPrecondition
from services.core.strategy.evaluator import Evaluation, evaluate

Evaluate = Callable[[StrategySpec, Bars], Evaluation]
INTENT_FLAGS = ("enter_long", "exit_long", "enter_short", "exit_short")


@dataclass(frozen=True, slots=True)
class Finding:
    """One series that differs, or is undefined, where it should not be."""

    code: str  # LOOKAHEAD or WARMUP
    what: str  # e.g. "series rsi_1.value", "condition up", "intents.enter_long"
    bar_index: int
    detail: str


def find_lookahead(
    spec: StrategySpec, bars: Bars, *, prefixes: Sequence[int] | None = None, evaluator: Evaluate = evaluate
) -> list[Finding]:
    """Differences between each prefix's evaluation and the full one, on the prefix."""
    full = evaluator(spec, bars)
    findings = []
    for length in prefixes if prefixes is not None else default_prefixes(len(bars), spec.warmup_bars):
        part = evaluator(spec, prefix(bars, length))
        findings.extend(_differences(full, part, length))
    return findings


def find_warmup_problems(spec: StrategySpec, evaluation: Evaluation) -> list[Finding]:
    """Outputs still undefined at the warm-up bar, and decisions taken before it."""
    warmup = spec.warmup_bars
    findings = []
    if len(evaluation.bars) > warmup:
        for (node_id, port), values in evaluation.series.items():
            defined = np.flatnonzero(~np.isnan(values))
            if defined.size and defined[0] > warmup:
                detail = f"first defined at bar {defined[0]}, after the warm-up of {warmup} bars"
                findings.append(Finding("WARMUP", f"series {node_id}.{port}", int(defined[0]), detail))
    early = np.flatnonzero(evaluation.acting_rule[:warmup] >= 0)
    if early.size:
        findings.append(Finding("WARMUP", "rules", int(early[0]), "a rule acted during the warm-up"))
    return findings


def verify_strategy(spec: StrategySpec, bars: Bars, *, evaluator: Evaluate = evaluate) -> None:
    """Raise FailedPrecondition when the strategy looks ahead or warms up for less than it claims."""
    findings = [
        *find_lookahead(spec, bars, evaluator=evaluator),
        *find_warmup_problems(spec, evaluator(spec, bars)),
    ]
    if findings:
        raise FailedPrecondition(
            f"the strategy fails its {findings[0].code.lower()} check",
            [(item.code, f"{item.what} at bar {item.bar_index}", item.detail) for item in findings[:20]],
        )


def default_prefixes(bar_count: int, warmup: int) -> list[int]:
    """Five cut points spread over the bars after the warm-up (each leaves at least two bars)."""
    first = min(max(warmup + 2, 2), bar_count)
    return (
        sorted({int(value) for value in np.linspace(first, bar_count - 1, 5)} - {bar_count})
        if bar_count > 2
        else []
    )


def prefix(bars: Bars, length: int) -> Bars:
    return Bars(
        open=bars.open[:length],
        high=bars.high[:length],
        low=bars.low[:length],
        close=bars.close[:length],
        volume=bars.volume[:length],
        timestamps=bars.timestamps[:length],
    )


def _differences(full: Evaluation, part: Evaluation, length: int) -> list[Finding]:
    pairs = [
        *(
            (f"series {node_id}.{port}", values, part.series[(node_id, port)])
            for (node_id, port), values in full.series.items()
        ),
        *(
            (f"condition {node_id}", value, part.conditions[node_id][0])
            for node_id, (value, _) in full.conditions.items()
        ),
        *(
            (f"intents.{name}", getattr(full.intents, name), getattr(part.intents, name))
            for name in INTENT_FLAGS
        ),
        ("acting rule", full.acting_rule, part.acting_rule),
    ]
    findings = []
    for what, whole, partial in pairs:
        differs = np.flatnonzero(~_same(whole[:length], partial))
        if differs.size:
            detail = f"evaluated on the first {length} bars it differs from the evaluation on all bars"
            findings.append(Finding("LOOKAHEAD", what, int(differs[0]), detail))
    return findings


def _same(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    if first.dtype.kind == "f":
        return (first == second) | (np.isnan(first) & np.isnan(second))
    return first == second
