"""The signal policy: thresholds, confidence, ensembles, risk prices, cooldown and repeats."""

from __future__ import annotations

import pytest

from services.predictor import signal_policy as policy


def test_thresholds_make_the_action_and_the_confidence() -> None:
    thresholds = policy.Thresholds(buy=0.6, sell=0.4)

    assert policy.decide(0.7, thresholds, probability=True) == policy.Decision(policy.BUY, 0.7)
    assert policy.decide(0.25, thresholds, probability=True) == policy.Decision(policy.SELL, 0.75)
    assert policy.decide(0.5, thresholds, probability=True).action == policy.HOLD
    assert policy.decide(-3.0, thresholds, probability=False) == policy.Decision(policy.SELL, 1.0)


def test_weighted_average_and_majority_vote() -> None:
    assert policy.weighted_average([0.2, 0.8], [1.0, 3.0]) == pytest.approx(0.65)
    buy, sell = policy.Decision(policy.BUY, 0.9), policy.Decision(policy.SELL, 0.9)

    assert policy.majority_vote([buy, sell, buy], [1.0, 1.5, 1.0]) == policy.Decision(policy.BUY, 2.0 / 3.5)
    assert policy.majority_vote([buy, sell], [1.0, 1.0]).action == policy.HOLD


def test_weights_that_add_up_to_a_tie_are_a_tie() -> None:
    """0.1 + 0.2 is 0.30000000000000004 in floating point; the vote against 0.3 is still a tie."""
    buy, sell = policy.Decision(policy.BUY, 0.9), policy.Decision(policy.SELL, 0.9)

    tie = policy.majority_vote([sell, sell, buy], [0.1, 0.2, 0.3])

    assert tie.action == policy.HOLD
    assert tie.confidence == pytest.approx(0.5)
    assert policy.majority_vote([sell, sell, buy], [0.1, 0.2, 0.2999]).action == policy.SELL


def test_risk_prices_sit_on_the_protective_sides() -> None:
    risk = policy.Risk(stop_loss_fraction=0.02, take_profit_fraction=0.05)

    assert policy.risk_prices(policy.BUY, 100.0, risk) == pytest.approx((98.0, 105.0))
    assert policy.risk_prices(policy.SELL, 100.0, risk) == pytest.approx((102.0, 95.0))
    assert policy.risk_prices(policy.HOLD, 100.0, risk) == (0.0, 0.0)


def test_the_gate_applies_cooldown_repeats_and_hold_publishing() -> None:
    gate = policy.SymbolGate(policy.Thresholds(suppress_repeats=True), policy.Risk(cooldown_bars=2))
    admitted = []
    for action in (policy.BUY, policy.SELL, policy.SELL, policy.SELL, policy.BUY, policy.HOLD):
        gate.bar()
        if gate.admits(action):
            gate.published(action)
            admitted.append(action)

    # the SELLs on bars 2 and 3 fall in the cooldown, the one on bar 4 passes; HOLD is not published
    assert admitted == [policy.BUY, policy.SELL]
