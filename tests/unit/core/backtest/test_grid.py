"""Parameter grids: every row equals its own backtest, and each indicator is computed once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG

from services.core.backtest import (
    METRIC_NAMES,
    BacktestConfig,
    Bars,
    FillTiming,
    IndicatorCache,
    Intents,
    run_backtest,
    run_grid,
    warmup_of,
)
from services.core.backtest import grid as grid_module
from services.core.errors import InvalidArgument
from tests.unit.core.backtest.helpers import crossover

BARS = Bars.from_frame(GOOG.iloc[:600])
PARAMETERS = {"fast": [5, 10, 15], "slow": [10, 20, 30]}
CONFIG = BacktestConfig(commission=0.001, stop_loss=0.08, fill_timing=FillTiming.NEXT_OPEN)


def pandas_sma(name: str, bars: Bars, *, period: int) -> np.ndarray:
    assert name == "sma"
    return pd.Series(bars.close).rolling(period).mean().to_numpy()


def sma_cross(indicators: IndicatorCache, parameters: Mapping[str, Any]) -> Intents:
    fast = indicators.get("sma", period=parameters["fast"])
    slow = indicators.get("sma", period=parameters["slow"])
    return Intents(
        enter_long=crossover(fast, slow), enter_short=crossover(slow, fast), warmup_bars=warmup_of(fast, slow)
    )


def fast_below_slow(parameters: Mapping[str, Any]) -> bool:
    return parameters["fast"] < parameters["slow"]


def test_every_row_equals_its_own_backtest() -> None:
    indicators = IndicatorCache(BARS, compute=pandas_sma)
    table = run_grid(BARS, PARAMETERS, sma_cross, CONFIG, constraint=fast_below_slow, indicators=indicators)

    assert list(table.columns) == ["fast", "slow", *METRIC_NAMES]
    admissible = [(5, 10), (5, 20), (5, 30), (10, 20), (10, 30), (15, 20), (15, 30)]
    assert list(zip(table["fast"], table["slow"], strict=True)) == admissible
    for _, row in table.iterrows():
        parameters = {"fast": row["fast"], "slow": row["slow"]}
        alone = run_backtest(BARS, sma_cross(indicators, parameters), CONFIG).metrics
        for name, value in alone.as_dict().items():
            np.testing.assert_allclose(row[name], value, rtol=1e-12, err_msg=name)
    # five distinct periods, each computed once however many combinations use it
    assert indicators.computed == 5


def test_grids_larger_than_a_chunk_give_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = run_grid(BARS, PARAMETERS, sma_cross, CONFIG, indicators=IndicatorCache(BARS, compute=pandas_sma))
    monkeypatch.setattr(grid_module, "CELLS_PER_CHUNK", 2 * len(BARS))
    chunked = run_grid(
        BARS, PARAMETERS, sma_cross, CONFIG, indicators=IndicatorCache(BARS, compute=pandas_sma)
    )

    assert len(whole) == 9
    pd.testing.assert_frame_equal(whole, chunked)


def test_the_default_indicators_are_the_platform_registry() -> None:
    indicators = IndicatorCache(BARS)

    np.testing.assert_allclose(
        indicators.get("sma", period=10), pandas_sma("sma", BARS, period=10), rtol=1e-9, equal_nan=True
    )


def test_an_indicator_with_several_outputs_needs_one_named() -> None:
    indicators = IndicatorCache(BARS)

    middle = indicators.get("bbands", output="middle", period=20)
    np.testing.assert_allclose(middle, pandas_sma("sma", BARS, period=20), rtol=1e-9, equal_nan=True)
    with pytest.raises(InvalidArgument) as raised:
        indicators.get("bbands", period=20)
    assert [violation.field for violation in raised.value.violations] == ["output"]


@pytest.mark.parametrize(
    ("parameters", "constraint"),
    [({"fast": [], "slow": [10]}, None), ({}, None), (PARAMETERS, lambda parameters: False)],
    ids=["a parameter without values", "no parameters", "nothing admissible"],
)
def test_an_empty_grid_is_invalid(parameters: dict[str, list[int]], constraint: Any) -> None:
    with pytest.raises(InvalidArgument):
        run_grid(BARS, parameters, sma_cross, CONFIG, constraint=constraint)
