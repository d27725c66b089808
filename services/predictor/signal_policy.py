"""How a deployment turns scores (or a strategy's decision) into signals: pure rules, no I/O.

A classifier's score is the probability of its last ("up") class, a regressor's its value. The
deployment's thresholds make the action (BUY at or above `buy`, SELL at or below `sell`, HOLD in
between, published only when asked); an ensemble averages its members' scores by weight, or lets
them vote (weights as votes, ties HOLD). The confidence of a classifier's signal is the
probability of the side it takes; a regressor has no probability, so its confidence is 1 once a
threshold is crossed. Stop-loss and take-profit sit at the deployment's (or the strategy's risk
nodes') fractions from the bar's close; `SymbolGate` applies cooldown and repeat suppression.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from alphintra.signalbus.v1 import signal_pb2

BUY, SELL, HOLD, CLOSE = (
    signal_pb2.ACTION_BUY,
    signal_pb2.ACTION_SELL,
    signal_pb2.ACTION_HOLD,
    signal_pb2.ACTION_CLOSE,
)
DEFAULT_BUY_THRESHOLD = 0.6
DEFAULT_SELL_THRESHOLD = 0.4
# vote totals this close are a tie: 0.1 + 0.2 against 0.3 is one in intent, not in binary floating point
TIE_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Thresholds:
    buy: float = DEFAULT_BUY_THRESHOLD
    sell: float = DEFAULT_SELL_THRESHOLD
    publish_hold: bool = False
    suppress_repeats: bool = False


@dataclass(frozen=True, slots=True)
class Risk:
    quantity: float = 0.0
    stop_loss_fraction: float = 0.0
    take_profit_fraction: float = 0.0
    cooldown_bars: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    action: int
    confidence: float


def action_for(score: float, thresholds: Thresholds) -> int:
    if score >= thresholds.buy:
        return BUY
    if score <= thresholds.sell:
        return SELL
    return HOLD


def decide(score: float, thresholds: Thresholds, *, probability: bool) -> Decision:
    action = action_for(score, thresholds)
    if not probability:
        return Decision(action, 1.0 if action != HOLD else 0.0)
    confidence = {BUY: score, SELL: 1.0 - score}.get(action, 1.0 - abs(2.0 * score - 1.0))
    return Decision(action, min(1.0, max(0.0, confidence)))


def weighted_average(scores: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    return sum(score * weight for score, weight in zip(scores, weights, strict=True)) / total


def majority_vote(decisions: Sequence[Decision], weights: Sequence[float]) -> Decision:
    """The action with the most weight; a tie between the leaders is HOLD. Confidence: its weight share."""
    votes: dict[int, float] = {}
    for decision, weight in zip(decisions, weights, strict=True):
        votes[decision.action] = votes.get(decision.action, 0.0) + weight
    ranked = sorted(votes.items(), key=lambda item: item[1], reverse=True)
    total = sum(weights)
    if len(ranked) > 1 and math.isclose(ranked[0][1], ranked[1][1], rel_tol=TIE_RELATIVE_TOLERANCE):
        return Decision(HOLD, ranked[0][1] / total)
    return Decision(ranked[0][0], ranked[0][1] / total)


def risk_prices(action: int, close: float, risk: Risk) -> tuple[float, float]:
    """(stop_loss, take_profit) for a trade at `close`; 0 where unset or not a trade."""
    if action not in (BUY, SELL) or close <= 0:
        return 0.0, 0.0
    direction = 1.0 if action == BUY else -1.0
    stop = close * (1.0 - direction * risk.stop_loss_fraction) if risk.stop_loss_fraction else 0.0
    take = close * (1.0 + direction * risk.take_profit_fraction) if risk.take_profit_fraction else 0.0
    return max(stop, 0.0), max(take, 0.0)


class SymbolGate:
    """Per symbol: which decisions become signals (HOLD publishing, repeats, cooldown)."""

    def __init__(self, thresholds: Thresholds, risk: Risk) -> None:
        self._thresholds = thresholds
        self._cooldown = risk.cooldown_bars
        self._last_action: int | None = None
        self._bars_since_signal: int | None = None

    def bar(self) -> None:
        """A bar passed (call once per bar, before `admits`)."""
        if self._bars_since_signal is not None:
            self._bars_since_signal += 1

    def admits(self, action: int) -> bool:
        if action == HOLD and not self._thresholds.publish_hold:
            return False
        if self._thresholds.suppress_repeats and action == self._last_action:
            return False
        return not (self._bars_since_signal is not None and self._bars_since_signal <= self._cooldown)

    def published(self, action: int) -> None:
        self._last_action = action
        self._bars_since_signal = 0
