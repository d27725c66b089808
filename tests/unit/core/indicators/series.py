"""Synthetic OHLCV series and hypothesis strategies shared by the indicator tests."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from hypothesis import strategies as st

from services.core.indicators import FIELDS, IndicatorSpec, StreamingIndicator

Bars = dict[str, np.ndarray]

SHAPES = ("random_walk", "ticks", "flat", "gappy")


def make_bars(size: int, seed: int, shape: str = "random_walk") -> Bars:
    """Valid OHLCV bars: positive prices, high ≥ max(open, close), low ≤ min(open, close), volume ≥ 0.

    "random_walk" is a geometric walk at a random price level and volatility; "ticks" moves on
    a coarse price grid, so highs, lows and closes tie often; "flat" never moves; "gappy" is a
    walk with zero-range bars and runs without volume.
    """
    rng = np.random.default_rng(seed)
    level = 10.0 ** rng.uniform(-2, 4)
    if shape == "flat":
        close = np.full(size, level)
    elif shape == "ticks":
        close = 100.0 + np.cumsum(rng.integers(-1, 2, size)).astype(np.float64)
        close = np.maximum(close, 1.0)
    else:
        close = level * np.exp(np.cumsum(rng.normal(0.0, 10.0 ** rng.uniform(-4, -1.5), size)))
    opened = np.concatenate([close[:1], close[:-1]])
    top = np.maximum(opened, close)
    bottom = np.minimum(opened, close)
    if shape == "ticks":
        high = top + rng.integers(0, 2, size)
        low = np.maximum(bottom - rng.integers(0, 2, size), 0.5)
    elif shape == "flat":
        high, low = top.copy(), bottom.copy()
    else:
        spread = 10.0 ** rng.uniform(-4, -2)
        high = top * (1.0 + rng.uniform(0.0, spread, size))
        low = bottom * (1.0 - rng.uniform(0.0, spread, size))
    volume = np.round(rng.uniform(0.0, 1e6, size)) * (rng.uniform(size=size) > 0.15)
    if shape == "gappy":
        still = rng.uniform(size=size) < 0.3
        high[still] = low[still] = opened[still] = close[still]
        volume[rng.uniform(size=size) < 0.5] = 0.0
    if shape == "flat" and rng.uniform() < 0.5:
        volume[:] = 0.0
    return {"open": opened, "high": high, "low": low, "close": close, "volume": volume}


@st.composite
def bars(draw: st.DrawFn, max_size: int = 400) -> Bars:
    """A random valid OHLCV series of 1..max_size bars."""
    size = draw(st.integers(1, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    return make_bars(size, seed, draw(st.sampled_from(SHAPES)))


def parameters(spec: IndicatorSpec) -> st.SearchStrategy[dict[str, object]]:
    """Random valid parameters: mostly short periods (outputs appear), sometimes up to the maximum."""
    fields: dict[str, st.SearchStrategy[object]] = {}
    for parameter in spec.parameters:
        if parameter.kind == "choice":
            fields[parameter.name] = st.sampled_from(parameter.choices)
            continue
        low, high = parameter.minimum, parameter.maximum
        assert low is not None
        assert high is not None
        if parameter.kind == "int":
            short = st.integers(int(low), int(min(high, 30)))
            fields[parameter.name] = short | st.integers(int(low), int(high))
        else:
            fields[parameter.name] = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.fixed_dictionaries(fields).filter(lambda values: not spec.constraints(values))


def run_stream(indicator: StreamingIndicator, series: Mapping[str, np.ndarray]) -> np.ndarray:
    """Drive a streaming indicator bar by bar; one row of outputs per bar."""
    columns = [np.asarray(series[field], dtype=np.float64).tolist() for field in FIELDS]
    rows = [indicator.update(*bar) for bar in zip(*columns, strict=True)]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(indicator.outputs))


def assert_same(actual: np.ndarray, expected: np.ndarray, label: str, tolerance: float = 1e-9) -> None:
    """Equal NaN positions, and values equal within `tolerance` relative or absolute."""
    actual_missing = np.isnan(actual)
    expected_missing = np.isnan(expected)
    mismatched = np.flatnonzero(actual_missing != expected_missing)
    assert mismatched.size == 0, (
        f"{label}: NaN positions differ first at bar {mismatched[0]} "
        f"(got {actual[mismatched[0]]}, expected {expected[mismatched[0]]})"
    )
    defined = ~actual_missing
    close = np.isclose(actual[defined], expected[defined], rtol=tolerance, atol=tolerance)
    if not close.all():
        bar = np.flatnonzero(defined)[np.argmin(close)]
        raise AssertionError(f"{label}: bar {bar} differs: got {actual[bar]!r}, expected {expected[bar]!r}")
