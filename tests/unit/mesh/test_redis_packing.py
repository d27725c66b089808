"""Commands packed by hiredis are byte for byte what redis-py's own Python packer sends."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from services.mesh.redis import HiredisConnection, HiredisSSLConnection, HiredisUnixConnection, redis_from_url

PYTHON = Connection()
HIREDIS = HiredisConnection()

ARGUMENT = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
)


def _wire(chunks: list[bytes]) -> bytes:
    return b"".join(bytes(chunk) for chunk in chunks)


@given(
    st.sampled_from(["EVALSHA", "XADD", "XINFO STREAM", b"CONFIG GET", b"SET"]),
    st.lists(ARGUMENT, max_size=12),
)
def test_one_command_is_packed_as_redis_py_packs_it(name, arguments):
    assert _wire(HIREDIS.pack_command(name, *arguments)) == _wire(PYTHON.pack_command(name, *arguments))


def test_a_large_command_and_a_pipeline_are_packed_alike():
    entries = [f"key:{index}" for index in range(3000)] + [b"\x00\xff" * 4000, 12, 0.5, "é"]
    assert _wire(HIREDIS.pack_command("EVALSHA", "abc", *entries)) == _wire(
        PYTHON.pack_command("EVALSHA", "abc", *entries)
    )
    pipeline = [("XADD", "s", "*", "b", bytearray(b"body")), ("XACK", "s", "g", "1-0", "2-0"), ("PING",)]
    assert _wire(HIREDIS.pack_commands(pipeline)) == _wire(PYTHON.pack_commands(pipeline))


def test_an_argument_redis_cannot_encode_is_a_data_error():
    with pytest.raises(DataError):
        HIREDIS.pack_command("SET", "key", None)
    with pytest.raises(DataError):
        PYTHON.pack_command("SET", "key", None)


def test_the_url_scheme_picks_the_connection_class():
    for url, expected in [
        ("redis://127.0.0.1:6379/0", HiredisConnection),
        ("rediss://127.0.0.1:6380/0", HiredisSSLConnection),
        ("unix:///tmp/redis.sock", HiredisUnixConnection),
    ]:
        assert redis_from_url(url).connection_pool.connection_class is expected
    with pytest.raises(ValueError, match="redis://"):
        redis_from_url("http://127.0.0.1:6379")
