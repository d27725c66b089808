"""Labels look ahead exactly `horizon` bars, and no split can see another's label window."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphintra.strategy.v1.training_pb2 import DataSplit, ForwardReturnLabel, LabelDefinition
from services.core.errors import InvalidArgument
from services.core.modeling.labels import forward_returns, make_labels
from services.core.modeling.splits import chronological_split
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import compile_graph, get_template


@settings(max_examples=200, deadline=None)
@given(
    bars=st.integers(200, 3000),
    warmup=st.integers(0, 100),
    horizon=st.integers(1, 20),
    extra_gap=st.integers(0, 10),
    train=st.floats(0.3, 0.7),
    validation=st.floats(0.0, 0.2),
)
def test_no_label_window_crosses_into_a_later_split(bars, warmup, horizon, extra_gap, train, validation):
    usable = np.zeros(bars, dtype=bool)
    usable[warmup : bars - horizon] = True
    split = DataSplit(
        train_fraction=train,
        validation_fraction=validation,
        test_fraction=1.0 - train - validation,
        gap_bars=horizon + extra_gap,
    )
    try:
        parts = chronological_split(usable, split, horizon)
    except InvalidArgument:
        return  # too few rows for these fractions: refused, not leaked
    ordered = [part for part in (parts.train, parts.validation, parts.test) if part.size]
    for earlier, later in itertools.pairwise(ordered):
        # the last label of the earlier part reads close[t + horizon]; the later part starts after it
        assert earlier[-1] + horizon < later[0]
        assert later[0] - earlier[-1] > parts.gap
    for part in ordered:
        assert usable[part].all()
        assert np.all(np.diff(part) > 0)


def test_a_gap_shorter_than_the_horizon_is_refused():
    usable = np.ones(1000, dtype=bool)
    with pytest.raises(InvalidArgument) as caught:
        chronological_split(usable, DataSplit(train_fraction=0.6, test_fraction=0.4, gap_bars=2), horizon=5)
    assert caught.value.violations[0].field == "split.gap_bars"


def test_forward_returns_look_exactly_horizon_bars_ahead():
    close = np.array([100.0, 110.0, 99.0, 121.0])
    np.testing.assert_allclose(forward_returns(close, 2)[:2], [-0.01, 0.1])
    assert np.isnan(forward_returns(close, 2)[2:]).all()


def test_classification_and_condition_labels():
    bars = synthetic_bars(300, seed=4)
    spec = compile_graph(get_template("sma_crossover").graph)
    classified = make_labels(
        spec, bars, LabelDefinition(forward_return=ForwardReturnLabel(threshold=0.0), horizon_bars=3)
    )
    expected = (bars.close[3:] / bars.close[:-3] - 1.0 > 0).astype(float)
    np.testing.assert_array_equal(classified.values[:-3], expected)
    condition = spec.conditions[0].node_id
    labels = make_labels(
        spec, bars, LabelDefinition(condition={"condition_node_id": condition}, horizon_bars=1)
    )
    known = ~np.isnan(labels.values)
    assert set(np.unique(labels.values[known])) <= {0.0, 1.0}
    with pytest.raises(InvalidArgument):
        make_labels(spec, bars, LabelDefinition(condition={"condition_node_id": "nope"}, horizon_bars=1))
