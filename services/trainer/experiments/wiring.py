"""Wiring of the trainer's experiment tracker (MLflow's tracking model, in the trainer's schema)."""

from __future__ import annotations

from alphintra.trainer.v1 import experiment_service_pb2, experiment_service_pb2_grpc
from services.mesh.server import Registration, Resources
from services.trainer.experiments.app import ExperimentsApp
from services.trainer.experiments.handlers import ExperimentHandlers
from services.trainer.experiments.store import ExperimentStore


async def registrations(resources: Resources) -> list[Registration]:
    assert resources.database is not None  # the trainer asks for a schema
    app = ExperimentsApp(ExperimentStore(resources.database), resources.clock)
    return [
        Registration.of(
            experiment_service_pb2, experiment_service_pb2_grpc, "ExperimentService", ExperimentHandlers(app)
        )
    ]
