"""Wiring of the trainer's datasets: answers UNIMPLEMENTED until its handlers land."""

from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from services.mesh.server import Registration, Resources


async def registrations(_resources: Resources) -> list[Registration]:
    return [
        Registration.of(
            dataset_service_pb2,
            dataset_service_pb2_grpc,
            "DatasetService",
            dataset_service_pb2_grpc.DatasetServiceServicer(),
        )
    ]
