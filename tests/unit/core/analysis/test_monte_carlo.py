"""Monte Carlo over trades: reshuffles keep final equity; bootstraps vary it; ruin is counted."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.analysis.monte_carlo import Method, monte_carlo
from services.core.errors import InvalidArgument

RETURNS = np.array([0.10, -0.05, 0.08, -0.12, 0.03, 0.07, -0.02, 0.15, -0.09, 0.04])


def test_reshuffling_keeps_final_equity_and_varies_drawdown():
    result = monte_carlo(RETURNS, method=Method.RESHUFFLE, simulations=2000, initial_equity=10_000, seed=7)
    expected_final = 10_000 * np.prod(1 + RETURNS)
    assert result.final_equity.percentiles[1] == pytest.approx(expected_final)
    assert result.final_equity.percentiles[99] == pytest.approx(expected_final)
    assert result.observed_final_equity == pytest.approx(expected_final)
    assert result.max_drawdown.percentiles[5] < result.max_drawdown.percentiles[95]


def test_the_observed_drawdown_is_computed_from_the_sequence():
    result = monte_carlo(np.array([0.5, -0.5, 0.2]), method=Method.RESHUFFLE, simulations=10)
    assert result.observed_max_drawdown == pytest.approx(0.5)


def test_bootstrap_varies_final_equity_and_is_reproducible():
    first = monte_carlo(RETURNS, method=Method.BOOTSTRAP, simulations=3000, seed=1)
    again = monte_carlo(RETURNS, method=Method.BOOTSTRAP, simulations=3000, seed=1)
    other = monte_carlo(RETURNS, method=Method.BOOTSTRAP, simulations=3000, seed=2)
    assert first == again
    assert first != other
    assert first.final_equity.percentiles[5] < first.final_equity.percentiles[95]
    # the bootstrap median sits near the geometric compounding of the mean log return
    expected = np.exp(np.log1p(RETURNS).mean() * len(RETURNS))
    assert first.final_equity.percentiles[50] == pytest.approx(expected, rel=0.1)


def test_probability_of_ruin_counts_paths_that_touched_the_threshold():
    always_ruined = monte_carlo(
        np.array([-0.6, 0.1]), method=Method.RESHUFFLE, simulations=50, ruin_fraction=0.5
    )
    assert always_ruined.probability_of_ruin == 1.0
    never = monte_carlo(np.array([0.01, 0.02]), method=Method.BOOTSTRAP, simulations=50)
    assert never.probability_of_ruin == 0.0


def test_no_trades_gives_a_flat_distribution():
    result = monte_carlo(np.array([]), method=Method.BOOTSTRAP, simulations=5, initial_equity=100)
    assert result.final_equity.percentiles[50] == 100
    assert result.max_drawdown.mean == 0


@pytest.mark.parametrize(
    ("returns", "options", "field"),
    [
        (np.array([np.nan]), {}, "trade_returns"),
        (np.array([-1.0]), {}, "trade_returns"),
        (RETURNS, {"simulations": 0}, "simulations"),
        (RETURNS, {"initial_equity": -5}, "initial_equity"),
        (RETURNS, {"ruin_fraction": 1.0}, "ruin_fraction"),
    ],
)
def test_bad_settings_name_the_field(returns, options, field):
    with pytest.raises(InvalidArgument) as raised:
        monte_carlo(returns, method=Method.BOOTSTRAP, **options)
    assert [violation.field for violation in raised.value.violations] == [field]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=-0.9, max_value=2.0), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_drawdowns_are_fractions_and_percentiles_are_ordered(returns, seed):
    result = monte_carlo(np.array(returns), method=Method.BOOTSTRAP, simulations=64, seed=seed)
    values = list(result.max_drawdown.percentiles.values())
    assert all(0 <= value < 1 for value in values)
    assert values == sorted(values)
