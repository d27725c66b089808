"""Feature matrices decode the same on the byte path and the element path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from services.core.errors import InvalidArgument
from services.predictor.conversions import feature_rows


def request_for(values: np.ndarray, columns: int) -> messages.PredictStreamRequest:
    return messages.PredictStreamRequest(
        model_name="m",
        features=messages.FeatureMatrix(rows=values.size // columns, columns=columns, values=values.tolist()),
    )


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 40), columns=st.integers(1, 40), seed=st.integers(0, 1_000))
def test_decoded_rows_equal_the_values(rows: int, columns: int, seed: int) -> None:
    values = np.random.default_rng(seed).normal(0, 100, rows * columns).astype(np.float32)

    decoded = feature_rows(request_for(values, columns))

    assert decoded.shape == (rows, columns)
    np.testing.assert_array_equal(decoded.ravel(), values)


def test_unknown_trailing_fields_take_the_element_path() -> None:
    values = np.arange(128, dtype=np.float32)
    request = request_for(values, 32)
    # an unknown field 9 (varint 1) appended after the values, as a newer client might send
    request.features.MergeFromString(bytes([9 << 3, 1]))

    np.testing.assert_array_equal(feature_rows(request).ravel(), values)


def test_non_finite_values_are_named_by_row_and_column() -> None:
    values = np.zeros(96, dtype=np.float32)
    values[70] = np.nan

    with pytest.raises(InvalidArgument) as raised:
        feature_rows(request_for(values, 32))

    (violation,) = raised.value.violations
    assert violation.field == "features.values[70]"
    assert "row 2, column 6" in violation.description
