"""Signal filters and visibility, checked against a reference written the obvious way."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphintra.signalbus.v1 import signal_pb2
from services.core.errors import InvalidArgument
from services.core.ownership import Caller, Role
from services.core.signals.filters import Audience, SignalFilter

SYMBOLS = ["BTC-USD", "ETH-USD", "AAPL"]
STRATEGIES = ["rsi", "macd"]
ACTIONS = [signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_HOLD, signal_pb2.ACTION_CLOSE]

filters = st.builds(
    signal_pb2.SignalFilter,
    symbols=st.lists(st.sampled_from(SYMBOLS), max_size=2),
    strategy_ids=st.lists(st.sampled_from(STRATEGIES), max_size=2),
    actions=st.lists(st.sampled_from(ACTIONS), max_size=2),
    min_confidence=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
)
signals = st.builds(
    signal_pb2.Signal,
    symbol=st.sampled_from(SYMBOLS),
    strategy_id=st.sampled_from(STRATEGIES),
    action=st.sampled_from(ACTIONS),
    confidence=st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.99, 1.0]),
)


def reference(message: signal_pb2.SignalFilter, signal: signal_pb2.Signal) -> bool:
    conditions = []
    if message.symbols:
        conditions.append(signal.symbol in list(message.symbols))
    if message.strategy_ids:
        conditions.append(signal.strategy_id in list(message.strategy_ids))
    if message.actions:
        conditions.append(signal.action in list(message.actions))
    conditions.append(signal.confidence >= message.min_confidence)
    return all(conditions)


@given(message=filters, signal=signals)
def test_the_filter_agrees_with_the_reference(message, signal):
    signal_filter = SignalFilter.from_proto(message)
    assert signal_filter.matches_signal(signal) == reference(message, signal)


@given(message=filters)
def test_a_filter_survives_the_round_trip_through_its_message(message):
    signal_filter = SignalFilter.from_proto(message)
    assert SignalFilter.from_proto(signal_filter.to_proto()) == signal_filter


def test_an_empty_filter_matches_everything():
    assert SignalFilter().matches_everything
    assert SignalFilter().matches("X", "any", signal_pb2.ACTION_HOLD, 0.0)


def test_a_malformed_filter_names_its_fields():
    with pytest.raises(InvalidArgument) as caught:
        SignalFilter.from_proto(signal_pb2.SignalFilter(actions=[0, 9], min_confidence=2))
    assert {item.field for item in caught.value.violations} == {"filter.actions", "filter.min_confidence"}


def test_callers_see_their_own_signals_and_admins_their_organisations():
    alice = Audience.of(Caller("alice", "acme", Role.TRADER))
    admin = Audience.of(Caller("root", "acme", Role.ADMIN))
    assert alice.admits("alice", "acme")
    assert not alice.admits("bob", "acme")
    assert admin.admits("bob", "acme")
    assert not admin.admits("eve", "globex")
    lone_admin = Audience.of(Caller("solo", "", Role.ADMIN))
    assert not lone_admin.admits("x", "")
