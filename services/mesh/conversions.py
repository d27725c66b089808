"""Protobuf <-> domain for what several services exchange: bars, backtest configs and results.

The workflow and trainer services both run backtests and return them in the contract's
shape; translating in one place keeps the two answers identical.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
from google.protobuf import duration_pb2, timestamp_pb2

from alphintra.common.v1 import bar_pb2, parameter_pb2
from alphintra.strategy.v1 import backtest_pb2
from services.core.analysis.monte_carlo import Distribution, Method, MonteCarloResult
from services.core.analysis.strategy_run import MonteCarloRequest
from services.core.analysis.walk_forward import WalkForwardResult
from services.core.backtest import BacktestConfig, FillTiming
from services.core.backtest.inputs import Bars
from services.core.backtest.metrics import Metrics
from services.core.backtest.trades import Trades
from services.core.errors import FieldViolation, InvalidArgument


class Outcome(Protocol):
    """What a result message is made of: a backtest's, or a walk-forward's stitched curve."""

    @property
    def timestamps(self) -> np.ndarray: ...
    @property
    def equity(self) -> np.ndarray: ...
    @property
    def drawdown(self) -> np.ndarray: ...
    @property
    def trades(self) -> Trades: ...
    @property
    def metrics(self) -> Metrics: ...


DEFAULT_CASH = 10_000.0
DEFAULT_EQUITY_POINTS = 2_000
MAX_EQUITY_POINTS = 100_000
MAX_INLINE_BARS = 200_000
# metrics whose domain and contract names agree
SAME_NAMED_METRICS = (
    "total_return", "buy_and_hold_return", "annualized_return", "cagr", "annualized_volatility",
    "sharpe_ratio",
    "sortino_ratio", "calmar_ratio", "max_drawdown", "average_drawdown", "exposure_time", "win_rate",
    "profit_factor", "expectancy", "sqn", "kelly_criterion", "alpha", "beta",
)  # fmt: skip


# google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)


def datetime_from_proto(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    """A request's timestamp as an aware datetime, or INVALID_ARGUMENT naming `field` when it is
    outside the range the Timestamp type allows (the wire accepts any int64 seconds)."""
    low, high = _TIMESTAMP_SECONDS
    if not low <= stamp.seconds <= high or not 0 <= stamp.nanos < 1_000_000_000:
        raise InvalidArgument(
            "a timestamp is out of range",
            [FieldViolation(field, "must be between 0001-01-01 and 9999-12-31 with nanos in [0, 1e9)")],
        )
    return stamp.ToDatetime(tzinfo=UTC)


def time_ns_from_proto(stamp: timestamp_pb2.Timestamp, field: str) -> int:
    """A request's timestamp in nanoseconds since the epoch, checked as `datetime_from_proto` checks it."""
    datetime_from_proto(stamp, field)
    return stamp.ToNanoseconds()


def _timestamp(nanoseconds: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(nanoseconds))
    return stamp


def _duration(seconds: float) -> duration_pb2.Duration | None:
    if not np.isfinite(seconds):
        return None
    value = duration_pb2.Duration()
    value.FromNanoseconds(int(seconds * 1e9))
    return value


def bars_from_proto(series: bar_pb2.BarSeries, field: str = "bars") -> Bars:
    """Bars sent inline in a request (at most MAX_INLINE_BARS)."""
    if len(series.bars) > MAX_INLINE_BARS:
        raise InvalidArgument(
            "too many inline bars", [FieldViolation(field, f"at most {MAX_INLINE_BARS:,} bars")]
        )
    return bars_from_messages(series.bars, field)


def bars_from_messages(bars: Sequence[bar_pb2.Bar], field: str = "bars") -> Bars:
    """Bar messages as domain bars, however many (a stored dataset's, read from the trainer)."""
    columns = {name: np.fromiter((getattr(bar, name) for bar in bars), dtype=np.float64, count=len(bars))
               for name in ("open", "high", "low", "close", "volume")}  # fmt: skip
    stamps = np.fromiter((bar.time.ToNanoseconds() for bar in bars), dtype=np.int64, count=len(bars))
    try:
        return Bars.from_arrays(timestamps=stamps, **columns)
    except InvalidArgument as error:
        violations = [
            FieldViolation(f"{field}.{violation.field}", violation.description)
            for violation in error.violations
        ]
        raise InvalidArgument(error.message, violations) from None


def config_from_proto(message: backtest_pb2.BacktestConfig, field: str = "backtest_config") -> BacktestConfig:
    violations = []
    if message.periods_per_year:
        violations.append(
            FieldViolation(f"{field}.periods_per_year", "not supported: annualisation follows the bar times")
        )
    if not 0 <= message.max_equity_points <= MAX_EQUITY_POINTS:
        violations.append(
            FieldViolation(f"{field}.max_equity_points", f"between 0 and {MAX_EQUITY_POINTS:,}")
        )
    if violations:
        raise InvalidArgument("invalid backtest config", violations)
    timing = (
        FillTiming.THIS_CLOSE
        if message.fill_timing == backtest_pb2.FILL_TIMING_THIS_CLOSE
        else FillTiming.NEXT_OPEN
    )
    try:
        return BacktestConfig(
            initial_cash=message.initial_cash or DEFAULT_CASH,
            commission=message.commission_fraction,
            slippage=message.slippage_fraction,
            fill_timing=timing,
            allow_short=message.allow_short,
            quantity_step=0.0 if message.fractional_units else 1.0,
            risk_free_rate=message.risk_free_rate,
        )
    except InvalidArgument as error:
        renamed = {
            "initial_cash": "initial_cash",
            "commission": "commission_fraction",
            "slippage": "slippage_fraction",
        }
        raise InvalidArgument(
            error.message,
            [
                FieldViolation(f"{field}.{renamed.get(v.field, v.field)}", v.description)
                for v in error.violations
            ],
        ) from None


def config_to_proto(
    config: BacktestConfig, message: backtest_pb2.BacktestConfig
) -> backtest_pb2.BacktestConfig:
    """`message` with the defaults that were applied filled in."""
    used = backtest_pb2.BacktestConfig()
    used.CopyFrom(message)
    used.initial_cash = config.initial_cash
    used.fill_timing = (backtest_pb2.FILL_TIMING_THIS_CLOSE if config.fill_timing is FillTiming.THIS_CLOSE
                        else backtest_pb2.FILL_TIMING_NEXT_OPEN)  # fmt: skip
    used.methodology = message.methodology or backtest_pb2.METHODOLOGY_STANDARD
    used.max_equity_points = message.max_equity_points or DEFAULT_EQUITY_POINTS
    return used


def monte_carlo_request(
    message: backtest_pb2.BacktestConfig, field: str = "backtest_config"
) -> MonteCarloRequest:
    settings = message.monte_carlo
    method = (
        Method.RESHUFFLE if settings.method == backtest_pb2.MONTE_CARLO_METHOD_RESHUFFLE else Method.BOOTSTRAP
    )
    return MonteCarloRequest(
        method=method,
        simulations=settings.simulations or 1000,
        seed=settings.seed,
        ruin_fraction=settings.ruin_drawdown_fraction or 0.5,
    )


def metrics_to_proto(result: Outcome, bars: Bars, initial_cash: float) -> backtest_pb2.BacktestMetrics:
    return metric_values_to_proto(result.metrics, bars.timestamps, initial_cash)


def metric_values_to_proto(
    values: Metrics, timestamps: np.ndarray, initial_cash: float
) -> backtest_pb2.BacktestMetrics:
    """The metrics of a run over the bars at `timestamps`."""
    metrics = dataclasses.asdict(values)
    message = backtest_pb2.BacktestMetrics(
        start_time=_timestamp(timestamps[0]),
        end_time=_timestamp(timestamps[-1]),
        bar_count=len(timestamps),
        start_equity=initial_cash,
        end_equity=metrics["final_equity"],
        peak_equity=metrics["peak_equity"],
        commissions_paid=metrics["commissions"],
        best_trade_return=metrics["best_trade"],
        worst_trade_return=metrics["worst_trade"],
        average_trade_return=metrics["average_trade"],
        correlation_to_benchmark=metrics["correlation"],
    )
    for name in SAME_NAMED_METRICS:
        setattr(message, name, metrics[name])
    for name in ("trade_count", "longest_winning_streak", "longest_losing_streak"):
        setattr(message, name, int(metrics[name]))
    for name in (
        "max_drawdown_duration",
        "average_drawdown_duration",
        "max_trade_duration",
        "average_trade_duration",
    ):
        duration = _duration(metrics[f"{name}_seconds"])
        if duration is not None:
            getattr(message, name).CopyFrom(duration)
    return message


def _equity_points(result: Outcome, limit: int) -> list[backtest_pb2.EquityPoint]:
    count = len(result.equity)
    if count <= limit:
        chosen = np.arange(count)
    else:
        trough = int(np.argmax(result.drawdown))
        chosen = np.unique(
            np.concatenate([np.linspace(0, count - 1, limit - 1).round().astype(int), [trough]])
        )
    return [
        backtest_pb2.EquityPoint(bar_index=int(index), time=_timestamp(result.timestamps[index]),
                                 equity=float(result.equity[index]), drawdown=float(result.drawdown[index]))
        for index in chosen
    ]  # fmt: skip


_SIDES = {1: backtest_pb2.TRADE_SIDE_LONG, -1: backtest_pb2.TRADE_SIDE_SHORT}


def trades_to_proto(result: Outcome, symbol: str = "") -> list[backtest_pb2.Trade]:
    trades = result.trades
    return [
        backtest_pb2.Trade(
            entry_bar_index=int(trades.entry_bar[i]),
            exit_bar_index=int(trades.exit_bar[i]),
            entry_time=_timestamp(trades.entry_time[i]),
            exit_time=_timestamp(trades.exit_time[i]),
            side=_SIDES.get(int(trades.side[i]), backtest_pb2.TRADE_SIDE_UNSPECIFIED),
            size=float(trades.size[i]),
            entry_price=float(trades.entry_price[i]),
            exit_price=float(trades.exit_price[i]),
            pnl=float(trades.pnl[i]),
            return_fraction=float(trades.returns[i]),
            commission=float(trades.commission[i]),
            exit_reason=int(trades.exit_reason[i]),
            symbol=symbol,
        )
        for i in range(len(trades))
    ]


def _distribution(distribution: Distribution) -> backtest_pb2.DistributionSummary:
    values = list(distribution.percentiles.values())
    return backtest_pb2.DistributionSummary(
        mean=distribution.mean,
        standard_deviation=distribution.standard_deviation,
        minimum=min(values),
        maximum=max(values),
        percentiles=[
            backtest_pb2.Percentile(percentile=p, value=v) for p, v in distribution.percentiles.items()
        ],
    )


def _scaled(distribution: Distribution, scale: float, shift: float) -> Distribution:
    """The distribution of `value * scale + shift` (percentiles commute with increasing maps)."""
    return Distribution(
        percentiles={p: v * scale + shift for p, v in distribution.percentiles.items()},
        mean=distribution.mean * scale + shift,
        standard_deviation=distribution.standard_deviation * abs(scale),
    )


def monte_carlo_to_proto(summary: MonteCarloResult) -> backtest_pb2.MonteCarloSummary:
    """The summary; sharpe_ratio stays unset: a trade sequence without bar times has none."""
    return backtest_pb2.MonteCarloSummary(
        simulations=summary.simulations,
        method=(backtest_pb2.MONTE_CARLO_METHOD_RESHUFFLE if summary.method is Method.RESHUFFLE
                else backtest_pb2.MONTE_CARLO_METHOD_BOOTSTRAP),
        seed=summary.seed,
        end_equity=_distribution(summary.final_equity),
        total_return=_distribution(_scaled(summary.final_equity, 1 / summary.initial_equity, -1.0)),
        max_drawdown=_distribution(summary.max_drawdown),
        probability_of_ruin=summary.probability_of_ruin,
        ruin_drawdown_fraction=summary.ruin_fraction,
    )  # fmt: skip


def result_to_proto(
    result: Outcome,
    bars: Bars,
    config: BacktestConfig,
    config_message: backtest_pb2.BacktestConfig,
    *,
    monte_carlo: MonteCarloResult | None = None,
    symbol: str = "",
) -> backtest_pb2.BacktestResult:
    used = config_to_proto(config, config_message)
    message = backtest_pb2.BacktestResult(
        metrics=metrics_to_proto(result, bars, config.initial_cash),
        equity_curve=_equity_points(result, used.max_equity_points),
        trade_count=len(result.trades),
        config=used,
    )
    if not config_message.omit_trades:
        message.trades.extend(trades_to_proto(result, symbol))
    if monte_carlo is not None:
        message.monte_carlo.CopyFrom(monte_carlo_to_proto(monte_carlo))
    return message


def _parameter_value(value: object) -> parameter_pb2.ParameterValue:
    if isinstance(value, bool):
        return parameter_pb2.ParameterValue(flag=value)
    if isinstance(value, int):
        return parameter_pb2.ParameterValue(integer=value)
    if isinstance(value, float):
        return parameter_pb2.ParameterValue(number=value)
    return parameter_pb2.ParameterValue(text=str(value))


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class _Stitched:
    timestamps: np.ndarray
    equity: np.ndarray
    drawdown: np.ndarray
    trades: Trades
    metrics: Metrics


def walk_forward_to_proto(
    result: WalkForwardResult,
    input_bars: Bars,
    config: BacktestConfig,
    config_message: backtest_pb2.BacktestConfig,
) -> backtest_pb2.BacktestResult:
    """The stitched out-of-sample result, with one entry per window (window bars index `input_bars`)."""
    stitched = _Stitched(
        result.bars.timestamps, result.equity, result.drawdown, result.trades, result.metrics
    )
    message = result_to_proto(stitched, result.bars, config, config_message)
    times = input_bars.timestamps
    for window in result.windows:
        span = window.window
        entry = message.walk_forward_windows.add(index=span.index)
        entry.in_sample_start_time.CopyFrom(_timestamp(times[span.in_sample_start]))
        entry.in_sample_end_time.CopyFrom(_timestamp(times[span.in_sample_end - 1]))
        entry.out_of_sample_start_time.CopyFrom(_timestamp(times[span.out_of_sample_start]))
        entry.out_of_sample_end_time.CopyFrom(_timestamp(times[span.out_of_sample_end - 1]))
        for target, metrics, start, stop in (
            (entry.in_sample_metrics, window.in_sample_metrics, span.in_sample_start, span.in_sample_end),
            (entry.out_of_sample_metrics, window.out_of_sample_metrics, span.out_of_sample_start,
             span.out_of_sample_end),
        ):  # fmt: skip
            target.CopyFrom(metric_values_to_proto(metrics, times[start:stop], config.initial_cash))
        for name, value in window.best_parameters.items():
            entry.parameters[name].CopyFrom(_parameter_value(value))
    return message
