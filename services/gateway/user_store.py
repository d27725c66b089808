"""PostgreSQL storage of users and organisations (asyncpg).

E-mail addresses are unique case-insensitively (a unique index on lower(email)); every
change to a user runs under `SELECT ... FOR UPDATE` and bumps its version, the etag
clients send back, so two concurrent edits cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from services.core.errors import AlreadyExists, FailedPrecondition, NotFound
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.core.paging import PageRequest
from services.gateway.records import OrganizationRecord, UserRecord

_USER_COLUMNS = """id, email, display_name, password_hash, coalesce(organization_id, '') AS organization_id,
    role, plan_tier, disabled, version, create_time, update_time, last_login_time, join_time"""
_ORGANIZATION_SELECT = """
    SELECT o.id, o.display_name, o.plan_tier, o.owner_id, o.create_time, o.update_time,
           (SELECT count(*) FROM users u WHERE u.organization_id = o.id) AS member_count
    FROM organizations o"""


def _user(row: asyncpg.Record | None) -> UserRecord | None:
    if row is None:
        return None
    return UserRecord(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        password_hash=row["password_hash"],
        organization_id=row["organization_id"],
        role=Role(row["role"]),
        tier=PlanTier(row["plan_tier"]),
        disabled=row["disabled"],
        version=row["version"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        last_login_time=row["last_login_time"],
        join_time=row["join_time"],
    )


def _organization(row: asyncpg.Record | None) -> OrganizationRecord | None:
    if row is None:
        return None
    return OrganizationRecord(
        id=row["id"],
        display_name=row["display_name"],
        tier=PlanTier(row["plan_tier"]),
        owner_id=row["owner_id"],
        member_count=row["member_count"],
        create_time=row["create_time"],
        update_time=row["update_time"],
    )


def _email_taken(email: str) -> AlreadyExists:
    return AlreadyExists("user", email, f"a user with e-mail {email!r} already exists")


class UserStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- users ---------------------------------------------------------------------------

    async def get_user(self, user_id: str) -> UserRecord | None:
        row = await self._pool.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)  # noqa: S608 - constant columns
        return _user(row)

    async def find_user_by_email(self, email: str) -> UserRecord | None:
        row = await self._pool.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE lower(email) = lower($1)",  # noqa: S608 - constant columns
            email.strip(),
        )
        return _user(row)

    async def find_user_by_request(self, created_by: str, request_id: str) -> UserRecord | None:
        row = await self._pool.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE created_by = $1 AND request_id = $2",  # noqa: S608
            created_by,
            request_id,
        )
        return _user(row)

    async def insert_user(
        self, user: UserRecord, *, created_by: str | None, request_id: str | None
    ) -> UserRecord | None:
        """Insert; None when (created_by, request_id) was already used — a retry of an earlier create."""
        try:
            inserted = await self._pool.fetchval(
                """INSERT INTO users (id, email, display_name, password_hash, organization_id, role,
                                      plan_tier, disabled, version, created_by, request_id, join_time,
                                      create_time, update_time)
                   VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, 1, $9, $10, $11, $12, $12)
                   ON CONFLICT (created_by, request_id) DO NOTHING RETURNING id""",
                user.id,
                user.email,
                user.display_name,
                user.password_hash,
                user.organization_id,
                user.role.value,
                user.tier.value,
                user.disabled,
                created_by,
                request_id,
                user.join_time,
                user.create_time,
            )
        except asyncpg.UniqueViolationError:
            raise _email_taken(user.email) from None
        return None if inserted is None else await self.get_user(user.id)

    async def update_user(self, user_id: str, change: Callable[[UserRecord], UserRecord]) -> UserRecord:
        """Lock the user, let `change` check it and return the new state, store that with version + 1."""
        async with self._pool.acquire() as connection, connection.transaction():
            current = _user(
                await connection.fetchrow(
                    f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE",  # noqa: S608
                    user_id,
                )
            )
            if current is None:
                raise NotFound("user", f"users/{user_id}")
            changed = change(current)
            try:
                await connection.execute(
                    """UPDATE users SET email = $2, display_name = $3, password_hash = $4, role = $5,
                              plan_tier = $6, disabled = $7, version = version + 1, update_time = $8
                       WHERE id = $1""",
                    user_id,
                    changed.email,
                    changed.display_name,
                    changed.password_hash,
                    changed.role.value,
                    changed.tier.value,
                    changed.disabled,
                    changed.update_time,
                )
            except asyncpg.UniqueViolationError:
                raise _email_taken(changed.email) from None
        updated = await self.get_user(user_id)
        assert updated is not None  # users are never deleted
        return updated

    async def record_login(self, user_id: str, now: datetime, new_password_hash: str | None) -> None:
        """Stamp the login; replace the hash when it was made with weaker parameters than today's."""
        await self._pool.execute(
            """UPDATE users SET last_login_time = $2, password_hash = coalesce($3, password_hash)
               WHERE id = $1""",
            user_id,
            now,
            new_password_hash,
        )

    async def list_users(
        self, organization_id: str, role: Role | None, query: str, page: PageRequest
    ) -> tuple[list[UserRecord], tuple[Any, ...] | None]:
        """Members of an organisation by e-mail; the last key when another page follows."""
        after_email, after_id = page.after if page.after is not None else (None, None)
        rows = await self._pool.fetch(
            f"""SELECT {_USER_COLUMNS} FROM users
                WHERE organization_id = $1
                  AND ($2::text IS NULL OR role = $2)
                  AND ($3 = '' OR strpos(lower(email), lower($3)) > 0
                       OR strpos(lower(display_name), lower($3)) > 0)
                  AND ($4::text IS NULL OR (lower(email), id) > ($4, $5::text))
                ORDER BY lower(email), id
                LIMIT $6""",  # noqa: S608 - constant columns
            organization_id,
            role.value if role is not None else None,
            query,
            after_email,
            after_id,
            page.size + 1,
        )
        users = [user for row in rows[: page.size] if (user := _user(row)) is not None]
        last_key = (users[-1].email.lower(), users[-1].id) if len(rows) > page.size else None
        return users, last_key

    # -- organisations -------------------------------------------------------------------

    async def get_organization(self, organization_id: str) -> OrganizationRecord | None:
        return _organization(
            await self._pool.fetchrow(_ORGANIZATION_SELECT + " WHERE o.id = $1", organization_id)
        )

    async def find_organization_by_request(self, owner_id: str, request_id: str) -> OrganizationRecord | None:
        return _organization(
            await self._pool.fetchrow(
                _ORGANIZATION_SELECT + " WHERE o.owner_id = $1 AND o.request_id = $2", owner_id, request_id
            )
        )

    async def create_organization(
        self, organization: OrganizationRecord, request_id: str | None, now: datetime
    ) -> OrganizationRecord:
        """Insert the organisation and make its owner its first admin, in one transaction."""
        async with self._pool.acquire() as connection, connection.transaction():
            owner = _user(
                await connection.fetchrow(
                    f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE",  # noqa: S608
                    organization.owner_id,
                )
            )
            if owner is None:
                raise NotFound("user", f"users/{organization.owner_id}")
            if owner.organization_id:
                raise FailedPrecondition(
                    "you already belong to an organization",
                    [("MEMBERSHIP", f"users/{owner.id}", f"member of organizations/{owner.organization_id}")],
                )
            try:
                await connection.execute(
                    """INSERT INTO organizations (id, display_name, plan_tier, owner_id, request_id,
                                                  create_time, update_time)
                       VALUES ($1, $2, $3, $4, $5, $6, $6)""",
                    organization.id,
                    organization.display_name,
                    organization.tier.value,
                    organization.owner_id,
                    request_id,
                    now,
                )
            except asyncpg.UniqueViolationError:
                raise AlreadyExists(
                    "organization",
                    organization.display_name,
                    f"an organization named {organization.display_name!r} already exists",
                ) from None
            await connection.execute(
                """UPDATE users SET organization_id = $2, role = 'admin', join_time = $3,
                          version = version + 1, update_time = $3
                   WHERE id = $1""",
                owner.id,
                organization.id,
                now,
            )
        created = await self.get_organization(organization.id)
        assert created is not None
        return created

    async def ensure_admin(self, organization: OrganizationRecord, admin: UserRecord) -> UserRecord | None:
        """Create the organisation and its admin unless the e-mail is taken; the new admin, or None."""
        async with self._pool.acquire() as connection, connection.transaction():
            # replicas starting together: one creates, the others find it done
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext('gateway:bootstrap'))")
            exists = await connection.fetchval(
                "SELECT 1 FROM users WHERE lower(email) = lower($1)", admin.email
            )
            if exists:
                return None
            name_taken = await connection.fetchval(
                "SELECT id FROM organizations WHERE lower(display_name) = lower($1)",
                organization.display_name,
            )
            organization_id = name_taken or organization.id
            if not name_taken:
                await connection.execute(
                    """INSERT INTO organizations (id, display_name, plan_tier, owner_id, create_time,
                                                  update_time)
                       VALUES ($1, $2, $3, $4, $5, $5)""",
                    organization.id,
                    organization.display_name,
                    organization.tier.value,
                    admin.id,
                    organization.create_time,
                )
            await connection.execute(
                """INSERT INTO users (id, email, display_name, password_hash, organization_id, role,
                                      plan_tier, join_time, create_time, update_time)
                   VALUES ($1, $2, $3, $4, $5, 'admin', $6, $7, $7, $7)""",
                admin.id,
                admin.email,
                admin.display_name,
                admin.password_hash,
                organization_id,
                admin.tier.value,
                admin.create_time,
            )
        return await self.get_user(admin.id)

    async def list_members(
        self, organization_id: str, page: PageRequest
    ) -> tuple[list[UserRecord], tuple[Any, ...] | None]:
        return await self.list_users(organization_id, None, "", page)
