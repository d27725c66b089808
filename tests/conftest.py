"""The suite's real servers: PostgreSQL and Redis, given by URL or started here on free ports.

`--database-url` / `--redis-url` (or ALPHINTRA_TEST_DATABASE_URL / ALPHINTRA_TEST_REDIS_URL)
point the tests at servers of your own. Without them the first test that asks starts an
embedded server for the whole session (fsync off: speed over crash safety) and the
last one stops it. Every test gets its own database and its own Redis key namespace.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis

from services.mesh.devstack import EmbeddedPostgres, EmbeddedRedis


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alphintra", "Alphintra test servers")
    group.addoption(
        "--database-url",
        default=os.environ.get("ALPHINTRA_TEST_DATABASE_URL"),
        help="PostgreSQL server to create test databases on (a superuser URL); default: an embedded one",
    )
    group.addoption(
        "--redis-url",
        default=os.environ.get("ALPHINTRA_TEST_REDIS_URL"),
        help="Redis server for tests (keys are namespaced per test); default: an embedded one",
    )


# -- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server URL on which tests may create databases."""
    given = request.config.getoption("--database-url")
    if given:
        yield given
        return
    # a short path under /tmp: the `postgres` account (when we run as root) can reach it,
    # and its socket path stays under the 107-byte limit
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-pg-"))
    server = EmbeddedPostgres(data_dir, fsync=False)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for this test only, dropped afterwards."""
    name = f"test_{secrets.token_hex(6)}"
    _run_admin_sql(postgres_server_url, f"CREATE DATABASE {name}")
    try:
        yield _with_database(postgres_server_url, name)
    finally:
        # FORCE closes the connections a failed test may have left open
        _run_admin_sql(postgres_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run_admin_sql(server_url: str, statement: str) -> None:
    async def execute() -> None:
        connection = await asyncpg.connect(server_url, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    # a thread of its own: fixtures may be set up while a test's event loop exists
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, execute()).result()


def _with_database(server_url: str, database: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{database}"))


# -- Redis --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    given = request.config.getoption("--redis-url")
    if given:
        yield given
        return
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-redis-"))
    server = EmbeddedRedis(data_dir, appendfsync="everysec")
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def namespace() -> str:
    """A random prefix for this test's keys, stream names and topics."""
    return f"t{secrets.token_hex(6)}"


@pytest.fixture
def redis_url(redis_server_url: str, namespace: str) -> Iterator[str]:
    """The Redis URL; every key the test wrote under `namespace` is deleted afterwards."""
    yield redis_server_url
    client = redis.Redis.from_url(redis_server_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.unlink(*keys[start : start + 1000])
    finally:
        client.close()
