"""PostgreSQL storage of the token signing keys, and the one transaction that rotates them.

Every replica plans rotations from the same rows under one advisory lock, so two
replicas due at the same moment make one change, not two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ec

from services.core.identity.key_rotation import RotationPlan
from services.core.identity.signing_keys import (
    SigningKey,
    generate_private_key,
    private_key_from_pem,
    private_key_to_pem,
)

Planner = Callable[[Sequence[SigningKey]], RotationPlan]


class SigningKeyError(ValueError):
    """The stored keys cannot be read with the configured passphrase: the service must not start."""


class KeyStore:
    def __init__(self, pool: asyncpg.Pool, passphrase: bytes | None) -> None:
        self._pool = pool
        self._passphrase = passphrase

    async def load(self) -> list[SigningKey]:
        async with self._pool.acquire() as connection:
            return await self._load(connection)

    async def apply(self, planner: Planner, now: datetime) -> list[SigningKey]:
        """Plan from the stored keys under the lock, apply the plan, return the keys as they now are."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('gateway:signing_keys'))")
            keys = await self._load(connection)
            change = planner(keys)
            if not change.changes_anything:
                return keys
            if change.activate is not None:
                await connection.execute(
                    "UPDATE signing_keys SET activate_time = $2 WHERE kid = $1", change.activate, now
                )
            if change.retire is not None:
                await connection.execute(
                    "UPDATE signing_keys SET retire_time = $2 WHERE kid = $1", change.retire, now
                )
            if change.drop:
                await connection.execute(
                    "DELETE FROM signing_keys WHERE kid = ANY($1::text[])", list(change.drop)
                )
            if change.create_current:
                await self._insert(connection, now, active=True)
            if change.create_next:
                await self._insert(connection, now, active=False)
            return await self._load(connection)

    async def _insert(self, connection: asyncpg.Connection, now: datetime, *, active: bool) -> None:
        key = SigningKey(
            private_key=generate_private_key(), create_time=now, activate_time=now if active else None
        )
        await connection.execute(
            "INSERT INTO signing_keys (kid, private_key, create_time, activate_time) VALUES ($1, $2, $3, $4)",
            key.kid,
            private_key_to_pem(key.private_key, self._passphrase),
            key.create_time,
            key.activate_time,
        )

    async def _load(self, connection: asyncpg.Connection) -> list[SigningKey]:
        rows = await connection.fetch(
            """SELECT private_key, create_time, activate_time, retire_time FROM signing_keys
               ORDER BY create_time"""
        )
        return [
            SigningKey(
                private_key=self._private_key(bytes(row["private_key"])),
                create_time=row["create_time"],
                activate_time=row["activate_time"],
                retire_time=row["retire_time"],
            )
            for row in rows
        ]

    def _private_key(self, pem: bytes) -> ec.EllipticCurvePrivateKey:
        try:
            return private_key_from_pem(pem, self._passphrase)
        except ValueError as error:
            raise SigningKeyError(
                f"cannot read the stored signing keys ({error}): is "
                "ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE the one they were stored with?"
            ) from None
