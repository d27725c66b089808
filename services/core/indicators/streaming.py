"""The one streaming interface every indicator implements, so a feature pipeline drives them alike.

Live deployments see one bar at a time and must compute exactly what the batch form computed
on the training data. Every streaming indicator therefore takes the same `update(open, high,
low, close, volume)` call and returns the same kind of answer: a tuple of floats, one per
declared output, NaN while that output is still warming up.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar, Protocol

FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class BarLike(Protocol):
    """Anything with OHLCV attributes (a domain Bar, a namedtuple, a pandas row)."""

    open: float
    high: float
    low: float
    close: float
    volume: float


class StreamingIndicator(ABC):
    """Incremental form of an indicator: `update` per bar, `ready` once every output is defined.

    Subclasses set `outputs`, pass their warm-up length (bars with at least one NaN output) to
    this constructor, build their state in `_reset_state` and compute a bar in `_step`.
    `reset()` rebuilds the state, so a reset object is indistinguishable from a fresh one.
    """

    outputs: ClassVar[tuple[str, ...]] = ("value",)

    def __init__(self, *, warmup: int) -> None:
        self.warmup = warmup
        self._bars = 0
        self._last: tuple[float, ...] = ()
        self.reset()

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        """Consume one bar; returns every output's value for it (NaN while warming up)."""
        self._last = self._step(open, high, low, close, volume)
        self._bars += 1
        return self._last

    def update_bar(self, bar: BarLike) -> tuple[float, ...]:
        """`update` from an object carrying open/high/low/close/volume attributes."""
        return self.update(bar.open, bar.high, bar.low, bar.close, bar.volume)

    def reset(self) -> None:
        """Forget every bar seen: the object then behaves exactly as a freshly built one."""
        self._bars = 0
        self._last = (math.nan,) * len(self.outputs)
        self._reset_state()

    @property
    def ready(self) -> bool:
        """True once every output is defined (more than `warmup` bars were seen)."""
        return self._bars > self.warmup

    @property
    def bars_seen(self) -> int:
        """Bars consumed since construction or the last reset."""
        return self._bars

    @property
    def value(self) -> float:
        """The first (main) output after the last bar."""
        return self._last[0]

    @property
    def values(self) -> dict[str, float]:
        """Every output after the last bar, by name."""
        return dict(zip(self.outputs, self._last, strict=True))

    @abstractmethod
    def _reset_state(self) -> None:
        """(Re)build the indicator's state as before the first bar."""

    @abstractmethod
    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        """Compute the outputs for one more bar."""


class SourceIndicator(StreamingIndicator):
    """A single-series indicator: its `source` parameter names the bar field it reads."""

    def __init__(self, *, source: str, warmup: int) -> None:
        self.source = source
        self._source_index = FIELDS.index(source)
        super().__init__(warmup=warmup)

    def update_value(self, value: float) -> tuple[float, ...]:
        """Consume one value of the series directly (an indicator of another indicator)."""
        self._last = self._push(value)
        self._bars += 1
        return self._last

    def _step(self, open: float, high: float, low: float, close: float, volume: float) -> tuple[float, ...]:
        return self._push((open, high, low, close, volume)[self._source_index])

    @abstractmethod
    def _push(self, value: float) -> tuple[float, ...]:
        """Compute the outputs for one more value of the source series."""
