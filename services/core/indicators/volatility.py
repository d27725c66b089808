"""Volatility: Bollinger Bands, ATR, true range, Donchian and Keltner channels.

- Bollinger Bands(n, k): middle = SMA_n, σ = population deviation of the same n values
  (TA-Lib BBANDS, nbdevup = nbdevdn = k, SMA; σ computed without cancellation, exactly 0 on
  a flat window, see statistics.py), upper/lower = middle ± k·σ;
  %B = (x − lower)/(upper − lower), 0.5 when the bands coincide (a flat window);
  width = (upper − lower)/middle, NaN when middle is 0. All from bar n−1.
- True range: max(H − L, |H − C₋₁|, |L − C₋₁|), from bar 1 (TA-Lib TRANGE).
- ATR(n): Wilder's smoothing of the true range: the mean of the first n true ranges at bar n,
  then (ATR·(n−1) + TR)/n (TA-Lib ATR).
- Donchian(n): upper = highest high, lower = lowest low of the last n bars, middle = their
  mean; from bar n−1 (TA-Lib DONCHIAN).
- Keltner(n, m, k): middle = EMA_n of the typical price (H+L+C)/3, upper/lower = middle ±
  k·ATR_m; every output from bar s = max(n−1, m) (TA-Lib KC). As in TA-Lib, both legs are
  entered at s: the EMA is seeded with the mean typical price of bars s−n+1..s and the ATR
  with the mean true range of bars s−m+1..s.
"""

from __future__ import annotations

import math

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series, divide_or, mask_before
from services.core.indicators._state import (
    ExponentialAverage,
    RollingExtreme,
    RollingSum,
    RollingVariance,
    WilderAverage,
)
from services.core.indicators._steps import true_range as true_range_step
from services.core.indicators.spec import (
    SOURCE,
    IndicatorSpec,
    multiplier_parameter,
    period_parameter,
    source_parameter,
)
from services.core.indicators.statistics import rolling_mean_variance
from services.core.indicators.streaming import SourceIndicator, StreamingIndicator

_NAN3 = (math.nan, math.nan, math.nan)

# -- vectorised ------------------------------------------------------------------------------


def bbands(
    values: np.ndarray, *, period: int, deviations: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger Bands: upper, middle, lower, %B and width."""
    series = as_series(values)
    middle, variance = rolling_mean_variance(series, period)
    band = np.sqrt(variance) * deviations
    upper = middle + band
    lower = middle - band
    spread = upper - lower
    percent_b = divide_or(series - lower, spread, spread != 0.0, 0.5)
    width = divide_or(spread, middle, middle != 0.0, np.nan)
    return upper, middle, lower, percent_b, width


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Wilder's true range."""
    return _kernels.true_ranges(as_series(high), as_series(low), as_series(close))


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    """Average true range with Wilder's smoothing."""
    return _kernels.wilder_average(true_range(high, low, close), period)


def donchian(high: np.ndarray, low: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Donchian channel: upper, middle, lower."""
    upper = _kernels.rolling_extreme(as_series(high), period, True)
    lower = _kernels.rolling_extreme(as_series(low), period, False)
    return upper, (upper + lower) / 2.0, lower


def keltner(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, *, period: int, atr_period: int, multiplier: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keltner channel: upper, middle, lower."""
    start = max(period - 1, atr_period)
    typical = (as_series(high) + as_series(low) + as_series(close)) / 3.0
    middle = _kernels.ema_from(typical, period, start - (period - 1))
    ranges = mask_before(true_range(high, low, close), start - atr_period + 1)
    band = _kernels.wilder_average(ranges, atr_period) * multiplier
    return middle + band, middle, middle - band


# -- streaming -------------------------------------------------------------------------------


class BollingerBands(SourceIndicator):
    """Streaming Bollinger Bands over compensated rolling sums of x and x²."""

    outputs = ("upper", "middle", "lower", "percent_b", "width")

    def __init__(self, period: int = 20, deviations: float = 2.0, source: str = "close") -> None:
        self.period = period
        self.deviations = deviations
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._sum = RollingSum(self.period)
        self._variance = RollingVariance(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        middle = self._sum.push(value) / self.period
        variance = self._variance.push(value)
        if math.isnan(variance):
            return (math.nan,) * 5
        band = math.sqrt(variance) * self.deviations
        upper = middle + band
        lower = middle - band
        spread = upper - lower
        percent_b = (value - lower) / spread if spread != 0.0 else 0.5
        width = spread / middle if middle != 0.0 else math.nan
        return (upper, middle, lower, percent_b, width)


class TrueRange(StreamingIndicator):
    """Streaming true range."""

    def __init__(self) -> None:
        super().__init__(warmup=1)

    def _reset_state(self) -> None:
        self._previous_close = math.nan

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        previous_close = self._previous_close
        self._previous_close = close
        if math.isnan(previous_close):
            return (math.nan,)
        return (true_range_step(high, low, previous_close),)


class AverageTrueRange(StreamingIndicator):
    """Streaming ATR with Wilder's smoothing."""

    def __init__(self, period: int = 14) -> None:
        self.period = period
        super().__init__(warmup=period)

    def _reset_state(self) -> None:
        self._previous_close = math.nan
        self._average = WilderAverage(self.period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        previous_close = self._previous_close
        self._previous_close = close
        if math.isnan(previous_close):
            return (math.nan,)
        return (self._average.push(true_range_step(high, low, previous_close)),)


class DonchianChannels(StreamingIndicator):
    """Streaming Donchian channel."""

    outputs = ("upper", "middle", "lower")

    def __init__(self, period: int = 20) -> None:
        self.period = period
        super().__init__(warmup=period - 1)

    def _reset_state(self) -> None:
        self._highest = RollingExtreme(self.period, maximum=True)
        self._lowest = RollingExtreme(self.period, maximum=False)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        upper = self._highest.push(high)
        lower = self._lowest.push(low)
        return (upper, (upper + lower) / 2.0, lower)


class KeltnerChannels(StreamingIndicator):
    """Streaming Keltner channel: an EMA of the typical price and an ATR."""

    outputs = ("upper", "middle", "lower")

    def __init__(self, period: int = 20, atr_period: int = 10, multiplier: float = 2.0) -> None:
        self.period = period
        self.atr_period = atr_period
        self.multiplier = multiplier
        super().__init__(warmup=max(period - 1, atr_period))

    def _reset_state(self) -> None:
        self._middle = ExponentialAverage(self.period)
        self._range = WilderAverage(self.atr_period)
        self._previous_close = math.nan

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        index = self._bars
        previous_close = self._previous_close
        self._previous_close = close
        if index >= self.warmup - (self.period - 1):
            self._middle.push((high + low + close) / 3.0)
        if index >= self.warmup - self.atr_period + 1:
            self._range.push(true_range_step(high, low, previous_close))
        if index < self.warmup:
            return _NAN3
        middle = self._middle.value
        band = self._range.value * self.multiplier
        return (middle + band, middle, middle - band)


# -- specs -----------------------------------------------------------------------------------

SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="bbands",
        display_name="Bollinger Bands",
        family="volatility",
        description="SMA ± k population standard deviations, with %B and band width.",
        inputs=(SOURCE,),
        parameters=(
            period_parameter(20),
            multiplier_parameter(
                2.0, name="deviations", minimum=0.1, description="Band distance in standard deviations."
            ),
            source_parameter(),
        ),
        outputs=BollingerBands.outputs,
        function=bbands,
        streaming=BollingerBands,
    ),
    IndicatorSpec(
        name="atr",
        display_name="Average True Range",
        family="volatility",
        description="Wilder-smoothed average of the true range.",
        inputs=("high", "low", "close"),
        parameters=(period_parameter(14, minimum=1),),
        outputs=("value",),
        function=atr,
        streaming=AverageTrueRange,
    ),
    IndicatorSpec(
        name="true_range",
        display_name="True Range",
        family="volatility",
        description="The bar's range extended to the previous close.",
        inputs=("high", "low", "close"),
        parameters=(),
        outputs=("value",),
        function=true_range,
        streaming=TrueRange,
    ),
    IndicatorSpec(
        name="donchian",
        display_name="Donchian Channels",
        family="volatility",
        description="Highest high and lowest low of the last n bars, and their midpoint.",
        inputs=("high", "low"),
        parameters=(period_parameter(20),),
        outputs=DonchianChannels.outputs,
        function=donchian,
        streaming=DonchianChannels,
    ),
    IndicatorSpec(
        name="keltner",
        display_name="Keltner Channels",
        family="volatility",
        description="EMA of the typical price ± a multiple of the ATR.",
        inputs=("high", "low", "close"),
        parameters=(
            period_parameter(20, description="Bars of the typical-price EMA."),
            period_parameter(10, minimum=1, name="atr_period", description="Bars of the ATR."),
            multiplier_parameter(2.0, name="multiplier", minimum=0.1, description="Band distance in ATRs."),
        ),
        outputs=KeltnerChannels.outputs,
        function=keltner,
        streaming=KeltnerChannels,
    ),
)
