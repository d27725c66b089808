"""PostgreSQL storage of API keys and refresh-token sessions (asyncpg).

Only SHA-256 digests of the secrets are stored. A refresh is one transaction under
`SELECT ... FOR UPDATE` on the presented token, so two concurrent refreshes with the
same token cannot both rotate it: the second sees it rotated and revokes the session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from services.core.identity.refresh_rotation import RefreshOutcome, refresh_outcome
from services.core.ownership import Role
from services.core.paging import PageRequest
from services.gateway.records import ApiKeyRecord, RefreshTokenRecord

_API_KEY_COLUMNS = """id, owner_id, display_name, prefix, secret_digest, role, create_time, expire_time,
    last_used_time, revoke_time"""
_REFRESH_COLUMNS = (
    "id, session_id, user_id, secret_digest, create_time, expire_time, rotate_time, revoke_time"
)


def _api_key(row: asyncpg.Record | None) -> ApiKeyRecord | None:
    if row is None:
        return None
    return ApiKeyRecord(
        id=row["id"],
        owner_id=row["owner_id"],
        display_name=row["display_name"],
        prefix=row["prefix"],
        secret_digest=bytes(row["secret_digest"]),
        role=Role(row["role"]),
        create_time=row["create_time"],
        expire_time=row["expire_time"],
        last_used_time=row["last_used_time"],
        revoke_time=row["revoke_time"],
    )


def _refresh_token(row: asyncpg.Record | None) -> RefreshTokenRecord | None:
    if row is None:
        return None
    return RefreshTokenRecord(
        id=row["id"],
        session_id=row["session_id"],
        user_id=row["user_id"],
        secret_digest=bytes(row["secret_digest"]),
        create_time=row["create_time"],
        expire_time=row["expire_time"],
        rotate_time=row["rotate_time"],
        revoke_time=row["revoke_time"],
    )


class CredentialStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- API keys ------------------------------------------------------------------------

    async def insert_api_key(self, key: ApiKeyRecord, request_id: str | None) -> ApiKeyRecord | None:
        """Insert; None when the owner already used `request_id` (a retry)."""
        inserted = await self._pool.fetchval(
            """INSERT INTO api_keys (id, owner_id, display_name, prefix, secret_digest, role, request_id,
                                     expire_time, create_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING id""",
            key.id,
            key.owner_id,
            key.display_name,
            key.prefix,
            key.secret_digest,
            key.role.value,
            request_id,
            key.expire_time,
            key.create_time,
        )
        return None if inserted is None else key

    async def find_api_key_by_request(self, owner_id: str, request_id: str) -> ApiKeyRecord | None:
        return _api_key(
            await self._pool.fetchrow(
                f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE owner_id = $1 AND request_id = $2",  # noqa: S608
                owner_id,
                request_id,
            )
        )

    async def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        return _api_key(
            await self._pool.fetchrow(f"SELECT {_API_KEY_COLUMNS} FROM api_keys WHERE id = $1", key_id)  # noqa: S608
        )

    async def count_usable_api_keys(self, owner_id: str, now: datetime) -> int:
        return int(
            await self._pool.fetchval(
                """SELECT count(*) FROM api_keys
                   WHERE owner_id = $1 AND revoke_time IS NULL
                     AND (expire_time IS NULL OR expire_time > $2)""",
                owner_id,
                now,
            )
        )

    async def list_api_keys(
        self, owner_id: str, show_revoked: bool, now: datetime, page: PageRequest
    ) -> tuple[list[ApiKeyRecord], tuple[Any, ...] | None]:
        """Newest first; the last key when another page follows."""
        after_time, after_id = page.after if page.after is not None else (None, None)
        rows = await self._pool.fetch(
            f"""SELECT {_API_KEY_COLUMNS} FROM api_keys
                WHERE owner_id = $1
                  AND ($2 OR (revoke_time IS NULL AND (expire_time IS NULL OR expire_time > $3)))
                  AND ($4::timestamptz IS NULL OR (create_time, id) < ($4::timestamptz, $5::text))
                ORDER BY create_time DESC, id DESC
                LIMIT $6""",  # noqa: S608 - constant columns
            owner_id,
            show_revoked,
            now,
            datetime.fromisoformat(after_time) if after_time else None,
            after_id,
            page.size + 1,
        )
        keys = [key for row in rows[: page.size] if (key := _api_key(row)) is not None]
        last_key = (keys[-1].create_time.isoformat(), keys[-1].id) if len(rows) > page.size else None
        return keys, last_key

    async def revoke_api_key(self, key_id: str, now: datetime) -> ApiKeyRecord | None:
        """Revoke once: a second revocation keeps the first time."""
        return _api_key(
            await self._pool.fetchrow(
                f"""UPDATE api_keys SET revoke_time = coalesce(revoke_time, $2) WHERE id = $1
                    RETURNING {_API_KEY_COLUMNS}""",  # noqa: S608
                key_id,
                now,
            )
        )

    async def touch_api_key(self, key_id: str, now: datetime) -> None:
        await self._pool.execute("UPDATE api_keys SET last_used_time = $2 WHERE id = $1", key_id, now)

    # -- refresh tokens ------------------------------------------------------------------

    async def insert_refresh_token(self, token: RefreshTokenRecord) -> None:
        await self._pool.execute(
            """INSERT INTO refresh_tokens (id, session_id, user_id, secret_digest, create_time, expire_time)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            token.id,
            token.session_id,
            token.user_id,
            token.secret_digest,
            token.create_time,
            token.expire_time,
        )

    async def get_refresh_token(self, token_id: str) -> RefreshTokenRecord | None:
        return _refresh_token(
            await self._pool.fetchrow(
                f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens WHERE id = $1",  # noqa: S608 - constant columns
                token_id,
            )
        )

    async def rotate_refresh_token(
        self,
        token_id: str,
        now: datetime,
        successor: Callable[[RefreshTokenRecord], RefreshTokenRecord],
        matches: Callable[[RefreshTokenRecord], bool],
    ) -> tuple[RefreshOutcome | None, RefreshTokenRecord | None]:
        """Exchange a refresh token for `successor(it)` when it may be; revoke its session when reused.

        Returns (outcome, the token presented); (None, None) when no token matches the secret.
        """
        async with self._pool.acquire() as connection, connection.transaction():
            presented = _refresh_token(
                await connection.fetchrow(
                    f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens WHERE id = $1 FOR UPDATE",  # noqa: S608
                    token_id,
                )
            )
            if presented is None or not matches(presented):
                return None, None
            outcome = refresh_outcome(
                rotate_time=presented.rotate_time,
                revoke_time=presented.revoke_time,
                expire_time=presented.expire_time,
                now=now,
            )
            if outcome is RefreshOutcome.REUSED:
                await self._revoke_session(connection, presented.session_id, now)
            elif outcome is RefreshOutcome.ROTATE:
                await connection.execute(
                    "UPDATE refresh_tokens SET rotate_time = $2 WHERE id = $1", token_id, now
                )
                following = successor(presented)
                await connection.execute(
                    """INSERT INTO refresh_tokens (id, session_id, user_id, secret_digest, create_time,
                                                   expire_time)
                       VALUES ($1, $2, $3, $4, $5, $6)""",
                    following.id,
                    following.session_id,
                    following.user_id,
                    following.secret_digest,
                    following.create_time,
                    following.expire_time,
                )
        return outcome, presented

    async def revoke_session(self, session_id: str, now: datetime) -> int:
        """Revoke every live token of a session; how many sessions that ended (0 or 1)."""
        async with self._pool.acquire() as connection:
            return await self._revoke_session(connection, session_id, now)

    async def revoke_user_sessions(self, user_id: str, now: datetime) -> int:
        """Revoke every session of a user; how many sessions were still live."""
        revoked = await self._pool.fetch(
            """UPDATE refresh_tokens SET revoke_time = $2
               WHERE user_id = $1 AND revoke_time IS NULL RETURNING session_id, rotate_time, expire_time""",
            user_id,
            now,
        )
        return len({row["session_id"] for row in revoked if _was_live(row, now)})

    @staticmethod
    async def _revoke_session(connection: asyncpg.Connection, session_id: str, now: datetime) -> int:
        revoked = await connection.fetch(
            """UPDATE refresh_tokens SET revoke_time = $2
               WHERE session_id = $1 AND revoke_time IS NULL RETURNING rotate_time, expire_time""",
            session_id,
            now,
        )
        return 1 if any(_was_live(row, now) for row in revoked) else 0


def _was_live(row: asyncpg.Record, now: datetime) -> bool:
    """The session's newest token, not yet expired: the session could still be refreshed."""
    return row["rotate_time"] is None and row["expire_time"] > now
