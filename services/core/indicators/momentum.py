"""Momentum oscillators: RSI, MACD, Stochastic, Stochastic RSI, CCI, Williams %R, ROC, momentum, TRIX.

All follow TA-Lib's definitions and warm-up (NaN prefix) conventions:

- RSI(n): Wilder's smoothing. Gains and losses of the first n changes are averaged (first
  value at bar n), then avg = (avg·(n−1) + x) / n; RSI = 100·gain/(gain+loss), 0 when both
  are zero (a series that never moved).
- MACD(f, s, g): line = EMA_f − EMA_s, signal = EMA_g(line), histogram = line − signal. As in
  TA-Lib, the fast EMA is seeded on the f bars ending at bar s−1 (not on the first f bars),
  and all three outputs start together at bar (s−1)+(g−1).
- Stochastic(k, ks, d): fast %K = 100·(C − LL_k)/(HH_k − LL_k); slow %K = SMA_ks(fast %K),
  %D = SMA_d(slow %K); both start at bar (k−1)+(ks−1)+(d−1). A flat range (HH − LL within
  1e-14 of |HH| + |LL|, i.e. rounding residue at any price level) gives a fast %K of 0.
- Stochastic RSI(n, k, d): the fast stochastic of RSI_n against its own k-bar range (same
  flat-range rule); %K and %D = SMA_d(%K) both start at bar n+(k−1)+(d−1).
- CCI(n): (TP − SMA_n(TP)) / (0.015 · mean |TP − SMA_n(TP)|), TP = (H+L+C)/3; 0 when either
  factor is within 1e-14 of |SMA_n(TP)| (a flat window); first value at bar n−1. O(n) a bar:
  the mean deviation has no running form.
- Williams %R(n): −100·(HH_n − C)/(HH_n − LL_n) (0 on a flat range, as the stochastic);
  first value at bar n−1.
- ROC(n): 100·(x/x₋ₙ − 1), 0 when x₋ₙ = 0; momentum(n): x − x₋ₙ; both from bar n.
- TRIX(n): 100·(E/E₋₁ − 1) with E = EMA_n(EMA_n(EMA_n(x))); first value at bar 3(n−1)+1.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections import deque
from collections.abc import Mapping

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series, divide_or, lagged, mask_before
from services.core.indicators._state import ExponentialAverage, RollingExtreme, RollingSum
from services.core.indicators._steps import commodity_channel, range_ratio, rsi_value
from services.core.indicators.spec import (
    SOURCE,
    IndicatorSpec,
    ParameterValue,
    period_parameter,
    source_parameter,
)
from services.core.indicators.streaming import SourceIndicator, StreamingIndicator

_NAN2 = (math.nan, math.nan)
_NAN3 = (math.nan, math.nan, math.nan)

# -- vectorised ------------------------------------------------------------------------------


def rsi(values: np.ndarray, period: int) -> np.ndarray:
    """Wilder's relative strength index."""
    return _kernels.rsi(as_series(values), period)


def macd(
    values: np.ndarray, *, fast_period: int, slow_period: int, signal_period: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD line, signal and histogram."""
    series = as_series(values)
    slow = _kernels.ema(series, slow_period)
    fast = _kernels.ema_from(series, fast_period, slow_period - fast_period)
    line = fast - slow
    signal = _kernels.ema(line, signal_period)
    histogram = line - signal
    return mask_before(line, slow_period + signal_period - 2), signal, histogram


def _fast_stochastic(values: np.ndarray, highest: np.ndarray, lowest: np.ndarray) -> np.ndarray:
    """100·(x − LL)/(HH − LL), written as TA-Lib's (x − LL) / ((HH − LL)/100); 0 on a flat range."""
    return _kernels.range_ratios(values - lowest, highest, lowest, 100.0)


def stochastic(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, *, k_period: int, k_smoothing: int, d_period: int
) -> tuple[np.ndarray, np.ndarray]:
    """Slow stochastic %K and %D."""
    highest = _kernels.rolling_extreme(as_series(high), k_period, True)
    lowest = _kernels.rolling_extreme(as_series(low), k_period, False)
    fast_k = _fast_stochastic(as_series(close), highest, lowest)
    slow_k = _kernels.rolling_sum(fast_k, k_smoothing) / k_smoothing
    slow_d = _kernels.rolling_sum(slow_k, d_period) / d_period
    return mask_before(slow_k, k_period + k_smoothing + d_period - 3), slow_d


def stochastic_rsi(
    values: np.ndarray, *, rsi_period: int, k_period: int, d_period: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fast stochastic of the RSI: %K and %D."""
    strength = _kernels.rsi(as_series(values), rsi_period)
    highest = _kernels.rolling_extreme(strength, k_period, True)
    lowest = _kernels.rolling_extreme(strength, k_period, False)
    fast_k = _fast_stochastic(strength, highest, lowest)
    fast_d = _kernels.rolling_sum(fast_k, d_period) / d_period
    return mask_before(fast_k, rsi_period + k_period + d_period - 2), fast_d


def cci(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    """Commodity channel index."""
    typical = (as_series(high) + as_series(low) + as_series(close)) / 3.0
    return _kernels.mean_deviation_ratio(typical, period)


def williams_r(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int) -> np.ndarray:
    """Williams %R, from −100 (at the low) to 0 (at the high)."""
    highest = _kernels.rolling_extreme(as_series(high), period, True)
    lowest = _kernels.rolling_extreme(as_series(low), period, False)
    return _kernels.range_ratios(highest - as_series(close), highest, lowest, -100.0)


def roc(values: np.ndarray, period: int) -> np.ndarray:
    """Rate of change in percent."""
    series = as_series(values)
    previous = lagged(series, period)
    ratio = divide_or(series, previous, previous != 0.0, 1.0)
    return mask_before((ratio - 1.0) * 100.0, period)


def momentum(values: np.ndarray, period: int) -> np.ndarray:
    """Difference from the value `period` bars ago."""
    series = as_series(values)
    return series - lagged(series, period)


def trix(values: np.ndarray, period: int) -> np.ndarray:
    """One-bar rate of change of a triple-smoothed EMA, in percent."""
    smoothed = _kernels.ema(_kernels.ema(_kernels.ema(as_series(values), period), period), period)
    previous = lagged(smoothed, 1)
    ratio = divide_or(smoothed, previous, previous != 0.0, 1.0)
    return mask_before((ratio - 1.0) * 100.0, 3 * (period - 1) + 1)


# -- streaming -------------------------------------------------------------------------------


def _fast_stochastic_value(value: float, highest: float, lowest: float) -> float:
    return range_ratio(value - lowest, highest, lowest, 100.0)


class RelativeStrengthIndex(SourceIndicator):
    """Streaming RSI with Wilder's smoothing."""

    def __init__(self, period: int = 14, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=period)

    def _reset_state(self) -> None:
        self._previous = math.nan
        self._count = 0
        self._gain = 0.0
        self._loss = 0.0

    def _push(self, value: float) -> tuple[float, ...]:
        change = value - self._previous
        self._previous = value
        self._count += 1
        period = self.period
        if self._count == 1:
            return (math.nan,)
        if self._count <= period + 1:
            if change < 0:
                self._loss -= change
            else:
                self._gain += change
            if self._count <= period:
                return (math.nan,)
            self._gain /= period
            self._loss /= period
            return (rsi_value(self._gain, self._loss),)
        self._loss *= period - 1
        self._gain *= period - 1
        if change < 0:
            self._loss -= change
        else:
            self._gain += change
        self._loss /= period
        self._gain /= period
        return (rsi_value(self._gain, self._loss),)


class MovingAverageConvergenceDivergence(SourceIndicator):
    """Streaming MACD; the fast EMA starts at bar s−f so it seeds where TA-Lib seeds it."""

    outputs = ("macd", "signal", "histogram")

    def __init__(
        self, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9, source: str = "close"
    ) -> None:
        self.fast_period = fast_period
        self.slow_period = slow_period
        self.signal_period = signal_period
        super().__init__(source=source, warmup=slow_period + signal_period - 2)

    def _reset_state(self) -> None:
        self._fast = ExponentialAverage(self.fast_period)
        self._slow = ExponentialAverage(self.slow_period)
        self._signal = ExponentialAverage(self.signal_period)
        self._count = 0

    def _push(self, value: float) -> tuple[float, ...]:
        slow = self._slow.push(value)
        fast = self._fast.push(value) if self._count >= self.slow_period - self.fast_period else math.nan
        self._count += 1
        if math.isnan(slow):
            return _NAN3
        line = fast - slow
        signal = self._signal.push(line)
        if math.isnan(signal):
            return _NAN3
        return (line, signal, line - signal)


class Stochastic(StreamingIndicator):
    """Streaming slow stochastic."""

    outputs = ("k", "d")

    def __init__(self, k_period: int = 5, k_smoothing: int = 3, d_period: int = 3) -> None:
        self.k_period = k_period
        self.k_smoothing = k_smoothing
        self.d_period = d_period
        super().__init__(warmup=k_period + k_smoothing + d_period - 3)

    def _reset_state(self) -> None:
        self._highest = RollingExtreme(self.k_period, maximum=True)
        self._lowest = RollingExtreme(self.k_period, maximum=False)
        self._k_sum = RollingSum(self.k_smoothing)
        self._d_sum = RollingSum(self.d_period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        highest = self._highest.push(high)
        lowest = self._lowest.push(low)
        if math.isnan(highest):
            return _NAN2
        slow_k = self._k_sum.push(_fast_stochastic_value(close, highest, lowest)) / self.k_smoothing
        if math.isnan(slow_k):
            return _NAN2
        slow_d = self._d_sum.push(slow_k) / self.d_period
        return _NAN2 if math.isnan(slow_d) else (slow_k, slow_d)


class StochasticRsi(SourceIndicator):
    """Streaming stochastic RSI."""

    outputs = ("k", "d")

    def __init__(
        self, rsi_period: int = 14, k_period: int = 5, d_period: int = 3, source: str = "close"
    ) -> None:
        self.rsi_period = rsi_period
        self.k_period = k_period
        self.d_period = d_period
        super().__init__(source=source, warmup=rsi_period + k_period + d_period - 2)

    def _reset_state(self) -> None:
        self._rsi = RelativeStrengthIndex(self.rsi_period)
        self._highest = RollingExtreme(self.k_period, maximum=True)
        self._lowest = RollingExtreme(self.k_period, maximum=False)
        self._d_sum = RollingSum(self.d_period)

    def _push(self, value: float) -> tuple[float, ...]:
        (strength,) = self._rsi.update_value(value)
        if math.isnan(strength):
            return _NAN2
        highest = self._highest.push(strength)
        lowest = self._lowest.push(strength)
        if math.isnan(highest):
            return _NAN2
        fast_k = _fast_stochastic_value(strength, highest, lowest)
        fast_d = self._d_sum.push(fast_k) / self.d_period
        return _NAN2 if math.isnan(fast_d) else (fast_k, fast_d)


class CommodityChannelIndex(StreamingIndicator):
    """Streaming CCI; O(n) per bar, summing oldest to newest as the kernel does."""

    def __init__(self, period: int = 20) -> None:
        self.period = period
        super().__init__(warmup=period - 1)

    def _reset_state(self) -> None:
        self._typical: deque[float] = deque(maxlen=self.period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        typical = (high + low + close) / 3.0
        window = self._typical
        window.append(typical)
        if len(window) < self.period:
            return (math.nan,)
        total = 0.0
        for value in window:
            total += value
        average = total / self.period
        deviation = 0.0
        for value in window:
            deviation += abs(value - average)
        return (commodity_channel(typical - average, deviation / self.period, average),)


class WilliamsR(StreamingIndicator):
    """Streaming Williams %R."""

    def __init__(self, period: int = 14) -> None:
        self.period = period
        super().__init__(warmup=period - 1)

    def _reset_state(self) -> None:
        self._highest = RollingExtreme(self.period, maximum=True)
        self._lowest = RollingExtreme(self.period, maximum=False)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        highest = self._highest.push(high)
        lowest = self._lowest.push(low)
        if math.isnan(highest):
            return (math.nan,)
        return (range_ratio(highest - close, highest, lowest, -100.0),)


class _Lagged(SourceIndicator):
    """Base of indicators comparing a value with the one `period` bars earlier."""

    def __init__(self, period: int, source: str) -> None:
        self.period = period
        super().__init__(source=source, warmup=period)

    def _reset_state(self) -> None:
        self._values: deque[float] = deque(maxlen=self.period + 1)

    def _push(self, value: float) -> tuple[float, ...]:
        self._values.append(value)
        if len(self._values) <= self.period:
            return (math.nan,)
        return (self._compare(value, self._values[0]),)

    @abstractmethod
    def _compare(self, value: float, previous: float) -> float:
        """The output from the current value and the one `period` bars earlier."""


class RateOfChange(_Lagged):
    """Streaming ROC in percent."""

    def __init__(self, period: int = 10, source: str = "close") -> None:
        super().__init__(period, source)

    def _compare(self, value: float, previous: float) -> float:
        ratio = value / previous if previous != 0.0 else 1.0
        return (ratio - 1.0) * 100.0


class Momentum(_Lagged):
    """Streaming momentum."""

    def __init__(self, period: int = 10, source: str = "close") -> None:
        super().__init__(period, source)

    def _compare(self, value: float, previous: float) -> float:
        return value - previous


class Trix(SourceIndicator):
    """Streaming TRIX: three chained EMAs and the last smoothed value."""

    def __init__(self, period: int = 15, source: str = "close") -> None:
        self.period = period
        super().__init__(source=source, warmup=3 * (period - 1) + 1)

    def _reset_state(self) -> None:
        self._averages = tuple(ExponentialAverage(self.period) for _ in range(3))
        self._previous = math.nan

    def _push(self, value: float) -> tuple[float, ...]:
        smoothed = value
        for average in self._averages:
            smoothed = average.push(smoothed)
            if math.isnan(smoothed):
                return (math.nan,)
        previous = self._previous
        self._previous = smoothed
        if math.isnan(previous):
            return (math.nan,)
        ratio = smoothed / previous if previous != 0.0 else 1.0
        return ((ratio - 1.0) * 100.0,)


# -- specs -----------------------------------------------------------------------------------


def _macd_constraints(parameters: Mapping[str, ParameterValue]) -> list[tuple[str, str]]:
    if float(parameters["fast_period"]) >= float(parameters["slow_period"]):
        return [("fast_period", "must be less than slow_period")]
    return []


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="rsi",
        display_name="Relative Strength Index",
        family="momentum",
        description="Wilder's ratio of average gains to average gains plus losses, 0..100.",
        inputs=(SOURCE,),
        parameters=(period_parameter(14), source_parameter()),
        outputs=("value",),
        function=rsi,
        streaming=RelativeStrengthIndex,
    ),
    IndicatorSpec(
        name="macd",
        display_name="MACD",
        family="momentum",
        description="Fast EMA minus slow EMA, its EMA signal line and their difference.",
        inputs=(SOURCE,),
        parameters=(
            period_parameter(12, name="fast_period", description="Bars of the fast EMA."),
            period_parameter(26, name="slow_period", description="Bars of the slow EMA."),
            period_parameter(9, minimum=1, name="signal_period", description="Bars of the signal EMA."),
            source_parameter(),
        ),
        outputs=MovingAverageConvergenceDivergence.outputs,
        function=macd,
        streaming=MovingAverageConvergenceDivergence,
        constraints=_macd_constraints,
    ),
    IndicatorSpec(
        name="stochastic",
        display_name="Stochastic Oscillator",
        family="momentum",
        description="Where the close sits in the recent high-low range (slow %K), and its average (%D).",
        inputs=("high", "low", "close"),
        parameters=(
            period_parameter(5, name="k_period", description="Bars of the high-low range."),
            period_parameter(3, minimum=1, name="k_smoothing", description="SMA bars smoothing fast %K."),
            period_parameter(3, minimum=1, name="d_period", description="SMA bars of %D."),
        ),
        outputs=Stochastic.outputs,
        function=stochastic,
        streaming=Stochastic,
    ),
    IndicatorSpec(
        name="stochastic_rsi",
        display_name="Stochastic RSI",
        family="momentum",
        description="The fast stochastic applied to the RSI: where the RSI sits in its recent range.",
        inputs=(SOURCE,),
        parameters=(
            period_parameter(14, name="rsi_period", description="Bars of the RSI."),
            period_parameter(5, name="k_period", description="Bars of the RSI's high-low range."),
            period_parameter(3, minimum=1, name="d_period", description="SMA bars of %D."),
            source_parameter(),
        ),
        outputs=StochasticRsi.outputs,
        function=stochastic_rsi,
        streaming=StochasticRsi,
    ),
    IndicatorSpec(
        name="cci",
        display_name="Commodity Channel Index",
        family="momentum",
        description="Typical price's distance from its SMA in units of 0.015 mean deviations.",
        inputs=("high", "low", "close"),
        parameters=(period_parameter(20),),
        outputs=("value",),
        function=cci,
        streaming=CommodityChannelIndex,
    ),
    IndicatorSpec(
        name="williams_r",
        display_name="Williams %R",
        family="momentum",
        description="Where the close sits below the recent high, from −100 (at the low) to 0.",
        inputs=("high", "low", "close"),
        parameters=(period_parameter(14),),
        outputs=("value",),
        function=williams_r,
        streaming=WilliamsR,
    ),
    IndicatorSpec(
        name="roc",
        display_name="Rate of Change",
        family="momentum",
        description="Percent change from the value n bars ago.",
        inputs=(SOURCE,),
        parameters=(period_parameter(10, minimum=1), source_parameter()),
        outputs=("value",),
        function=roc,
        streaming=RateOfChange,
    ),
    IndicatorSpec(
        name="momentum",
        display_name="Momentum",
        family="momentum",
        description="Difference from the value n bars ago.",
        inputs=(SOURCE,),
        parameters=(period_parameter(10, minimum=1), source_parameter()),
        outputs=("value",),
        function=momentum,
        streaming=Momentum,
    ),
    IndicatorSpec(
        name="trix",
        display_name="TRIX",
        family="momentum",
        description="One-bar percent change of a triple-smoothed EMA.",
        inputs=(SOURCE,),
        parameters=(period_parameter(15), source_parameter()),
        outputs=("value",),
        function=trix,
        streaming=Trix,
    ),
)
