"""The job queue's depth as a Prometheus gauge, for dashboards and autoscaling workers.

Every trainer replica reads the same queue, so each exports the same figure (a dashboard takes the
max). Read every few seconds with one grouped query; a failed read keeps the last figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from prometheus_client import Gauge

from alphintra.trainer.v1 import training_service_pb2

log = logging.getLogger("alphintra.trainer.queue_metrics")

JOBS_QUEUED = Gauge(
    "alphintra_trainer_jobs_queued",
    "Jobs waiting for a worker (every replica reports the same queue)",
    ["kind"],
)
JOBS_RUNNING = Gauge("alphintra_trainer_jobs_running", "Jobs a worker is running", ["kind"])
KINDS = ("backtest", "optimization", "training", "retraining")


def _kind_name(kind: int) -> str:
    names = training_service_pb2.JobKind
    return names.Name(kind).removeprefix("JOB_KIND_").lower() if kind in names.values() else str(kind)


class QueueDepth:
    def __init__(self, pool: asyncpg.Pool, interval_seconds: float = 5.0) -> None:
        self._pool = pool
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="trainer-queue-depth")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def measure(self) -> None:
        rows = await self._pool.fetch(
            """SELECT kind, state, count(*) AS jobs FROM jobs
               WHERE state IN ('queued', 'running') GROUP BY 1, 2"""
        )
        counts = {(_kind_name(row["kind"]), row["state"]): row["jobs"] for row in rows}
        for kind in {*KINDS, *(kind for kind, _ in counts)}:
            JOBS_QUEUED.labels(kind).set(counts.get((kind, "queued"), 0))
            JOBS_RUNNING.labels(kind).set(counts.get((kind, "running"), 0))

    async def _run(self) -> None:
        while True:
            try:
                await self.measure()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("queue depth not measured: %s", error)
            await asyncio.sleep(self._interval)
