"""Failed sign-ins per account, counted in Redis so that every gateway replica sees the same count.

After `max_failures` failures within `lockout` the account refuses sign-in until the
window ends, which turns online password guessing from millions of tries into a handful
per quarter hour. The key is a digest of the e-mail address, so Redis holds no addresses.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from redis.asyncio import Redis

from services.core.errors import ResourceExhausted


class LoginThrottle:
    def __init__(self, redis: Redis, prefix: str, max_failures: int, lockout: timedelta) -> None:
        self._redis = redis
        self._prefix = prefix
        self._max_failures = max_failures
        self._lockout_seconds = max(1, int(lockout.total_seconds()))

    def _key(self, username: str) -> str:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return f"{self._prefix}login-failures:{digest}"

    async def check(self, username: str) -> None:
        """RESOURCE_EXHAUSTED while the account is locked, with how long it stays so."""
        key = self._key(username)
        failures = await self._redis.get(key)
        if failures is not None and int(failures) >= self._max_failures:
            remaining = await self._redis.ttl(key)
            raise ResourceExhausted(
                "too many failed sign-ins for this account; try again later",
                retry_after_seconds=float(max(remaining, 1)),
            )

    async def record_failure(self, username: str) -> None:
        key = self._key(username)
        async with self._redis.pipeline(transaction=True) as pipeline:
            pipeline.incr(key)
            # the window starts at the first failure and is not extended by later ones
            pipeline.expire(key, self._lockout_seconds, nx=True)
            await pipeline.execute()

    async def clear(self, username: str) -> None:
        await self._redis.delete(self._key(username))
