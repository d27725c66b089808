"""Volume indicators: OBV, rolling VWAP, money flow index and Chaikin money flow.

- OBV: starts at the first bar's volume, then adds the volume on an up close, subtracts it
  on a down close, keeps it on an unchanged close (TA-Lib OBV). Defined from bar 0.
- Rolling VWAP(n): Σ TP·V / Σ V over the last n bars, TP = (H+L+C)/3. A window without any
  volume has no volume-weighted price; it reports the plain mean of TP instead. From bar n−1.
  (TA-Lib's VWAP is cumulative, not rolling.)
- MFI(n): money flow TP·V is positive when TP rose, negative when it fell, none when TP moved
  less than 1e-14 of its magnitude; MFI = 100·Σpos / (Σpos + Σneg) over the last n bars, 0 for
  a window in which nothing flowed (TA-Lib MFI). From bar n.
- CMF(n): Σ MFV / Σ V over the last n bars, MFV = ((C − L) − (H − C)) / (H − L) · V
  (0 when H = L); 0 when the window has no volume (TA-Lib CMF). From bar n−1.

Window sums are compensated; "no volume in the window" is decided by counting the bars with
positive volume, so it never depends on whether a sum of rounded values cancels exactly.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series, divide_or
from services.core.indicators._state import RollingSum
from services.core.indicators._steps import money_flow, money_flow_index
from services.core.indicators.spec import IndicatorSpec, period_parameter
from services.core.indicators.streaming import StreamingIndicator

# -- vectorised ------------------------------------------------------------------------------


def _typical_price(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    return (as_series(high) + as_series(low) + as_series(close)) / 3.0


def _bars_with_volume(volume: np.ndarray, period: int) -> np.ndarray:
    """How many of the last `period` bars traded (volume > 0); exact integer counts."""
    counts = np.cumsum(volume > 0.0, dtype=np.int64)
    window_counts = counts.copy()
    window_counts[period:] -= counts[:-period]
    return window_counts


def obv(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """On-balance volume."""
    return _kernels.on_balance_volume(as_series(close), as_series(volume))


def vwap(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, period: int) -> np.ndarray:
    """Rolling volume-weighted average of the typical price."""
    typical = _typical_price(high, low, close)
    volume = as_series(volume)
    weighted = _kernels.rolling_sum(typical * volume, period)
    traded = _kernels.rolling_sum(volume, period)
    plain = _kernels.rolling_sum(typical, period) / period
    has_volume = _bars_with_volume(volume, period) > 0
    return np.where(has_volume, divide_or(weighted, traded, has_volume, np.nan), plain)


def mfi(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, period: int) -> np.ndarray:
    """Money flow index."""
    return _kernels.money_flow_index_series(_typical_price(high, low, close), as_series(volume), period)


def cmf(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, period: int) -> np.ndarray:
    """Chaikin money flow."""
    high, low, close, volume = as_series(high), as_series(low), as_series(close), as_series(volume)
    spread = high - low
    multiplier = divide_or(close - low - (high - close), spread, spread > 0.0, 0.0)
    flow = _kernels.rolling_sum(multiplier * volume, period)
    traded = _kernels.rolling_sum(volume, period)
    has_volume = _bars_with_volume(volume, period) > 0
    return divide_or(flow, traded, has_volume, 0.0)


# -- streaming -------------------------------------------------------------------------------


class _WindowCount:
    """How many of the last `period` bars had some property (traded, carried money flow)."""

    __slots__ = ("_flags", "count")

    def __init__(self, period: int) -> None:
        self._flags: deque[bool] = deque(maxlen=period)
        self.count = 0

    def push(self, flag: bool) -> int:
        flags = self._flags
        if len(flags) == flags.maxlen and flags[0]:
            self.count -= 1
        flags.append(flag)
        self.count += flag
        return self.count


class OnBalanceVolume(StreamingIndicator):
    """Streaming OBV."""

    def __init__(self) -> None:
        super().__init__(warmup=0)

    def _reset_state(self) -> None:
        self._previous_close = math.nan
        self._total = math.nan

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        previous_close = self._previous_close
        self._previous_close = close
        if math.isnan(previous_close):
            self._total = volume
        elif close > previous_close:
            self._total += volume
        elif close < previous_close:
            self._total -= volume
        return (self._total,)


class RollingVwap(StreamingIndicator):
    """Streaming rolling VWAP."""

    def __init__(self, period: int = 20) -> None:
        self.period = period
        super().__init__(warmup=period - 1)

    def _reset_state(self) -> None:
        self._weighted = RollingSum(self.period)
        self._traded = RollingSum(self.period)
        self._typical = RollingSum(self.period)
        self._with_volume = _WindowCount(self.period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        typical = (high + low + close) / 3.0
        weighted = self._weighted.push(typical * volume)
        traded = self._traded.push(volume)
        plain = self._typical.push(typical) / self.period
        with_volume = self._with_volume.push(volume > 0.0)
        if math.isnan(weighted):
            return (math.nan,)
        return (weighted / traded if with_volume > 0 else plain,)


class MoneyFlowIndex(StreamingIndicator):
    """Streaming MFI."""

    def __init__(self, period: int = 14) -> None:
        self.period = period
        super().__init__(warmup=period)

    def _reset_state(self) -> None:
        self._previous_typical = math.nan
        self._positive = RollingSum(self.period)
        self._negative = RollingSum(self.period)
        self._flowing = _WindowCount(self.period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        typical = (high + low + close) / 3.0
        previous_typical = self._previous_typical
        self._previous_typical = typical
        if math.isnan(previous_typical):
            return (math.nan,)
        positive, negative = money_flow(typical, previous_typical, volume)
        positive_sum = self._positive.push(positive)
        negative_sum = self._negative.push(negative)
        flowing = self._flowing.push(positive != 0.0 or negative != 0.0)
        if math.isnan(positive_sum):
            return (math.nan,)
        return (money_flow_index(positive_sum, negative_sum) if flowing else 0.0,)


class ChaikinMoneyFlow(StreamingIndicator):
    """Streaming CMF."""

    def __init__(self, period: int = 20) -> None:
        self.period = period
        super().__init__(warmup=period - 1)

    def _reset_state(self) -> None:
        self._flow = RollingSum(self.period)
        self._traded = RollingSum(self.period)
        self._with_volume = _WindowCount(self.period)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        spread = high - low
        multiplier = (close - low - (high - close)) / spread if spread > 0.0 else 0.0
        flow = self._flow.push(multiplier * volume)
        traded = self._traded.push(volume)
        with_volume = self._with_volume.push(volume > 0.0)
        if math.isnan(flow):
            return (math.nan,)
        return (flow / traded if with_volume > 0 else 0.0,)


# -- specs -----------------------------------------------------------------------------------

SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="obv",
        display_name="On-Balance Volume",
        family="volume",
        description="Running total of volume, signed by the direction of the close.",
        inputs=("close", "volume"),
        parameters=(),
        outputs=("value",),
        function=obv,
        streaming=OnBalanceVolume,
    ),
    IndicatorSpec(
        name="vwap",
        display_name="Rolling VWAP",
        family="volume",
        description="Volume-weighted average typical price of the last n bars.",
        inputs=("high", "low", "close", "volume"),
        parameters=(period_parameter(20),),
        outputs=("value",),
        function=vwap,
        streaming=RollingVwap,
    ),
    IndicatorSpec(
        name="mfi",
        display_name="Money Flow Index",
        family="volume",
        description="Volume-weighted RSI: share of money flow on up bars, 0..100.",
        inputs=("high", "low", "close", "volume"),
        parameters=(period_parameter(14),),
        outputs=("value",),
        function=mfi,
        streaming=MoneyFlowIndex,
    ),
    IndicatorSpec(
        name="cmf",
        display_name="Chaikin Money Flow",
        family="volume",
        description="Volume-weighted average of where each close sits in its bar's range, −1..1.",
        inputs=("high", "low", "close", "volume"),
        parameters=(period_parameter(20),),
        outputs=("value",),
        function=cmf,
        streaming=ChaikinMoneyFlow,
    ),
)
