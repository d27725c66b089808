"""What makes a signal publishable, every problem named by its field path at once.

A signal that reaches a subscriber, a webhook or a paper account has passed these checks, so
consumers never meet an unknown action, a confidence of 7 or a stop-loss above the target of a
buy. Prices and quantity use 0 for "not set" (the contract's proto3 convention); a negative or
non-finite number is always refused.
"""

from __future__ import annotations

import math

from alphintra.signalbus.v1 import signal_pb2
from services.core.errors import FieldViolation

MAX_ID_LENGTH = 128
MAX_SYMBOL_LENGTH = 64
MAX_METADATA_ENTRIES = 32
MAX_METADATA_ENTRY_BYTES = 1024

TRADING_ACTIONS = frozenset({signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL})
KNOWN_ACTIONS = frozenset(
    {signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_HOLD, signal_pb2.ACTION_CLOSE}
)
KNOWN_SOURCES = frozenset(signal_pb2.StrategySource.values())
KNOWN_ORDER_TYPES = frozenset(signal_pb2.OrderType.values())
KNOWN_TIMES_IN_FORCE = frozenset(signal_pb2.TimeInForce.values())
PRICED_ORDER_TYPES = frozenset(
    {signal_pb2.ORDER_TYPE_LIMIT, signal_pb2.ORDER_TYPE_STOP, signal_pb2.ORDER_TYPE_STOP_LIMIT}
)


def signal_violations(signal: signal_pb2.Signal, prefix: str = "signal") -> list[FieldViolation]:
    """Every reason `signal` cannot be published; empty when it can."""
    violations = _identity_violations(signal, prefix)
    violations += _number_violations(signal, prefix)
    violations += _price_side_violations(signal, prefix)
    violations += _metadata_violations(signal, prefix)
    violations += _execution_violations(signal, prefix)
    return violations


def _text(
    value: str, path: str, maximum: int, violations: list[FieldViolation], *, required: bool = True
) -> None:
    if required and not value.strip():
        violations.append(FieldViolation(path, "is required"))
    elif len(value) > maximum:
        violations.append(FieldViolation(path, f"at most {maximum} characters"))
    elif value != value.strip() or any(character in value for character in "\x00\n\r"):
        violations.append(FieldViolation(path, "no surrounding spaces or control characters"))


def _identity_violations(signal: signal_pb2.Signal, prefix: str) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    _text(signal.signal_id, f"{prefix}.signal_id", MAX_ID_LENGTH, violations)
    _text(signal.strategy_id, f"{prefix}.strategy_id", MAX_ID_LENGTH, violations)
    _text(signal.symbol, f"{prefix}.symbol", MAX_SYMBOL_LENGTH, violations)
    if signal.action not in KNOWN_ACTIONS:
        violations.append(FieldViolation(f"{prefix}.action", "must be BUY, SELL, HOLD or CLOSE"))
    if signal.strategy_source not in KNOWN_SOURCES:
        violations.append(
            FieldViolation(f"{prefix}.strategy_source", f"unknown value {signal.strategy_source}")
        )
    if signal.HasField("timestamp") and not 0 <= signal.timestamp.seconds < 253_402_300_800:
        violations.append(FieldViolation(f"{prefix}.timestamp", "must be between 1970 and 9999"))
    return violations


def _number_violations(signal: signal_pb2.Signal, prefix: str) -> list[FieldViolation]:
    violations = [
        FieldViolation(f"{prefix}.{name}", "must be in [0, 1]")
        for name, value in (("confidence", signal.confidence), ("risk_score", signal.risk_score))
        if not 0.0 <= value <= 1.0  # also refuses NaN
    ]
    for name in ("quantity", "price_target", "stop_loss", "take_profit"):
        value = getattr(signal, name)
        if not (math.isfinite(value) and value >= 0.0):
            violations.append(
                FieldViolation(f"{prefix}.{name}", "must be a finite positive number (0: not set)")
            )
    return violations


def _price_side_violations(signal: signal_pb2.Signal, prefix: str) -> list[FieldViolation]:
    """A stop-loss protects against the move opposite the trade, a take-profit takes the move with it."""
    if signal.action not in TRADING_ACTIONS:
        return []
    buying = signal.action == signal_pb2.ACTION_BUY
    reference = signal.price_target
    stop, target = signal.stop_loss, signal.take_profit
    violations: list[FieldViolation] = []
    if reference > 0 and stop > 0 and (stop >= reference if buying else stop <= reference):
        side = "below" if buying else "above"
        violations.append(
            FieldViolation(f"{prefix}.stop_loss", f"must be {side} price_target for a {_side(buying)}")
        )
    if reference > 0 and target > 0 and (target <= reference if buying else target >= reference):
        side = "above" if buying else "below"
        violations.append(
            FieldViolation(f"{prefix}.take_profit", f"must be {side} price_target for a {_side(buying)}")
        )
    if stop > 0 and target > 0 and (stop >= target if buying else stop <= target):
        side = "below" if buying else "above"
        violations.append(
            FieldViolation(f"{prefix}.stop_loss", f"must be {side} take_profit for a {_side(buying)}")
        )
    return violations


def _side(buying: bool) -> str:
    return "buy" if buying else "sell"


def _metadata_violations(signal: signal_pb2.Signal, prefix: str) -> list[FieldViolation]:
    if len(signal.metadata) > MAX_METADATA_ENTRIES:
        return [FieldViolation(f"{prefix}.metadata", f"at most {MAX_METADATA_ENTRIES} entries")]
    return [
        FieldViolation(
            f"{prefix}.metadata[{key!r}]", f"key and value at most {MAX_METADATA_ENTRY_BYTES} bytes"
        )
        for key, value in signal.metadata.items()
        if len(key.encode()) + len(value.encode()) > MAX_METADATA_ENTRY_BYTES
    ]


def _execution_violations(signal: signal_pb2.Signal, prefix: str) -> list[FieldViolation]:
    params = signal.execution_params
    path = f"{prefix}.execution_params"
    violations: list[FieldViolation] = []
    if params.order_type not in KNOWN_ORDER_TYPES:
        violations.append(FieldViolation(f"{path}.order_type", f"unknown value {params.order_type}"))
    elif params.order_type in PRICED_ORDER_TYPES and signal.price_target <= 0:
        name = signal_pb2.OrderType.Name(params.order_type)
        violations.append(FieldViolation(f"{prefix}.price_target", f"is required for {name} orders"))
    if params.time_in_force not in KNOWN_TIMES_IN_FORCE:
        violations.append(FieldViolation(f"{path}.time_in_force", f"unknown value {params.time_in_force}"))
    if not 0.0 <= params.max_slippage <= 1.0:
        violations.append(FieldViolation(f"{path}.max_slippage", "must be in [0, 1]"))
    return violations
