import pytest

from alphintra.trainer.v1 import (
    dataset_service_pb2,
    dataset_service_pb2_grpc,
    model_registry_service_pb2_grpc,
)
from services.trainer.jobs.contract import JobEnvironment
from tests.integration.trainer.model_helpers import MODEL_ALICE, As, running_trainer, trainer_environment


@pytest.fixture
async def modeling_trainer(database_url, redis_url, tmp_path):
    """A trainer with the platform datasets, its registry stub as Alice, and a job environment on it."""
    environment = trainer_environment(
        database_url, redis_url, tmp_path / "artifacts", ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS="true"
    )
    async with running_trainer(environment) as (_, channel):
        datasets = As(dataset_service_pb2_grpc.DatasetServiceStub(channel), MODEL_ALICE)
        listed = await datasets.ListDatasets(dataset_service_pb2.ListDatasetsRequest(page_size=100))
        platform = {dataset.display_name: dataset.id for dataset in listed.datasets}
        job_environment = JobEnvironment(
            database_url=database_url, redis_url=redis_url, artifacts_root=tmp_path / "artifacts"
        )
        registry = As(model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel), MODEL_ALICE)
        yield platform, job_environment, registry
