"""PostgreSQL storage of the registry (asyncpg).

Version numbers come from `registry_models.latest_version`, incremented under the model row's
lock in the transaction that inserts the version: concurrent creates queue on that lock, so
numbers are 1, 2, 3, ... with no gap or repeat among committed versions. Alias changes take
the same lock, so a compare-and-set (`expected_current_version`) and the history row it writes
cannot interleave with another change of the model's aliases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.errors import Aborted, FailedPrecondition, NotFound
from services.core.ownership import Ownership


@dataclass(frozen=True, slots=True)
class StoredModel:
    model: messages.Model
    ownership: Ownership


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: messages.ModelVersion
    training_job: bytes | None


@dataclass(frozen=True, slots=True)
class DueSchedule:
    model_name: str
    owner_id: str
    schedule: messages.RetrainingSchedule


def _change(row: asyncpg.Record) -> messages.AliasChange:
    change = messages.AliasChange(
        alias=row["alias"], version=row["version"], previous_version=row["previous_version"],
        actor_id=row["actor_id"], reason=row["reason"],
    )  # fmt: skip
    change.change_time.FromDatetime(row["change_time"])
    return change


_MODEL_COLUMNS = (
    "m.name, m.owner_id, m.organization_id, m.body, m.latest_version, m.schedule, m.create_time, "
    "m.update_time, "
    "(SELECT coalesce(jsonb_object_agg(a.alias, a.version), '{}'::jsonb) "
    "FROM registry_aliases a WHERE a.model_name = m.name)::text AS aliases"
)


class RegistryStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- models ----------------------------------------------------------------------------

    @staticmethod
    def _model(row: asyncpg.Record) -> StoredModel:
        model = messages.Model.FromString(row["body"])
        model.name = f"registry/models/{row['name']}"
        model.model_name = row["name"]
        model.owner_id = row["owner_id"]
        model.latest_version = row["latest_version"]
        for alias, version in json.loads(row["aliases"]).items():
            model.aliases[alias] = version
        if row["schedule"] is not None:
            model.retraining_schedule.CopyFrom(messages.RetrainingSchedule.FromString(row["schedule"]))
        model.create_time.FromDatetime(row["create_time"])
        model.update_time.FromDatetime(row["update_time"])
        return StoredModel(model, Ownership(row["owner_id"], row["organization_id"]))

    async def create_model(
        self, model: messages.Model, ownership: Ownership, request_id: str | None, now: datetime
    ) -> bool:
        """False when the name is taken (or the request id was used) by a row that already exists."""
        status = await self._pool.execute(
            """INSERT INTO registry_models
                   (name, owner_id, organization_id, body, request_id, create_time, update_time)
               VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING""",
            model.model_name, ownership.owner_id, ownership.organization_id, model.SerializeToString(),
            request_id, now,
        )  # fmt: skip
        return status.endswith(" 1")

    async def model_by_request(self, owner_id: str, request_id: str) -> StoredModel | None:
        row = await self._pool.fetchrow(
            f"SELECT {_MODEL_COLUMNS} FROM registry_models m WHERE m.owner_id = $1 AND m.request_id = $2",  # noqa: S608 - constant columns
            owner_id,
            request_id,
        )  # fmt: skip
        return self._model(row) if row else None

    async def get_model(self, name: str) -> StoredModel | None:
        query = f"SELECT {_MODEL_COLUMNS} FROM registry_models m WHERE m.name = $1"  # noqa: S608 - constant
        row = await self._pool.fetchrow(query, name)
        return self._model(row) if row else None

    async def list_models(
        self, user_id: str, organization_id: str, query: str, after: str | None, limit: int
    ) -> list[StoredModel]:
        rows = await self._pool.fetch(
            f"""SELECT {_MODEL_COLUMNS} FROM registry_models m
                WHERE (m.owner_id = $1 OR ($2 <> '' AND m.organization_id = $2))
                  AND strpos(m.name, $3) > 0 AND ($4::text IS NULL OR m.name > $4)
                ORDER BY m.name LIMIT $5""",  # noqa: S608
            user_id, organization_id, query, after, limit,
        )  # fmt: skip
        return [self._model(row) for row in rows]

    # -- versions --------------------------------------------------------------------------

    @staticmethod
    def _version(row: asyncpg.Record, aliases: list[str]) -> StoredVersion:
        version = messages.ModelVersion.FromString(row["body"])
        version.name = f"registry/models/{row['model_name']}/versions/{row['version']}"
        version.model_name = row["model_name"]
        version.version = row["version"]
        version.aliases[:] = sorted(aliases)
        version.create_time.FromDatetime(row["create_time"])
        return StoredVersion(version, row["training_job"])

    async def create_version(
        self,
        model_name: str,
        version: messages.ModelVersion,
        training_job: bytes | None,
        request_id: str | None,
        now: datetime,
    ) -> int | None:
        """The new version's number; None when the request id was already used for this model."""
        async with self._pool.acquire() as connection, connection.transaction():
            number = await connection.fetchval(
                "UPDATE registry_models SET latest_version = latest_version + 1, update_time = $2 "
                "WHERE name = $1 RETURNING latest_version",
                model_name, now,
            )  # fmt: skip
            if number is None:
                raise NotFound("model", f"registry/models/{model_name}")
            if request_id is not None:
                used = await connection.fetchval(
                    "SELECT version FROM registry_versions WHERE model_name = $1 AND request_id = $2",
                    model_name, request_id,
                )  # fmt: skip
                if used is not None:
                    raise _RequestReplayed(used)
            await connection.execute(
                """INSERT INTO registry_versions (model_name, version, body, artifact_digest, training_job,
                                                  request_id, create_time)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                model_name, number, version.SerializeToString(), version.artifact.digest, training_job,
                request_id, now,
            )  # fmt: skip
            return number

    async def get_version(self, model_name: str, version: int) -> StoredVersion | None:
        row = await self._pool.fetchrow(
            "SELECT model_name, version, body, training_job, create_time FROM registry_versions "
            "WHERE model_name = $1 AND version = $2",
            model_name, version,
        )  # fmt: skip
        if row is None:
            return None
        aliases = await self._pool.fetch(
            "SELECT alias FROM registry_aliases WHERE model_name = $1 AND version = $2", model_name, version
        )
        return self._version(row, [item["alias"] for item in aliases])

    async def version_by_request(self, model_name: str, request_id: str) -> int | None:
        return await self._pool.fetchval(
            "SELECT version FROM registry_versions WHERE model_name = $1 AND request_id = $2",
            model_name,
            request_id,
        )

    async def alias_version(self, model_name: str, alias: str) -> int | None:
        return await self._pool.fetchval(
            "SELECT version FROM registry_aliases WHERE model_name = $1 AND alias = $2", model_name, alias
        )

    async def list_versions(self, model_name: str, before: int | None, limit: int) -> list[StoredVersion]:
        rows = await self._pool.fetch(
            """SELECT v.model_name, v.version, v.body, NULL::bytea AS training_job, v.create_time,
                      coalesce(array_agg(a.alias) FILTER (WHERE a.alias IS NOT NULL), '{}') AS aliases
               FROM registry_versions v LEFT JOIN registry_aliases a
                 ON a.model_name = v.model_name AND a.version = v.version
               WHERE v.model_name = $1 AND ($2::bigint IS NULL OR v.version < $2)
               GROUP BY v.model_name, v.version ORDER BY v.version DESC LIMIT $3""",
            model_name, before, limit,
        )  # fmt: skip
        return [self._version(row, list(row["aliases"])) for row in rows]

    # -- aliases ---------------------------------------------------------------------------

    async def change_alias(
        self,
        model_name: str,
        alias: str,
        target: int | None,
        *,
        expected: int,
        actor_id: str,
        reason: str,
        now: datetime,
        rollback: bool = False,
    ) -> messages.AliasChange:
        """Point `alias` at `target` (None deletes it; with `rollback`, the target is the previous one)."""
        async with self._pool.acquire() as connection, connection.transaction():
            locked = await connection.fetchval(
                "SELECT name FROM registry_models WHERE name = $1 FOR UPDATE", model_name
            )
            if locked is None:
                raise NotFound("model", f"registry/models/{model_name}")
            current = await connection.fetchval(
                "SELECT version FROM registry_aliases WHERE model_name = $1 AND alias = $2", model_name, alias
            )
            if (target is None or rollback) and current is None:
                raise NotFound("alias", f"registry/models/{model_name}/aliases/{alias}")
            if expected and current != expected:
                raise Aborted(f"alias {alias!r} points at version {current or 'nothing'}, not {expected}")
            if rollback:
                target = await connection.fetchval(
                    "SELECT previous_version FROM registry_alias_changes "
                    "WHERE model_name = $1 AND alias = $2 ORDER BY id DESC LIMIT 1",
                    model_name, alias,
                )  # fmt: skip
                if not target:
                    raise FailedPrecondition(f"alias {alias!r} has no earlier version to roll back to")
            if target is None:
                await connection.execute(
                    "DELETE FROM registry_aliases WHERE model_name = $1 AND alias = $2", model_name, alias
                )
            else:
                exists = await connection.fetchval(
                    "SELECT 1 FROM registry_versions WHERE model_name = $1 AND version = $2",
                    model_name,
                    target,
                )
                if exists is None:
                    raise NotFound("model version", f"registry/models/{model_name}/versions/{target}")
                await connection.execute(
                    """INSERT INTO registry_aliases (model_name, alias, version, update_time)
                       VALUES ($1, $2, $3, $4)
                       ON CONFLICT (model_name, alias) DO UPDATE SET version = $3, update_time = $4""",
                    model_name, alias, target, now,
                )  # fmt: skip
            row = await connection.fetchrow(
                """INSERT INTO registry_alias_changes
                       (model_name, alias, version, previous_version, actor_id, reason, change_time)
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
                model_name, alias, target or 0, current or 0, actor_id, reason, now,
            )  # fmt: skip
            await connection.execute(
                "UPDATE registry_models SET update_time = $2 WHERE name = $1", model_name, now
            )
            return _change(row)

    async def alias_history(
        self, model_name: str, alias: str, before: int | None, limit: int
    ) -> list[tuple[int, messages.AliasChange]]:
        rows = await self._pool.fetch(
            """SELECT * FROM registry_alias_changes WHERE model_name = $1 AND alias = $2
                 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4""",
            model_name, alias, before, limit,
        )  # fmt: skip
        return [(row["id"], _change(row)) for row in rows]

    # -- retraining schedules --------------------------------------------------------------

    async def set_schedule(
        self, model_name: str, schedule: messages.RetrainingSchedule, next_run: datetime | None, now: datetime
    ) -> None:
        await self._pool.execute(
            "UPDATE registry_models SET schedule = $2, next_run_time = $3, update_time = $4 WHERE name = $1",
            model_name, schedule.SerializeToString(), next_run, now,
        )  # fmt: skip

    async def dataset_owner(self, dataset_id: str) -> str | None:
        """The dataset's owner ('' for a platform dataset), or None when there is none."""
        return await self._pool.fetchval("SELECT owner_id FROM datasets WHERE id = $1", dataset_id)


class _RequestReplayed(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


RequestReplayed = _RequestReplayed
