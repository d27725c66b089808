"""The backtest engine's configuration for a spec: the caller's costs and cash, the spec's risk.

What the strategy decides (stops, targets, trailing stop, sizing, exposure cap, drawdown halt)
comes from the spec; what the market and account decide (cash, commission, slippage, fill
timing, shorting, unit step, risk-free rate) from the caller's BacktestConfig. A risk control
the spec leaves at 0 (off) keeps the caller's value. An opposite entry reverses the position,
which is what BUY on a short (and SELL on a long, where shorting is allowed) means.
"""

from __future__ import annotations

import dataclasses

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.backtest import BacktestConfig, OppositeSignal
from services.core.strategy.sizing import effective_sizing, engine_sizing


def engine_config(spec: StrategySpec, base: BacktestConfig | None = None) -> BacktestConfig:
    base = base or BacktestConfig()
    risk = spec.risk
    sizing = effective_sizing(spec)
    return dataclasses.replace(
        base,
        sizing=base.sizing if sizing is None else engine_sizing(sizing)[0],
        stop_loss=risk.stop_loss_fraction or base.stop_loss,
        take_profit=risk.take_profit_fraction or base.take_profit,
        trailing_stop=risk.trailing_stop_fraction or base.trailing_stop,
        max_exposure=risk.max_exposure_fraction or base.max_exposure,
        max_drawdown_halt=risk.max_drawdown_halt_fraction or base.max_drawdown_halt,
        on_opposite_signal=OppositeSignal.REVERSE,
    )


def atr_period(spec: StrategySpec) -> int:
    """The ATR look-back risk-per-trade sizing reads (0 when sizing does not read one)."""
    sizing = effective_sizing(spec)
    return 0 if sizing is None else engine_sizing(sizing)[1]
