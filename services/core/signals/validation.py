"""What makes a signal publishable, every problem named by its field path at once.

A signal that reaches a subscriber, a webhook or a paper account has passed these checks, so
consumers never meet an unknown action, a confidence of 7 or a stop-loss above the target of a
buy. Prices and quantity use 0 for "not set" (the contract's proto3 convention); a negative or
non-finite number is always refused.
"""

from __future__ import annotations

import math
import re

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
_PRICED_FIELDS = ("quantity", "price_target", "stop_loss", "take_profit")
_CONTROL = re.compile("[\x00\n\r]")
PRICED_ORDER_TYPES = frozenset(
    {signal_pb2.ORDER_TYPE_LIMIT, signal_pb2.ORDER_TYPE_STOP, signal_pb2.ORDER_TYPE_STOP_LIMIT}
)


def signal_violations(signal: signal_pb2.Signal, prefix: str = "signal") -> list[FieldViolation]:
    """Every reason `signal` cannot be published; empty when it can.

    This runs once per published signal, so a valid signal costs no string formatting: field paths
    are built only for the violations found."""
    violations: list[FieldViolation] = []
    _identity_violations(signal, prefix, violations)
    _number_violations(signal, prefix, violations)
    if signal.action in TRADING_ACTIONS and (signal.stop_loss or signal.take_profit):
        violations += _price_side_violations(signal, prefix)
    if signal.metadata:
        _metadata_violations(signal, prefix, violations)
    if signal.HasField("execution_params"):
        _execution_violations(signal, prefix, violations)
    return violations


def _text(value: str, prefix: str, name: str, maximum: int, violations: list[FieldViolation]) -> None:
    """A required text: not blank, at most `maximum` characters, trimmed, no NUL or line breaks."""
    trimmed = 0 < len(value) <= maximum and not (value[0].isspace() or value[-1].isspace())
    # the common case: a printable text has no control characters (the search is for the rest)
    if trimmed and (value.isprintable() or _CONTROL.search(value) is None):
        return
    if not value.strip():
        violations.append(FieldViolation(f"{prefix}.{name}", "is required"))
    elif len(value) > maximum:
        violations.append(FieldViolation(f"{prefix}.{name}", f"at most {maximum} characters"))
    else:
        violations.append(FieldViolation(f"{prefix}.{name}", "no surrounding spaces or control characters"))


def _identity_violations(signal: signal_pb2.Signal, prefix: str, violations: list[FieldViolation]) -> None:
    _text(signal.signal_id, prefix, "signal_id", MAX_ID_LENGTH, violations)
    _text(signal.strategy_id, prefix, "strategy_id", MAX_ID_LENGTH, violations)
    _text(signal.symbol, prefix, "symbol", MAX_SYMBOL_LENGTH, violations)
    if signal.action not in KNOWN_ACTIONS:
        violations.append(FieldViolation(f"{prefix}.action", "must be BUY, SELL, HOLD or CLOSE"))
    if signal.strategy_source not in KNOWN_SOURCES:
        violations.append(
            FieldViolation(f"{prefix}.strategy_source", f"unknown value {signal.strategy_source}")
        )
    if signal.HasField("timestamp") and not 0 <= signal.timestamp.seconds < 253_402_300_800:
        violations.append(FieldViolation(f"{prefix}.timestamp", "must be between 1970 and 9999"))


def _number_violations(signal: signal_pb2.Signal, prefix: str, violations: list[FieldViolation]) -> None:
    confidence, risk_score = signal.confidence, signal.risk_score
    if not 0.0 <= confidence <= 1.0:  # also refuses NaN
        violations.append(FieldViolation(f"{prefix}.confidence", "must be in [0, 1]"))
    if not 0.0 <= risk_score <= 1.0:
        violations.append(FieldViolation(f"{prefix}.risk_score", "must be in [0, 1]"))
    values = quantity, price_target, stop_loss, take_profit = (
        signal.quantity,
        signal.price_target,
        signal.stop_loss,
        signal.take_profit,
    )
    inf = math.inf
    # refuses NaN, infinities and negatives; spelt out, as a generator costs more than the checks
    if (
        0.0 <= quantity < inf
        and 0.0 <= price_target < inf
        and 0.0 <= stop_loss < inf
        and 0.0 <= take_profit < inf
    ):
        return
    for name, value in zip(_PRICED_FIELDS, values, strict=True):
        if not (math.isfinite(value) and value >= 0.0):
            violations.append(
                FieldViolation(f"{prefix}.{name}", "must be a finite positive number (0: not set)")
            )


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


def _metadata_violations(signal: signal_pb2.Signal, prefix: str, violations: list[FieldViolation]) -> None:
    if len(signal.metadata) > MAX_METADATA_ENTRIES:
        violations.append(FieldViolation(f"{prefix}.metadata", f"at most {MAX_METADATA_ENTRIES} entries"))
        return
    if signal.ByteSize() <= MAX_METADATA_ENTRY_BYTES:
        return  # no entry can be longer than the whole signal (one size call instead of a walk)
    for key, value in signal.metadata.items():
        # a character is at most 4 bytes in UTF-8: short entries need no encoding to be measured
        if (len(key) + len(value)) * 4 > MAX_METADATA_ENTRY_BYTES and (
            len(key.encode()) + len(value.encode()) > MAX_METADATA_ENTRY_BYTES
        ):
            violations.append(
                FieldViolation(
                    f"{prefix}.metadata[{key!r}]", f"key and value at most {MAX_METADATA_ENTRY_BYTES} bytes"
                )
            )


def _execution_violations(signal: signal_pb2.Signal, prefix: str, violations: list[FieldViolation]) -> None:
    params = signal.execution_params
    path = f"{prefix}.execution_params"
    if params.order_type not in KNOWN_ORDER_TYPES:
        violations.append(FieldViolation(f"{path}.order_type", f"unknown value {params.order_type}"))
    elif params.order_type in PRICED_ORDER_TYPES and signal.price_target <= 0:
        name = signal_pb2.OrderType.Name(params.order_type)
        violations.append(FieldViolation(f"{prefix}.price_target", f"is required for {name} orders"))
    if params.time_in_force not in KNOWN_TIMES_IN_FORCE:
        violations.append(FieldViolation(f"{path}.time_in_force", f"unknown value {params.time_in_force}"))
    if not 0.0 <= params.max_slippage <= 1.0:
        violations.append(FieldViolation(f"{path}.max_slippage", "must be in [0, 1]"))
