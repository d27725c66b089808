"""How often a series samples time: periods per year and the bars that close each period.

Annualised figures follow backtesting.py (`_stats.compute_stats`), computed once per series
and shared by every parameter combination of a grid:

- the bar period is the median spacing of the last 100 timestamps, in whole days;
- a weekly series (7 days) counts 52 periods a year, a monthly one (31) 12, a yearly one (365)
  1; anything else (daily or intraday) counts 365 days a year when more than 60 % of 2/7 of
  the bars fall on weekends (a market that trades every day), else 252 trading days;
- equity is sampled at the last bar of each calendar week (Monday to Sunday), month or year
  for those periods, else of each calendar day, as `equity.resample("W"|"ME"|"YE"|"D").last()`
  with empty periods dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NANOSECONDS_PER_DAY = 86_400 * 10**9
WEEKDAY_OF_EPOCH = 3  # 1970-01-01 was a Thursday (Monday = 0)


@dataclass(frozen=True, slots=True, eq=False)
class Calendar:
    periods_per_year: float
    sample_bars: np.ndarray  # index of the last bar of each sampled period, increasing
    start: int  # ns
    end: int  # ns
    years: float  # (end − start) in years of 365.25 days, whole seconds only, as backtesting.py

    @classmethod
    def from_timestamps(cls, timestamps: np.ndarray) -> Calendar:
        spacing = np.diff(timestamps[-100:])
        period_days = int(np.floor(np.median(spacing) / NANOSECONDS_PER_DAY))
        days = np.floor_divide(timestamps, NANOSECONDS_PER_DAY)
        weekday = (days + WEEKDAY_OF_EPOCH) % 7
        trades_weekends = np.mean(weekday >= 5) > 2 / 7 * 0.6
        if period_days == 7:
            periods, keys = 52.0, (days + WEEKDAY_OF_EPOCH) // 7
        elif period_days == 31:
            periods, keys = 12.0, timestamps.astype("datetime64[ns]").astype("datetime64[M]").view(np.int64)
        elif period_days == 365:
            periods, keys = 1.0, timestamps.astype("datetime64[ns]").astype("datetime64[Y]").view(np.int64)
        else:
            periods, keys = (365.0 if trades_weekends else 252.0), days
        sample_bars = np.append(np.flatnonzero(np.diff(keys) != 0), keys.shape[0] - 1)
        start, end = int(timestamps[0]), int(timestamps[-1])
        whole_seconds = (end - start) // 10**9
        years = (whole_seconds // 86_400 + (whole_seconds % 86_400) / 86_400) / 365.25
        return cls(
            periods_per_year=periods,
            sample_bars=sample_bars,
            start=start,
            end=end,
            years=years,
        )
