"""Property: after reset() a streaming indicator is indistinguishable from a freshly built one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.indicators import REGISTRY, stream
from tests.unit.core.indicators.series import bars, parameters, run_stream


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reset_equals_fresh(name: str, data: st.DataObject) -> None:
    chosen = data.draw(parameters(REGISTRY[name]), label="parameters")
    history = data.draw(bars(max_size=120), label="history")
    series = data.draw(bars(max_size=120), label="series")

    reused = stream(name, **chosen)
    run_stream(reused, history)
    reused.reset()
    assert reused.bars_seen == 0
    assert not reused.ready
    assert all(np.isnan(value) for value in reused.values.values())

    fresh = stream(name, **chosen)
    np.testing.assert_array_equal(run_stream(reused, series), run_stream(fresh, series))
    assert reused.ready == fresh.ready
    assert reused.bars_seen == fresh.bars_seen
