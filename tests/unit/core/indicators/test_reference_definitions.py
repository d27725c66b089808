"""Indicators TA-Lib lacks (or defines differently) against straightforward pandas references.

Each reference restates the documented definition in the plainest pandas it can, so it shares
no code and no algorithm with the implementation: rolling VWAP, z-score, returns and log
returns, plus the population standard deviation, Donchian channels and CMF as a second
opinion beside TA-Lib.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.core.indicators import compute
from tests.unit.core.indicators.series import Bars, assert_same, make_bars

# pandas' rolling moments use their own online algorithms; 1e-9 leaves room for them.
TOLERANCE = 1e-9


@pytest.fixture(scope="module", params=["random_walk", "ticks", "gappy"])
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    return pd.DataFrame(make_bars(2000, seed=7, shape=request.param))


def _typical(frame: pd.DataFrame) -> pd.Series:
    return (frame["high"] + frame["low"] + frame["close"]) / 3.0


@pytest.mark.parametrize("period", [2, 20, 100])
def test_rolling_vwap(frame: pd.DataFrame, period: int) -> None:
    typical = _typical(frame)
    weighted = (typical * frame["volume"]).rolling(period).sum()
    volume = frame["volume"].rolling(period).sum()
    traded = (frame["volume"] > 0).rolling(period).sum()
    expected = (weighted / volume).where(traded > 0, typical.rolling(period).mean())
    assert_same(compute("vwap", frame, period=period)["value"], expected.to_numpy(), "vwap", TOLERANCE)


@pytest.mark.parametrize("period", [2, 20, 100])
def test_zscore(frame: pd.DataFrame, period: int) -> None:
    close = frame["close"]
    mean = close.rolling(period).mean()
    deviation = close.rolling(period).std(ddof=0)
    flat = close.rolling(period).max() == close.rolling(period).min()
    expected = ((close - mean) / deviation).where(~flat, 0.0).where(deviation.notna())
    assert_same(compute("zscore", frame, period=period)["value"], expected.to_numpy(), "zscore", TOLERANCE)


@pytest.mark.parametrize("period", [2, 20, 100])
def test_standard_deviation_is_the_population_one(frame: pd.DataFrame, period: int) -> None:
    expected = frame["close"].rolling(period).std(ddof=0)
    assert_same(compute("stddev", frame, period=period)["value"], expected.to_numpy(), "stddev", TOLERANCE)


@pytest.mark.parametrize("period", [1, 5])
def test_returns(frame: pd.DataFrame, period: int) -> None:
    expected = frame["close"].pct_change(period)
    assert_same(compute("returns", frame, period=period)["value"], expected.to_numpy(), "returns", TOLERANCE)


@pytest.mark.parametrize("period", [1, 5])
def test_log_returns(frame: pd.DataFrame, period: int) -> None:
    expected = np.log(frame["close"] / frame["close"].shift(period))
    assert_same(
        compute("log_returns", frame, period=period)["value"], expected.to_numpy(), "log_returns", TOLERANCE
    )


def test_returns_are_undefined_from_a_zero_and_log_returns_from_a_non_positive_value() -> None:
    volume = np.array([0.0, 5.0, 10.0, 0.0, 4.0])
    bars = {"volume": volume}
    assert_same(
        compute("returns", bars, source="volume")["value"],
        np.array([np.nan, np.nan, 1.0, -1.0, np.nan]),
        "returns",
    )
    assert_same(
        compute("log_returns", bars, source="volume")["value"],
        np.array([np.nan, np.nan, np.log(2.0), np.nan, np.nan]),
        "log_returns",
    )


@pytest.mark.parametrize("period", [2, 20])
def test_donchian_channels(frame: pd.DataFrame, period: int) -> None:
    upper = frame["high"].rolling(period).max()
    lower = frame["low"].rolling(period).min()
    result = compute("donchian", frame, period=period)
    assert_same(result["upper"], upper.to_numpy(), "upper")
    assert_same(result["lower"], lower.to_numpy(), "lower")
    assert_same(result["middle"], ((upper + lower) / 2).to_numpy(), "middle")


@pytest.mark.parametrize("period", [2, 20])
def test_chaikin_money_flow(frame: pd.DataFrame, period: int) -> None:
    spread = frame["high"] - frame["low"]
    location = ((frame["close"] - frame["low"]) - (frame["high"] - frame["close"])) / spread
    flow = (location.where(spread > 0, 0.0) * frame["volume"]).rolling(period).sum()
    volume = frame["volume"].rolling(period).sum()
    expected = (flow / volume).where(volume > 0, 0.0).where(volume.notna())
    assert_same(compute("cmf", frame, period=period)["value"], expected.to_numpy(), "cmf", TOLERANCE)


def test_bollinger_percent_b_and_width_follow_the_bands(frame: pd.DataFrame) -> None:
    result = compute("bbands", frame, period=20, deviations=2.0)
    spread = result["upper"] - result["lower"]
    with np.errstate(divide="ignore", invalid="ignore"):
        percent_b = np.where(spread == 0.0, 0.5, (frame["close"].to_numpy() - result["lower"]) / spread)
        width = spread / result["middle"]
    assert_same(result["percent_b"], percent_b, "percent_b")
    assert_same(result["width"], width, "width")


def test_flat_window_gives_zero_deviation_half_percent_b_and_zero_zscore() -> None:
    bars: Bars = {"close": np.array([1.0, 2.0, 3.0] + [100.1] * 30)}
    assert compute("stddev", bars, period=5)["value"][-1] == 0.0
    assert compute("zscore", bars, period=5)["value"][-1] == 0.0
    bands = compute("bbands", bars, period=5)
    assert bands["percent_b"][-1] == 0.5
    assert bands["width"][-1] == 0.0
