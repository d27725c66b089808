"""What a dataset looks like: counts, time range, per-column statistics, gaps and returns.

Computed once when a dataset is stored (the bars never change), so the numbers follow pandas'
conventions that users check them with: sample standard deviation (ddof 1), bias-corrected
skewness and excess kurtosis. Returns are simple close-to-close returns within each symbol
(never across two symbols).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.core.datasets.columnar import CanonicalBars

PERCENTILES = (1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0)
HISTOGRAM_BINS = 50
HISTOGRAM_RANGE = (0.5, 99.5)
MAX_LISTED_GAPS = 20
STATISTICS_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class ColumnSummary:
    column: str
    count: int
    mean: float
    standard_deviation: float
    minimum: float
    maximum: float
    median: float


@dataclass(frozen=True, slots=True)
class Gap:
    symbol: str
    # open times of the first and the last missing bar
    start_ns: int
    end_ns: int
    missing_bars: int


@dataclass(frozen=True, slots=True)
class GapReport:
    expected_bars: int
    missing_bars: int
    gap_count: int
    largest: tuple[Gap, ...]

    def summary(self) -> str:
        """One line for an upload's warnings, e.g. "1,204 missing bars in 17 gaps"."""
        return f"{self.missing_bars:,} missing bar(s) in {self.gap_count:,} gap(s)"


@dataclass(frozen=True, slots=True)
class HistogramBin:
    lower: float
    upper: float
    count: int


@dataclass(frozen=True, slots=True)
class ReturnsSummary:
    count: int
    mean: float
    standard_deviation: float
    skewness: float
    kurtosis: float
    minimum: float
    maximum: float
    percentiles: dict[float, float]
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    row_count: int
    start_ns: int
    end_ns: int
    rows_per_symbol: dict[str, int]
    columns: tuple[ColumnSummary, ...]
    gaps: GapReport
    returns: ReturnsSummary


def summarize(bars: CanonicalBars, interval_ns: int) -> DatasetSummary:
    """Every statistic of `bars`; no gap report (all zero) when `interval_ns` is 0 (unknown timeframe)."""
    return DatasetSummary(
        row_count=len(bars),
        start_ns=int(bars.timestamps.min()) if len(bars) else 0,
        end_ns=int(bars.timestamps.max()) if len(bars) else 0,
        rows_per_symbol={item.name: len(item) for item in bars.ranges},
        columns=tuple(column_summary(name, bars.column(name)) for name in STATISTICS_COLUMNS),
        gaps=gap_report(bars, interval_ns),
        returns=returns_summary(simple_returns(bars)),
    )


def column_summary(name: str, values: np.ndarray) -> ColumnSummary:
    count = int(values.shape[0])
    if count == 0:
        return ColumnSummary(name, 0, *([float("nan")] * 5))
    return ColumnSummary(
        column=name,
        count=count,
        mean=float(values.mean()),
        standard_deviation=float(values.std(ddof=1)) if count > 1 else float("nan"),
        minimum=float(values.min()),
        maximum=float(values.max()),
        median=float(np.median(values)),
    )


def simple_returns(bars: CanonicalBars) -> np.ndarray:
    """close / previous close - 1 within each symbol."""
    pieces = [
        bars.close[item.start + 1 : item.stop] / bars.close[item.start : item.stop - 1] - 1.0
        for item in bars.ranges
        if len(item) > 1
    ]
    return np.concatenate(pieces) if pieces else np.zeros(0)


def _moments(values: np.ndarray) -> tuple[float, float]:
    """pandas' bias-corrected sample skewness and excess kurtosis (NaN when undefined)."""
    count = len(values)
    deviations = values - values.mean()
    second = float(np.mean(deviations**2))
    if second == 0.0:
        return 0.0, 0.0
    skewness = kurtosis = float("nan")
    if count >= 3:
        third = float(np.mean(deviations**3))
        skewness = np.sqrt(count * (count - 1)) / (count - 2) * third / second**1.5
    if count >= 4:
        fourth = float(np.mean(deviations**4))
        raw = fourth / second**2
        kurtosis = (count - 1) / ((count - 2) * (count - 3)) * ((count + 1) * raw - 3 * (count - 1))
    return float(skewness), float(kurtosis)


def returns_summary(returns: np.ndarray) -> ReturnsSummary:
    count = len(returns)
    if count == 0:
        nan = float("nan")
        return ReturnsSummary(0, nan, nan, nan, nan, nan, nan, {}, ())
    skewness, kurtosis = _moments(returns)
    levels = np.percentile(returns, PERCENTILES)
    lower, upper = np.percentile(returns, HISTOGRAM_RANGE)
    if upper <= lower:
        upper = lower + max(abs(lower), 1e-12) * 1e-6
    counts, edges = np.histogram(returns, bins=HISTOGRAM_BINS, range=(lower, upper))
    return ReturnsSummary(
        count=count,
        mean=float(returns.mean()),
        standard_deviation=float(returns.std(ddof=1)) if count > 1 else float("nan"),
        skewness=skewness,
        kurtosis=kurtosis,
        minimum=float(returns.min()),
        maximum=float(returns.max()),
        percentiles={p: float(v) for p, v in zip(PERCENTILES, levels, strict=True)},
        histogram=tuple(
            HistogramBin(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(HISTOGRAM_BINS)
        ),
    )


def gap_report(bars: CanonicalBars, interval_ns: int) -> GapReport:
    """Runs of missing bars: a step between consecutive bars of a symbol longer than one interval."""
    if interval_ns <= 0:
        return GapReport(0, 0, 0, ())
    expected = missing = count = 0
    candidates: list[Gap] = []
    for item in bars.ranges:
        stamps = bars.timestamps[item.start : item.stop]
        if len(stamps) == 0:
            continue
        expected += int((stamps[-1] - stamps[0]) // interval_ns) + 1
        steps = np.diff(stamps)
        lost = steps // interval_ns - 1
        where = np.flatnonzero(lost > 0)
        missing += int(lost[where].sum())
        count += len(where)
        # the largest of this symbol are enough to find the largest of all
        largest = where[np.argsort(-lost[where], kind="stable")[:MAX_LISTED_GAPS]]
        candidates.extend(
            Gap(item.name, int(stamps[i] + interval_ns), int(stamps[i] + lost[i] * interval_ns), int(lost[i]))
            for i in largest
        )
    candidates.sort(key=lambda gap: (-gap.missing_bars, gap.symbol, gap.start_ns))
    return GapReport(expected, missing, count, tuple(candidates[:MAX_LISTED_GAPS]))
