"""What a bus process keeps per record in its fanout window, and what that costs the collector."""

import gc

from alphintra.signalbus.v1 import signal_pb2
from services.signal_bus.bars import bar_decoder
from services.signal_bus.log import LogRecord
from services.signal_bus.signals import signal_decoder
from services.signal_bus.wire import encode_record


def _offset_key(offset: str) -> tuple[int, int]:
    first, _, second = offset.partition("-")
    return int(first), int(second)


def test_a_decoded_signal_keeps_what_filters_compare_and_the_bytes_subscribers_get():
    signal = signal_pb2.Signal(
        signal_id="s-1",
        strategy_id="rsi",
        symbol="ETH-USD",
        action=signal_pb2.ACTION_SELL,
        confidence=0.25,
        owner_id="alice",
        metadata={"k": "v"},
    )
    body = signal.SerializeToString()
    entry = signal_decoder(_offset_key)(LogRecord("17-3", body, "acme"))
    assert entry.key == (17, 3)
    assert entry.offset == "17-3"
    assert (entry.owner_id, entry.organization_id) == ("alice", "acme")
    assert (entry.symbol, entry.strategy_id, entry.action) == ("ETH-USD", "rsi", signal_pb2.ACTION_SELL)
    assert entry.confidence == 0.25
    assert entry.encoded == encode_record("17-3", body)


def test_window_entries_hold_nothing_the_garbage_collector_has_to_walk():
    # tens of thousands sit in each window; a parsed message or a dict in each would make every
    # full collection walk them all
    body = signal_pb2.Signal(signal_id="s", owner_id="alice", symbol="BTC-USD").SerializeToString()
    signal = signal_decoder(_offset_key)(LogRecord("1-0", body, "acme"))
    bar = bar_decoder(_offset_key)(LogRecord("2-0", b"bar"))
    gc.collect()
    assert not [field for field in signal if gc.is_tracked(field)]
    assert not [field for field in bar if gc.is_tracked(field)]
