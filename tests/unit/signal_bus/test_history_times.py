"""The history's timestamp conversion equals protobuf's own `Timestamp.ToDatetime`."""

from datetime import UTC

from hypothesis import given
from hypothesis import strategies as st

from alphintra.signalbus.v1 import signal_pb2
from services.signal_bus.history_store import _times

STAMPS = st.tuples(st.integers(min_value=0, max_value=253_402_300_799), st.integers(0, 999_999_999))


@given(st.lists(STAMPS, max_size=20))
def test_each_timestamp_converts_as_protobuf_converts_it(stamps):
    signals = [signal_pb2.Signal() for _ in stamps]
    for signal, (seconds, nanos) in zip(signals, stamps, strict=True):
        signal.timestamp.seconds, signal.timestamp.nanos = seconds, nanos
    assert _times(signals) == [signal.timestamp.ToDatetime(tzinfo=UTC) for signal in signals]


def test_a_shared_timestamp_is_converted_once_and_repeated():
    signals = [signal_pb2.Signal() for _ in range(3)]
    for signal in signals:
        signal.timestamp.seconds = 1_700_000_000
    first, second, third = _times(signals)
    assert first is second is third
    assert first.tzinfo is UTC
