"""Wiring of the trainer's experiments: answers UNIMPLEMENTED until its handlers land."""

from alphintra.trainer.v1 import experiment_service_pb2, experiment_service_pb2_grpc
from services.mesh.server import Registration, Resources


async def registrations(_resources: Resources) -> list[Registration]:
    return [
        Registration.of(
            experiment_service_pb2,
            experiment_service_pb2_grpc,
            "ExperimentService",
            experiment_service_pb2_grpc.ExperimentServiceServicer(),
        )
    ]
