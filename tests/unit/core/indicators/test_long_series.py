"""Long series: no drift between the two forms, and no drift away from the exact answer.

The series falls from ~1e6 to ~1 over 100,000 bars while volume shrinks with it, the case that
makes a plain running total drift: what it accumulated at a high price level stays in the total
as rounding error after the level has dropped (a naive rolling SMA is off by ~4e-9 relative at
the end of this series; the compensated one by ~2e-16).
"""

from __future__ import annotations

import numpy as np
import pytest

from services.core.indicators import REGISTRY, compute, stream
from tests.unit.core.indicators.series import Bars, assert_same, run_stream

BARS = 100_000


@pytest.fixture(scope="module")
def falling() -> Bars:
    rng = np.random.default_rng(11)
    close = 1e6 * np.exp(np.cumsum(rng.normal(-np.log(1e6) / BARS, 2e-3, BARS)))
    opened = np.concatenate([close[:1], close[:-1]])
    high = np.maximum(opened, close) * (1.0 + rng.uniform(0.0, 2e-3, BARS))
    low = np.minimum(opened, close) * (1.0 - rng.uniform(0.0, 2e-3, BARS))
    volume = np.round(rng.uniform(0.0, 1e6, BARS) * close)
    return {"open": opened, "high": high, "low": low, "close": close, "volume": volume}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_streaming_equals_vectorised_after_100k_bars(name: str, falling: Bars) -> None:
    vectorised = compute(name, falling)
    streamed = run_stream(stream(name), falling)
    for column, output in enumerate(REGISTRY[name].outputs):
        assert_same(streamed[:, column], vectorised[output], f"{name}.{output}")


# Indicators whose value depends only on the last `period` bars: recomputed from scratch on the
# final window alone, they must give the same answer as after 100,000 bars of running sums.
WINDOWED = {
    "sma": ("value",),
    "wma": ("value",),
    "stddev": ("value",),
    "zscore": ("value",),
    "bbands": ("upper", "middle", "lower", "percent_b", "width"),
    "vwap": ("value",),
    "cmf": ("value",),
    "cci": ("value",),
}


@pytest.mark.parametrize("name", sorted(WINDOWED))
def test_no_drift_from_the_exact_window_value(name: str, falling: Bars) -> None:
    period = 20
    whole = compute(name, falling, period=period)
    tail = compute(name, {field: values[-period:] for field, values in falling.items()}, period=period)
    for output in WINDOWED[name]:
        assert whole[output][-1] == pytest.approx(tail[output][-1], rel=1e-12, abs=1e-12), output


def test_mfi_has_no_drift_either(falling: Bars) -> None:
    period = 14
    whole = compute("mfi", falling, period=period)["value"][-1]
    tail = compute("mfi", {field: values[-period - 1 :] for field, values in falling.items()}, period=period)
    assert whole == pytest.approx(tail["value"][-1], rel=1e-12)
