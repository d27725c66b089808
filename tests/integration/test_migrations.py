"""Versioned migrations: applied once, in order; applying them again changes nothing."""

import asyncio

import asyncpg
import pytest

from services.mesh.database import MigrationError, apply_migrations, create_pool

pytestmark = pytest.mark.integration


def _write(directory, name, sql):
    (directory / name).write_text(sql, encoding="utf-8")


async def _catalog(pool, schema):
    async with pool.acquire() as connection:
        tables = await connection.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = $1 ORDER BY 1, 2",
            schema,
        )
        recorded = await connection.fetch(
            f"SELECT version, name, checksum, applied_at FROM {schema}.schema_migrations"
        )
    return [tuple(row) for row in tables], sorted(tuple(row) for row in recorded)


@pytest.fixture
async def pool(database_url):
    pool = await create_pool(database_url, schema="probe", timeout_seconds=10)
    yield pool
    await pool.close()


async def test_migrations_apply_in_order_and_twice_change_nothing(pool, tmp_path):
    _write(
        tmp_path, "0001_create_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL);"
    )
    _write(tmp_path, "0002_add_owner.sql", "ALTER TABLE things ADD COLUMN owner_id text NOT NULL DEFAULT '';")
    assert await apply_migrations(pool, "probe", tmp_path) == [1, 2]
    before = await _catalog(pool, "probe")
    assert ("things", "owner_id", "text") in before[0]

    assert await apply_migrations(pool, "probe", tmp_path) == []
    assert await _catalog(pool, "probe") == before


async def test_a_new_migration_applies_only_itself(pool, tmp_path):
    _write(tmp_path, "0001_create_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    await apply_migrations(pool, "probe", tmp_path)
    _write(tmp_path, "0002_index.sql", "CREATE INDEX things_id ON things (id);")
    assert await apply_migrations(pool, "probe", tmp_path) == [2]


async def test_an_edited_migration_is_refused(pool, tmp_path):
    _write(tmp_path, "0001_create_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    await apply_migrations(pool, "probe", tmp_path)
    _write(tmp_path, "0001_create_things.sql", "CREATE TABLE things (id text PRIMARY KEY);")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await apply_migrations(pool, "probe", tmp_path)


async def test_a_failing_migration_leaves_nothing_half_applied(pool, tmp_path):
    _write(tmp_path, "0001_ok.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE halfway (id int); SELECT no_such_function();")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await apply_migrations(pool, "probe", tmp_path)
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT to_regclass('probe.halfway')") is None
        assert await connection.fetchval("SELECT to_regclass('probe.schema_migrations')") is None


async def test_badly_named_files_are_refused(pool, tmp_path):
    _write(tmp_path, "create_things.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        await apply_migrations(pool, "probe", tmp_path)


async def test_concurrent_migrators_apply_once(database_url, tmp_path):
    _write(tmp_path, "0001_create_things.sql", "CREATE TABLE things (id bigint PRIMARY KEY);")
    pools = [await create_pool(database_url, schema="probe", timeout_seconds=10) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(p, "probe", tmp_path) for p in pools))
    finally:
        for p in pools:
            await p.close()
    assert sorted(results) == [[], [], [1]]
