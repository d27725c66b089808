"""Dataset statistics against pandas and numpy, gaps per symbol, and the timeframe guess."""

import numpy as np
import pandas as pd
import pytest

from services.core.datasets.columnar import CanonicalBars, SymbolRange
from services.core.datasets.statistics import gap_report, returns_summary, summarize
from services.core.datasets.timeframes import TIMEFRAME_NANOSECONDS, infer_timeframe

HOUR = TIMEFRAME_NANOSECONDS["1h"]


def _bars(stamps_by_symbol: dict[str, list[int]], seed: int = 1) -> CanonicalBars:
    ranges, stamps = [], []
    for name, values in sorted(stamps_by_symbol.items()):
        ranges.append(SymbolRange(name, len(stamps), len(stamps) + len(values)))
        stamps.extend(values)
    count = len(stamps)
    close = 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.02, count)))
    return CanonicalBars(
        timestamps=np.array(stamps, dtype=np.int64),
        open=close,
        high=close * 1.01,
        low=close * 0.99,
        close=close,
        volume=np.arange(count, dtype=np.float64),
        ranges=tuple(ranges),
    )


def test_columns_and_returns_match_pandas():
    bars = _bars({"A": [i * HOUR for i in range(500)], "B": [i * HOUR for i in range(300)]})
    summary = summarize(bars, HOUR)
    assert summary.rows_per_symbol == {"A": 500, "B": 300}
    close = pd.Series(bars.close)
    column = next(item for item in summary.columns if item.column == "close")
    assert column.mean == pytest.approx(close.mean())
    assert column.standard_deviation == pytest.approx(close.std())
    assert column.median == pytest.approx(close.median())
    # returns never span two symbols
    returns = pd.concat([close[:500].pct_change().dropna(), close[500:].pct_change().dropna()])
    assert summary.returns.count == 798
    assert summary.returns.skewness == pytest.approx(returns.skew())
    assert summary.returns.kurtosis == pytest.approx(returns.kurt())
    assert summary.returns.percentiles[50.0] == pytest.approx(returns.median())


def test_gaps_are_counted_per_symbol_and_the_largest_listed_first():
    hours = [0, 1, 2, 6, 7, 9]  # 3 missing after 2, 1 missing after 7
    bars = _bars({"A": [h * HOUR for h in hours], "B": [h * HOUR for h in (0, 3)]})
    report = gap_report(bars, HOUR)
    assert (report.expected_bars, report.missing_bars, report.gap_count) == (10 + 4, 4 + 2, 3)
    assert [(gap.symbol, gap.missing_bars) for gap in report.largest] == [("A", 3), ("B", 2), ("A", 1)]
    assert (report.largest[0].start_ns, report.largest[0].end_ns) == (3 * HOUR, 5 * HOUR)
    assert gap_report(bars, 0).gap_count == 0


def test_degenerate_returns_do_not_crash():
    flat = returns_summary(np.zeros(10))
    assert flat.standard_deviation == 0.0
    assert sum(item.count for item in flat.histogram) == 10
    assert returns_summary(np.zeros(0)).count == 0


def test_the_timeframe_is_the_most_common_exact_spacing():
    daily = TIMEFRAME_NANOSECONDS["1d"]
    weekdays = np.array([d * daily for d in range(60) if d % 7 not in (5, 6)], dtype=np.int64)
    assert infer_timeframe(weekdays, np.array([0])) == "1d"
    # the step between two symbols' runs is not a spacing
    two = np.array([0, HOUR, 2 * HOUR, 0, HOUR], dtype=np.int64)
    assert infer_timeframe(two, np.array([0, 3])) == "1h"
    assert infer_timeframe(np.array([0, 7 * 10**9, 14 * 10**9], dtype=np.int64), np.array([0])) == ""
