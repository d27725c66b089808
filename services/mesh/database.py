"""PostgreSQL through asyncpg: the pool every service uses and its versioned migrations.

Each service owns one schema. Its migrations are files `NNNN_description.sql` in the
service's `sql/` folder, applied in order, each in its own transaction, under an
advisory lock (several replicas may start at once), and recorded with a checksum in
`<schema>.schema_migrations`. Running them again applies nothing; editing a migration
that was already applied is refused rather than silently ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationError(Exception):
    """The migrations on disk disagree with what the database recorded."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_description.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [migration.version for migration in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a version number")
    return migrations


async def apply_migrations(pool: asyncpg.Pool, schema: str, directory: Path) -> list[int]:
    """Apply what is new in `directory` to `schema`; returns the versions applied now."""
    if not _SCHEMA_NAME.match(schema):
        raise MigrationError(f"invalid schema name {schema!r}")
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    async with pool.acquire() as connection, connection.transaction():
        # one migrator per schema at a time, across processes and machines
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await connection.fetch(f"SELECT version, checksum FROM {schema}.schema_migrations")  # noqa: S608 - schema matched _SCHEMA_NAME
        recorded = {row["version"]: row["checksum"] for row in rows}
        for migration in migrations:
            if migration.version in recorded:
                if recorded[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{schema} migration {migration.version:04d}_{migration.name} was edited after it "
                        "was applied; add a new migration instead"
                    )
                continue
            async with connection.transaction():
                await connection.execute(f"SET LOCAL search_path TO {schema}, public")
                await connection.execute(migration.sql)
                await connection.execute(
                    f"INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",  # noqa: S608
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.version)
    return applied_now


async def create_pool(
    dsn: str, *, schema: str | None, timeout_seconds: float, max_size: int = 10
) -> asyncpg.Pool:
    """A pool whose connections search the service's schema first; waits for the server to come up."""
    server_settings = {"search_path": f"{schema}, public"} if schema else {}
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            return await asyncpg.create_pool(
                dsn, min_size=1, max_size=max_size, server_settings=server_settings, command_timeout=60
            )
        except (OSError, asyncpg.CannotConnectNowError) as error:
            if time.monotonic() >= deadline:
                raise ConnectionError(f"PostgreSQL is not reachable: {error}") from error
            await asyncio.sleep(0.5)
