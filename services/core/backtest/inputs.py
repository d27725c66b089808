"""What a backtest reads: the bars, and the strategy's per-bar intents decided on each close.

Both are normalised once (contiguous float64 / bool arrays, timestamps as int64 nanoseconds)
so that the simulation kernel and the metrics never convert or check anything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from services.core.backtest.periods import Calendar
from services.core.errors import FieldViolation, InvalidArgument

NO_FLAGS = np.zeros(0, dtype=np.bool_)
NO_VALUES = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Bars:
    """OHLCV bars in time order; timestamps are int64 nanoseconds since the epoch (UTC, naive).

    Bars are immutable, so what every backtest on them needs (the calendar, the market's
    returns) is computed once, on first use, and shared by all of them: a grid's combinations,
    a walk-forward's folds.
    """

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    timestamps: np.ndarray

    def __len__(self) -> int:
        return int(self.close.shape[0])

    @cached_property
    def calendar(self) -> Calendar:
        """Periods per year and the bars that close each period, for annualised metrics."""
        return Calendar.from_timestamps(self.timestamps)

    @cached_property
    def log_returns(self) -> np.ndarray:
        """log(close / previous close) for every bar after the first: the market's returns."""
        return np.log(self.close[1:] / self.close[:-1])

    @classmethod
    def from_arrays(
        cls,
        *,
        open: Any,
        high: Any,
        low: Any,
        close: Any,
        timestamps: Any,
        volume: Any | None = None,
    ) -> Bars:
        """Bars from array-likes; timestamps as int64 ns or any numpy/pandas datetime64 unit.

        Raises InvalidArgument naming every bad field: unequal lengths, fewer than two bars,
        missing or non-positive prices, timestamps not strictly increasing.
        """
        prices = {name: _floats(value) for name, value in (("open", open), ("high", high), ("low", low))}
        prices["close"] = _floats(close)
        count = prices["close"].shape[0]
        volumes = np.full(count, np.nan) if volume is None else _floats(volume)
        stamps = as_nanoseconds(timestamps)
        violations = _bar_violations(prices, volumes, stamps)
        if violations:
            raise InvalidArgument("invalid bars", violations)
        return cls(volume=volumes, timestamps=stamps, **prices)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Bars:
        """Bars from a frame with Open/High/Low/Close[/Volume] columns (any case) and a datetime index."""
        columns = {str(name).lower(): name for name in frame.columns}
        missing = [name for name in ("open", "high", "low", "close") if name not in columns]
        if missing:
            raise InvalidArgument(
                "invalid bars", [FieldViolation(name, "column is missing") for name in missing]
            )
        volume = frame[columns["volume"]].to_numpy() if "volume" in columns else None
        return cls.from_arrays(
            open=frame[columns["open"]].to_numpy(),
            high=frame[columns["high"]].to_numpy(),
            low=frame[columns["low"]].to_numpy(),
            close=frame[columns["close"]].to_numpy(),
            volume=volume,
            timestamps=frame.index.to_numpy(),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Intents:
    """What the strategy wants, decided on each bar's close; every array is one value per bar.

    Flags left as None are all False; prices and fractions left as None (or NaN on a bar) are
    unset. A stop-loss or take-profit price or fraction given on the bar an entry is decided
    applies to the trade that entry opens; a price wins over a fraction, a per-bar fraction over
    the config's. `atr` is needed only by RiskPerTrade sizing. Intents on bars before
    `warmup_bars` are ignored, and buy & hold is measured from the close of bar `warmup_bars`.
    """

    enter_long: np.ndarray | None = None
    exit_long: np.ndarray | None = None
    enter_short: np.ndarray | None = None
    exit_short: np.ndarray | None = None
    stop_loss_price: np.ndarray | None = None
    take_profit_price: np.ndarray | None = None
    stop_loss_fraction: np.ndarray | None = None
    take_profit_fraction: np.ndarray | None = None
    atr: np.ndarray | None = None
    warmup_bars: int = 0


@dataclass(frozen=True, slots=True)
class KernelIntents:
    """Intents as the kernel takes them: contiguous arrays, an empty array meaning "unset"."""

    enter_long: np.ndarray
    exit_long: np.ndarray
    enter_short: np.ndarray
    exit_short: np.ndarray
    stop_loss_price: np.ndarray
    take_profit_price: np.ndarray
    stop_loss_fraction: np.ndarray
    take_profit_fraction: np.ndarray
    atr: np.ndarray
    warmup_bars: int


def prepare_intents(intents: Intents, bar_count: int) -> KernelIntents:
    """Intents checked against the bars (lengths, warm-up) and converted for the kernel."""
    violations: list[FieldViolation] = []
    flags = {
        name: _flag_array(getattr(intents, name), bar_count, name, violations)
        for name in ("enter_long", "exit_long", "enter_short", "exit_short")
    }
    values = {
        name: _value_array(getattr(intents, name), bar_count, name, violations)
        for name in (
            "stop_loss_price",
            "take_profit_price",
            "stop_loss_fraction",
            "take_profit_fraction",
            "atr",
        )
    }
    warmup = intents.warmup_bars
    if isinstance(warmup, bool) or not isinstance(warmup, int | np.integer) or not 0 <= warmup < bar_count:
        violations.append(FieldViolation("warmup_bars", f"must be an integer in [0, {bar_count})"))
    if violations:
        raise InvalidArgument("invalid intents", violations)
    return KernelIntents(**flags, **values, warmup_bars=int(warmup))


def warmup_of(*indicators: np.ndarray) -> int:
    """Bars before every indicator has a value: the index of the latest first non-NaN value.

    This is backtesting.py's warm-up: its strategy first acts one bar later, on the first bar
    where a crossover of these indicators can be seen.
    """
    firsts = [int(np.argmin(np.isnan(np.asarray(values, dtype=np.float64)))) for values in indicators]
    return max(firsts, default=0)


def as_nanoseconds(timestamps: Any) -> np.ndarray:
    """Timestamps as int64 nanoseconds (UTC for zone-aware ones), from any datetime form or integers."""
    if isinstance(timestamps, pd.DatetimeIndex | pd.Series) or _holds_timestamps(timestamps):
        index = pd.DatetimeIndex(timestamps)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return np.ascontiguousarray(index.as_unit("ns").asi8)
    array = np.asarray(timestamps)
    if array.dtype.kind == "M":
        return np.ascontiguousarray(array.astype("datetime64[ns]").view(np.int64))
    return np.ascontiguousarray(array.astype(np.int64))


def _holds_timestamps(values: Any) -> bool:
    array = np.asarray(values)
    return array.dtype == object and array.size > 0 and isinstance(array.flat[0], pd.Timestamp)


def _floats(values: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64))


def _bar_violations(
    prices: dict[str, np.ndarray], volume: np.ndarray, stamps: np.ndarray
) -> list[FieldViolation]:
    count = prices["close"].shape[0]
    violations = [
        FieldViolation(name, f"has {values.shape[0]} values, close has {count}")
        for name, values in (*prices.items(), ("volume", volume), ("timestamps", stamps))
        if values.ndim != 1 or values.shape[0] != count
    ]
    if violations:
        return violations
    if count < 2:
        return [FieldViolation("close", "a backtest needs at least two bars")]
    for name, values in prices.items():
        bad = np.flatnonzero(~(values > 0) | ~np.isfinite(values))
        if bad.size:
            violations.append(FieldViolation(name, f"bar {bad[0]} is not a finite positive price"))
    inverted = np.flatnonzero(
        (prices["high"] < np.maximum(prices["open"], prices["close"]))
        | (prices["low"] > np.minimum(prices["open"], prices["close"]))
    )
    if inverted.size:
        violations.append(
            FieldViolation("high", f"bar {inverted[0]}: high/low do not enclose open and close")
        )
    if np.any(np.diff(stamps) <= 0):
        bar = int(np.flatnonzero(np.diff(stamps) <= 0)[0]) + 1
        violations.append(FieldViolation("timestamps", f"bar {bar} is not after the bar before it"))
    return violations


def _flag_array(values: Any, count: int, name: str, violations: list[FieldViolation]) -> np.ndarray:
    if values is None:
        return NO_FLAGS
    array = np.asarray(values)
    if array.shape != (count,):
        violations.append(
            FieldViolation(name, f"must have one value per bar ({count}), has shape {array.shape}")
        )
        return NO_FLAGS
    if array.dtype != np.bool_:
        array = np.nan_to_num(array.astype(np.float64), nan=0.0) != 0
    return np.ascontiguousarray(array)


def _value_array(values: Any, count: int, name: str, violations: list[FieldViolation]) -> np.ndarray:
    if values is None:
        return NO_VALUES
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (count,):
        violations.append(
            FieldViolation(name, f"must have one value per bar ({count}), has shape {array.shape}")
        )
        return NO_VALUES
    return np.ascontiguousarray(array)
