"""Batches joined from per-record bytes are exactly the protobuf messages the contract defines."""

from hypothesis import given
from hypothesis import strategies as st

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_pb2
from services.signal_bus.wire import encode_batch, encode_record, varint

signals = st.builds(
    signal_pb2.Signal,
    signal_id=st.text(max_size=40),
    symbol=st.text(max_size=10),
    confidence=st.floats(0, 1),
    metadata=st.dictionaries(st.text(max_size=5), st.text(max_size=300), max_size=3),
)
offsets = st.from_regex(r"[0-9]{1,13}-[0-9]{1,5}", fullmatch=True)


@given(records=st.lists(st.tuples(offsets, signals), max_size=20), resume=offsets)
def test_an_encoded_signal_batch_parses_as_the_response_it_stands_for(records, resume):
    encoded = encode_batch(
        [encode_record(offset, signal.SerializeToString()) for offset, signal in records], resume
    )
    expected = messages.SubscribeResponse(
        signals=[messages.SignalRecord(offset=offset, signal=signal) for offset, signal in records],
        resume_offset=resume,
    )
    assert messages.SubscribeResponse.FromString(encoded) == expected


def test_an_encoded_bar_batch_parses_as_the_bars_response():
    bar = bar_pb2.Bar(
        symbol="BTC-USD", timeframe=bar_pb2.TIMEFRAME_1_MINUTE, open=1, high=2, low=0.5, close=1.5
    )
    encoded = encode_batch([encode_record("60000-0", bar.SerializeToString())], "abc")
    parsed = messages.SubscribeBarsResponse.FromString(encoded)
    assert parsed == messages.SubscribeBarsResponse(
        bars=[messages.BarRecord(offset="60000-0", bar=bar)], resume_offset="abc"
    )


@given(st.integers(0, 2**64 - 1))
def test_varint_matches_protobuf(value):
    message = messages.SubscribeRequest(max_batch_size=value % 2**31)
    assert message.SerializeToString() == (b"\x28" + varint(value % 2**31) if value % 2**31 else b"")
