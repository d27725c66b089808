"""Wiring of the trainer service.

The generated base servicers answer UNIMPLEMENTED for every RPC whose behaviour has not
landed yet (datasets, backtest jobs, training, experiments and the registry: the trainer
issue); handlers replace them as it does.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.trainer.v1 import (
    backtest_service_pb2,
    backtest_service_pb2_grpc,
    dataset_service_pb2,
    dataset_service_pb2_grpc,
    experiment_service_pb2,
    experiment_service_pb2_grpc,
    model_registry_service_pb2,
    model_registry_service_pb2_grpc,
    training_service_pb2,
    training_service_pb2_grpc,
)
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.trainer.settings import TrainerSettings


async def build(_resources: Resources) -> Sequence[Registration]:
    return [
        Registration.of(
            dataset_service_pb2,
            dataset_service_pb2_grpc,
            "DatasetService",
            dataset_service_pb2_grpc.DatasetServiceServicer(),
        ),
        Registration.of(
            backtest_service_pb2,
            backtest_service_pb2_grpc,
            "BacktestService",
            backtest_service_pb2_grpc.BacktestServiceServicer(),
        ),
        Registration.of(
            training_service_pb2,
            training_service_pb2_grpc,
            "TrainingService",
            training_service_pb2_grpc.TrainingServiceServicer(),
        ),
        Registration.of(
            experiment_service_pb2,
            experiment_service_pb2_grpc,
            "ExperimentService",
            experiment_service_pb2_grpc.ExperimentServiceServicer(),
        ),
        Registration.of(
            model_registry_service_pb2,
            model_registry_service_pb2_grpc,
            "ModelRegistryService",
            model_registry_service_pb2_grpc.ModelRegistryServiceServicer(),
        ),
    ]


DEFINITION = ServiceDefinition(
    name="trainer",
    settings_type=TrainerSettings,
    build=build,
    schema="trainer",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
