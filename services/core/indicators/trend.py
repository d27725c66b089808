"""Trend: ADX with ±DI, parabolic SAR, SuperTrend and Aroon.

- ADX(n) (TA-Lib ADX, PLUS_DI, MINUS_DI): +DM/−DM and the true range are summed over bars
  1..n−1, then Wilder-smoothed (s − s/n + x); ±DI = 100·DM/TR from bar n (0 when TR ~ 0);
  DX = 100·|+DI − −DI|/(+DI + −DI); ADX = mean of the first n DX at bar 2n−1, then
  (ADX·(n−1) + DX)/n (a bar whose DX is undefined keeps the ADX). `ready` at bar 2n−1.
- Parabolic SAR(a, max) (TA-Lib SAR): the first bar is consumed to seed. The direction of
  bar 1 is short if its −DM is positive, else long; the seed SAR is bar 0's low (long) or high
  (short) and the extreme point bar 1's high (long) or low (short). Then Wilder's rules:
  SAR += af·(EP − SAR), af grows by a to max on each new extreme, the SAR never enters the last
  two bars' range, and a penetration reverses to the prior extreme. From bar 1.
- SuperTrend(n, k) (TA-Lib SUPERTREND): bands (H+L)/2 ± k·ATR_n ratchet toward price and are
  released by a close beyond them; the trend, seeded up at bar n, flips when the close crosses
  the band on the far side. Outputs the active band and the direction (+1 up, −1 down). From bar n.
- Aroon(n) (TA-Lib AROON, AROONOSC): over the last n+1 bars, up = 100·(n − bars since the
  highest high)/n, down likewise with the lowest low (ties go to the latest bar), oscillator =
  up − down. From bar n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from services.core.indicators import _kernels
from services.core.indicators._series import as_series
from services.core.indicators._state import RollingExtreme
from services.core.indicators._steps import (
    directional_index,
    directional_movement,
    sar_step,
    supertrend_step,
    true_range,
)
from services.core.indicators.spec import IndicatorSpec, ParameterSpec, ParameterValue, period_parameter
from services.core.indicators.spec import multiplier_parameter as _multiplier
from services.core.indicators.streaming import StreamingIndicator
from services.core.indicators.volatility import AverageTrueRange, atr

_NAN2 = (math.nan, math.nan)
_NAN3 = (math.nan, math.nan, math.nan)

# -- vectorised ------------------------------------------------------------------------------


def adx(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average directional index, +DI and −DI."""
    return _kernels.adx(as_series(high), as_series(low), as_series(close), period)


def sar(high: np.ndarray, low: np.ndarray, *, acceleration: float, maximum: float) -> np.ndarray:
    """Parabolic stop and reverse."""
    return _kernels.parabolic_sar(as_series(high), as_series(low), float(acceleration), float(maximum))


def supertrend(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, *, period: int, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    """SuperTrend line and direction."""
    high, low, close = as_series(high), as_series(low), as_series(close)
    return _kernels.supertrend(high, low, close, atr(high, low, close, period), float(multiplier))


def aroon(high: np.ndarray, low: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aroon up, down and oscillator."""
    return _kernels.aroon(as_series(high), as_series(low), period)


# -- streaming -------------------------------------------------------------------------------


class AverageDirectionalIndex(StreamingIndicator):
    """Streaming ADX, +DI and −DI in TA-Lib's sequence."""

    outputs = ("adx", "plus_di", "minus_di")

    def __init__(self, period: int = 14) -> None:
        self.period = period
        super().__init__(warmup=2 * period - 1)

    def _reset_state(self) -> None:
        self._previous = (math.nan, math.nan, math.nan)
        self._plus_dm = 0.0
        self._minus_dm = 0.0
        self._range = 0.0
        self._dx_total = 0.0
        self._adx = math.nan

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        index = self._bars
        previous_high, previous_low, previous_close = self._previous
        self._previous = (high, low, close)
        if index == 0:
            return _NAN3
        period = self.period
        up, down = directional_movement(high, low, previous_high, previous_low)
        bar_range = true_range(high, low, previous_close)
        if index < period:
            self._plus_dm += up
            self._minus_dm += down
            self._range += bar_range
            return _NAN3
        self._minus_dm -= self._minus_dm / period
        self._plus_dm -= self._plus_dm / period
        self._minus_dm += down
        self._plus_dm += up
        self._range = self._range - (self._range / period) + bar_range
        has_dx, dx, plus, minus = directional_index(self._plus_dm, self._minus_dm, self._range)
        if index < self.warmup:
            if has_dx:
                self._dx_total += dx
            return (math.nan, plus, minus)
        if index == self.warmup:
            if has_dx:
                self._dx_total += dx
            self._adx = self._dx_total / period
        elif has_dx:
            self._adx = ((self._adx * (period - 1)) + dx) / period
        return (self._adx, plus, minus)


class ParabolicSar(StreamingIndicator):
    """Streaming parabolic SAR with TA-Lib's bootstrap."""

    def __init__(self, acceleration: float = 0.02, maximum: float = 0.2) -> None:
        self.acceleration = float(acceleration)
        self.maximum = float(maximum)
        super().__init__(warmup=1)

    def _reset_state(self) -> None:
        self._previous = (math.nan, math.nan)
        self._state = (True, math.nan, math.nan, self.acceleration)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        previous_high, previous_low = self._previous
        self._previous = (high, low)
        if self._bars == 0:
            return (math.nan,)
        if self._bars == 1:
            _, down = directional_movement(high, low, previous_high, previous_low)
            is_long = not down > 0
            self._state = (
                is_long,
                previous_low if is_long else previous_high,
                high if is_long else low,
                self.acceleration,
            )
            previous_high, previous_low = high, low
        reported, self._state = sar_step(
            self._state, (high, low, previous_high, previous_low), (self.acceleration, self.maximum)
        )
        return (reported,)


class SuperTrend(StreamingIndicator):
    """Streaming SuperTrend over a streaming ATR."""

    outputs = ("supertrend", "direction")

    def __init__(self, period: int = 10, multiplier: float = 3.0) -> None:
        self.period = period
        self.multiplier = float(multiplier)
        super().__init__(warmup=period)

    def _reset_state(self) -> None:
        self._range = AverageTrueRange(self.period)
        self._previous_close = math.nan
        self._state = (True, math.nan, math.nan)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        (average_range,) = self._range.update(open, high, low, close, volume)
        previous_close = self._previous_close
        self._previous_close = close
        if self._bars < self.period:
            return _NAN2
        median = (high + low) / 2.0
        band = self.multiplier * average_range
        if self._bars == self.period:
            self._state = (True, median + band, median - band)
        else:
            self._state = supertrend_step(
                self._state, (median + band, median - band), (previous_close, close)
            )
        is_up, upper, lower = self._state
        return (lower, 1.0) if is_up else (upper, -1.0)


class Aroon(StreamingIndicator):
    """Streaming Aroon over monotonic deques of the last n+1 highs and lows."""

    outputs = ("up", "down", "oscillator")

    def __init__(self, period: int = 14) -> None:
        self.period = period
        self._factor = 100.0 / period
        super().__init__(warmup=period)

    def _reset_state(self) -> None:
        self._highest = RollingExtreme(self.period + 1, maximum=True)
        self._lowest = RollingExtreme(self.period + 1, maximum=False)

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        highest = self._highest.push(high)
        self._lowest.push(low)
        if math.isnan(highest):
            return _NAN3
        since_high = self._highest.bars_since
        since_low = self._lowest.bars_since
        factor = self._factor
        return (
            factor * (self.period - since_high),
            factor * (self.period - since_low),
            factor * (since_low - since_high),
        )


# -- specs -----------------------------------------------------------------------------------


def _sar_constraints(parameters: Mapping[str, ParameterValue]) -> list[tuple[str, str]]:
    if float(parameters["acceleration"]) > float(parameters["maximum"]):
        return [("acceleration", "must not exceed maximum")]
    return []


def _factor_parameter(name: str, default: float, description: str) -> ParameterSpec:
    return ParameterSpec(
        name=name, kind="float", default=default, description=description, minimum=0.001, maximum=1.0
    )


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        name="adx",
        display_name="Average Directional Index",
        family="trend",
        description="Trend strength (ADX, 0..100) with the directional indicators +DI and −DI.",
        inputs=("high", "low", "close"),
        parameters=(period_parameter(14),),
        outputs=AverageDirectionalIndex.outputs,
        function=adx,
        streaming=AverageDirectionalIndex,
    ),
    IndicatorSpec(
        name="sar",
        display_name="Parabolic SAR",
        family="trend",
        description="Wilder's trailing stop that accelerates with the trend and flips on penetration.",
        inputs=("high", "low"),
        parameters=(
            _factor_parameter("acceleration", 0.02, "Acceleration factor step (and start)."),
            _factor_parameter("maximum", 0.2, "Ceiling of the acceleration factor."),
        ),
        outputs=("value",),
        function=sar,
        streaming=ParabolicSar,
        constraints=_sar_constraints,
    ),
    IndicatorSpec(
        name="supertrend",
        display_name="SuperTrend",
        family="trend",
        description="ATR bands around the bar's midpoint that ratchet with the trend; direction +1/−1.",
        inputs=("high", "low", "close"),
        parameters=(
            period_parameter(10, description="Bars of the ATR."),
            _multiplier(3.0, name="multiplier", description="Band distance in ATRs."),
        ),
        outputs=SuperTrend.outputs,
        function=supertrend,
        streaming=SuperTrend,
    ),
    IndicatorSpec(
        name="aroon",
        display_name="Aroon",
        family="trend",
        description="How recently the period's high (up) and low (down) occurred, and their difference.",
        inputs=("high", "low"),
        parameters=(period_parameter(14),),
        outputs=Aroon.outputs,
        function=aroon,
        streaming=Aroon,
    ),
)
