"""The backtests table, read together with the job that runs each backtest (its state and times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.core.ownership import Ownership
from services.core.paging import PageRequest

_COLUMNS = """b.id, b.owner_id, b.organization_id, b.display_name, b.spec, b.config, b.dataset_id,
    b.workflow_id, b.workflow_version, b.job_id, b.request_hash, b.dataset_content_hash, b.result,
    b.trade_count, b.report_digest, b.create_time,
    coalesce(j.state, 'queued') AS state, j.error, j.start_time, j.end_time"""
_FROM = "backtests b LEFT JOIN jobs j ON j.id = b.job_id"


@dataclass(frozen=True, slots=True)
class NewBacktest:
    backtest_id: str
    ownership: Ownership
    display_name: str
    spec: bytes
    config: bytes
    dataset_id: str
    workflow_id: str
    workflow_version: int
    request_id: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class BacktestFilter:
    visible_to_user: str
    visible_to_organization: str
    workflow_id: str
    dataset_id: str
    state: str


class BacktestStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert(self, new: NewBacktest, now: datetime) -> bool:
        """False when the owner already used the request id."""
        inserted = await self._pool.fetchval(
            """INSERT INTO backtests (id, owner_id, organization_id, display_name, spec, config, dataset_id,
                   workflow_id, workflow_version, request_id, request_hash, create_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
               ON CONFLICT (owner_id, request_id) WHERE request_id <> '' DO NOTHING RETURNING id""",
            new.backtest_id,
            new.ownership.owner_id,
            new.ownership.organization_id,
            new.display_name,
            new.spec,
            new.config,
            new.dataset_id,
            new.workflow_id,
            new.workflow_version,
            new.request_id,
            new.request_hash,
            now,
        )
        return inserted is not None

    async def attach_job(self, backtest_id: str, job_id: str) -> None:
        await self._pool.execute("UPDATE backtests SET job_id = $2 WHERE id = $1", backtest_id, job_id)

    async def delete(self, backtest_id: str) -> None:
        await self._pool.execute("DELETE FROM backtests WHERE id = $1", backtest_id)

    async def get(self, backtest_id: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE b.id = $1", backtest_id)  # noqa: S608

    async def find_by_request(self, owner_id: str, request_id: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE b.owner_id = $1 AND b.request_id = $2",  # noqa: S608
            owner_id,
            request_id,
        )

    async def trades(self, backtest_id: str) -> bytes | None:
        return await self._pool.fetchval("SELECT trades FROM backtests WHERE id = $1", backtest_id)

    async def dataset_owner(self, dataset_id: str) -> Ownership | None:
        row = await self._pool.fetchrow(
            "SELECT owner_id, organization_id FROM datasets WHERE id = $1", dataset_id
        )
        return None if row is None else Ownership(row["owner_id"], row["organization_id"])

    async def list(
        self, where: BacktestFilter, page: PageRequest
    ) -> tuple[list[asyncpg.Record], tuple | None]:
        conditions = ["(b.owner_id = $1 OR ($2 <> '' AND b.organization_id = $2))"]
        arguments: list[object] = [where.visible_to_user, where.visible_to_organization]
        for column, value in (
            ("b.workflow_id", where.workflow_id),
            ("b.dataset_id", where.dataset_id),
            ("coalesce(j.state, 'queued')", where.state),
        ):
            if value:
                arguments.append(value)
                conditions.append(f"{column} = ${len(arguments)}")
        if page.after is not None:
            arguments += [datetime.fromisoformat(page.after[0]), page.after[1]]
            conditions.append(f"(b.create_time, b.id) < (${len(arguments) - 1}, ${len(arguments)})")
        arguments.append(page.size + 1)
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM {_FROM} WHERE {" AND ".join(conditions)}
                ORDER BY b.create_time DESC, b.id DESC LIMIT ${len(arguments)}""",  # noqa: S608 - constants only
            *arguments,
        )
        if len(rows) <= page.size:
            return list(rows), None
        last = rows[page.size - 1]
        return list(rows[: page.size]), (last["create_time"].isoformat(), last["id"])
