"""What a job kind implements, and what the worker gives it.

A job runs in a child process of a worker (so that its timeout and memory limit can be enforced
by killing it). The worker calls the kind's runner synchronously with the job's config, a
`JobContext` that reports progress, log lines and metrics back to the worker (which stores them
as the job's events), and a `JobEnvironment` with the connections the runner may need. The
runner returns the job's result or raises: `JobCancelled` when it noticed a cancellation,
`TemporaryJobFailure` for a failure worth retrying with backoff, anything else fails the job
with its message.

Runners are named in `kinds.RUNNERS` by dotted path and imported only in the child, so a worker
does not load LightGBM to run a backtest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from alphintra.trainer.v1 import training_service_pb2


class JobCancelled(Exception):
    """The job's owner cancelled it; the runner stops and the job ends CANCELLED."""


class TemporaryJobFailure(Exception):
    """A failure that may pass (a dependency down, a lock not granted): retried with backoff."""


class JobContext(Protocol):
    job_id: str
    owner_id: str
    attempt: int

    def progress(self, fraction: float, message: str = "") -> None:
        """Fraction done in [0, 1]; the worker derives the ETA from the rate of progress."""

    def log(self, message: str, level: str = "info") -> None:
        """A log line of the job (level: debug, info, warning, error)."""

    def metric(self, name: str, value: float, step: int, trial: int | None = None) -> None:
        """A per-trial or per-epoch metric."""

    def check_cancelled(self) -> None:
        """Raise `JobCancelled` if the owner cancelled the job; call it between units of work."""


@dataclass(frozen=True)
class JobEnvironment:
    """The connections a runner may open (it runs in its own process: it opens its own)."""

    database_url: str
    redis_url: str
    artifacts_root: Path
    # the trainer's database schema, for runners that read or write its tables
    schema: str = "trainer"
    workflow_address: str | None = None
    # the Redis pub/sub channel of model alias changes (TrainerSettings.registry_alias_channel)
    registry_alias_channel: str = "alphintra.registry.aliases"


JobRunner = Callable[
    [training_service_pb2.JobConfig, JobContext, JobEnvironment], training_service_pb2.JobResult
]
