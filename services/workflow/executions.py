"""PostgreSQL storage of executions (asyncpg): one row per run of a workflow version."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from alphintra.workflow.v1 import execution_pb2
from services.core.ownership import Ownership
from services.core.paging import PageRequest


class ExecutionStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find_by_request_id(self, owner_id: str, request_id: str) -> execution_pb2.Execution | None:
        body = await self._pool.fetchval(
            "SELECT body FROM executions WHERE owner_id = $1 AND request_id = $2", owner_id, request_id
        )
        return None if body is None else execution_pb2.Execution.FromString(body)

    async def insert(
        self, execution: execution_pb2.Execution, ownership: Ownership, request_id: str | None, now: datetime
    ) -> bool:
        """False when `request_id` was already used by this owner (a retry)."""
        inserted = await self._pool.fetchval(
            """INSERT INTO executions
                   (id, workflow_id, owner_id, organization_id, mode, state, request_id, body, create_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING id""",
            execution.id,
            execution.workflow_id,
            ownership.owner_id,
            ownership.organization_id,
            execution.mode,
            execution.state,
            request_id,
            execution.SerializeToString(),
            now,
        )
        return inserted is not None

    async def update(self, execution: execution_pb2.Execution) -> None:
        """Store a MODEL execution's new state and result, as its trainer job moved on."""
        await self._pool.execute(
            "UPDATE executions SET state = $3, body = $4 WHERE workflow_id = $1 AND id = $2",
            execution.workflow_id,
            execution.id,
            execution.state,
            execution.SerializeToString(),
        )

    async def get(
        self, workflow_id: str, execution_id: str
    ) -> tuple[execution_pb2.Execution, Ownership] | None:
        row = await self._pool.fetchrow(
            "SELECT body, owner_id, organization_id FROM executions WHERE workflow_id = $1 AND id = $2",
            workflow_id,
            execution_id,
        )
        if row is None:
            return None
        return execution_pb2.Execution.FromString(row["body"]), Ownership(
            row["owner_id"], row["organization_id"]
        )

    async def list(
        self,
        *,
        workflow_id: str | None,
        visible_to_user: str,
        visible_to_organization: str,
        mode: int,
        state: int,
        page: PageRequest,
    ) -> tuple[list[execution_pb2.Execution], tuple | None]:
        after_time, after_id = page.after if page.after else (None, None)
        rows = await self._pool.fetch(
            """SELECT id, body, create_time FROM executions
               WHERE (owner_id = $1 OR ($2 <> '' AND organization_id = $2))
                 AND ($3::text IS NULL OR workflow_id = $3)
                 AND ($4 = 0 OR mode = $4) AND ($5 = 0 OR state = $5)
                 AND ($6::timestamptz IS NULL OR (create_time, id) < ($6, $7))
               ORDER BY create_time DESC, id DESC LIMIT $8""",
            visible_to_user,
            visible_to_organization,
            workflow_id,
            mode,
            state,
            datetime.fromisoformat(after_time) if after_time else None,
            after_id,
            page.size + 1,
        )
        executions = [execution_pb2.Execution.FromString(row["body"]) for row in rows[: page.size]]
        if len(rows) <= page.size:
            return executions, None
        last = rows[page.size - 1]
        return executions, (last["create_time"].isoformat(), last["id"])
