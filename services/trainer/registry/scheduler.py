"""Scheduled retraining: a model whose schedule is due gets a RETRAINING job queued, once.

Every trainer process runs one scheduler task. Each pass takes the due schedules with
`FOR UPDATE SKIP LOCKED` (a schedule another trainer is handling is skipped, not waited for),
queues a RETRAINING job per schedule through the job system's store, and moves the schedule's
next run forward, in the same transaction as the lock. The job's request id is
"retraining:<model>:<scheduled time>", so a pass that queued the job but died before committing
cannot queue it twice: the next pass finds the job by that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg

from alphintra.trainer.v1 import model_registry_service_pb2 as registry_messages
from alphintra.trainer.v1 import training_service_pb2 as job_messages
from services.core.errors import AlphintraError
from services.core.ownership import Ownership
from services.trainer.jobs.app import request_hash
from services.trainer.jobs.limits import limits_of
from services.trainer.jobs.store import JobStore, NewJob
from services.trainer.jobs.validation import validate_job
from services.trainer.registry.rules import next_run

log = logging.getLogger("alphintra.trainer.retraining")
BATCH = 20


def retraining_job(model_name: str, schedule: registry_messages.RetrainingSchedule) -> job_messages.Job:
    job = job_messages.Job(
        kind=job_messages.JOB_KIND_RETRAINING, display_name=f"scheduled retraining of {model_name}"
    )
    job.config.retraining.model_name = model_name
    job.config.retraining.alias = schedule.alias or "production"
    job.config.retraining.dataset_id = schedule.dataset_id
    job.config.retraining.promotion_margin = schedule.promotion_margin
    job.config.retraining.holdout_fraction = schedule.holdout_fraction
    return job


class RetrainingScheduler:
    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], datetime], interval_seconds: float) -> None:
        self._pool = pool
        self._clock = clock
        self._interval = interval_seconds
        self._jobs = JobStore(pool)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="retraining-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("retraining scheduler pass failed: %s", error)
            await asyncio.sleep(self._interval)

    async def run_once(self) -> list[str]:
        """Queue the due schedules' jobs; returns the ids of the jobs queued in this pass."""
        now = self._clock()
        queued = []
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """SELECT name, owner_id, organization_id, schedule, next_run_time FROM registry_models
                   WHERE next_run_time <= $1 ORDER BY next_run_time LIMIT $2 FOR UPDATE SKIP LOCKED""",
                now, BATCH,
            )  # fmt: skip
            for row in rows:
                schedule = registry_messages.RetrainingSchedule.FromString(row["schedule"])
                job_id = await self._enqueue(row, schedule, now)
                schedule.last_job_id = job_id
                schedule.last_run_time.FromDatetime(now)
                following = next_run(schedule, now) if schedule.enabled else None
                if following is not None:
                    schedule.next_run_time.FromDatetime(following)
                await connection.execute(
                    "UPDATE registry_models SET schedule = $2, next_run_time = $3 WHERE name = $1",
                    row["name"], schedule.SerializeToString(), following,
                )  # fmt: skip
                queued.append(job_id)
        return queued

    async def _enqueue(
        self, row: asyncpg.Record, schedule: registry_messages.RetrainingSchedule, now: datetime
    ) -> str:
        request_id = f"retraining:{row['name']}:{row['next_run_time'].isoformat()}"
        earlier = await self._jobs.find_by_request(row["owner_id"], request_id)
        if earlier is not None:
            return earlier["id"]
        try:
            accepted = validate_job(retraining_job(row["name"], schedule), limits_of("basic"))
        except AlphintraError as error:
            log.warning("retraining of %s not queued: %s", row["name"], error)
            return ""
        new = NewJob(
            job_id=uuid.uuid4().hex,
            ownership=Ownership(row["owner_id"], row["organization_id"]),
            accepted=accepted,
            request_id=request_id,
            request_hash=request_hash(accepted.definition),
        )
        inserted = await self._jobs.insert(new, now)
        if inserted is None:
            earlier = await self._jobs.find_by_request(row["owner_id"], request_id)
            return earlier["id"] if earlier is not None else ""
        return new.job_id
