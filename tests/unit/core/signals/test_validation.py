"""Signal validation: every field rule, each violation named by its path, all of them at once."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_pb2
from services.core.signals.bars import bar_violations
from services.core.signals.validation import signal_violations


def _signal(**fields) -> signal_pb2.Signal:
    values = {"signal_id": "s-1", "strategy_id": "rsi", "symbol": "BTC-USD", "action": signal_pb2.ACTION_BUY}
    values.update(fields)
    return signal_pb2.Signal(**values)


def _fields(signal: signal_pb2.Signal) -> set[str]:
    return {violation.field for violation in signal_violations(signal)}


def test_a_complete_signal_is_valid():
    signal = _signal(
        confidence=0.8, quantity=2, price_target=100, stop_loss=95, take_profit=110, risk_score=0.2,
        metadata={"model_version": "7"},
        execution_params=signal_pb2.ExecutionParams(
            order_type=signal_pb2.ORDER_TYPE_LIMIT,
            time_in_force=signal_pb2.TIME_IN_FORCE_GTC,
            max_slippage=0.01,
        ),
    )  # fmt: skip
    assert signal_violations(signal) == []


def test_an_empty_signal_names_every_required_field():
    assert _fields(signal_pb2.Signal()) == {
        "signal.signal_id",
        "signal.strategy_id",
        "signal.symbol",
        "signal.action",
    }


@pytest.mark.parametrize("value", [-0.1, 1.5, math.nan, math.inf])
def test_confidence_and_risk_score_must_be_fractions(value):
    assert _fields(_signal(confidence=value, risk_score=value)) == {"signal.confidence", "signal.risk_score"}


@pytest.mark.parametrize("name", ["quantity", "price_target", "stop_loss", "take_profit"])
@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
def test_quantities_and_prices_must_be_finite_and_positive(name, value):
    assert f"signal.{name}" in _fields(_signal(action=signal_pb2.ACTION_HOLD, **{name: value}))


def test_a_buy_stops_below_and_takes_profit_above_its_price():
    assert _fields(_signal(price_target=100, stop_loss=105)) == {"signal.stop_loss"}
    assert _fields(_signal(price_target=100, take_profit=95)) == {"signal.take_profit"}
    assert _fields(_signal(stop_loss=110, take_profit=105)) == {"signal.stop_loss"}


def test_a_sell_stops_above_and_takes_profit_below_its_price():
    sell = signal_pb2.ACTION_SELL
    assert signal_violations(_signal(action=sell, price_target=100, stop_loss=105, take_profit=90)) == []
    assert _fields(_signal(action=sell, price_target=100, stop_loss=95)) == {"signal.stop_loss"}
    assert _fields(_signal(action=sell, price_target=100, take_profit=105)) == {"signal.take_profit"}


def test_unknown_enum_values_are_refused():
    signal = _signal(action=9, strategy_source=7)
    signal.execution_params.order_type = 12
    signal.execution_params.time_in_force = 13
    assert _fields(signal) == {
        "signal.action",
        "signal.strategy_source",
        "signal.execution_params.order_type",
        "signal.execution_params.time_in_force",
    }


def test_priced_orders_need_a_price_target():
    signal = _signal(execution_params=signal_pb2.ExecutionParams(order_type=signal_pb2.ORDER_TYPE_STOP))
    assert _fields(signal) == {"signal.price_target"}


def test_metadata_is_bounded():
    assert _fields(_signal(metadata={str(index): "v" for index in range(33)})) == {"signal.metadata"}
    assert _fields(_signal(metadata={"big": "x" * 1024})) == {"signal.metadata['big']"}


def test_ids_are_bounded_and_trimmed():
    assert _fields(_signal(signal_id="x" * 129, symbol=" BTC")) == {"signal.signal_id", "signal.symbol"}


@given(
    confidence=st.floats(allow_nan=True, allow_infinity=True),
    quantity=st.floats(allow_nan=True, allow_infinity=True),
)
def test_validation_never_raises_and_accepts_exactly_the_valid_numbers(confidence, quantity):
    fields = _fields(_signal(confidence=confidence, quantity=quantity))
    assert ("signal.confidence" in fields) == (not 0 <= confidence <= 1)
    assert ("signal.quantity" in fields) == (not (math.isfinite(quantity) and quantity >= 0))


def _text_refused(value: str, maximum: int) -> bool:
    """The rule for required texts, written the plain way."""
    return (
        not value.strip()
        or len(value) > maximum
        or value != value.strip()
        or any(character in value for character in "\x00\n\r")
    )


@given(
    text=st.text(alphabet=st.sampled_from(["a", "Z", "-", ":", " ", "\t", "\n", "\r", "\x00", "\x01",
                                           "\u00a0", "\u2003", "é", "😀"]), max_size=70)
    | st.text(max_size=140)
)  # fmt: skip
def test_text_fields_are_refused_exactly_by_the_plain_rule(text):
    fields = _fields(_signal(signal_id=text, symbol=text, metadata={"k": text}))
    assert ("signal.signal_id" in fields) == _text_refused(text, 128)
    assert ("signal.symbol" in fields) == _text_refused(text, 64)


@given(
    prices=st.tuples(*[st.floats(allow_nan=True, allow_infinity=True)] * 3),
    action=st.sampled_from(list(signal_pb2.Action.values())),
)
def test_price_fields_are_refused_exactly_when_negative_or_not_finite(prices, action):
    price_target, stop_loss, take_profit = prices
    fields = _fields(_signal(action=action, price_target=price_target, stop_loss=stop_loss,
                             take_profit=take_profit))  # fmt: skip
    for name, value in zip(("price_target", "stop_loss", "take_profit"), prices, strict=True):
        bad_number = not (math.isfinite(value) and value >= 0)
        if bad_number:
            assert f"signal.{name}" in fields


def _bar(**fields) -> bar_pb2.Bar:
    bar = bar_pb2.Bar(
        symbol="BTC-USD", timeframe=bar_pb2.TIMEFRAME_1_MINUTE, open=10, high=12, low=9, close=11, volume=5
    )
    bar.time.FromSeconds(1_700_000_000)
    for name, value in fields.items():
        setattr(bar, name, value)
    return bar


def test_a_consistent_bar_is_valid():
    assert bar_violations(_bar()) == []


def test_inconsistent_bars_name_each_problem():
    assert {item.field for item in bar_violations(_bar(high=10.5, low=10.5, timeframe=0, volume=-1))} == {
        "bar.high",
        "bar.low",
        "bar.timeframe",
        "bar.volume",
    }
    missing_time = bar_pb2.Bar(symbol="X", timeframe=1, open=1, high=1, low=1, close=1)
    assert {item.field for item in bar_violations(missing_time)} == {"bar.time"}
