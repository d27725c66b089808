"""A job's experiment run: what MODEL-mode jobs record in the experiment tracker.

Training jobs record into the experiment "model <model name>", optimisation jobs into
"workflow <workflow id>" (created on first use, owned by the job's owner). The run starts with the
job's parameters, so it is visible while the job runs; the per-trial metrics the job reports are
kept in memory (the job's events already stream them live) and written with the final metrics
when the run ends: FINISHED with the result, FAILED on an error, KILLED on cancellation. The run's
request id is "job:<job id>", so a retried attempt continues the same run.

The job's process has no service around it: each step opens a small pool for its statements and
goes through the same facade as the RPCs (`ExperimentsApp`), with the job id on the run.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from services.core.errors import FailedPrecondition
from services.core.ownership import Caller, Role
from services.mesh.database import create_pool
from services.mesh.server import utc_now
from services.trainer.experiments.app import ExperimentsApp
from services.trainer.experiments.store import ExperimentStore
from services.trainer.jobs.contract import JobCancelled, JobContext, JobEnvironment

Value = TypeVar("Value")
BATCH = 1000
MAX_PARAM = 6000


def _run_step(environment: JobEnvironment, step: Callable[[ExperimentsApp], Awaitable[Value]]) -> Value:
    async def main() -> Value:
        pool = await create_pool(
            environment.database_url, schema=environment.schema, timeout_seconds=10.0, max_size=2
        )
        try:
            return await step(ExperimentsApp(ExperimentStore(pool), utc_now))
        finally:
            await pool.close()

    return asyncio.run(main())


@dataclass
class RecordingContext:
    """The job's context, passing everything on and keeping the metrics for the run."""

    inner: JobContext
    points: list[messages.Metric] = field(default_factory=list)

    @property
    def job_id(self) -> str:
        return self.inner.job_id

    @property
    def owner_id(self) -> str:
        return self.inner.owner_id

    @property
    def attempt(self) -> int:
        return self.inner.attempt

    def progress(self, fraction: float, message: str = "") -> None:
        self.inner.progress(fraction, message)

    def log(self, message: str, level: str = "info") -> None:
        self.inner.log(message, level)

    def metric(self, name: str, value: float, step: int, trial: int | None = None) -> None:
        self.inner.metric(name, value, step, trial)
        if math.isfinite(value):
            point = messages.Metric(key=name, value=value, step=max(step, 0))
            point.time.FromDatetime(datetime.now(UTC))
            self.points.append(point)

    def check_cancelled(self) -> None:
        self.inner.check_cancelled()


class RunTracker:
    def __init__(self, environment: JobEnvironment, context: RecordingContext, run: messages.Run) -> None:
        self._environment = environment
        self.context = context
        self.run = run

    @property
    def run_id(self) -> str:
        return self.run.id

    def finish(
        self, metrics: Mapping[str, float], *, params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Record the final parameters, tags and metrics (and the per-trial ones); end the run FINISHED."""
        points = list(self.context.points)
        now = datetime.now(UTC)
        for key, value in metrics.items():
            if math.isfinite(value):
                point = messages.Metric(key=key, value=value)
                point.time.FromDatetime(now)
                points.append(point)
        caller = Caller(user_id=self.context.owner_id, role=Role.TRADER)

        async def step(app: ExperimentsApp) -> None:
            if params:
                await app.log_params(
                    caller, self.run.id, {key: value[:MAX_PARAM] for key, value in params.items()}
                )
            if tags:
                await app.set_tags(caller, self.run.id, dict(tags))
            try:
                for start in range(0, len(points), BATCH):
                    await app.log_metrics(caller, self.run.id, points[start : start + BATCH])
            except FailedPrecondition:  # an earlier attempt ended the run already
                return
            await self._end(app, caller, messages.RUN_STATUS_FINISHED)

        _run_step(self._environment, step)

    def end(self, status: int) -> None:
        caller = Caller(user_id=self.context.owner_id, role=Role.TRADER)

        async def step(app: ExperimentsApp) -> None:
            await self._end(app, caller, status)

        _run_step(self._environment, step)

    async def _end(self, app: ExperimentsApp, caller: Caller, status: int) -> None:
        current = await app.get_run(caller, self.run.id)
        if current.status != messages.RUN_STATUS_RUNNING:
            return
        await app.update_run(caller, messages.Run(id=self.run.id, status=status), ["status"])


@contextmanager
def tracked_run(
    environment: JobEnvironment, context: JobContext, *, experiment: str, display_name: str,
    params: Mapping[str, str], tags: Mapping[str, str] | None = None,
) -> Iterator[RunTracker]:  # fmt: skip
    """The job's run, started now; ended FAILED or KILLED if the block raises (call `finish` at success)."""
    recording = RecordingContext(context)
    caller = Caller(user_id=context.owner_id, role=Role.TRADER)

    async def start(app: ExperimentsApp) -> messages.Run:
        found = await app.experiment_named(caller, experiment, "")
        request = messages.CreateRunRequest(
            experiment_id=found.id, display_name=display_name,
            params={key: value[:MAX_PARAM] for key, value in params.items()},
            tags={**(tags or {}), "job_id": context.job_id}, request_id=f"job:{context.job_id}",
        )  # fmt: skip
        return await app.create_run(caller, request, job_id=context.job_id)

    tracker = RunTracker(environment, recording, _run_step(environment, start))
    try:
        yield tracker
    except JobCancelled:
        tracker.end(messages.RUN_STATUS_KILLED)
        raise
    except Exception:
        tracker.end(messages.RUN_STATUS_FAILED)
        raise
