"""PostgreSQL storage of workflows and their versions (asyncpg).

Rows keep what queries need (owner, organisation, name, current version, times); each
version's body is the `WorkflowVersion` protobuf. Every write is one transaction, and a
version only moves forward under `SELECT ... FOR UPDATE`, so two concurrent updates
cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from alphintra.workflow.v1 import workflow_pb2
from services.core.ownership import Ownership
from services.core.paging import PageRequest


@dataclass(frozen=True, slots=True)
class StoredWorkflow:
    workflow: workflow_pb2.Workflow
    ownership: Ownership


@dataclass(frozen=True, slots=True)
class ListQuery:
    visible_to_user: str
    visible_to_organization: str  # '' unless the caller is an organisation admin
    name_contains: str
    order_by: str  # one of ORDERINGS


# order_by -> (ORDER BY, the keyset condition for rows after the cursor ($4, $5))
ORDERINGS = {
    "update_time desc": (
        "w.update_time DESC, w.id DESC",
        "(w.update_time, w.id) < ($4::timestamptz, $5::text)",
    ),
    "create_time desc": (
        "w.create_time DESC, w.id DESC",
        "(w.create_time, w.id) < ($4::timestamptz, $5::text)",
    ),
    "display_name": ("lower(w.display_name), w.id", "(lower(w.display_name), w.id) > ($4::text, $5::text)"),
}


def _to_workflow(row: asyncpg.Record, version: workflow_pb2.WorkflowVersion) -> workflow_pb2.Workflow:
    workflow = workflow_pb2.Workflow(
        name=f"workflows/{row['id']}",
        id=row["id"],
        owner_id=row["owner_id"],
        display_name=version.display_name,
        description=version.description,
        version=row["version"],
        graph=version.graph,
        template_id=row["template_id"],
    )
    workflow.create_time.FromDatetime(row["create_time"])
    workflow.update_time.FromDatetime(row["update_time"])
    return workflow


def _ownership(row: asyncpg.Record) -> Ownership:
    return Ownership(owner_id=row["owner_id"], organization_id=row["organization_id"])


_INSERT_VERSION = (
    "INSERT INTO workflow_versions (workflow_id, version, body, create_time) VALUES ($1, $2, $3, $4)"
)
_SELECT = """
    SELECT w.id, w.owner_id, w.organization_id, w.display_name, w.version, w.template_id, w.create_time,
           w.update_time, v.body
    FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
"""


class WorkflowStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find_by_request_id(self, owner_id: str, request_id: str) -> StoredWorkflow | None:
        row = await self._pool.fetchrow(
            _SELECT + " WHERE w.owner_id = $1 AND w.request_id = $2 AND w.delete_time IS NULL",
            owner_id,
            request_id,
        )
        return self._stored(row)

    async def create(
        self,
        *,
        workflow_id: str,
        ownership: Ownership,
        first_version: workflow_pb2.WorkflowVersion,
        request_id: str | None,
        template_id: str,
        now: datetime,
    ) -> StoredWorkflow | None:
        """Insert a workflow at version 1; None when `request_id` was already used (a retry)."""
        async with self._pool.acquire() as connection, connection.transaction():
            inserted = await connection.fetchval(
                """INSERT INTO workflows (id, owner_id, organization_id, display_name, version, template_id,
                                          request_id, create_time, update_time)
                   VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $7)
                   ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING id""",
                workflow_id,
                ownership.owner_id,
                ownership.organization_id,
                first_version.display_name,
                template_id,
                request_id,
                now,
            )
            if inserted is None:
                return None
            await connection.execute(
                _INSERT_VERSION,
                workflow_id,
                1,
                first_version.SerializeToString(),
                now,
            )
        return await self.get(workflow_id)

    async def get(self, workflow_id: str) -> StoredWorkflow | None:
        row = await self._pool.fetchrow(_SELECT + " WHERE w.id = $1 AND w.delete_time IS NULL", workflow_id)
        return self._stored(row)

    async def update(
        self,
        workflow_id: str,
        change: Callable[[StoredWorkflow], workflow_pb2.WorkflowVersion],
        now: datetime,
    ) -> StoredWorkflow | None:
        """Lock the workflow, let `change` check it and build the next version, store that version."""
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                _SELECT + " WHERE w.id = $1 AND w.delete_time IS NULL FOR UPDATE OF w", workflow_id
            )
            current = self._stored(row)
            if current is None:
                return None
            next_version = change(current)
            await connection.execute(
                "UPDATE workflows SET version = $2, display_name = $3, update_time = $4 WHERE id = $1",
                workflow_id,
                next_version.version,
                next_version.display_name,
                now,
            )
            await connection.execute(
                _INSERT_VERSION,
                workflow_id,
                next_version.version,
                next_version.SerializeToString(),
                now,
            )
        return await self.get(workflow_id)

    async def delete(self, workflow_id: str, check: Callable[[StoredWorkflow], None], now: datetime) -> bool:
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                _SELECT + " WHERE w.id = $1 AND w.delete_time IS NULL FOR UPDATE OF w", workflow_id
            )
            current = self._stored(row)
            if current is None:
                return False
            check(current)
            await connection.execute("UPDATE workflows SET delete_time = $2 WHERE id = $1", workflow_id, now)
        return True

    async def list(self, query: ListQuery, page: PageRequest) -> tuple[list[StoredWorkflow], tuple | None]:
        """One page of visible workflows and the sort key of its last row (None when it is the last page)."""
        order, after_condition = ORDERINGS[query.order_by]
        where = [
            "w.delete_time IS NULL",
            "(w.owner_id = $1 OR ($2 <> '' AND w.organization_id = $2))",
            "($3 = '' OR strpos(lower(w.display_name), lower($3)) > 0)",
        ]
        arguments: list[object] = [query.visible_to_user, query.visible_to_organization, query.name_contains]
        if page.after is not None:
            where.append(after_condition)
            key, last_id = page.after
            arguments += [key if query.order_by == "display_name" else datetime.fromisoformat(key), last_id]
        rows = await self._pool.fetch(
            f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {page.size + 1}",
            *arguments,
        )
        stored = [item for item in map(self._stored, rows[: page.size]) if item is not None]
        if len(rows) <= page.size:
            return stored, None
        last = rows[page.size - 1]
        if query.order_by == "display_name":
            sort_key = last["display_name"].lower()
        else:
            sort_key = last[query.order_by.split()[0]].isoformat()
        return stored, (sort_key, last["id"])

    async def versions(
        self, workflow_id: str, page: PageRequest
    ) -> tuple[list[workflow_pb2.WorkflowVersion], tuple | None]:
        after = page.after[0] if page.after else None
        rows = await self._pool.fetch(
            """SELECT body FROM workflow_versions
               WHERE workflow_id = $1 AND ($2::bigint IS NULL OR version < $2)
               ORDER BY version DESC LIMIT $3""",
            workflow_id,
            after,
            page.size + 1,
        )
        versions = [workflow_pb2.WorkflowVersion.FromString(row["body"]) for row in rows[: page.size]]
        more = len(rows) > page.size
        return versions, ((versions[-1].version,) if more else None)

    async def version(self, workflow_id: str, version: int) -> workflow_pb2.WorkflowVersion | None:
        body = await self._pool.fetchval(
            "SELECT body FROM workflow_versions WHERE workflow_id = $1 AND version = $2", workflow_id, version
        )
        return None if body is None else workflow_pb2.WorkflowVersion.FromString(body)

    @staticmethod
    def _stored(row: asyncpg.Record | None) -> StoredWorkflow | None:
        if row is None:
            return None
        version = workflow_pb2.WorkflowVersion.FromString(row["body"])
        return StoredWorkflow(workflow=_to_workflow(row, version), ownership=_ownership(row))
