"""Moving averages: SMA, EMA, WMA, DEMA, TEMA and KAMA, vectorised and streaming.

All follow TA-Lib's definitions and warm-up (NaN prefix) conventions:

- SMA(n):  mean of the last n values; first value at bar n−1.
- EMA(n):  k = 2/(n+1); seeded with the SMA of the first n values at bar n−1, then
           ema = (x − ema)·k + ema.
- WMA(n):  Σ wᵢ·xᵢ / (n(n+1)/2) with weight n on the newest value; first value at bar n−1.
           Updated as W += n·x − Σx, both sums rebuilt from the window every n bars so that
           no rounding outlives a window.
- DEMA(n): 2·EMA − EMA(EMA); each EMA seeded as above, so the first value is at bar 2(n−1).
- TEMA(n): 3·EMA − 3·EMA² + EMA³; first value at bar 3(n−1).
- KAMA(n): ER = |x − x₋ₙ| / Σ|Δx| over n bars (1 when the sum is below 1e-14 or ≤ the change),
           sc = (ER·(2/3 − 2/31) + 2/31)², kama = (x − kama)·sc + kama, the prior of the
           first value (bar n) being the value at bar n−1.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series
from services.core.indicators._state import ExponentialAverage, RollingSum
from services.core.indicators._steps import kama_step, neumaier_add
from services.core.indicators.spec import SOURCE, IndicatorSpec, period_parameter, source_parameter
from services.core.indicators.streaming import SourceIndicator, StreamingIndicator

# -- vectorised ------------------------------------------------------------------------------


def sma(values: np.ndarray, period: int) -> np.ndarray:
    """Simple moving average."""
    return _kernels.rolling_sum(as_series(values), period) / period


def ema(values: np.ndarray, period: int) -> np.ndarray:
    """Exponential moving average, SMA-seeded as TA-Lib."""
    return _kernels.ema(as_series(values), period)


def wma(values: np.ndarray, period: int) -> np.ndarray:
    """Linearly weighted moving average."""
    return _kernels.weighted_moving_average(as_series(values), period)


def dema(values: np.ndarray, period: int) -> np.ndarray:
    """Double exponential moving average."""
    first = _kernels.ema(as_series(values), period)
    second = _kernels.ema(first, period)
    return 2.0 * first - second


def tema(values: np.ndarray, period: int) -> np.ndarray:
    """Triple exponential moving average."""
    first = _kernels.ema(as_series(values), period)
    second = _kernels.ema(first, period)
    third = _kernels.ema(second, period)
    return third + ((3.0 * first) - (3.0 * second))


def kama(values: np.ndarray, period: int) -> np.ndarray:
    """Kaufman's adaptive moving average."""
    series = as_series(values)
    changes = np.abs(np.diff(series, prepend=np.nan))
    return _kernels.kama(series, _kernels.rolling_sum(changes, period), period)


# -- streaming -------------------------------------------------------------------------------


class SimpleMovingAverage(SourceIndicator):
    """Streaming SMA over a compensated rolling sum."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._sum = RollingSum(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        return (self._sum.push(value) / self.period,)


class ExponentialMovingAverage(SourceIndicator):
    """Streaming EMA, SMA-seeded as TA-Lib."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._average = ExponentialAverage(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        return (self._average.push(value),)


class WeightedMovingAverage(SourceIndicator):
    """Streaming WMA: W += n·x − Σx each bar, both sums rebuilt from the window every n bars."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        self._divisor = period * (period + 1) / 2.0
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._window: deque[float] = deque(maxlen=self.period)
        self._sums = (0.0, 0.0, 0.0, 0.0)
        self._count = 0

    def _push(self, value: float) -> tuple[float, ...]:
        period = self.period
        window = self._window
        self._count += 1
        if self._count < period:
            window.append(value)
            return (math.nan,)
        if self._count % period == 0:
            window.append(value)
            self._sums = _fresh_weighted_sums(window)
        else:
            weighted_total, weighted_compensation, window_total, window_compensation = self._sums
            weighted_total, weighted_compensation = neumaier_add(
                weighted_total, weighted_compensation, -(window_total + window_compensation)
            )
            weighted_total, weighted_compensation = neumaier_add(
                weighted_total, weighted_compensation, value * period
            )
            window_total, window_compensation = neumaier_add(window_total, window_compensation, value)
            window_total, window_compensation = neumaier_add(window_total, window_compensation, -window[0])
            window.append(value)
            self._sums = (weighted_total, weighted_compensation, window_total, window_compensation)
        return ((self._sums[0] + self._sums[1]) / self._divisor,)


def _fresh_weighted_sums(window: deque[float]) -> tuple[float, float, float, float]:
    """Mirror of `_kernels.weighted_sums` over the window, oldest first."""
    weighted_total = 0.0
    weighted_compensation = 0.0
    window_total = 0.0
    window_compensation = 0.0
    for offset, value in enumerate(window):
        weighted_total, weighted_compensation = neumaier_add(
            weighted_total, weighted_compensation, value * (offset + 1)
        )
        window_total, window_compensation = neumaier_add(window_total, window_compensation, value)
    return weighted_total, weighted_compensation, window_total, window_compensation


class DoubleExponentialMovingAverage(SourceIndicator):
    """Streaming DEMA: an EMA and an EMA of its outputs."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=2 * (period - 1))

    def _reset_state(self) -> None:
        self._first = ExponentialAverage(self.period)
        self._second = ExponentialAverage(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        first = self._first.push(value)
        if math.isnan(first):
            return (math.nan,)
        return (2.0 * first - self._second.push(first),)


class TripleExponentialMovingAverage(SourceIndicator):
    """Streaming TEMA: three chained EMAs."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=3 * (period - 1))

    def _reset_state(self) -> None:
        self._first = ExponentialAverage(self.period)
        self._second = ExponentialAverage(self.period)
        self._third = ExponentialAverage(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        first = self._first.push(value)
        if math.isnan(first):
            return (math.nan,)
        second = self._second.push(first)
        if math.isnan(second):
            return (math.nan,)
        return (self._third.push(second) + ((3.0 * first) - (3.0 * second)),)


class KaufmanAdaptiveMovingAverage(SourceIndicator):
    """Streaming KAMA: the last n+1 values and a compensated rolling sum of |Δx|."""

    def __init__(self, period: int = 30, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period)

    def _reset_state(self) -> None:
        self._values: deque[float] = deque(maxlen=self.period + 1)
        self._volatility = RollingSum(self.period)
        self._kama = math.nan

    def _push(self, value: float) -> tuple[float, ...]:
        values = self._values
        volatility = self._volatility.push(abs(value - values[-1])) if values else math.nan
        values.append(value)
        if len(values) <= self.period:
            return (math.nan,)
        if math.isnan(self._kama):
            self._kama = values[-2]
        self._kama = kama_step(value, self._kama, value - values[0], volatility)
        return (self._kama,)


# -- specs -----------------------------------------------------------------------------------


def _average_spec(
    name: str,
    display_name: str,
    description: str,
    function: Callable[..., np.ndarray],
    *,
    streaming: type[StreamingIndicator],
    default: int = 20,
) -> IndicatorSpec:
    return IndicatorSpec(
        name=name,
        display_name=display_name,
        family="moving_average",
        description=description,
        inputs=(SOURCE,),
        parameters=(period_parameter(default), source_parameter()),
        outputs=("value",),
        function=function,
        streaming=streaming,
    )


SPECS: tuple[IndicatorSpec, ...] = (
    _average_spec(
        "sma",
        "Simple Moving Average",
        "Arithmetic mean of the last n values.",
        sma,
        streaming=SimpleMovingAverage,
    ),
    _average_spec(
        "ema",
        "Exponential Moving Average",
        "Recursive average weighting recent values by k = 2/(n+1), seeded with an SMA.",
        ema,
        streaming=ExponentialMovingAverage,
    ),
    _average_spec(
        "wma",
        "Weighted Moving Average",
        "Linearly weighted mean of the last n values, newest weighted most.",
        wma,
        streaming=WeightedMovingAverage,
    ),
    _average_spec(
        "dema",
        "Double Exponential Moving Average",
        "2·EMA − EMA(EMA): an EMA with less lag.",
        dema,
        streaming=DoubleExponentialMovingAverage,
    ),
    _average_spec(
        "tema",
        "Triple Exponential Moving Average",
        "3·EMA − 3·EMA² + EMA³: an EMA with still less lag.",
        tema,
        streaming=TripleExponentialMovingAverage,
    ),
    _average_spec(
        "kama",
        "Kaufman Adaptive Moving Average",
        "EMA whose speed follows the efficiency ratio: fast in trends, slow in noise.",
        kama,
        streaming=KaufmanAdaptiveMovingAverage,
        default=30,
    ),
)
