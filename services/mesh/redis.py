"""The Redis client every service uses (redis-py's asyncio client)."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


async def connect_redis(url: str, timeout_seconds: float) -> Redis:
    """A client that answered PING; waits up to `timeout_seconds` for the server to come up."""
    client = Redis.from_url(url, decode_responses=False, health_check_interval=30)
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
