"""A ReadDatasetBars request as a window of bars, and the stream's chunks."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.core.datasets.columnar import CanonicalBars, SymbolRange
from services.core.errors import InvalidArgument
from services.trainer.datasets.messages import BarWindow, bar_chunks, bar_window

SECOND = 10**9


def _request(**fields) -> messages.ReadDatasetBarsRequest:
    return messages.ReadDatasetBarsRequest(dataset_id="d", **fields)


def _refused_fields(request: messages.ReadDatasetBarsRequest) -> set[str]:
    with pytest.raises(InvalidArgument) as raised:
        bar_window(request)
    return {violation.field for violation in raised.value.violations}


def test_unset_times_are_unbounded_and_set_ones_are_nanoseconds():
    assert bar_window(_request()) == BarWindow("", None, None, 0)
    window = bar_window(_request(
        symbol="BTC-USD", start_time=timestamp_pb2.Timestamp(seconds=10, nanos=5),
        end_time=timestamp_pb2.Timestamp(seconds=20), max_bars=7,
    ))  # fmt: skip
    assert window == BarWindow("BTC-USD", 10 * SECOND + 5, 20 * SECOND, 7)
    # an empty range is a range: the stream is empty
    same = timestamp_pb2.Timestamp(seconds=10)
    assert bar_window(_request(start_time=same, end_time=same)).end_ns == 10 * SECOND


def test_every_bad_field_is_named_at_once():
    assert _refused_fields(_request(
        start_time=timestamp_pb2.Timestamp(seconds=20), end_time=timestamp_pb2.Timestamp(seconds=10),
        max_bars=-1,
    )) == {"end_time", "max_bars"}  # fmt: skip
    assert _refused_fields(_request(
        start_time=timestamp_pb2.Timestamp(seconds=2**62), end_time=timestamp_pb2.Timestamp(nanos=-1),
    )) == {"start_time", "end_time"}  # fmt: skip


@given(
    seconds=st.integers(-(2**63), 2**63 - 1),
    nanos=st.integers(-(2**31), 2**31 - 1),
    max_bars=st.integers(-(2**31), 2**31 - 1),
)
def test_any_request_is_a_window_or_a_refusal_naming_its_fields(seconds, nanos, max_bars):
    request = _request(start_time=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos), max_bars=max_bars)
    good_time = -62_135_596_800 <= seconds <= 253_402_300_799 and 0 <= nanos < SECOND
    if good_time and max_bars >= 0:
        assert bar_window(request) == BarWindow("", seconds * SECOND + nanos, None, max_bars)
    else:
        expected = {
            name for name, good in (("start_time", good_time), ("max_bars", max_bars >= 0)) if not good
        }
        assert _refused_fields(request) == expected


def _bars(count: int) -> CanonicalBars:
    values = np.arange(count, dtype=np.float64) + 1.0
    return CanonicalBars(
        timestamps=np.arange(count, dtype=np.int64) * SECOND,
        open=values, high=values, low=values, close=values, volume=values,
        ranges=(SymbolRange("S", 0, count),),
    )  # fmt: skip


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (5, [5]), (6, [5, 1]), (12, [5, 5, 2])])
def test_chunks_are_bounded_and_reassemble_to_the_bars(count, sizes):
    chunks = list(bar_chunks(_bars(count), size=5))
    assert [len(chunk) for chunk in chunks] == sizes
    assert all(chunk.symbol_column().tolist() == ["S"] * len(chunk) for chunk in chunks)
    joined = np.concatenate([chunk.close for chunk in chunks]) if chunks else np.zeros(0)
    np.testing.assert_array_equal(joined, _bars(count).close)
