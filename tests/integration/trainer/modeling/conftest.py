from dataclasses import dataclass

import grpc
import pytest

from alphintra.trainer.v1 import (
    dataset_service_pb2,
    dataset_service_pb2_grpc,
    experiment_service_pb2_grpc,
    model_registry_service_pb2_grpc,
    training_service_pb2_grpc,
)
from alphintra.workflow.v1 import workflow_service_pb2_grpc
from services.mesh.server import start_service
from services.trainer.jobs.contract import JobEnvironment
from services.workflow.service import DEFINITION as WORKFLOW
from tests.helpers import free_port
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


@pytest.fixture
async def optimization_mesh(request, database_url, redis_url, tmp_path):
    """A trainer and a workflow service that know each other, the platform datasets, and Alice's stubs.

    The trainer compiles workflows for CreateJobFromWorkflow through the workflow service; the workflow
    service checks an optimised version's source job with the trainer. Each needs the other's address,
    so the trainer's port is chosen first. No job workers, unless the test asks for some
    (`@pytest.mark.parametrize("optimization_mesh", [1], indirect=True)`).
    """
    workers = getattr(request, "param", 0)
    trainer_port = free_port()
    workflow_settings = WORKFLOW.settings_type.load(
        {"DATABASE_URL": database_url, "ALPHINTRA_WORKFLOW__TRAINER_ADDRESS": f"127.0.0.1:{trainer_port}"}
    )
    workflow_service = await start_service(WORKFLOW, workflow_settings)
    workflow_address = f"127.0.0.1:{workflow_service.port}"
    environment = trainer_environment(
        database_url, redis_url, tmp_path / "artifacts",
        ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS="true", ALPHINTRA_TRAINER__PORT=str(trainer_port),
        ALPHINTRA_TRAINER__WORKFLOW_ADDRESS=workflow_address,
        ALPHINTRA_TRAINER__EMBEDDED_WORKERS=str(workers),
    )  # fmt: skip
    try:
        async with (
            running_trainer(environment) as (_, trainer_channel),
            grpc.aio.insecure_channel(workflow_address) as workflow_channel,
        ):
            datasets = As(dataset_service_pb2_grpc.DatasetServiceStub(trainer_channel), MODEL_ALICE)
            listed = await datasets.ListDatasets(dataset_service_pb2.ListDatasetsRequest(page_size=100))
            yield OptimizationMesh(
                platform={dataset.display_name: dataset.id for dataset in listed.datasets},
                job_environment=JobEnvironment(
                    database_url=database_url,
                    redis_url=redis_url,
                    artifacts_root=tmp_path / "artifacts",
                    workflow_address=workflow_address,
                ),
                workflows=As(workflow_service_pb2_grpc.WorkflowServiceStub(workflow_channel), MODEL_ALICE),
                training=As(training_service_pb2_grpc.TrainingServiceStub(trainer_channel), MODEL_ALICE),
                experiments=As(
                    experiment_service_pb2_grpc.ExperimentServiceStub(trainer_channel), MODEL_ALICE
                ),
            )
    finally:
        await workflow_service.stop(0)


@dataclass(frozen=True)
class OptimizationMesh:
    platform: dict[str, str]
    job_environment: JobEnvironment
    workflows: As
    training: As
    experiments: As


@dataclass(frozen=True)
class RetrainingSetup:
    platform: dict[str, str]
    job_environment: JobEnvironment
    registry: As
    datasets: As


@pytest.fixture
async def retraining_trainer(database_url, redis_url, namespace, tmp_path):
    """A trainer with the platform datasets; jobs publish alias events on this test's own channel."""
    environment = trainer_environment(
        database_url, redis_url, tmp_path / "artifacts", ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS="true"
    )
    async with running_trainer(environment) as (_, channel):
        datasets = As(dataset_service_pb2_grpc.DatasetServiceStub(channel), MODEL_ALICE)
        listed = await datasets.ListDatasets(dataset_service_pb2.ListDatasetsRequest(page_size=100))
        yield RetrainingSetup(
            platform={dataset.display_name: dataset.id for dataset in listed.datasets},
            job_environment=JobEnvironment(
                database_url=database_url,
                redis_url=redis_url,
                artifacts_root=tmp_path / "artifacts",
                registry_alias_channel=f"{namespace}.aliases",
            ),
            registry=As(model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel), MODEL_ALICE),
            datasets=datasets,
        )
