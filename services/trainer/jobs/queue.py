"""The workers' side of the job tables: take a job under a lease, renew it, and end the attempt.

A worker takes the oldest ready job with `FOR UPDATE SKIP LOCKED`, so any number of workers on any
number of machines share the queue without taking the same job twice. Ready means queued and due,
or running under a lease nobody renewed (its worker died): such a job is taken over, the attempt
counted, unless it was cancelled meanwhile or has used all its attempts. Every later write names
the worker and succeeds only while it still holds the job, so a worker that lost its lease (it was
paused past the lease, another took over) cannot overwrite the new attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from google.rpc import code_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs import events
from services.trainer.jobs.rows import append_events

_TAKE = """SELECT id, owner_id, state, worker_id, attempts, max_attempts, cancel_requested, cancel_reason,
        attempt_cpu_seconds, definition, timeout_seconds, memory_limit_bytes
    FROM jobs WHERE {condition} ORDER BY {order} LIMIT 1 FOR UPDATE SKIP LOCKED"""
_ABANDONED = _TAKE.format(condition="state = 'running' AND lease_expires < $1", order="lease_expires")
_READY = _TAKE.format(condition="state = 'queued' AND run_after <= $1", order="run_after, create_time")


class LeaseLost(Exception):
    """The worker no longer holds the job: stop working on it and write nothing more."""


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    job_id: str
    owner_id: str
    attempt: int
    definition: messages.Job
    timeout_seconds: float
    memory_limit_bytes: int
    max_attempts: int


@dataclass(frozen=True, slots=True)
class AttemptEnd:
    """How an attempt ended, as the worker saw it."""

    state: str  # succeeded, failed, cancelled, or queued (retry later)
    message: str
    cpu_seconds: float
    error: status_pb2.Status | None = None
    result: messages.JobResult | None = None
    retry_after_seconds: float = 0.0
    # a released job gives its attempt back: the worker stopped, the job did not fail
    attempt_returned: bool = False


class JobQueue:
    def __init__(self, pool: asyncpg.Pool, worker_id: str, lease_seconds: float) -> None:
        self._pool = pool
        self.worker_id = worker_id
        self._lease = lease_seconds

    async def claim(self, now: datetime) -> ClaimedJob | None:
        """The next job this worker should run, or None when there is none right now."""
        while True:
            async with self._pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(_ABANDONED, now) or await connection.fetchrow(_READY, now)
                if row is None:
                    return None
                if row["state"] == "queued":
                    return await self._start(connection, row, now, [])
                claimed = await self._take_over(connection, row, now)
                if claimed is not None:
                    return claimed
            # the abandoned job was ended (cancelled, or out of attempts): look again

    async def _take_over(
        self, connection: asyncpg.Connection, row: asyncpg.Record, now: datetime
    ) -> ClaimedJob | None:
        lost = f"worker {row['worker_id']} stopped heartbeating during attempt {row['attempts']}"
        await _add_cpu(connection, row["id"], row["owner_id"], row["attempt_cpu_seconds"])
        if row["cancel_requested"]:
            message = f"cancelled by its owner ({lost})"
            await self._end_abandoned(
                connection=connection,
                row=row,
                state="cancelled",
                code=code_pb2.CANCELLED,
                message=message,
                now=now,
            )
            return None
        if row["attempts"] >= row["max_attempts"]:
            message = f"{lost}; all {row['max_attempts']} attempts used"
            await self._end_abandoned(
                connection=connection,
                row=row,
                state="failed",
                code=code_pb2.ABORTED,
                message=message,
                now=now,
            )
            return None
        requeued = events.state_change("running", "queued", lost)
        return await self._start(connection, row, now, [requeued])

    async def _end_abandoned(
        self,
        *,
        connection: asyncpg.Connection,
        row: asyncpg.Record,
        state: str,
        code: int,
        message: str,
        now: datetime,
    ) -> None:
        error = status_pb2.Status(code=code, message=message)
        await connection.execute(
            """UPDATE jobs SET state = $2, error = $3, worker_id = '', lease_expires = NULL, end_time = $4,
                   update_time = $4 WHERE id = $1""",
            row["id"],
            state,
            error.SerializeToString(),
            now,
        )
        await append_events(
            connection, row["id"], [events.state_change("running", state, message, error)], now
        )

    async def _start(
        self,
        connection: asyncpg.Connection,
        row: asyncpg.Record,
        now: datetime,
        before: list[messages.JobEvent],
    ) -> ClaimedJob:
        attempt = row["attempts"] + 1
        await connection.execute(
            """UPDATE jobs SET state = 'running', attempts = $2, worker_id = $3,
                   lease_expires = $4::timestamptz + make_interval(secs => $5), attempt_cpu_seconds = 0,
                   start_time = coalesce(start_time, $4), update_time = $4
               WHERE id = $1""",
            row["id"],
            attempt,
            self.worker_id,
            now,
            self._lease,
        )
        started = events.state_change("queued", "running", f"attempt {attempt} on worker {self.worker_id}")
        await append_events(connection, row["id"], [*before, started], now)
        return ClaimedJob(
            job_id=row["id"],
            owner_id=row["owner_id"],
            attempt=attempt,
            definition=messages.Job.FromString(row["definition"]),
            timeout_seconds=row["timeout_seconds"],
            memory_limit_bytes=row["memory_limit_bytes"],
            max_attempts=row["max_attempts"],
        )

    async def cancel_reason(self, job_id: str) -> str:
        """Why the owner cancelled (a cancellation arrives by notification, which carries no reason)."""
        return await self._pool.fetchval("SELECT cancel_reason FROM jobs WHERE id = $1", job_id) or ""

    async def heartbeat(self, job_id: str, cpu_seconds: float, now: datetime) -> tuple[bool, str]:
        """Renew the lease; returns (cancel requested, reason). LeaseLost when the job is not ours."""
        row = await self._pool.fetchrow(
            """UPDATE jobs SET lease_expires = $3::timestamptz + make_interval(secs => $4),
                   attempt_cpu_seconds = $5
               WHERE id = $1 AND worker_id = $2 AND state = 'running'
               RETURNING cancel_requested, cancel_reason""",
            job_id,
            self.worker_id,
            now,
            self._lease,
            cpu_seconds,
        )
        if row is None:
            raise LeaseLost(job_id)
        return row["cancel_requested"], row["cancel_reason"]

    async def record(
        self, job_id: str, new_events: list[messages.JobEvent], now: datetime, progress: float | None = None
    ) -> None:
        """Store events from the running job (and its latest progress); LeaseLost when not ours."""
        async with self._pool.acquire() as connection, connection.transaction():
            if progress is not None:
                await connection.execute(
                    "UPDATE jobs SET progress_fraction = $3 WHERE id = $1 AND worker_id = $2",
                    job_id,
                    self.worker_id,
                    progress,
                )
            if not await append_events(connection, job_id, new_events, now, worker_id=self.worker_id):
                raise LeaseLost(job_id)

    async def finish(self, job: ClaimedJob, end: AttemptEnd, now: datetime) -> None:
        """End the attempt: a final state, or queued again (a retry, or a job released by its worker)."""
        async with self._pool.acquire() as connection, connection.transaction():
            owned = await connection.fetchval(
                "SELECT owner_id FROM jobs WHERE id = $1 AND worker_id = $2 AND state = 'running' FOR UPDATE",
                job.job_id,
                self.worker_id,
            )
            if owned is None:
                raise LeaseLost(job.job_id)
            final = end.state != "queued"
            await connection.execute(
                """UPDATE jobs SET state = $2, error = $3, result = $4, worker_id = '', lease_expires = NULL,
                       cpu_seconds = cpu_seconds + $5, attempt_cpu_seconds = 0,
                       attempts = attempts - $6, run_after = $7::timestamptz + make_interval(secs => $8),
                       progress_fraction = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress_fraction END,
                       end_time = CASE WHEN $9 THEN $7 ELSE NULL END, update_time = $7
                   WHERE id = $1""",
                job.job_id,
                end.state,
                end.error.SerializeToString() if end.error is not None else None,
                end.result.SerializeToString() if end.result is not None else None,
                end.cpu_seconds,
                1 if end.attempt_returned else 0,
                now,
                end.retry_after_seconds,
                final,
            )
            await _add_cpu(connection, None, owned, end.cpu_seconds)
            change = events.state_change("running", end.state, end.message, end.error)
            await append_events(connection, job.job_id, [change], now)


async def _add_cpu(
    connection: asyncpg.Connection, job_id: str | None, owner_id: str, cpu_seconds: float
) -> None:
    """Count CPU time against the owner (and, for an abandoned attempt, against its job)."""
    if cpu_seconds <= 0:
        return
    if job_id is not None:
        await connection.execute(
            "UPDATE jobs SET cpu_seconds = cpu_seconds + $2, attempt_cpu_seconds = 0 WHERE id = $1",
            job_id,
            cpu_seconds,
        )
    await connection.execute(
        """INSERT INTO job_owner_usage (owner_id, cpu_seconds) VALUES ($1, $2)
           ON CONFLICT (owner_id)
           DO UPDATE SET cpu_seconds = job_owner_usage.cpu_seconds + excluded.cpu_seconds""",
        owner_id,
        cpu_seconds,
    )
