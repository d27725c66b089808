"""What the job service and the workers share about the tables: events appended in sequence, and
a stored row read back as a `Job`.

Events are numbered from `jobs.last_sequence`, incremented under the job's row lock in the same
transaction as the insert, so sequences have no gaps and no two writers share one. Each commit
that adds events rings the `trainer_job_events` doorbell (NOTIFY is delivered on commit); watchers
then read the rows, which stay the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
from google.rpc import status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs.events import STATE_OF_NAME

EVENTS_CHANNEL = "trainer_job_events"
READY_CHANNEL = "trainer_jobs_ready"
CANCEL_CHANNEL = "trainer_jobs_cancel"

JOB_COLUMNS = """id, owner_id, organization_id, kind, state, definition, workflow_id, timeout_seconds,
    memory_limit_bytes, max_attempts, attempts, progress_fraction, cpu_seconds, attempt_cpu_seconds, error,
    result, worker_id, cancel_requested, cancel_reason, request_hash, last_sequence, create_time,
    start_time, end_time, update_time"""


async def append_events(
    connection: asyncpg.Connection,
    job_id: str,
    events: Sequence[messages.JobEvent],
    now: datetime,
    *,
    worker_id: str | None = None,
) -> bool:
    """Number, store and announce `events`; with `worker_id`, only while that worker holds the job.

    Returns False (and stores nothing) when the job is not there or the worker lost it.
    """
    if not events:
        return True
    if worker_id is None:
        last = await connection.fetchval(
            "UPDATE jobs SET last_sequence = last_sequence + $2 WHERE id = $1 RETURNING last_sequence",
            job_id,
            len(events),
        )
    else:
        last = await connection.fetchval(
            """UPDATE jobs SET last_sequence = last_sequence + $2
               WHERE id = $1 AND worker_id = $3 AND state = 'running' RETURNING last_sequence""",
            job_id,
            len(events),
            worker_id,
        )
    if last is None:
        return False
    first = last - len(events) + 1
    rows = []
    for offset, event in enumerate(events):
        event.sequence = first + offset
        event.time.FromDatetime(now)
        kind = event.WhichOneof("event")
        level = event.log_line.level if kind == "log_line" else 0
        rows.append((job_id, event.sequence, kind, level, event.SerializeToString()))
    await connection.executemany(
        "INSERT INTO job_events (job_id, sequence, kind, level, body) VALUES ($1, $2, $3, $4, $5)", rows
    )
    await connection.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, job_id)
    return True


def _status(raw: bytes | None) -> status_pb2.Status | None:
    return status_pb2.Status.FromString(raw) if raw else None


def job_from_row(row: asyncpg.Record, *, with_result: bool = True) -> messages.Job:
    job = messages.Job.FromString(row["definition"])
    job.name = f"jobs/{row['id']}"
    job.id = row["id"]
    job.owner_id = row["owner_id"]
    job.state = STATE_OF_NAME[row["state"]]
    job.timeout.FromNanoseconds(int(row["timeout_seconds"] * 1e9))
    job.memory_limit_bytes = row["memory_limit_bytes"]
    job.max_attempts = row["max_attempts"]
    job.attempts = row["attempts"]
    job.progress_fraction = row["progress_fraction"]
    job.cpu_seconds = row["cpu_seconds"] + row["attempt_cpu_seconds"]
    job.worker_id = row["worker_id"] if row["state"] == "running" else ""
    error = _status(row["error"])
    if error is not None:
        job.error.CopyFrom(error)
    if with_result and row["result"]:
        job.result.ParseFromString(row["result"])
    for field in ("create_time", "start_time", "end_time", "update_time"):
        if row[field] is not None:
            getattr(job, field).FromDatetime(row[field])
    return job


def summary_of(job: messages.Job) -> messages.Job:
    """A job as lists show it: results without curves, trades and trial tables."""
    which = job.result.WhichOneof("result")
    backtests = {
        "backtest": lambda: job.result.backtest.result,
        "training": lambda: job.result.training.test_backtest,
        "retraining": lambda: job.result.retraining.training.test_backtest,
    }
    if which in backtests:
        backtest = backtests[which]()
        backtest.ClearField("equity_curve")
        backtest.ClearField("trades")
    elif which == "optimization":
        job.result.optimization.ClearField("trials")
    return job
