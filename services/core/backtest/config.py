"""How a backtest trades: cash, costs, fill timing, sizing, stops and halts, as one frozen value.

A config is checked when it is built, so a bad one never reaches the simulation; every problem
is reported at once as an InvalidArgument whose field violations name the config field.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from services.core.errors import FieldViolation, InvalidArgument


class FillTiming(enum.Enum):
    """When a market order decided on a bar's close is filled."""

    NEXT_OPEN = "next_open"  # at the next bar's open: no look-ahead, the default
    THIS_CLOSE = "this_close"  # at the close the decision was made on (backtesting.py trade_on_close)


class OppositeSignal(enum.Enum):
    """What an entry signal in the other direction does to an open trade."""

    REVERSE = "reverse"  # close the open trade and open the opposite one
    EXIT_ONLY = "exit_only"  # close the open trade only; a later signal may open the opposite one


@dataclass(frozen=True, slots=True)
class FractionOfEquity:
    """Spend this fraction of equity (after entry commission and slippage) on each entry."""

    fraction: float = 1.0


@dataclass(frozen=True, slots=True)
class FixedQuantity:
    """Trade this many units on each entry (capped by max exposure)."""

    quantity: float


@dataclass(frozen=True, slots=True)
class RiskPerTrade:
    """Risk this fraction of equity per trade: units = risk × equity / (ATR × atr_multiplier).

    The ATR is the caller's array (Intents.atr), read on the bar the entry was decided on.
    """

    risk_fraction: float
    atr_multiplier: float = 1.0


Sizing = FractionOfEquity | FixedQuantity | RiskPerTrade


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestConfig:
    """Everything about a backtest that is not the data or the strategy's intents.

    Fractions are plain fractions: commission 0.002 is 0.2 % of the traded value.
    """

    initial_cash: float = 10_000.0
    commission: float = 0.0  # fraction of traded value, charged on entry and on exit
    slippage: float = 0.0  # fraction of price, against the trader on market and stop fills
    fill_timing: FillTiming = FillTiming.NEXT_OPEN
    allow_short: bool = True
    quantity_step: float = 1.0  # sizes are multiples of this: 1 whole units, 1e-8 satoshis, 0 any
    sizing: Sizing = field(default_factory=FractionOfEquity)
    stop_loss: float | None = None  # fraction of the entry price
    take_profit: float | None = None  # fraction of the entry price
    trailing_stop: float | None = None  # fraction below the best price since entry (above, for shorts)
    max_exposure: float = 1.0  # the position's value at entry is at most this fraction of equity
    max_drawdown_halt: float | None = None  # stop trading once equity is this fraction below its peak
    on_opposite_signal: OppositeSignal = OppositeSignal.REVERSE
    close_at_end: bool = True  # close a trade still open at the last bar's close (END_OF_DATA)
    risk_free_rate: float = 0.0  # annual, for Sharpe, Sortino and alpha

    def __post_init__(self) -> None:
        violations = list(_violations(self))
        if violations:
            raise InvalidArgument("invalid backtest config", violations)


def _violations(config: BacktestConfig) -> list[FieldViolation]:
    checks: list[tuple[str, float | None, float, float, bool]] = [
        # (field, value, low, high, low bound inclusive); None values are optional and skipped
        ("initial_cash", config.initial_cash, 0.0, math.inf, False),
        ("commission", config.commission, 0.0, 1.0, True),
        ("slippage", config.slippage, 0.0, 1.0, True),
        ("quantity_step", config.quantity_step, 0.0, math.inf, True),
        ("stop_loss", config.stop_loss, 0.0, 1.0, False),
        ("take_profit", config.take_profit, 0.0, math.inf, False),
        ("trailing_stop", config.trailing_stop, 0.0, 1.0, False),
        ("max_exposure", config.max_exposure, 0.0, math.inf, False),
        ("max_drawdown_halt", config.max_drawdown_halt, 0.0, 1.0, False),
        ("risk_free_rate", config.risk_free_rate, -1.0, 1.0, False),
    ]
    violations = [
        FieldViolation(name, _range_text(low, high, inclusive))
        for name, value, low, high, inclusive in checks
        if value is not None and not _within(value, low, high, inclusive)
    ]
    violations.extend(_sizing_violations(config.sizing))
    if not isinstance(config.fill_timing, FillTiming):
        violations.append(FieldViolation("fill_timing", "must be NEXT_OPEN or THIS_CLOSE"))
    if not isinstance(config.on_opposite_signal, OppositeSignal):
        violations.append(FieldViolation("on_opposite_signal", "must be REVERSE or EXIT_ONLY"))
    return violations


def _sizing_violations(sizing: Sizing) -> list[FieldViolation]:
    if isinstance(sizing, FractionOfEquity):
        values = [("sizing.fraction", sizing.fraction)]
    elif isinstance(sizing, FixedQuantity):
        values = [("sizing.quantity", sizing.quantity)]
    elif isinstance(sizing, RiskPerTrade):
        values = [
            ("sizing.risk_fraction", sizing.risk_fraction),
            ("sizing.atr_multiplier", sizing.atr_multiplier),
        ]
    else:
        return [FieldViolation("sizing", "must be FractionOfEquity, FixedQuantity or RiskPerTrade")]
    return [
        FieldViolation(name, "must be a finite number > 0")
        for name, value in values
        if not _within(value, 0.0, math.inf, False)
    ]


def _within(value: float, low: float, high: float, inclusive: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    above = value >= low if inclusive else value > low
    return above and value < high


def _range_text(low: float, high: float, inclusive: bool) -> str:
    lower = f"{'≥' if inclusive else '>'} {low:g}"
    return f"must be a finite number {lower}" + ("" if math.isinf(high) else f" and < {high:g}")
