"""The signing keys as this replica sees them: re-read and rotated at most every `refresh` seconds.

Rotation rides on traffic rather than a timer: token issuance and JWKS fetches (Envoy
fetches it every cache period) check whether a refresh is due, so keys advance while
anyone uses the gateway, and nothing runs in the background between calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from services.core.errors import Unavailable
from services.core.identity import key_rotation
from services.core.identity.key_rotation import RotationPolicy
from services.core.identity.signing_keys import SigningKey, jwks_document
from services.gateway.key_store import KeyStore


class KeyRing:
    def __init__(
        self, store: KeyStore, policy: RotationPolicy, refresh: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._policy = policy
        self._refresh = refresh
        self._clock = clock
        self._keys: list[SigningKey] = []
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def signing_key(self) -> SigningKey:
        await self._refresh_if_due()
        current = key_rotation.current_key(self._keys)
        if current is None:
            raise Unavailable("no signing key is active yet", retry_after_seconds=1.0)
        return current

    async def jwks_json(self) -> bytes:
        await self._refresh_if_due()
        published = key_rotation.published_keys(self._keys, self._clock(), self._policy)
        return json.dumps(jwks_document(published), separators=(",", ":")).encode()

    async def rotate_now(self) -> SigningKey:
        """Stop signing with the current key now (a suspected leak, a drill); the new current key.

        FAILED_PRECONDITION when the next key has not been published long enough for every
        verifier to have fetched it: signing with it would make tokens verifiers refuse.
        """
        async with self._lock:
            now = self._clock()
            self._keys = await self._store.apply(lambda keys: self._forced_plan(keys, now), now)
            self._loaded_at = now
        return await self.signing_key()

    def _forced_plan(self, keys: list[SigningKey], now: datetime) -> key_rotation.RotationPlan:
        key_rotation.require_rotatable(keys, now, self._policy)
        return key_rotation.plan(keys, now, self._policy, force=True)

    async def _refresh_if_due(self) -> None:
        now = self._clock()
        if self._loaded_at is not None and now < self._loaded_at + self._refresh:
            return
        async with self._lock:
            now = self._clock()
            if self._loaded_at is not None and now < self._loaded_at + self._refresh:
                return  # another call refreshed while this one waited
            self._keys = await self._store.apply(lambda keys: key_rotation.plan(keys, now, self._policy), now)
            self._loaded_at = now
