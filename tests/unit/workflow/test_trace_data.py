"""Which bars a trace on a stored dataset asks the trainer for: the history, the window, one more."""

from __future__ import annotations

import pytest

from services.core.errors import InvalidArgument
from services.workflow.trace_data import BarRead, reads_for_trace

JANUARY_2024_NS = 1_704_067_200 * 10**9


def test_without_a_start_time_one_read_covers_the_warm_up_the_window_and_the_bar_after_it():
    assert reads_for_trace(None, warmup_bars=21, max_bars=50) == (BarRead(max_bars=21 + 50 + 1),)
    # 0 means the default window of 200 bars
    assert reads_for_trace(None, warmup_bars=0, max_bars=0) == (BarRead(max_bars=201),)


def test_with_a_start_time_the_history_before_it_then_the_window_and_the_bar_after_it():
    assert reads_for_trace(JANUARY_2024_NS, warmup_bars=21, max_bars=30) == (
        BarRead(end_ns=JANUARY_2024_NS),
        BarRead(start_ns=JANUARY_2024_NS, max_bars=31),
    )


@pytest.mark.parametrize("max_bars", [-1, 2001])
def test_a_window_out_of_bounds_is_refused_before_anything_is_read(max_bars):
    with pytest.raises(InvalidArgument) as raised:
        reads_for_trace(None, warmup_bars=10, max_bars=max_bars)
    assert [violation.field for violation in raised.value.violations] == ["max_bars"]
