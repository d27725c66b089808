"""Position sizing: the modes, quantity steps and the exposure cap, for one entry at 12.8."""

from __future__ import annotations

import numpy as np
import pytest

from services.core.backtest import (
    BacktestConfig,
    FixedQuantity,
    FractionOfEquity,
    Intents,
    RiskPerTrade,
    Sizing,
    run_backtest,
)
from services.core.errors import InvalidArgument
from tests.unit.core.backtest.helpers import flags, flat_bars

BARS = flat_bars([12.8, 12.8, 13.0])
ENTRY = Intents(enter_long=flags(3, [0]))


def entry_size(intents: Intents = ENTRY, **config: object) -> float:
    result = run_backtest(BARS, intents, BacktestConfig(initial_cash=1000.0, **config))  # type: ignore[arg-type]
    return float(result.trades.size[0]) if len(result.trades) else 0.0


@pytest.mark.parametrize(
    ("step", "size"),
    [(1.0, 78.0), (0.5, 78.0), (0.1, 78.1), (0.0, 1000 / 12.8)],  # 1000 / 12.8 = 78.125
)
def test_sizes_are_multiples_of_the_quantity_step(step: float, size: float) -> None:
    assert entry_size(quantity_step=step) == pytest.approx(size)


@pytest.mark.parametrize(
    ("sizing", "size"),
    [
        (FractionOfEquity(0.5), 39.0),  # 500 // 12.8
        (FixedQuantity(10.0), 10.0),
        (FixedQuantity(0.3), 0.0),  # below one whole unit: no entry
        (FixedQuantity(1000.0), 78.0),  # capped at what the equity buys
    ],
)
def test_sizing_modes(sizing: Sizing, size: float) -> None:
    assert entry_size(sizing=sizing) == size


def test_a_fixed_fraction_of_a_unit_keeps_its_exact_step_multiple() -> None:
    assert entry_size(sizing=FixedQuantity(0.3), quantity_step=0.1) == pytest.approx(0.3)


def test_risk_per_trade_divides_the_risked_cash_by_the_atr_distance() -> None:
    atr = np.array([0.5, 9.0, 9.0])  # read on the decision bar only
    intents = Intents(enter_long=flags(3, [0]), atr=atr)

    # 1 % of 1000 at risk over 2 × 0.5 = 1 per unit: 10 units
    assert entry_size(intents, sizing=RiskPerTrade(0.01, atr_multiplier=2.0)) == 10.0
    # a wide stop distance with a big risk is still capped by the equity
    assert entry_size(intents, sizing=RiskPerTrade(0.5, atr_multiplier=0.1)) == 78.0


def test_risk_per_trade_without_an_atr_value_does_not_enter() -> None:
    intents = Intents(enter_long=flags(3, [0]), atr=np.array([np.nan, 1.0, 1.0]))

    assert entry_size(intents, sizing=RiskPerTrade(0.01)) == 0.0


def test_risk_per_trade_needs_an_atr_array() -> None:
    with pytest.raises(InvalidArgument) as raised:
        entry_size(sizing=RiskPerTrade(0.01))

    assert [violation.field for violation in raised.value.violations] == ["atr"]


def test_max_exposure_caps_every_sizing_mode() -> None:
    assert entry_size(max_exposure=0.5) == 39.0
    assert entry_size(max_exposure=0.5, sizing=FixedQuantity(60.0)) == 39.0
    assert entry_size(max_exposure=2.0, sizing=FixedQuantity(100.0)) == 100.0


def test_a_fraction_above_one_is_leverage_up_to_max_exposure() -> None:
    assert entry_size(sizing=FractionOfEquity(2.0), max_exposure=2.0) == 156.0  # 2000 // 12.8


def test_too_little_cash_for_one_unit_means_no_trade() -> None:
    result = run_backtest(BARS, ENTRY, BacktestConfig(initial_cash=10.0))

    assert len(result.trades) == 0
    np.testing.assert_array_equal(result.equity, 10.0)


def test_commission_is_part_of_a_unit_s_cost() -> None:
    # 1000 // (12.8 × 1.01 = 12.928) = 77
    assert entry_size(commission=0.01) == 77.0
