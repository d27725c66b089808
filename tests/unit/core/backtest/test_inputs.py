"""Bad configs, bars and intents are refused with every problem named, before any simulation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from services.core.backtest import (
    BacktestConfig,
    Bars,
    FixedQuantity,
    FractionOfEquity,
    Intents,
    RiskPerTrade,
    run_backtest,
)
from services.core.errors import InvalidArgument
from tests.unit.core.backtest.helpers import flat_bars


def violated_fields(error: pytest.ExceptionInfo[InvalidArgument]) -> list[str]:
    return [violation.field for violation in error.value.violations]


def test_every_bad_config_field_is_named_at_once() -> None:
    with pytest.raises(InvalidArgument) as raised:
        BacktestConfig(
            initial_cash=0.0,
            commission=-0.001,
            slippage=1.5,
            quantity_step=-1.0,
            stop_loss=1.0,
            take_profit=0.0,
            trailing_stop=float("nan"),
            max_exposure=0.0,
            max_drawdown_halt=1.2,
            risk_free_rate=2.0,
        )

    assert violated_fields(raised) == [
        "initial_cash",
        "commission",
        "slippage",
        "quantity_step",
        "stop_loss",
        "take_profit",
        "trailing_stop",
        "max_exposure",
        "max_drawdown_halt",
        "risk_free_rate",
    ]


@pytest.mark.parametrize(
    ("sizing", "field"),
    [
        (FractionOfEquity(0.0), "sizing.fraction"),
        (FixedQuantity(-1.0), "sizing.quantity"),
        (RiskPerTrade(0.01, atr_multiplier=float("inf")), "sizing.atr_multiplier"),
        ("all in", "sizing"),
    ],
)
def test_bad_sizing_is_named(sizing: Any, field: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        BacktestConfig(sizing=sizing)

    assert violated_fields(raised) == [field]


def test_a_valid_config_keeps_its_values() -> None:
    config = BacktestConfig(commission=0.0, quantity_step=0.0, stop_loss=0.5, max_drawdown_halt=0.99)

    assert (config.commission, config.quantity_step, config.stop_loss) == (0.0, 0.0, 0.5)


GOOD = {
    "open": [10.0, 11.0, 12.0],
    "high": [10.5, 11.5, 12.5],
    "low": [9.5, 10.5, 11.5],
    "close": [10.0, 11.0, 12.0],
    "timestamps": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[D]"),
}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"close": [10.0, 11.0]}, ["open", "high", "low", "timestamps"]),
        ({"low": [9.5, float("nan"), 11.5]}, ["low"]),
        ({"open": [10.0, -1.0, 12.0], "low": [9.5, -2.0, 11.5]}, ["open", "low"]),
        ({"high": [10.5, 10.8, 12.5]}, ["high"]),
        ({"timestamps": np.array([0, 2, 2], dtype=np.int64)}, ["timestamps"]),
        (
            {key: values[:1] for key, values in GOOD.items()},
            ["close"],
        ),
    ],
    ids=["lengths", "nan", "negative", "high below close", "repeated time", "one bar"],
)
def test_bad_bars_are_refused(change: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(InvalidArgument) as raised:
        Bars.from_arrays(**{**GOOD, **change})

    assert violated_fields(raised) == fields


def test_bars_take_any_datetime_form_as_nanoseconds() -> None:
    expected = np.array([0, 86_400, 2 * 86_400], dtype=np.int64) * 10**9
    aware = pd.date_range("1970-01-01 01:00", periods=3, freq="D", tz="Europe/Paris")
    frame = pd.DataFrame(
        {"Open": GOOD["open"], "HIGH": GOOD["high"], "low": GOOD["low"], "Close": GOOD["close"]},
        index=pd.date_range("1970-01-01", periods=3, freq="D").as_unit("us"),
    )

    np.testing.assert_array_equal(Bars.from_arrays(**{**GOOD, "timestamps": expected}).timestamps, expected)
    np.testing.assert_array_equal(Bars.from_arrays(**{**GOOD, "timestamps": aware}).timestamps, expected)
    np.testing.assert_array_equal(Bars.from_frame(frame).timestamps, expected)
    assert np.all(np.isnan(Bars.from_frame(frame).volume))


def test_a_frame_without_prices_is_refused() -> None:
    with pytest.raises(InvalidArgument) as raised:
        Bars.from_frame(pd.DataFrame({"close": [1.0, 2.0]}))

    assert violated_fields(raised) == ["open", "high", "low"]


def test_intents_must_fit_the_bars() -> None:
    bars = flat_bars([10.0, 11.0, 12.0])
    intents = Intents(enter_long=np.ones(2, dtype=bool), stop_loss_price=np.ones((3, 1)), warmup_bars=3)

    with pytest.raises(InvalidArgument) as raised:
        run_backtest(bars, intents)

    assert violated_fields(raised) == ["enter_long", "stop_loss_price", "warmup_bars"]


def test_numeric_flags_count_as_booleans() -> None:
    bars = flat_bars([10.0, 11.0, 12.0])
    result = run_backtest(bars, Intents(enter_long=np.array([1.0, np.nan, 0.0])))

    assert result.trades.entry_bar.tolist() == [1]
