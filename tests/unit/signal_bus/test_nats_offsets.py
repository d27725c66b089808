"""JetStream offsets: "<sequence>-0" (keyed), "<time>-<sequence>" (timed), "@<ms>" (a start from a time)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.signal_bus.nats_log import NatsLog, token

LOG = NatsLog(["nats://127.0.0.1:1"], prefix="t", retention_seconds=60, max_entries=100, replicas=1)
SEQUENCES = st.integers(min_value=1, max_value=2**63)


def test_zero_zero_is_before_everything_on_this_engine_too():
    assert LOG.offset_key("0-0") == (0, 0)
    assert LOG.offset_before_time(0) == "0-0"


@given(SEQUENCES, SEQUENCES)
def test_keyed_offsets_sort_by_sequence(first, second):
    assert (LOG.offset_key(f"{first}-0") < LOG.offset_key(f"{second}-0")) == (first < second)


@given(st.integers(min_value=0, max_value=2**62), SEQUENCES)
def test_a_timed_offset_reads_after_its_sequence(time_ms, sequence):
    assert LOG._position(f"{time_ms}-{sequence}") == (sequence, None)


@given(st.integers(min_value=1, max_value=2**62), SEQUENCES)
def test_a_start_from_a_time_sorts_before_every_entry(time_ms, sequence):
    start = LOG.offset_before_time(time_ms)
    assert LOG.offset_key(start) < LOG.offset_key(f"{sequence}-0")
    assert LOG._position(start) == (0, time_ms)


@pytest.mark.parametrize("offset", ["", "42", "-0", "a-0", "1-x", "@", "@x", "1-0-0", "9" * 41 + "-0"])
def test_anything_else_is_not_an_offset(offset):
    with pytest.raises(ValueError, match="not an offset"):
        LOG.offset_key(offset)


@given(st.text(min_size=0, max_size=50))
def test_a_token_is_one_subject_token(text):
    encoded = token(text)
    assert encoded
    assert not set(encoded) & {".", "*", ">", " ", "\t", "\r", "\n"}


def test_topics_map_to_one_stream_per_family():
    assert LOG.stream_name("signals") == "t_signals"
    assert LOG.stream_name("bars:1_MINUTE:BTC-USD") == LOG.stream_name("bars:1_HOUR:ETH-USD") == "t_bars"
