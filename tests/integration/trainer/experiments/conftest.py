import pytest

from alphintra.trainer.v1 import experiment_service_pb2_grpc
from tests.integration.trainer.model_helpers import (
    MODEL_ADMIN,
    MODEL_ALICE,
    MODEL_BOB,
    As,
    running_trainer,
    trainer_environment,
)


@pytest.fixture
async def experiments_stub(database_url, redis_url, tmp_path):
    async with running_trainer(trainer_environment(database_url, redis_url, tmp_path / "artifacts")) as (
        _,
        channel,
    ):
        yield experiment_service_pb2_grpc.ExperimentServiceStub(channel)


@pytest.fixture
def experiments_alice(experiments_stub):
    return As(experiments_stub, MODEL_ALICE)


@pytest.fixture
def experiments_bob(experiments_stub):
    return As(experiments_stub, MODEL_BOB)


@pytest.fixture
def experiments_admin(experiments_stub):
    return As(experiments_stub, MODEL_ADMIN)
