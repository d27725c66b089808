"""Wiring of the trainer's datasets: the store, the facade, its handlers, and the platform defaults."""

from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from services.mesh.artifacts import ArtifactStore
from services.mesh.server import Registration, Resources
from services.trainer.datasets.app import DatasetApp
from services.trainer.datasets.handlers import DatasetHandlers
from services.trainer.datasets.store import DatasetStore
from services.trainer.settings import TrainerSettings


async def registrations(resources: Resources) -> list[Registration]:
    assert resources.database is not None  # the trainer's definition asks for a schema
    settings = resources.settings
    assert isinstance(settings, TrainerSettings)
    app = DatasetApp(
        DatasetStore(resources.database),
        ArtifactStore(settings.artifacts_root),
        resources.clock,
        {
            "basic": settings.dataset_upload_limit_bytes_basic,
            "pro": settings.dataset_upload_limit_bytes_pro,
            "premium": settings.dataset_upload_limit_bytes_premium,
        },
    )
    if settings.dataset_platform_defaults:
        await app.ensure_platform_defaults()
    return [
        Registration.of(dataset_service_pb2, dataset_service_pb2_grpc, "DatasetService", DatasetHandlers(app))
    ]
