"""Wiring of the trainer's model registry: the RPCs, alias events, and the retraining scheduler."""

from __future__ import annotations

from alphintra.trainer.v1 import model_registry_service_pb2, model_registry_service_pb2_grpc
from services.mesh.artifacts import ArtifactStore
from services.mesh.server import Registration, Resources
from services.trainer.registry.app import RegistryApp
from services.trainer.registry.events import AliasEvents
from services.trainer.registry.handlers import RegistryHandlers
from services.trainer.registry.scheduler import RetrainingScheduler
from services.trainer.registry.store import RegistryStore
from services.trainer.settings import TrainerSettings


async def registrations(resources: Resources) -> list[Registration]:
    settings = resources.settings
    assert isinstance(settings, TrainerSettings)
    assert resources.database is not None  # the trainer asks for a schema
    app = RegistryApp(
        RegistryStore(resources.database),
        ArtifactStore(settings.artifacts_root),
        AliasEvents(resources.redis, settings.registry_alias_channel),
        resources.clock,
    )
    scheduler = RetrainingScheduler(
        resources.database, resources.clock, settings.retraining_scheduler_seconds
    )
    scheduler.start()
    resources.on_close(scheduler.stop)
    return [
        Registration.of(
            model_registry_service_pb2,
            model_registry_service_pb2_grpc,
            "ModelRegistryService",
            RegistryHandlers(app),
        )
    ]
