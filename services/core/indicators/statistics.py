"""Rolling statistics: standard deviation, z-score, returns and log returns.

- Standard deviation(n): population (ddof = 0) deviation of the last n values, as TA-Lib's
  STDDEV (nbdev 1) and BBANDS compute it: deviations are summed against a shift near the
  window, so E[d²] − E[d]² never cancels two ~price² quantities (a stablecoin's 1e-5 spread at
  price 1 keeps all its digits); the shift is re-anchored with a fresh two-pass when
  cancellation starts, when an outlier leaves, and every 32 windows, so nothing drifts; a
  window with no spread beyond rounding reads exactly 0. First value at bar n−1.
- Z-score(n): (x − mean) / deviation over the same n values, x included; 0 when the window is
  flat (deviation 0). First value at bar n−1.
- Returns(n): x / x₋ₙ − 1 (pandas' pct_change), NaN when x₋ₙ = 0. First value at bar n.
- Log returns(n): ln(x / x₋ₙ), NaN unless both values are positive. First value at bar n.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series, divide_or, lagged
from services.core.indicators._state import RollingSum, RollingVariance
from services.core.indicators.spec import SOURCE, IndicatorSpec, period_parameter, source_parameter
from services.core.indicators.streaming import SourceIndicator, StreamingIndicator

# -- vectorised ------------------------------------------------------------------------------


def rolling_mean_variance(values: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean (compensated SMA) and population variance (cancellation-free)."""
    series = as_series(values)
    return _kernels.rolling_sum(series, period) / period, _kernels.rolling_variance(series, period)


def stddev(values: np.ndarray, period: int) -> np.ndarray:
    """Rolling population standard deviation."""
    return np.sqrt(rolling_mean_variance(values, period)[1])


def zscore(values: np.ndarray, period: int) -> np.ndarray:
    """Distance from the rolling mean in rolling standard deviations."""
    series = as_series(values)
    mean, variance = rolling_mean_variance(series, period)
    deviation = np.sqrt(variance)
    return divide_or(series - mean, deviation, deviation > 0.0, 0.0)


def returns(values: np.ndarray, period: int) -> np.ndarray:
    """Simple returns over `period` bars."""
    series = as_series(values)
    previous = lagged(series, period)
    return divide_or(series, previous, previous != 0.0, np.nan) - 1.0


def log_returns(values: np.ndarray, period: int) -> np.ndarray:
    """Logarithmic returns over `period` bars."""
    series = as_series(values)
    previous = lagged(series, period)
    defined = (previous > 0.0) & (series > 0.0)
    ratio = divide_or(series, previous, defined, np.nan)
    result = np.full(series.shape[0], np.nan)
    np.log(ratio, out=result, where=defined)
    return result


# -- streaming -------------------------------------------------------------------------------


class RollingStandardDeviation(SourceIndicator):
    """Streaming population standard deviation."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._variance = RollingVariance(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        return (math.sqrt(self._variance.push(value)),)


class ZScore(SourceIndicator):
    """Streaming z-score."""

    def __init__(self, period: int = 20, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period - 1)

    def _reset_state(self) -> None:
        self._mean = RollingSum(self.period)
        self._variance = RollingVariance(self.period)

    def _push(self, value: float) -> tuple[float, ...]:
        mean = self._mean.push(value) / self.period
        deviation = math.sqrt(self._variance.push(value))
        if math.isnan(deviation):
            return (math.nan,)
        return ((value - mean) / deviation if deviation > 0.0 else 0.0,)


class Returns(SourceIndicator):
    """Streaming simple returns."""

    def __init__(self, period: int = 1, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period)

    def _reset_state(self) -> None:
        self._values: deque[float] = deque(maxlen=self.period + 1)

    def _push(self, value: float) -> tuple[float, ...]:
        self._values.append(value)
        if len(self._values) <= self.period:
            return (math.nan,)
        previous = self._values[0]
        return (value / previous - 1.0 if previous != 0.0 else math.nan,)


class LogReturns(SourceIndicator):
    """Streaming logarithmic returns."""

    def __init__(self, period: int = 1, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period)

    def _reset_state(self) -> None:
        self._values: deque[float] = deque(maxlen=self.period + 1)

    def _push(self, value: float) -> tuple[float, ...]:
        self._values.append(value)
        if len(self._values) <= self.period:
            return (math.nan,)
        previous = self._values[0]
        if not (previous > 0.0 and value > 0.0):
            return (math.nan,)
        # numpy's log, not math.log: the vectorised form's SIMD log and libm's differ in the last
        # bit for about one ratio in 170, and live features must equal the training ones exactly
        return (float(np.log(value / previous)),)


# -- specs -----------------------------------------------------------------------------------


def _statistic_spec(
    name: str,
    display_name: str,
    description: str,
    function: Callable[..., np.ndarray],
    *,
    streaming: type[StreamingIndicator],
    default: int,
    minimum: int,
) -> IndicatorSpec:
    return IndicatorSpec(
        name=name,
        display_name=display_name,
        family="statistics",
        description=description,
        inputs=(SOURCE,),
        parameters=(period_parameter(default, minimum=minimum), source_parameter()),
        outputs=("value",),
        function=function,
        streaming=streaming,
    )


SPECS: tuple[IndicatorSpec, ...] = (
    _statistic_spec(
        "stddev",
        "Standard Deviation",
        "Population standard deviation of the last n values.",
        stddev,
        streaming=RollingStandardDeviation,
        default=20,
        minimum=2,
    ),
    _statistic_spec(
        "zscore",
        "Z-Score",
        "Distance of the value from its rolling mean, in rolling standard deviations.",
        zscore,
        streaming=ZScore,
        default=20,
        minimum=2,
    ),
    _statistic_spec(
        "returns",
        "Returns",
        "Simple return over n bars: x / x₋ₙ − 1.",
        returns,
        streaming=Returns,
        default=1,
        minimum=1,
    ),
    _statistic_spec(
        "log_returns",
        "Log Returns",
        "Logarithmic return over n bars: ln(x / x₋ₙ).",
        log_returns,
        streaming=LogReturns,
        default=1,
        minimum=1,
    ),
)
