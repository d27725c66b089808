"""Run one backtest: check the inputs, run the compiled kernel, build the result from its arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.core.backtest import kernel
from services.core.backtest.config import (
    BacktestConfig,
    FillTiming,
    FixedQuantity,
    FractionOfEquity,
    OppositeSignal,
    RiskPerTrade,
)
from services.core.backtest.drawdown import drawdown_curves
from services.core.backtest.inputs import Bars, Intents, KernelIntents, prepare_intents
from services.core.backtest.metrics import Metrics, metric_table
from services.core.backtest.runs import Runs
from services.core.backtest.trades import Side, Trades
from services.core.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A trade left open at the end (config.close_at_end=False), marked to the last close."""

    side: Side
    size: float
    entry_bar: int
    entry_time: int  # ns
    entry_price: float
    unrealized_pnl: float  # before the exit commission, which was never paid


@dataclass(frozen=True, slots=True, eq=False)
class BacktestResult:
    """Trades, per-bar curves and metrics of one backtest.

    `equity` is cash plus the position's value at each close; `drawdown` is 1 − equity / its
    running peak; `cash` and `position` (signed units) are as at each close.
    """

    config: BacktestConfig
    timestamps: np.ndarray
    equity: np.ndarray
    drawdown: np.ndarray
    cash: np.ndarray
    position: np.ndarray
    trades: Trades
    open_position: OpenPosition | None
    halted_bar: int | None  # the bar whose close triggered a drawdown halt
    metrics: Metrics

    def curves_frame(self) -> pd.DataFrame:
        """Equity, drawdown, cash and position per bar, indexed by time."""
        return pd.DataFrame(
            {"equity": self.equity, "drawdown": self.drawdown, "cash": self.cash, "position": self.position},
            index=pd.to_datetime(self.timestamps, unit="ns"),
        )


def run_backtest(bars: Bars, intents: Intents, config: BacktestConfig | None = None) -> BacktestResult:
    """Simulate `intents` on `bars` under `config` (defaults: BacktestConfig())."""
    config = config or BacktestConfig()
    prepared = prepare_intents(intents, len(bars))
    check_sizing_inputs(config, prepared)
    parameters = kernel_parameters(config, prepared)
    equity, cash, position, trade_matrix, state = simulate(bars, prepared, parameters)
    trades = Trades.from_matrix(trade_matrix, bars.timestamps)
    drawdown = drawdown_curves(equity)
    runs = Runs(
        equity=equity[np.newaxis, :],
        drawdowns=drawdown[np.newaxis, :],
        trades=trades,
        trade_run=np.zeros(len(trades), dtype=np.int64),
        warmup_bars=np.array([prepared.warmup_bars]),
    )
    table = metric_table(runs, bars=bars, risk_free_rate=config.risk_free_rate)
    halt_bar = int(state[kernel.S_HALT_BAR])
    return BacktestResult(
        config=config,
        timestamps=bars.timestamps,
        equity=equity,
        drawdown=drawdown,
        cash=cash,
        position=position,
        trades=trades,
        open_position=_open_position(state, bars),
        halted_bar=halt_bar if halt_bar >= 0 else None,
        metrics=Metrics.from_table(table),
    )


def simulate(
    bars: Bars, intents: KernelIntents, parameters: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kernel on these arrays: (equity, cash, position, trade matrix, final state)."""
    return kernel.simulate(
        bars.open,
        bars.high,
        bars.low,
        bars.close,
        intents.enter_long,
        intents.exit_long,
        intents.enter_short,
        intents.exit_short,
        intents.stop_loss_price,
        intents.take_profit_price,
        intents.stop_loss_fraction,
        intents.take_profit_fraction,
        intents.atr,
        parameters,
    )


def kernel_parameters(config: BacktestConfig, intents: KernelIntents) -> np.ndarray:
    """The config as the kernel's parameter array (unset fractions as NaN)."""
    parameters = np.full(kernel.PARAMETER_COUNT, np.nan)
    parameters[kernel.P_INITIAL_CASH] = config.initial_cash
    parameters[kernel.P_COMMISSION] = config.commission
    parameters[kernel.P_SLIPPAGE] = config.slippage
    parameters[kernel.P_FILL_ON_CLOSE] = float(config.fill_timing is FillTiming.THIS_CLOSE)
    parameters[kernel.P_ALLOW_SHORT] = float(config.allow_short)
    parameters[kernel.P_QUANTITY_STEP] = config.quantity_step
    parameters[kernel.P_MAX_EXPOSURE] = config.max_exposure
    parameters[kernel.P_STOP_LOSS] = _optional(config.stop_loss)
    parameters[kernel.P_TAKE_PROFIT] = _optional(config.take_profit)
    parameters[kernel.P_TRAILING_STOP] = _optional(config.trailing_stop)
    parameters[kernel.P_MAX_DRAWDOWN_HALT] = _optional(config.max_drawdown_halt)
    parameters[kernel.P_REVERSE] = float(config.on_opposite_signal is OppositeSignal.REVERSE)
    parameters[kernel.P_CLOSE_AT_END] = float(config.close_at_end)
    parameters[kernel.P_WARMUP] = intents.warmup_bars
    sizing = config.sizing
    parameters[kernel.P_ATR_MULTIPLIER] = 1.0
    if isinstance(sizing, FractionOfEquity):
        parameters[kernel.P_SIZING_MODE] = kernel.SIZING_FRACTION
        parameters[kernel.P_SIZING_VALUE] = sizing.fraction
    elif isinstance(sizing, FixedQuantity):
        parameters[kernel.P_SIZING_MODE] = kernel.SIZING_FIXED
        parameters[kernel.P_SIZING_VALUE] = sizing.quantity
    elif isinstance(sizing, RiskPerTrade):
        parameters[kernel.P_SIZING_MODE] = kernel.SIZING_RISK
        parameters[kernel.P_SIZING_VALUE] = sizing.risk_fraction
        parameters[kernel.P_ATR_MULTIPLIER] = sizing.atr_multiplier
    return parameters


def check_sizing_inputs(config: BacktestConfig, intents: KernelIntents) -> None:
    """Risk-per-trade sizing reads the ATR: the intents must carry it."""
    if isinstance(config.sizing, RiskPerTrade) and intents.atr.shape[0] == 0:
        raise InvalidArgument(
            "invalid intents", [FieldViolation("atr", "risk-per-trade sizing needs an ATR value per bar")]
        )


def _optional(value: float | None) -> float:
    return math.nan if value is None else value


def _open_position(state: np.ndarray, bars: Bars) -> OpenPosition | None:
    held = float(state[kernel.S_POSITION])
    if held == 0.0:
        return None
    entry_bar = int(state[kernel.S_ENTRY_BAR])
    entry_price = float(state[kernel.S_ENTRY_PRICE])
    return OpenPosition(
        side=Side.LONG if held > 0 else Side.SHORT,
        size=abs(held),
        entry_bar=entry_bar,
        entry_time=int(bars.timestamps[entry_bar]),
        entry_price=entry_price,
        unrealized_pnl=held * (float(bars.close[-1]) - entry_price),
    )
