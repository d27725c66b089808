"""Loading a stored dataset's bars for backtests and training: in the service, and in job processes.

Both read the description from PostgreSQL, check that the caller may read it (someone else's
dataset is NOT_FOUND, as on every RPC), and read one symbol's rows straight from the canonical
file: one `numpy.fromfile` per column, no parsing, so a million bars load in milliseconds.
`load_bars_sync` runs inside job processes, which have no event loop: it uses psycopg 3.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import psycopg
from psycopg.rows import dict_row

from services.core.backtest.inputs import Bars
from services.core.datasets.columnar import CanonicalBars, read_bars
from services.core.errors import NotFound
from services.core.ownership import Caller, can_read
from services.mesh.artifacts import ArtifactStore
from services.trainer.datasets.records import COLUMNS, RESOURCE, DatasetRecord, resource_name

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def bars_from_canonical(canonical: CanonicalBars) -> Bars:
    # the stored bars were checked when they were stored: no second validation of a million rows
    return Bars(
        open=canonical.open,
        high=canonical.high,
        low=canonical.low,
        close=canonical.close,
        volume=canonical.volume,
        timestamps=canonical.timestamps,
    )


def _read(path: Path, symbol: str | None) -> Bars:
    return bars_from_canonical(read_bars(path, symbol or None))


async def load_bars(
    pool: asyncpg.Pool, artifacts: ArtifactStore, caller: Caller, dataset_id: str, symbol: str | None = None
) -> tuple[DatasetRecord, Bars]:
    """The dataset's description and the bars of `symbol` (None: its only symbol).

    NOT_FOUND when the caller may not read it; INVALID_ARGUMENT naming `symbol` when the dataset
    holds several symbols and none (or an unknown one) is named.
    """
    query = f"SELECT {COLUMNS} FROM datasets WHERE id = $1"  # noqa: S608 - a constant column list
    row = await pool.fetchrow(query, dataset_id) if dataset_id else None
    record = None if row is None else DatasetRecord.from_row(row)
    if record is None or not (record.platform or can_read(caller, record.ownership)):
        raise NotFound(RESOURCE, resource_name(dataset_id))
    bars = await asyncio.to_thread(_read, artifacts.path(record.artifact_digest), symbol)
    return record, bars


def load_bars_sync(  # noqa: PLR0917 - the signature job runners were promised
    database_url: str,
    artifacts_root: Path,
    owner_id: str,
    dataset_id: str,
    symbol: str | None = None,
    schema: str = "trainer",
) -> tuple[DatasetRecord, Bars]:
    """As `load_bars`, for a job running as `owner_id` (who may read their own and platform datasets)."""
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    with psycopg.connect(database_url, row_factory=dict_row) as connection:
        row = connection.execute(
            f"SELECT {COLUMNS} FROM {schema}.datasets WHERE id = %s AND owner_id IN (%s, '')",  # noqa: S608
            (dataset_id, owner_id),
        ).fetchone()
    if row is None:
        raise NotFound(RESOURCE, resource_name(dataset_id))
    record = DatasetRecord.from_row(row)
    return record, _read(ArtifactStore(artifacts_root).path(record.artifact_digest), symbol)
