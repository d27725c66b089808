"""Optuna's RDB storage on the project's PostgreSQL, so that many workers share one study.

Optuna keeps its tables (studies, trials, params, values, its alembic version) in a schema of
their own, `optuna`, out of the way of the trainer's tables. The schema and tables are created on
first use under a PostgreSQL advisory lock: two workers starting at once on a fresh database would
otherwise race on `CREATE TABLE` (Optuna's `create_all` is not safe against a concurrent creator).

Optuna speaks SQLAlchemy; the project's URL is a libpq one (`postgresql://...`), which becomes
`postgresql+psycopg://...` (psycopg 3, the synchronous driver).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import optuna
import psycopg

SCHEMA = "optuna"
# an arbitrary, fixed key: every trainer process takes the same lock to create the tables
SCHEMA_LOCK_KEY = 0x0A17_0BA5
SQLALCHEMY_SCHEME = "postgresql+psycopg"
POOL_SIZE = 2


def sqlalchemy_url(database_url: str) -> str:
    """The libpq URL with the psycopg 3 dialect named, for SQLAlchemy."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", SQLALCHEMY_SCHEME):
        raise ValueError(f"not a PostgreSQL URL: {parts.scheme}://…")
    return urlunsplit(parts._replace(scheme=SQLALCHEMY_SCHEME))


def _libpq_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return (
        urlunsplit(parts._replace(scheme="postgresql")) if parts.scheme == SQLALCHEMY_SCHEME else database_url
    )


def open_storage(database_url: str, schema: str = SCHEMA) -> optuna.storages.RDBStorage:
    """Optuna storage in `schema`, created (schema and tables) under the advisory lock if missing."""
    with psycopg.connect(_libpq_url(database_url), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            return optuna.storages.RDBStorage(
                sqlalchemy_url(database_url),
                engine_kwargs={
                    "connect_args": {"options": f"-csearch_path={schema}"},
                    "pool_size": POOL_SIZE,
                },
            )
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


@contextlib.contextmanager
def study_storage(database_url: str, schema: str = SCHEMA) -> Iterator[optuna.storages.RDBStorage]:
    """The storage for the length of a job; its connections are closed afterwards."""
    storage = open_storage(database_url, schema)
    try:
        yield storage
    finally:
        storage.remove_session()
        storage.engine.dispose()
