"""Wiring of the trainer's jobs: answers UNIMPLEMENTED until its handlers land."""

from alphintra.trainer.v1 import training_service_pb2, training_service_pb2_grpc
from services.mesh.server import Registration, Resources


async def registrations(_resources: Resources) -> list[Registration]:
    return [
        Registration.of(
            training_service_pb2,
            training_service_pb2_grpc,
            "TrainingService",
            training_service_pb2_grpc.TrainingServiceServicer(),
        )
    ]
