"""Property: for any valid bars and parameters, streaming == vectorised, warm-up included.

This is the guarantee live deployments rest on: features computed bar by bar equal the batch
features a model was trained on.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.indicators import FIELDS, REGISTRY, compute, stream
from tests.unit.core.indicators.series import SHAPES, assert_same, bars, make_bars, parameters, run_stream

PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(REGISTRY))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_streaming_equals_vectorised(name: str, data: st.DataObject) -> None:
    spec = REGISTRY[name]
    series = data.draw(bars(), label="bars")
    chosen = data.draw(parameters(spec), label="parameters")

    vectorised = compute(name, series, **chosen)
    streamed = run_stream(stream(name, **chosen), series)

    for column, output in enumerate(spec.outputs):
        assert vectorised[output].shape == (series["close"].shape[0],)
        assert vectorised[output].dtype == np.float64
        assert_same(streamed[:, column], vectorised[output], f"{name}.{output}")


@pytest.mark.parametrize("name", sorted(REGISTRY))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_warmup_is_the_nan_prefix_and_ready_follows_it(name: str, data: st.DataObject) -> None:
    spec = REGISTRY[name]
    series = data.draw(bars(), label="bars")
    chosen = data.draw(parameters(spec), label="parameters")
    if chosen.get("source") == "volume":
        chosen["source"] = "close"  # zero volumes make returns undefined past the warm-up
    warmup = spec.warmup(chosen)

    outputs = np.column_stack(list(compute(name, series, **chosen).values()))
    assert np.isnan(outputs[:warmup]).any(axis=1).all(), "an output is complete before the warm-up ends"
    assert np.isfinite(outputs[warmup:]).all(), "an output is undefined after the warm-up"

    indicator = stream(name, **chosen)
    readiness = []
    for bar in zip(*(series[field].tolist() for field in FIELDS), strict=True):
        indicator.update(*bar)
        readiness.append(indicator.ready)
    assert readiness == [index >= warmup for index in range(len(readiness))]


@pytest.mark.parametrize("shape", SHAPES)
def test_generated_bars_are_valid(shape: str) -> None:
    for seed in range(20):
        series = make_bars(300, seed, shape)
        assert (series["high"] >= np.maximum(series["open"], series["close"])).all()
        assert (series["low"] <= np.minimum(series["open"], series["close"])).all()
        assert (series["low"] > 0).all()
        assert (series["volume"] >= 0).all()
        assert all(np.isfinite(column).all() for column in series.values())
