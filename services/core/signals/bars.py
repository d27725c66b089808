"""What makes a published bar acceptable on a bar topic: a named timeframe and consistent OHLCV.

Bars feed paper accounts and deployments' features; one with high below its close would fill
orders at prices that never traded, so it is refused at the door, every problem named at once.
"""

from __future__ import annotations

import math

from alphintra.common.v1 import bar_pb2
from services.core.errors import FieldViolation
from services.core.signals.validation import MAX_SYMBOL_LENGTH

TIMEFRAME_SECONDS = {
    bar_pb2.TIMEFRAME_1_MINUTE: 60,
    bar_pb2.TIMEFRAME_5_MINUTES: 300,
    bar_pb2.TIMEFRAME_15_MINUTES: 900,
    bar_pb2.TIMEFRAME_30_MINUTES: 1800,
    bar_pb2.TIMEFRAME_1_HOUR: 3600,
    bar_pb2.TIMEFRAME_4_HOURS: 14_400,
    bar_pb2.TIMEFRAME_1_DAY: 86_400,
    bar_pb2.TIMEFRAME_1_WEEK: 604_800,
}


def timeframe_violations(timeframe: int, path: str) -> list[FieldViolation]:
    if timeframe not in TIMEFRAME_SECONDS:
        return [FieldViolation(path, "must be a named timeframe (TIMEFRAME_1_MINUTE ... TIMEFRAME_1_WEEK)")]
    return []


def bar_violations(bar: bar_pb2.Bar, prefix: str = "bar") -> list[FieldViolation]:
    """Every reason `bar` cannot be published; empty when it can."""
    violations = timeframe_violations(bar.timeframe, f"{prefix}.timeframe")
    if not bar.symbol.strip():
        violations.append(FieldViolation(f"{prefix}.symbol", "is required"))
    elif len(bar.symbol) > MAX_SYMBOL_LENGTH or bar.symbol != bar.symbol.strip() or "/" in bar.symbol:
        violations.append(
            FieldViolation(
                f"{prefix}.symbol", f"at most {MAX_SYMBOL_LENGTH} characters, no spaces around, no '/'"
            )
        )
    if not bar.HasField("time") or bar.time.seconds <= 0:
        violations.append(FieldViolation(f"{prefix}.time", "is required"))
    prices = {"open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close}
    bad_prices = [name for name, value in prices.items() if not (math.isfinite(value) and value > 0)]
    violations += [FieldViolation(f"{prefix}.{name}", "must be a finite price > 0") for name in bad_prices]
    if not bad_prices:
        if bar.high < max(bar.open, bar.close):
            violations.append(FieldViolation(f"{prefix}.high", "must be ≥ open and close"))
        if bar.low > min(bar.open, bar.close):
            violations.append(FieldViolation(f"{prefix}.low", "must be ≤ open and close"))
    if not (math.isfinite(bar.volume) and bar.volume >= 0):
        violations.append(FieldViolation(f"{prefix}.volume", "must be a finite number ≥ 0"))
    return violations
