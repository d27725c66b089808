"""The live feature pipeline computes exactly the training features, bar after bar."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.core.errors import InvalidArgument
from services.core.features import (
    StreamingFeatures,
    compute_features,
    feature_columns,
    first_complete_row,
)
from services.core.strategy import compile_graph, get_template
from tests.unit.core.strategy.graphs import bars, property_settings, random_bars, valid_graphs


def streamed(pipeline: StreamingFeatures, bars_in, start: int = 0, stop: int | None = None) -> np.ndarray:
    rows = []
    for index in range(start, len(bars_in) if stop is None else stop):
        vector = pipeline.update_fields(
            bars_in.open[index], bars_in.high[index], bars_in.low[index], bars_in.close[index],
            bars_in.volume[index],
        )  # fmt: skip
        rows.append(vector if vector is not None else np.full(len(pipeline.names), np.nan))
    return np.array(rows).reshape(-1, len(pipeline.names))


def assert_rows_equal(streamed_rows: np.ndarray, batch_rows: np.ndarray) -> None:
    """Bit for bit, except that a streamed row with any NaN is reported whole as None (all NaN)."""
    complete = ~np.isnan(batch_rows).any(axis=1)
    np.testing.assert_array_equal(streamed_rows[complete], batch_rows[complete])
    assert np.isnan(streamed_rows[~complete]).all()


@property_settings(60)
@given(graph=valid_graphs(), series=bars(min_size=2, max_size=200))
def test_streaming_equals_vectorised_on_random_strategies(graph, series):
    spec = compile_graph(graph)
    assume(len(spec.indicators) > 0)  # the compiler drops indicators no condition reads
    columns = feature_columns(spec)
    batch = compute_features(spec, series, columns)
    pipeline = StreamingFeatures(spec, columns)
    assert_rows_equal(streamed(pipeline, series), batch.values)


@property_settings(30)
@given(series=bars(min_size=40, max_size=200), cut=st.floats(0.1, 0.9))
def test_a_restored_snapshot_continues_exactly(series, cut):
    spec = compile_graph(get_template("macd_adx_trend").graph)
    columns = feature_columns(spec)
    split = int(len(series) * cut)
    original = StreamingFeatures(spec, columns)
    streamed(original, series, 0, split)
    state = original.snapshot()
    rest = streamed(original, series, split)
    moved = StreamingFeatures(spec, columns)
    moved.restore(state)
    np.testing.assert_array_equal(streamed(moved, series, split), rest)
    assert moved.bars_seen == len(series)


def test_reset_behaves_as_new_and_ready_follows_the_warm_up():
    spec = compile_graph(get_template("sma_crossover").graph)
    columns = feature_columns(spec)
    series = random_bars(120, seed=3)
    pipeline = StreamingFeatures(spec, columns)
    first = streamed(pipeline, series)
    pipeline.reset()
    assert not pipeline.ready
    assert pipeline.bars_seen == 0
    np.testing.assert_array_equal(streamed(pipeline, series), first)
    assert pipeline.ready
    warmup = first_complete_row(compute_features(spec, series, columns))
    assert np.isnan(first[:warmup]).all()
    assert not np.isnan(first[warmup:]).any()


def test_columns_default_to_every_indicator_output_in_spec_order():
    spec = compile_graph(get_template("macd_adx_trend").graph)
    names = [column.name for column in feature_columns(spec)]
    assert names == [
        "adx.adx", "adx.plus_di", "adx.minus_di", "macd.macd", "macd.signal", "macd.histogram",
    ]  # fmt: skip
    chosen = feature_columns(spec, ["macd.signal", "adx.adx"])
    assert [column.name for column in chosen] == ["macd.signal", "adx.adx"]


def test_unknown_and_repeated_columns_are_named():
    spec = compile_graph(get_template("sma_crossover").graph)
    with pytest.raises(InvalidArgument) as caught:
        feature_columns(spec, ["sma_fast.value", "nope.value", "sma_fast.value"])
    assert [violation.field for violation in caught.value.violations] == ["features[1]", "features[2]"]


def test_a_snapshot_of_other_columns_is_refused():
    spec = compile_graph(get_template("macd_adx_trend").graph)
    pipeline = StreamingFeatures(spec, feature_columns(spec, ["adx.adx"]))
    other = StreamingFeatures(spec, feature_columns(spec, ["macd.macd"]))
    with pytest.raises(ValueError, match="other feature columns"):
        pipeline.restore(other.snapshot())


def test_streaming_log_returns_equal_the_vectorised_ones_to_the_last_bit():
    """libm's log and numpy's SIMD log disagree in the last bit for some ratios (about 1 in 170)."""
    from services.core.indicators.statistics import LogReturns, log_returns  # noqa: PLC0415

    closes = np.cumprod(np.random.default_rng(5).uniform(0.9, 1.1, 5_000)) * 100
    streaming = LogReturns(period=1)
    streamed_values = [streaming.update_value(value)[0] for value in closes]
    np.testing.assert_array_equal(np.array(streamed_values), log_returns(closes, 1))
