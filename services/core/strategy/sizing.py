"""The one position sizing a compiled strategy trades with, and its form for the backtest engine.

The spec may size per rule (`Rule.sizing`) or strategy-wide (`risk.position_sizing`), but the
engine, like an account, sizes every entry the same way; so every entry rule must come to the
same sizing, which the compiler guarantees and this module re-checks for hand-written specs.
"""

from __future__ import annotations

from alphintra.strategy.v1.strategy_spec_pb2 import PositionSizing, RuleAction, StrategySpec
from services.core.backtest import FixedQuantity, FractionOfEquity, RiskPerTrade, Sizing
from services.core.errors import FieldViolation, InvalidArgument

ENTRY_ACTIONS = (RuleAction.RULE_ACTION_BUY, RuleAction.RULE_ACTION_SELL, RuleAction.RULE_ACTION_REVERSE)


def effective_sizing(spec: StrategySpec) -> PositionSizing | None:
    """The sizing of every entry rule (None: the default, all of equity)."""
    fallback = spec.risk.position_sizing if spec.risk.HasField("position_sizing") else None
    chosen: dict[bytes, PositionSizing | None] = {}
    for rule in spec.rules:
        if rule.action in ENTRY_ACTIONS:
            sizing = rule.sizing if rule.HasField("sizing") else fallback
            key = b"" if sizing is None else sizing.SerializeToString(deterministic=True)
            chosen.setdefault(key, sizing)
    if len(chosen) > 1:
        raise InvalidArgument(
            "invalid strategy spec",
            [FieldViolation("rules", "entry rules size positions differently; a strategy has one sizing")],
        )
    return next(iter(chosen.values()), fallback)


def engine_sizing(sizing: PositionSizing) -> tuple[Sizing, int]:
    """The engine's sizing and, for risk per trade, the ATR period it reads (else 0)."""
    method = sizing.WhichOneof("method")
    if method == "fixed_quantity":
        return FixedQuantity(sizing.fixed_quantity), 0
    if method == "risk_per_trade":
        risk = sizing.risk_per_trade
        return RiskPerTrade(risk.risk_fraction, risk.atr_multiplier), risk.atr_period
    return FractionOfEquity(sizing.fraction_of_equity if method else 1.0), 0
