import pytest

from alphintra.trainer.v1 import model_registry_service_pb2_grpc
from tests.integration.trainer.model_helpers import (
    MODEL_ADMIN,
    MODEL_ALICE,
    MODEL_BOB,
    As,
    running_trainer,
    trainer_environment,
)


@pytest.fixture
def registry_environment(database_url, redis_url, namespace, tmp_path):
    return trainer_environment(
        database_url, redis_url, tmp_path / "artifacts",
        ALPHINTRA_TRAINER__REGISTRY_ALIAS_CHANNEL=f"{namespace}.aliases",
    )  # fmt: skip


@pytest.fixture
async def registry_stub(registry_environment):
    async with running_trainer(registry_environment) as (_, channel):
        yield model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel)


@pytest.fixture
def registry_alice(registry_stub):
    return As(registry_stub, MODEL_ALICE)


@pytest.fixture
def registry_bob(registry_stub):
    return As(registry_stub, MODEL_BOB)


@pytest.fixture
def registry_admin(registry_stub):
    return As(registry_stub, MODEL_ADMIN)
