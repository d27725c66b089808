"""Streaming building blocks, each the one-bar-at-a-time mirror of a kernel in `_kernels.py`.

State is O(1) or O(period) per block. Every block performs the kernel's arithmetic in the
kernel's order, so a streaming indicator assembled from them equals the vectorised one bit for
bit, however long the series.
"""

from __future__ import annotations

import math
from collections import deque

from services.core.indicators._steps import neumaier_add


class RollingSum:
    """Compensated sum of the last `period` values (mirror of `_kernels.rolling_sum`).

    A plain running total drifts as values enter and leave; Neumaier's compensation keeps the
    error at one rounding however many values have passed through.
    """

    __slots__ = ("_compensation", "_total", "_window", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self._window: deque[float] = deque()
        self._total = 0.0
        self._compensation = 0.0

    def push(self, value: float) -> float:
        """Add a value, evict the oldest beyond the window; the sum once full, else NaN."""
        total, compensation = neumaier_add(self._total, self._compensation, value)
        window = self._window
        window.append(value)
        if len(window) > self.period:
            total, compensation = neumaier_add(total, compensation, -window.popleft())
        self._total = total
        self._compensation = compensation
        return total + compensation if len(window) == self.period else math.nan

    @property
    def value(self) -> float:
        """The current sum of the values in the window, full or not."""
        return self._total + self._compensation


class RollingExtreme:
    """Highest (or lowest) of the last `period` values by a monotonic deque (mirror of the kernel).

    Among equal extremes the latest one is kept, which is the tie rule TA-Lib's AROON uses.
    """

    __slots__ = ("_count", "_maximum", "_queue", "period")

    def __init__(self, period: int, *, maximum: bool) -> None:
        self.period = period
        self._maximum = maximum
        self._queue: deque[tuple[int, float]] = deque()
        self._count = 0

    def push(self, value: float) -> float:
        """Add a value; the window's extreme once `period` values were seen, else NaN."""
        queue = self._queue
        if self._maximum:
            while queue and queue[-1][1] <= value:
                queue.pop()
        else:
            while queue and queue[-1][1] >= value:
                queue.pop()
        queue.append((self._count, value))
        if queue[0][0] <= self._count - self.period:
            queue.popleft()
        self._count += 1
        return queue[0][1] if self._count >= self.period else math.nan

    @property
    def bars_since(self) -> int:
        """How many bars ago the current extreme was seen (0 = the latest bar)."""
        return self._count - 1 - self._queue[0][0]


class ExponentialAverage:
    """TA-Lib's EMA: the SMA of the first `period` values seeds it (mirror of `_kernels.ema`)."""

    __slots__ = ("_count", "_seed_total", "_smoothing", "period", "value")

    def __init__(self, period: int) -> None:
        self.period = period
        self._smoothing = 2.0 / (period + 1)
        self._count = 0
        self._seed_total = 0.0
        self.value = math.nan

    def push(self, value: float) -> float:
        """Add a value; the average once seeded, else NaN."""
        if self._count < self.period:
            self._count += 1
            self._seed_total += value
            if self._count == self.period:
                self.value = self._seed_total / self.period
            return self.value
        self.value = (value - self.value) * self._smoothing + self.value
        return self.value


class WilderAverage:
    """Wilder's smoothing as TA-Lib's ATR: SMA seed, then (previous·(n−1) + value) / n."""

    __slots__ = ("_count", "_seed_total", "period", "value")

    def __init__(self, period: int) -> None:
        self.period = period
        self._count = 0
        self._seed_total = 0.0
        self.value = math.nan

    def push(self, value: float) -> float:
        """Add a value; the average once seeded, else NaN."""
        if self._count < self.period:
            self._count += 1
            self._seed_total += value
            if self._count == self.period:
                self.value = self._seed_total / self.period
            return self.value
        previous = self.value * (self.period - 1)
        previous += value
        self.value = previous / self.period
        return self.value


class RollingVariance:
    """Population variance of the last `period` values (mirror of `_kernels.rolling_variance`).

    TA-Lib's cancellation-free scheme: sums of deviations from a shift near the window,
    re-anchored at the window mean with a fresh two-pass when cancellation starts to bite, when
    a far outlier leaves, and at least every 32 windows. A flat window has exactly zero variance.
    """

    __slots__ = ("_count", "_inverse", "_shift", "_squares", "_total", "_until_reseed", "_window", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self._inverse = 1.0 / period
        self._window: deque[float] = deque(maxlen=period)
        self._count = 0
        self._shift = 0.0
        self._total = 0.0
        self._squares = 0.0
        self._until_reseed = 32 * period

    def push(self, value: float) -> float:
        """Add a value; the window's variance once it is full, else NaN."""
        window = self._window
        window.append(value)
        self._count += 1
        if self._count == 1:
            self._shift = value
        deviation = value - self._shift
        self._total += deviation
        self._squares += deviation * deviation
        if self._count < self.period:
            return math.nan
        inverse = self._inverse
        mean = self._total * inverse
        variance = self._squares * inverse - mean * mean
        deviation = window[0] - self._shift
        self._total -= deviation
        deviation *= deviation
        self._squares -= deviation
        self._until_reseed -= 1
        if (
            variance < 0.000001 * (self._squares * inverse)
            or deviation > 1000000.0 * self._squares
            or self._until_reseed <= 0
        ):
            variance = self._reseed()
        return variance

    def _reseed(self) -> float:
        """Re-anchor the shift at the window mean; the window's variance from a fresh two-pass."""
        inverse = self._inverse
        self._until_reseed = 32 * self.period
        window_total = 0.0
        for value in self._window:
            window_total += value
        shift = window_total * inverse
        total = 0.0
        squares = 0.0
        for value in self._window:
            deviation = value - shift
            total += deviation
            squares += deviation * deviation
        mean = total * inverse
        variance = squares * inverse - mean * mean
        if variance < 0.000000000001 * (squares * inverse):
            variance = 0.0
        deviation = self._window[0] - shift
        self._total = total - deviation
        self._squares = squares - deviation * deviation
        self._shift = shift
        return variance
