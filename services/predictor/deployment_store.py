"""PostgreSQL storage of deployments (asyncpg): the record a restarted predictor resumes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from google.rpc import status_pb2

from alphintra.predictor.v1 import deployment_service_pb2 as messages

ACTIVE_STATES = (messages.DEPLOYMENT_STATE_STARTING, messages.DEPLOYMENT_STATE_RUNNING)


@dataclass(frozen=True, slots=True)
class StoredDeployment:
    deployment: messages.Deployment
    tier: str
    request_hash: str | None


def _deployment(row: asyncpg.Record) -> StoredDeployment:
    deployment = messages.Deployment.FromString(row["body"])
    deployment.state = row["state"]
    if row["statistics"] is not None:
        deployment.statistics.CopyFrom(messages.DeploymentStatistics.FromString(row["statistics"]))
    if row["error"] is not None:
        deployment.error.CopyFrom(status_pb2.Status.FromString(row["error"]))
    deployment.create_time.FromDatetime(row["create_time"])
    deployment.update_time.FromDatetime(row["update_time"])
    if row["stop_time"] is not None:
        deployment.stop_time.FromDatetime(row["stop_time"])
    return StoredDeployment(deployment, row["tier"], row["request_hash"])


class DeploymentStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self,
        deployment: messages.Deployment,
        tier: str,
        request_id: str | None,
        request_hash: str,
        now: datetime,
    ) -> StoredDeployment | None:
        """Insert; None when the owner already used `request_id` (read that one with `by_request`)."""
        row = await self._pool.fetchrow(
            "INSERT INTO deployments (id, owner_id, tier, request_id, request_hash, state, body, create_time,"
            " update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
            " ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING *",
            deployment.id, deployment.owner_id, tier, request_id, request_hash, deployment.state,
            _body(deployment), now,
        )  # fmt: skip
        return _deployment(row) if row is not None else None

    async def by_request(self, owner_id: str, request_id: str) -> StoredDeployment | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM deployments WHERE owner_id = $1 AND request_id = $2", owner_id, request_id
        )
        return _deployment(row) if row is not None else None

    async def get(self, deployment_id: str) -> StoredDeployment | None:
        row = await self._pool.fetchrow("SELECT * FROM deployments WHERE id = $1", deployment_id)
        return _deployment(row) if row is not None else None

    async def count_active(self, owner_id: str) -> int:
        return await self._pool.fetchval(
            "SELECT count(*) FROM deployments WHERE owner_id = $1 AND state = ANY($2::smallint[])",
            owner_id, list(ACTIVE_STATES),
        )  # fmt: skip

    async def active(self) -> list[StoredDeployment]:
        rows = await self._pool.fetch(
            "SELECT * FROM deployments WHERE state = ANY($1::smallint[]) ORDER BY create_time",
            list(ACTIVE_STATES),
        )
        return [_deployment(row) for row in rows]

    async def list(
        self, owner_id: str, state: int, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredDeployment]:
        rows = await self._pool.fetch(
            "SELECT * FROM deployments WHERE owner_id = $1 AND ($2 = 0 OR state = $2)"
            " AND ($3::timestamptz IS NULL OR (create_time, id) < ($3, $4))"
            " ORDER BY create_time DESC, id DESC LIMIT $5",
            owner_id, state, after[0] if after else None, after[1] if after else "", limit,
        )  # fmt: skip
        return [_deployment(row) for row in rows]

    async def set_state(
        self,
        deployment_id: str,
        state: int,
        now: datetime,
        *,
        error: status_pb2.Status | None = None,
        stopped: bool = False,
    ) -> None:
        await self._pool.execute(
            "UPDATE deployments SET state = $2, update_time = $3, error = coalesce($4, error),"
            " stop_time = CASE WHEN $5 THEN $3 ELSE stop_time END WHERE id = $1",
            deployment_id, state, now, error.SerializeToString() if error is not None else None, stopped,
        )  # fmt: skip

    async def save_statistics(self, deployment_id: str, statistics: messages.DeploymentStatistics) -> None:
        await self._pool.execute(
            "UPDATE deployments SET statistics = $2 WHERE id = $1",
            deployment_id,
            statistics.SerializeToString(),
        )


def _body(deployment: messages.Deployment) -> bytes:
    body = messages.Deployment()
    body.CopyFrom(deployment)
    for field in ("state", "statistics", "error", "create_time", "update_time", "stop_time"):
        body.ClearField(field)
    return body.SerializeToString()
