"""Wiring of the trainer's jobs: the TrainingService, its event doorbell, and its embedded workers."""

from __future__ import annotations

from alphintra.trainer.v1 import training_service_pb2, training_service_pb2_grpc
from services.mesh.server import Registration, Resources
from services.trainer.jobs.app import JobsApp
from services.trainer.jobs.doorbell import Doorbell
from services.trainer.jobs.from_workflow import WorkflowJobs
from services.trainer.jobs.handlers import TrainingHandlers
from services.trainer.jobs.queue_metrics import QueueDepth
from services.trainer.jobs.rows import EVENTS_CHANNEL
from services.trainer.jobs.store import JobStore
from services.trainer.jobs.supervisor import EmbeddedWorkers
from services.trainer.settings import TrainerSettings


async def build_jobs(resources: Resources) -> JobsApp:
    """The jobs facade with its doorbell and workers started (and registered to stop with the service).

    The backtests area queues its jobs through the same facade, so it is built once and shared.
    """
    settings = resources.settings
    assert isinstance(settings, TrainerSettings)
    assert resources.database is not None  # the trainer's definition asks for a schema
    assert settings.database_url is not None
    doorbell = Doorbell(settings.database_url.get_secret_value(), [EVENTS_CHANNEL])
    await doorbell.start()
    resources.on_close(doorbell.close)
    depth = QueueDepth(resources.database)
    depth.start()
    resources.on_close(depth.close)
    if settings.embedded_workers:
        workers = EmbeddedWorkers(settings, settings.embedded_workers)
        await workers.start()
        resources.on_close(workers.stop)
    return JobsApp(
        JobStore(resources.database), doorbell, resources.clock, poll_seconds=settings.job_poll_seconds
    )


async def registrations(resources: Resources) -> list[Registration]:
    settings = resources.settings
    assert isinstance(settings, TrainerSettings)
    jobs = await shared_jobs(resources)
    from_workflow = WorkflowJobs(jobs, settings.workflow_address)
    resources.on_close(from_workflow.close)
    return [
        Registration.of(
            training_service_pb2,
            training_service_pb2_grpc,
            "TrainingService",
            TrainingHandlers(jobs, from_workflow),
        )
    ]


_SHARED: dict[int, JobsApp] = {}


async def shared_jobs(resources: Resources) -> JobsApp:
    """The one JobsApp of this service instance (keyed by its Resources), built on first use."""
    key = id(resources)
    if key not in _SHARED:
        _SHARED[key] = await build_jobs(resources)

        async def forget() -> None:
            _SHARED.pop(key, None)

        resources.on_close(forget)
    return _SHARED[key]
