"""PostgreSQL storage of dataset descriptions (asyncpg), kept consistent with the artifact store.

Several datasets may share one artifact (the same bars uploaded twice), so a dataset's file is
removed only when the last row naming it goes. Inserting a row and removing an unreferenced file
both happen under a PostgreSQL advisory lock on the file's digest: an upload that finds its file
gone (a concurrent delete removed it) writes it again before its row appears, so no row ever
names a missing file, on any replica.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.core.paging import PageRequest
from services.trainer.datasets.records import COLUMNS, DatasetRecord

_SELECT = f"SELECT {COLUMNS} FROM datasets"  # noqa: S608 - a constant column list


@dataclass(frozen=True, slots=True)
class ListQuery:
    # owner ids whose datasets are listed ('' is the platform)
    owners: tuple[str, ...]
    symbol: str
    timeframe: str


class DatasetStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _artifact_lock(self, digest: str) -> AsyncIterator[asyncpg.Connection]:
        key = f"dataset-artifact:{digest}"
        async with self._pool.acquire() as connection:
            await connection.execute("SELECT pg_advisory_lock(hashtext($1))", key)
            try:
                yield connection
            finally:
                await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", key)

    async def get(self, dataset_id: str) -> DatasetRecord | None:
        row = await self._pool.fetchrow(f"{_SELECT} WHERE id = $1", dataset_id)
        return None if row is None else DatasetRecord.from_row(row)

    async def find_by_request_id(self, owner_id: str, request_id: str) -> DatasetRecord | None:
        row = await self._pool.fetchrow(
            f"{_SELECT} WHERE owner_id = $1 AND request_id = $2", owner_id, request_id
        )
        return None if row is None else DatasetRecord.from_row(row)

    async def statistics(self, dataset_id: str) -> bytes | None:
        return await self._pool.fetchval("SELECT statistics FROM datasets WHERE id = $1", dataset_id)

    async def insert(
        self, record: DatasetRecord, statistics: bytes, ensure_artifact: Callable[[], Awaitable[None]]
    ) -> DatasetRecord | None:
        """Store `record` (its file made present first); None when its request id was used already."""
        async with self._artifact_lock(record.artifact_digest) as connection:
            await ensure_artifact()
            row = await connection.fetchrow(
                f"""INSERT INTO datasets (id, owner_id, organization_id, display_name, source_format,
                        timeframe, symbols, row_count, start_ns, end_ns, content_hash, artifact_digest,
                        size_bytes, generator, request_id, create_time, statistics)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                    ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING {COLUMNS}""",  # noqa: S608
                record.id,
                record.owner_id,
                record.organization_id,
                record.display_name,
                record.source_format,
                record.timeframe,
                list(record.symbols),
                record.row_count,
                record.start_ns,
                record.end_ns,
                record.content_hash,
                record.artifact_digest,
                record.size_bytes,
                record.generator,
                record.request_id,
                record.create_time,
                statistics,
            )
        return None if row is None else DatasetRecord.from_row(row)

    async def discard_if_unreferenced(self, digest: str, remove: Callable[[str], None]) -> bool:
        """Remove the file `digest` unless a dataset names it; True when it was removed."""
        async with self._artifact_lock(digest) as connection:
            if await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM datasets WHERE artifact_digest = $1)", digest
            ):
                return False
            remove(digest)
            return True

    async def delete(self, record: DatasetRecord, remove: Callable[[str], None]) -> bool:
        """Delete the row, and its file when no other dataset shares it; False if it was already gone."""
        async with self._artifact_lock(record.artifact_digest) as connection:
            deleted = await connection.fetchval("DELETE FROM datasets WHERE id = $1 RETURNING id", record.id)
            if deleted is None:
                return False
            shared = await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM datasets WHERE artifact_digest = $1)", record.artifact_digest
            )
            if not shared:
                remove(record.artifact_digest)
        return True

    async def list(self, query: ListQuery, page: PageRequest) -> tuple[list[DatasetRecord], tuple | None]:
        """One page, newest first, and the sort key of its last row (None when it is the last page)."""
        where = [
            "owner_id = ANY($1::text[])",
            "($2 = '' OR $2 = ANY(symbols))",
            "($3 = '' OR timeframe = $3)",
        ]
        arguments: list[object] = [list(query.owners), query.symbol, query.timeframe]
        if page.after is not None:
            created, last_id = page.after
            where.append("(create_time, id) < ($4::timestamptz, $5::text)")
            arguments += [datetime.fromisoformat(str(created)), str(last_id)]
        rows = await self._pool.fetch(
            f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY create_time DESC, id DESC LIMIT {page.size + 1}",
            *arguments,
        )
        records = [DatasetRecord.from_row(row) for row in rows[: page.size]]
        if len(rows) <= page.size:
            return records, None
        last = records[-1]
        return records, (last.create_time.isoformat(), last.id)
