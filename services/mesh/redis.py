"""The Redis client every service uses (redis-py's asyncio client, commands packed by hiredis)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlparse

from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.connection import HiredisRespSerializer
from redis.exceptions import ConnectionError as RedisConnectionError

_PACKER = HiredisRespSerializer()


class _HiredisPacking:
    """Packs commands with hiredis's C encoder, through redis-py's own hiredis serializer.

    redis-py's asyncio connections pack every argument in Python (only its sync connections use
    that serializer). The bus's append script sends three arguments per signal, thousands per
    call, and Python packing was about a tenth of the bus's CPU under publish load. The bytes on
    the wire are the same; an argument Redis has no encoding for is a DataError either way.
    """

    def pack_command(self, *arguments: Any) -> list[bytes]:
        return _PACKER.pack(*arguments)

    def pack_commands(self, commands: Any) -> list[bytes]:
        return [b"".join(chunk for command in commands for chunk in _PACKER.pack(*command))]


class HiredisConnection(_HiredisPacking, Connection):
    pass


class HiredisSSLConnection(_HiredisPacking, SSLConnection):
    pass


class HiredisUnixConnection(_HiredisPacking, UnixDomainSocketConnection):
    pass


_CONNECTIONS = {"redis": HiredisConnection, "rediss": HiredisSSLConnection, "unix": HiredisUnixConnection}


def redis_from_url(url: str, **options: Any) -> Redis:
    """`Redis.from_url` with the connection class of the URL's scheme packing through hiredis."""
    scheme = urlparse(url).scheme
    if scheme not in _CONNECTIONS:
        raise ValueError(f"a Redis URL starts with redis://, rediss:// or unix://, not {scheme or url!r}")
    client = Redis.from_url(url, **options)
    # set on the pool, not passed in: the URL's own choice (SSL, unix socket) would override it;
    # the pool makes its connections lazily, so none exists yet
    client.connection_pool.connection_class = _CONNECTIONS[scheme]
    return client


async def connect_redis(url: str, timeout_seconds: float) -> Redis:
    """A client that answered PING; waits up to `timeout_seconds` for the server to come up."""
    client = redis_from_url(url, decode_responses=False, health_check_interval=30)
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            await client.ping()
            return client
        except (RedisConnectionError, OSError) as error:
            if time.monotonic() >= deadline:
                await client.aclose()
                raise ConnectionError(f"Redis is not reachable: {error}") from error
            await asyncio.sleep(0.5)
