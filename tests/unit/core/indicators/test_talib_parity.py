"""Differential tests: every indicator TA-Lib also has equals TA-Lib, NaN warm-up prefix included.

TA-Lib runs with its defaults (unstable period 0, default compatibility) on the full series.
Values must agree to 1e-9 relative or absolute: our rolling sums are compensated where TA-Lib's
are plain running totals, and TA-Lib fuses some multiply-adds, so the last bits may differ;
on these ~2,000-bar series the observed gap is below 1e-11.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import talib

from services.core.indicators import REGISTRY, compute
from tests.unit.core.indicators.series import Bars, assert_same, make_bars

TalibCall = Callable[[Bars, dict], dict[str, np.ndarray]]


def _single(function: Callable[..., np.ndarray]) -> TalibCall:
    return lambda bars, parameters: {"value": function(bars[parameters["source"]], parameters["period"])}


def _stochastic(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    slow_k, slow_d = talib.STOCH(
        bars["high"],
        bars["low"],
        bars["close"],
        fastk_period=parameters["k_period"],
        slowk_period=parameters["k_smoothing"],
        slowk_matype=0,
        slowd_period=parameters["d_period"],
        slowd_matype=0,
    )
    return {"k": slow_k, "d": slow_d}


def _stochastic_rsi(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    fast_k, fast_d = talib.STOCHRSI(
        bars[parameters["source"]],
        timeperiod=parameters["rsi_period"],
        fastk_period=parameters["k_period"],
        fastd_period=parameters["d_period"],
        fastd_matype=0,
    )
    return {"k": fast_k, "d": fast_d}


def _macd(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    line, signal, histogram = talib.MACD(
        bars[parameters["source"]],
        fastperiod=parameters["fast_period"],
        slowperiod=parameters["slow_period"],
        signalperiod=parameters["signal_period"],
    )
    return {"macd": line, "signal": signal, "histogram": histogram}


def _bbands(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    """TA-Lib's bands, with %B and width derived from them (%B is 0.5 where the bands coincide)."""
    values = bars[parameters["source"]]
    deviations = parameters["deviations"]
    upper, middle, lower = talib.BBANDS(values, parameters["period"], deviations, deviations, 0)
    spread = upper - lower
    return {
        "upper": upper,
        "middle": middle,
        "lower": lower,
        "percent_b": np.where(spread == 0.0, 0.5, (values - lower) / spread),
        "width": spread / middle,
    }


def _adx(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    prices = (bars["high"], bars["low"], bars["close"], parameters["period"])
    return {"adx": talib.ADX(*prices), "plus_di": talib.PLUS_DI(*prices), "minus_di": talib.MINUS_DI(*prices)}


def _aroon(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    down, up = talib.AROON(bars["high"], bars["low"], parameters["period"])
    return {
        "up": up,
        "down": down,
        "oscillator": talib.AROONOSC(bars["high"], bars["low"], parameters["period"]),
    }


def _channels(upper: np.ndarray, middle: np.ndarray, lower: np.ndarray) -> dict[str, np.ndarray]:
    return {"upper": upper, "middle": middle, "lower": lower}


def _supertrend(bars: Bars, parameters: dict) -> dict[str, np.ndarray]:
    """TA-Lib's direction is an int array with 0 during warm-up; ours is NaN there."""
    line, trend = talib.SUPERTREND(
        bars["high"], bars["low"], bars["close"], parameters["period"], parameters["multiplier"]
    )
    return {"supertrend": line, "direction": np.where(np.isnan(line), np.nan, trend.astype(np.float64))}


HLC = ("high", "low", "close")
HLCV = ("high", "low", "close", "volume")

TALIB: dict[str, TalibCall] = {
    "sma": _single(talib.SMA),
    "ema": _single(talib.EMA),
    "wma": _single(talib.WMA),
    "dema": _single(talib.DEMA),
    "tema": _single(talib.TEMA),
    "kama": _single(talib.KAMA),
    "rsi": _single(talib.RSI),
    "roc": _single(talib.ROC),
    "momentum": _single(talib.MOM),
    "trix": _single(talib.TRIX),
    "stddev": lambda bars, p: {"value": talib.STDDEV(bars[p["source"]], p["period"], 1.0)},
    "macd": _macd,
    "stochastic": _stochastic,
    "stochastic_rsi": _stochastic_rsi,
    "bbands": _bbands,
    "cci": lambda bars, p: {"value": talib.CCI(*(bars[f] for f in HLC), p["period"])},
    "williams_r": lambda bars, p: {"value": talib.WILLR(*(bars[f] for f in HLC), p["period"])},
    "mfi": lambda bars, p: {"value": talib.MFI(*(bars[f] for f in HLCV), p["period"])},
    "cmf": lambda bars, p: {"value": talib.CMF(*(bars[f] for f in HLCV), p["period"])},
    "obv": lambda bars, p: {"value": talib.OBV(bars["close"], bars["volume"])},
    "atr": lambda bars, p: {"value": talib.ATR(*(bars[f] for f in HLC), p["period"])},
    "true_range": lambda bars, p: {"value": talib.TRANGE(*(bars[f] for f in HLC))},
    "adx": _adx,
    "aroon": _aroon,
    "sar": lambda bars, p: {"value": talib.SAR(bars["high"], bars["low"], p["acceleration"], p["maximum"])},
    "supertrend": _supertrend,
    "donchian": lambda bars, p: _channels(*talib.DONCHIAN(bars["high"], bars["low"], p["period"])),
    "keltner": lambda bars, p: _channels(
        *talib.KC(*(bars[f] for f in HLC), p["period"], p["atr_period"], p["multiplier"])
    ),
}

# TA-Lib's cumulative VWAP is not our rolling one; the rest are not in TA-Lib at all.
NOT_IN_TALIB = {"vwap", "zscore", "returns", "log_returns"}

# A few parameter sets per indicator: the defaults, a short and a long window, edge values.
PARAMETER_SETS: dict[str, list[dict]] = {
    "macd": [
        {},
        {"fast_period": 5, "slow_period": 35, "signal_period": 5},
        {"fast_period": 2, "slow_period": 3},
    ],
    "stochastic": [{}, {"k_period": 14, "k_smoothing": 1, "d_period": 1}, {"k_period": 21, "d_period": 7}],
    "stochastic_rsi": [
        {},
        {"rsi_period": 5, "k_period": 14, "d_period": 1},
        {"rsi_period": 30, "k_period": 3},
    ],
    "bbands": [{}, {"period": 5, "deviations": 1.0}, {"period": 50, "deviations": 2.5, "source": "high"}],
    "sar": [{}, {"acceleration": 0.01, "maximum": 0.1}, {"acceleration": 0.05, "maximum": 0.5}],
    "supertrend": [{}, {"period": 3, "multiplier": 1.0}, {"period": 30, "multiplier": 4.5}],
    "keltner": [{}, {"period": 5, "atr_period": 30, "multiplier": 1.5}, {"period": 50, "atr_period": 1}],
    "true_range": [{}],
    "obv": [{}],
}


def _cases() -> list[tuple[str, dict]]:
    cases = []
    for name in sorted(TALIB):
        spec = REGISTRY[name]
        names = {parameter.name for parameter in spec.parameters}
        chosen = PARAMETER_SETS.get(name)
        if chosen is None:
            minimum = int(spec.parameter("period").minimum or 2)
            chosen = [{}, {"period": max(minimum, 2) if minimum > 1 else 1}, {"period": 50}]
            if "source" in names:
                chosen.append({"period": 9, "source": "low"})
        cases.extend((name, parameters) for parameters in chosen)
    return cases


@pytest.fixture(scope="module", params=["random_walk", "ticks", "gappy", "flat", "penny"])
def series(request: pytest.FixtureRequest) -> Bars:
    """~2,000 bars: a realistic walk, then the cases where conventions matter.

    "ticks" ties highs, lows and closes; "gappy" has zero-range bars and no-volume runs; "flat"
    never moves; "penny" is the walk quoted at a millionth of the price, where a fixed epsilon
    would wrongly read every range as flat.
    """
    if request.param == "penny":
        bars = make_bars(2000, seed=20240611, shape="random_walk")
        return {field: values if field == "volume" else values * 1e-6 for field, values in bars.items()}
    return make_bars(2000, seed=20240611, shape=request.param)


def test_every_indicator_is_compared_or_documented_as_missing_from_talib() -> None:
    assert set(TALIB) | NOT_IN_TALIB == set(REGISTRY)
    assert not set(TALIB) & NOT_IN_TALIB


@pytest.mark.parametrize(("name", "parameters"), _cases(), ids=str)
def test_equals_talib(name: str, parameters: dict, series: Bars) -> None:
    complete = {**REGISTRY[name].defaults(), **parameters}
    ours = compute(name, series, **parameters)
    with np.errstate(divide="ignore", invalid="ignore"):
        theirs = TALIB[name](series, complete)
    assert set(theirs) == set(ours)
    for output, expected in theirs.items():
        assert_same(ours[output], expected, f"{name}{parameters}.{output}")
