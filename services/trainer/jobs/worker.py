"""A worker process: takes jobs from the PostgreSQL queue and runs each as an `Attempt`, one at a time.

`python -m services.trainer worker` runs one; run as many as the machines have cores, anywhere that
reaches the database (and the artifact store). A worker sleeps until a `trainer_jobs_ready`
notification or its polling interval, whichever comes first. SIGTERM stops it: the job it was running
is stopped and goes back to the queue, its attempt given back, for another worker to run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from pathlib import Path

import asyncpg
import uvloop

from services.mesh.database import apply_migrations, create_pool
from services.mesh.logs import setup_logging
from services.mesh.main import EXIT_CONFIG, EXIT_DEPENDENCY
from services.mesh.server import utc_now
from services.mesh.settings import SettingsError
from services.trainer.jobs import kinds
from services.trainer.jobs.attempt import Attempt, AttemptSettings
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.jobs.doorbell import Doorbell, wait_for
from services.trainer.jobs.queue import JobQueue
from services.trainer.jobs.rows import CANCEL_CHANNEL, READY_CHANNEL
from services.trainer.settings import TrainerSettings

log = logging.getLogger("alphintra.trainer.worker")

SCHEMA = "trainer"
MIGRATIONS = Path(__file__).parent.parent / "sql"
# how long a worker waits before using the database again after losing it
RECOVERY_SECONDS = 1.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def attempt_settings(settings: TrainerSettings) -> AttemptSettings:
    assert settings.database_url is not None
    assert settings.redis_url is not None
    return AttemptSettings(
        heartbeat_seconds=settings.job_heartbeat_seconds,
        cancel_grace_seconds=settings.job_cancel_grace_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        retry_max_seconds=settings.job_retry_max_seconds,
        runners={**kinds.RUNNERS, **settings.extra_runners},
        environment=JobEnvironment(
            database_url=settings.database_url.get_secret_value(),
            redis_url=settings.redis_url.get_secret_value(),
            artifacts_root=settings.artifacts_root.resolve(),
            schema=SCHEMA,
            workflow_address=settings.workflow_address,
            registry_alias_channel=settings.registry_alias_channel,
        ),
    )


async def run_worker(settings: TrainerSettings, stopping: asyncio.Event) -> None:
    """Take and run jobs until `stopping` is set."""
    if settings.database_url is None or settings.redis_url is None:
        raise ConnectionError("a trainer worker needs DATABASE_URL and REDIS_URL")
    dsn = settings.database_url.get_secret_value()
    pool = await create_pool(
        dsn, schema=SCHEMA, timeout_seconds=settings.dependency_timeout_seconds, max_size=3
    )
    doorbell = Doorbell(dsn, [READY_CHANNEL, CANCEL_CHANNEL])
    try:
        # a worker may start before any service did: the queue's tables must exist
        await apply_migrations(pool, SCHEMA, MIGRATIONS)
        await doorbell.start()
        queue = JobQueue(pool, new_worker_id(), settings.job_lease_seconds)
        log.info("worker %s taking jobs", queue.worker_id)
        await _take_jobs(queue, doorbell, attempt_settings(settings), settings.job_poll_seconds, stopping)
    finally:
        await doorbell.close()
        await pool.close()


async def _take_jobs(
    queue: JobQueue,
    doorbell: Doorbell,
    settings: AttemptSettings,
    poll_seconds: float,
    stopping: asyncio.Event,
) -> None:
    stop_waiter = asyncio.ensure_future(stopping.wait())
    try:
        with doorbell.subscription(READY_CHANNEL) as ready:
            while not stopping.is_set():
                try:
                    job = await queue.claim(utc_now())
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("worker %s: cannot reach the queue (%s); retrying", queue.worker_id, error)
                    await asyncio.sleep(RECOVERY_SECONDS)
                    continue
                if job is None:
                    ready_waiter = asyncio.ensure_future(wait_for(ready, poll_seconds))
                    await asyncio.wait([ready_waiter, stop_waiter], return_when=asyncio.FIRST_COMPLETED)
                    ready_waiter.cancel()
                    continue
                log.info("worker %s: job %s attempt %d", queue.worker_id, job.job_id, job.attempt)
                with doorbell.subscription(CANCEL_CHANNEL, job.job_id) as cancelled:
                    try:
                        attempt = Attempt(
                            queue, job, settings, clock=utc_now, cancel_requested=cancelled, stopping=stopping
                        )
                        await attempt.run()
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                        # the lease runs out and another worker (or this one) takes the job again
                        log.warning(
                            "worker %s: job %s lost its database (%s)", queue.worker_id, job.job_id, error
                        )
                        await asyncio.sleep(RECOVERY_SECONDS)
    finally:
        stop_waiter.cancel()


def main() -> None:
    """`python -m services.trainer worker`."""
    try:
        settings = TrainerSettings.load()
    except SettingsError as error:
        print(f"trainer worker: {error}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    setup_logging("trainer-worker", settings.log_level)

    async def serve() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await run_worker(settings, stopping)

    try:
        uvloop.run(serve())
    except ConnectionError as error:
        log.error("trainer worker cannot start: %s", error)
        sys.exit(EXIT_DEPENDENCY)
