"""The service's side of the job tables: create, read, list, cancel, and read events and logs.

Ownership is decided by the caller of these methods (`app.py`); this module only stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from google.rpc import code_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.core.ownership import Ownership
from services.core.paging import PageRequest
from services.trainer.jobs import events
from services.trainer.jobs.rows import CANCEL_CHANNEL, JOB_COLUMNS, READY_CHANNEL, append_events
from services.trainer.jobs.validation import AcceptedJob


@dataclass(frozen=True, slots=True)
class NewJob:
    job_id: str
    ownership: Ownership
    accepted: AcceptedJob
    request_id: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class JobFilter:
    visible_to_user: str
    # an admin's organisation, whose members' jobs they may read; empty for everyone else
    visible_to_organization: str
    state: str
    kind: int
    workflow_id: str


class JobStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert(self, new: NewJob, now: datetime) -> asyncpg.Record | None:
        """Queue the job; None when the owner already used `request_id` (read that job instead)."""
        accepted = new.accepted
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                f"""INSERT INTO jobs (id, owner_id, organization_id, kind, state, definition, workflow_id,
                        timeout_seconds, memory_limit_bytes, max_attempts, request_id, request_hash,
                        create_time, update_time, run_after)
                    VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, $12, $12, $12)
                    ON CONFLICT (owner_id, request_id) WHERE request_id <> '' DO NOTHING
                    RETURNING {JOB_COLUMNS}""",  # noqa: S608 - JOB_COLUMNS is a constant
                new.job_id,
                new.ownership.owner_id,
                new.ownership.organization_id,
                accepted.definition.kind,
                accepted.definition.SerializeToString(),
                accepted.definition.workflow_id,
                accepted.timeout_seconds,
                accepted.memory_limit_bytes,
                accepted.max_attempts,
                new.request_id,
                new.request_hash,
                now,
            )
            if row is None:
                return None
            await append_events(connection, new.job_id, [events.state_change(None, "queued", "queued")], now)
            await connection.execute(
                """INSERT INTO job_owner_usage (owner_id, job_count) VALUES ($1, 1)
                   ON CONFLICT (owner_id) DO UPDATE SET job_count = job_owner_usage.job_count + 1""",
                new.ownership.owner_id,
            )
            await connection.execute("SELECT pg_notify($1, $2)", READY_CHANNEL, new.job_id)
        return await self.get(new.job_id)

    async def get(self, job_id: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1", job_id)  # noqa: S608

    async def find_by_request(self, owner_id: str, request_id: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE owner_id = $1 AND request_id = $2",  # noqa: S608
            owner_id,
            request_id,
        )

    async def count_active(self, owner_id: str) -> int:
        return await self._pool.fetchval(
            "SELECT count(*) FROM jobs WHERE owner_id = $1 AND state IN ('queued', 'running')", owner_id
        )

    async def list(self, where: JobFilter, page: PageRequest) -> tuple[list[asyncpg.Record], tuple | None]:
        conditions = ["(owner_id = $1 OR ($2 <> '' AND organization_id = $2))"]
        arguments: list[object] = [where.visible_to_user, where.visible_to_organization]
        for column, value in (
            ("state", where.state),
            ("kind", where.kind),
            ("workflow_id", where.workflow_id),
        ):
            if value:
                arguments.append(value)
                conditions.append(f"{column} = ${len(arguments)}")
        if page.after is not None:
            arguments += [datetime.fromisoformat(page.after[0]), page.after[1]]
            conditions.append(f"(create_time, id) < (${len(arguments) - 1}, ${len(arguments)})")
        arguments.append(page.size + 1)
        rows = await self._pool.fetch(
            f"""SELECT {JOB_COLUMNS} FROM jobs WHERE {" AND ".join(conditions)}
                ORDER BY create_time DESC, id DESC LIMIT ${len(arguments)}""",  # noqa: S608 - built from constants
            *arguments,
        )
        if len(rows) <= page.size:
            return list(rows), None
        last = rows[page.size - 1]
        return list(rows[: page.size]), (last["create_time"].isoformat(), last["id"])

    async def cancel(self, job_id: str, reason: str, now: datetime) -> asyncpg.Record:
        """A queued job ends CANCELLED now; a running one is asked to stop (its worker ends it)."""
        async with self._pool.acquire() as connection, connection.transaction():
            state = await connection.fetchval("SELECT state FROM jobs WHERE id = $1 FOR UPDATE", job_id)
            message = f"cancelled by its owner: {reason}" if reason else "cancelled by its owner"
            if state == "queued":
                error = status_pb2.Status(code=code_pb2.CANCELLED, message=message)
                await connection.execute(
                    """UPDATE jobs SET state = 'cancelled', error = $2, cancel_requested = true,
                           cancel_reason = $3, end_time = $4, update_time = $4 WHERE id = $1""",
                    job_id,
                    error.SerializeToString(),
                    reason,
                    now,
                )
                await append_events(
                    connection, job_id, [events.state_change("queued", "cancelled", message, error)], now
                )
            elif state == "running":
                await connection.execute(
                    """UPDATE jobs SET cancel_requested = true, cancel_reason = $2, update_time = $3
                       WHERE id = $1""",
                    job_id,
                    reason,
                    now,
                )
                await connection.execute("SELECT pg_notify($1, $2)", CANCEL_CHANNEL, job_id)
        row = await self.get(job_id)
        assert row is not None  # jobs are never deleted while their owner can name them
        return row

    async def events(self, job_id: str, from_sequence: int, limit: int) -> list[messages.JobEvent]:
        rows = await self._pool.fetch(
            "SELECT body FROM job_events WHERE job_id = $1 AND sequence >= $2 ORDER BY sequence LIMIT $3",
            job_id,
            from_sequence,
            limit,
        )
        return [messages.JobEvent.FromString(row["body"]) for row in rows]

    async def logs(
        self, job_id: str, after_sequence: int, minimum_level: int, limit: int
    ) -> Sequence[messages.JobEvent]:
        rows = await self._pool.fetch(
            """SELECT body FROM job_events WHERE job_id = $1 AND kind = 'log_line' AND level >= $2
                   AND sequence > $3 ORDER BY sequence LIMIT $4""",
            job_id,
            minimum_level,
            after_sequence,
            limit,
        )
        return [messages.JobEvent.FromString(row["body"]) for row in rows]

    async def owner_cpu_seconds(self, owner_id: str) -> float:
        value = await self._pool.fetchval(
            "SELECT cpu_seconds FROM job_owner_usage WHERE owner_id = $1", owner_id
        )
        return float(value or 0.0)
