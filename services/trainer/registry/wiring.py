"""Wiring of the trainer's model registry: answers UNIMPLEMENTED until its handlers land."""

from alphintra.trainer.v1 import model_registry_service_pb2, model_registry_service_pb2_grpc
from services.mesh.server import Registration, Resources


async def registrations(_resources: Resources) -> list[Registration]:
    return [
        Registration.of(
            model_registry_service_pb2,
            model_registry_service_pb2_grpc,
            "ModelRegistryService",
            model_registry_service_pb2_grpc.ModelRegistryServiceServicer(),
        )
    ]
