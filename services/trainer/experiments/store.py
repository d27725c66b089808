"""Experiments and runs in PostgreSQL (tables: sql/0004_experiments.sql). Rules live in `app`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from services.core.modeling.run_filter import Comparison, OrderKey
from services.core.ownership import Ownership
from services.trainer.experiments.search_sql import Parameters, condition, order_clause

_EXPERIMENT_COLUMNS = """e.id, e.owner_id, e.organization_id, e.display_name, e.description, e.tags,
    e.request_hash, e.create_time, e.update_time,
    (SELECT count(*) FROM experiment_runs c WHERE c.experiment_id = e.id) AS run_count"""
_RUN_COLUMNS = """r.id, r.experiment_id, r.owner_id, r.organization_id, r.display_name, r.status,
    r.start_time, r.end_time, r.job_id, r.etag, r.request_hash"""
_SELECT_EXPERIMENTS = f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments e"  # noqa: S608 - constant columns
_SELECT_RUNS = f"SELECT {_RUN_COLUMNS} FROM experiment_runs r"  # noqa: S608 - constant columns
_LATEST_METRICS = """INSERT INTO experiment_latest_metrics (run_id, key, value, step, time)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, time = excluded.time
    WHERE (excluded.step, excluded.time)
        >= (experiment_latest_metrics.step, experiment_latest_metrics.time)"""


@dataclass(frozen=True, slots=True)
class StoredExperiment:
    experiment: messages.Experiment
    ownership: Ownership
    request_hash: str | None


@dataclass(frozen=True, slots=True)
class StoredRun:
    run: messages.Run
    ownership: Ownership
    request_hash: str | None


@dataclass(frozen=True, slots=True)
class NewRun:
    run_id: str
    experiment_id: str
    ownership: Ownership
    display_name: str
    status: str
    start_time: datetime
    job_id: str
    params: dict[str, str]
    tags: dict[str, str]
    request_id: str | None
    request_hash: str | None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    key: str
    value: float
    step: int
    time: datetime


def status_name(status: int) -> str:
    return messages.RunStatus.Name(status).removeprefix("RUN_STATUS_")


def _experiment(row: asyncpg.Record) -> StoredExperiment:
    experiment = messages.Experiment(
        name=f"experiments/{row['id']}", id=row["id"], owner_id=row["owner_id"],
        display_name=row["display_name"], description=row["description"], run_count=row["run_count"],
    )  # fmt: skip
    experiment.tags.update(json.loads(row["tags"]))
    experiment.create_time.FromDatetime(row["create_time"])
    experiment.update_time.FromDatetime(row["update_time"])
    return StoredExperiment(
        experiment, Ownership(row["owner_id"], row["organization_id"]), row["request_hash"]
    )


def _run(row: asyncpg.Record) -> StoredRun:
    run = messages.Run(
        name=f"runs/{row['id']}", id=row["id"], experiment_id=row["experiment_id"], owner_id=row["owner_id"],
        display_name=row["display_name"], status=messages.RunStatus.Value(f"RUN_STATUS_{row['status']}"),
        job_id=row["job_id"], etag=str(row["etag"]),
    )  # fmt: skip
    run.start_time.FromDatetime(row["start_time"])
    if row["end_time"] is not None:
        run.end_time.FromDatetime(row["end_time"])
    return StoredRun(run, Ownership(row["owner_id"], row["organization_id"]), row["request_hash"])


class ExperimentStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- experiments -----------------------------------------------------------------------

    async def create_experiment(
        self, experiment: messages.Experiment, ownership: Ownership, request_id: str | None,
        request_hash: str | None, now: datetime,
    ) -> bool:  # fmt: skip
        """False when the owner already has an experiment of that name or used the request id."""
        status = await self._pool.execute(
            """INSERT INTO experiments (id, owner_id, organization_id, display_name, description, tags,
                   request_id, request_hash, create_time, update_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING""",
            experiment.id, ownership.owner_id, ownership.organization_id, experiment.display_name,
            experiment.description, json.dumps(dict(experiment.tags)), request_id, request_hash, now,
        )  # fmt: skip
        return status.endswith(" 1")

    async def get_experiment(self, experiment_id: str) -> StoredExperiment | None:
        row = await self._pool.fetchrow(f"{_SELECT_EXPERIMENTS} WHERE e.id = $1", experiment_id)
        return _experiment(row) if row else None

    async def experiment_by_name(self, owner_id: str, display_name: str) -> StoredExperiment | None:
        row = await self._pool.fetchrow(
            f"{_SELECT_EXPERIMENTS} WHERE e.owner_id = $1 AND lower(e.display_name) = lower($2)",
            owner_id, display_name,
        )  # fmt: skip
        return _experiment(row) if row else None

    async def experiment_by_request(self, owner_id: str, request_id: str) -> StoredExperiment | None:
        row = await self._pool.fetchrow(
            f"{_SELECT_EXPERIMENTS} WHERE e.owner_id = $1 AND e.request_id = $2",
            owner_id, request_id,
        )  # fmt: skip
        return _experiment(row) if row else None

    async def list_experiments(
        self, owner_id: str, query: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[StoredExperiment]:
        rows = await self._pool.fetch(
            f"""{_SELECT_EXPERIMENTS}
                WHERE e.owner_id = $1 AND strpos(lower(e.display_name), lower($2)) > 0
                  AND ($3::timestamptz IS NULL OR (e.update_time, e.id) < ($3, $4))
                ORDER BY e.update_time DESC, e.id DESC LIMIT $5""",
            owner_id, query, after[0] if after else None, after[1] if after else "", limit,
        )  # fmt: skip
        return [_experiment(row) for row in rows]

    # -- runs ------------------------------------------------------------------------------

    async def create_run(self, new: NewRun, now: datetime) -> bool:
        """False when the owner already used the request id."""
        async with self._pool.acquire() as connection, connection.transaction():
            status = await connection.execute(
                """INSERT INTO experiment_runs (id, experiment_id, owner_id, organization_id, display_name,
                       status, start_time, job_id, request_id, request_hash)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING""",
                new.run_id, new.experiment_id, new.ownership.owner_id, new.ownership.organization_id,
                new.display_name, new.status, new.start_time, new.job_id, new.request_id, new.request_hash,
            )  # fmt: skip
            if not status.endswith(" 1"):
                return False
            for table, values in (("experiment_params", new.params), ("experiment_tags", new.tags)):
                await connection.executemany(
                    f"INSERT INTO {table} (run_id, key, value) VALUES ($1, $2, $3)",  # noqa: S608 - fixed names
                    [(new.run_id, key, value) for key, value in values.items()],
                )
            await connection.execute(
                "UPDATE experiments SET update_time = $2 WHERE id = $1", new.experiment_id, now
            )
        return True

    async def run_by_request(self, owner_id: str, request_id: str) -> StoredRun | None:
        row = await self._pool.fetchrow(
            f"{_SELECT_RUNS} WHERE r.owner_id = $1 AND r.request_id = $2",
            owner_id, request_id,
        )  # fmt: skip
        return (await self._complete([_run(row)]))[0] if row else None

    async def get_run(self, run_id: str) -> StoredRun | None:
        row = await self._pool.fetchrow(f"{_SELECT_RUNS} WHERE r.id = $1", run_id)
        return (await self._complete([_run(row)]))[0] if row else None

    async def get_runs(self, run_ids: Sequence[str]) -> dict[str, StoredRun]:
        rows = await self._pool.fetch(f"{_SELECT_RUNS} WHERE r.id = ANY($1)", list(run_ids))
        return {stored.run.id: stored for stored in await self._complete([_run(row) for row in rows])}

    async def _complete(self, runs: list[StoredRun]) -> list[StoredRun]:
        """Each run with its parameters, tags and latest metrics."""
        by_id = {stored.run.id: stored.run for stored in runs}
        ids = list(by_id)
        for table, field in (("experiment_params", "params"), ("experiment_tags", "tags")):
            query = f"SELECT run_id, key, value FROM {table} WHERE run_id = ANY($1)"  # noqa: S608 - fixed names
            for row in await self._pool.fetch(query, ids):
                getattr(by_id[row["run_id"]], field)[row["key"]] = row["value"]
        rows = await self._pool.fetch(
            """SELECT run_id, key, value, step, time FROM experiment_latest_metrics
               WHERE run_id = ANY($1) ORDER BY key""",
            ids,
        )
        for row in rows:
            metric = by_id[row["run_id"]].latest_metrics.add(
                key=row["key"], value=row["value"], step=row["step"]
            )
            metric.time.FromDatetime(row["time"])
        return runs

    async def run_status(self, connection: asyncpg.Connection, run_id: str) -> str | None:
        return await connection.fetchval("SELECT status FROM experiment_runs WHERE id = $1 FOR SHARE", run_id)

    async def log_metrics(self, run_id: str, points: Sequence[MetricPoint]) -> str | None:
        """Append the points (and move each key's latest); the run's status, None if there is no run."""
        async with self._pool.acquire() as connection, connection.transaction():
            status = await self.run_status(connection, run_id)
            if status != "RUNNING":
                return status
            rows = [(run_id, point.key, point.value, point.step, point.time) for point in points]
            await connection.executemany(
                "INSERT INTO experiment_metrics (run_id, key, value, step, time) VALUES ($1, $2, $3, $4, $5)",
                rows,
            )
            latest: dict[str, MetricPoint] = {}
            for point in points:
                kept = latest.get(point.key)
                if kept is None or (point.step, point.time) >= (kept.step, kept.time):
                    latest[point.key] = point
            await connection.executemany(
                _LATEST_METRICS,
                [(run_id, point.key, point.value, point.step, point.time) for point in latest.values()],
            )
            return status

    async def log_params(self, run_id: str, params: dict[str, str]) -> dict[str, str]:
        """Record new parameters; returns the stored value of every key that was logged before."""
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "SELECT key, value FROM experiment_params WHERE run_id = $1 AND key = ANY($2) FOR UPDATE",
                run_id, list(params),
            )  # fmt: skip
            existing = {row["key"]: row["value"] for row in rows}
            if any(existing[key] != params[key] for key in existing):
                return existing
            await connection.executemany(
                """INSERT INTO experiment_params (run_id, key, value) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING""",
                [(run_id, key, value) for key, value in params.items() if key not in existing],
            )
            return existing

    async def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "DELETE FROM experiment_tags WHERE run_id = $1 AND key = ANY($2)",
                run_id, [key for key, value in tags.items() if not value],
            )  # fmt: skip
            await connection.executemany(
                """INSERT INTO experiment_tags (run_id, key, value) VALUES ($1, $2, $3)
                   ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value""",
                [(run_id, key, value) for key, value in tags.items() if value],
            )

    async def update_run(
        self, run_id: str, *, expected_etag: int | None, display_name: str | None, status: str | None,
        end_time: datetime | None,
    ) -> StoredRun | None:  # fmt: skip
        """The run after the change; None when the etag no longer matches (or the run is gone)."""
        row = await self._pool.fetchrow(
            f"""UPDATE experiment_runs r SET etag = r.etag + 1,
                    display_name = coalesce($3, r.display_name), status = coalesce($4, r.status),
                    end_time = coalesce($5, r.end_time)
                WHERE r.id = $1 AND ($2::bigint IS NULL OR r.etag = $2) RETURNING {_RUN_COLUMNS}""",  # noqa: S608
            run_id, expected_etag, display_name, status, end_time,
        )  # fmt: skip
        return (await self._complete([_run(row)]))[0] if row else None

    async def search(
        self, owner_id: str | None, experiment_ids: Sequence[str], comparisons: Sequence[Comparison],
        order: Sequence[OrderKey], *, offset: int, limit: int,
    ) -> list[StoredRun]:  # fmt: skip
        parameters = Parameters()
        clauses = ["TRUE"] if owner_id is None else [f"r.owner_id = {parameters.bind(owner_id)}"]
        if experiment_ids:
            clauses.append(f"r.experiment_id = ANY({parameters.bind(list(experiment_ids))}::text[])")
        clauses.extend(condition(comparison, parameters) for comparison in comparisons)
        ordering = order_clause(order, parameters)
        statement = (
            f"{_SELECT_RUNS} WHERE {' AND '.join(clauses)} "
            f"ORDER BY {ordering} OFFSET {parameters.bind(offset)} LIMIT {parameters.bind(limit)}"
        )
        rows = await self._pool.fetch(statement, *parameters.values)
        return await self._complete([_run(row) for row in rows])

    async def metric_history(self, run_ids: Sequence[str], keys: Sequence[str]) -> list[asyncpg.Record]:
        return await self._pool.fetch(
            """SELECT run_id, key, value, step, time FROM experiment_metrics
               WHERE run_id = ANY($1) AND key = ANY($2) ORDER BY run_id, key, step, time, sequence""",
            list(run_ids), list(keys),
        )  # fmt: skip

    async def run_of_job(self, job_id: str) -> StoredRun | None:
        """The run a trainer job recorded (the latest, if a retried job recorded more than one)."""
        row = await self._pool.fetchrow(
            f"{_SELECT_RUNS} WHERE r.job_id = $1 ORDER BY r.start_time DESC LIMIT 1",
            job_id,
        )
        return _run(row) if row else None
