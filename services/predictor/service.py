"""Wiring of the predictor service.

The generated base servicers answer UNIMPLEMENTED for every RPC whose behaviour has not
landed yet (model serving and live deployments: the predictor issue); handlers replace
them as it does.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.predictor.v1 import (
    deployment_service_pb2,
    deployment_service_pb2_grpc,
    predictor_service_pb2,
    predictor_service_pb2_grpc,
)
from inference import grpc_service_pb2, grpc_service_pb2_grpc
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.predictor.inference import InferenceHandlers
from services.predictor.settings import PredictorSettings


async def build(_resources: Resources) -> Sequence[Registration]:
    return [
        Registration.of(
            predictor_service_pb2,
            predictor_service_pb2_grpc,
            "PredictorService",
            predictor_service_pb2_grpc.PredictorServiceServicer(),
        ),
        Registration.of(
            deployment_service_pb2,
            deployment_service_pb2_grpc,
            "DeploymentService",
            deployment_service_pb2_grpc.DeploymentServiceServicer(),
        ),
        Registration.of(grpc_service_pb2, grpc_service_pb2_grpc, "GRPCInferenceService", InferenceHandlers()),
    ]


DEFINITION = ServiceDefinition(
    name="predictor",
    settings_type=PredictorSettings,
    build=build,
    schema="predictor",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
