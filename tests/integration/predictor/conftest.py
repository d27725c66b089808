"""A real predictor (grpc.aio on port 0, real onnxruntime) serving a copy of the test model tree."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest

from alphintra.predictor.v1 import predictor_service_pb2_grpc
from inference import grpc_service_pb2_grpc
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import RunningService, start_service
from services.predictor.service import DEFINITION
from tests.integration.predictor.model_files import write_model_tree

ADMIN = Caller(user_id="ops", organization_id="acme", role=Role.ADMIN)
TRADER = Caller(user_id="tina", organization_id="acme", role=Role.TRADER)


@pytest.fixture(scope="session")
def built_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test models, trained and exported once per session."""
    root = tmp_path_factory.mktemp("models")
    write_model_tree(root)
    return root


@pytest.fixture
def model_root(built_models: Path, tmp_path: Path) -> Path:
    """This test's own copy (tests move aliases)."""
    root = tmp_path / "models"
    shutil.copytree(built_models, root)
    return root


@pytest.fixture
def predictor_settings() -> dict[str, object]:
    """Settings a test module may override."""
    return {}


def predictor_environment(
    database_url: str, redis_url: str, model_root: Path, **settings: object
) -> dict[str, str]:
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALPHINTRA_PREDICTOR__MODEL_DIRECTORY": str(model_root),
        "ALPHINTRA_PREDICTOR__ALIAS_POLL_SECONDS": "0.05",
        "ALPHINTRA_PREDICTOR__WARMUP_RUNS": "1",
        "ALPHINTRA_PREDICTOR__DRIFT_CHECK_SECONDS": "0",
    }
    environment.update(
        {f"ALPHINTRA_PREDICTOR__{name.upper()}": str(value) for name, value in settings.items()}
    )
    return environment


@pytest.fixture
async def predictor(database_url, redis_url, model_root, predictor_settings) -> AsyncIterator[RunningService]:
    environment = predictor_environment(database_url, redis_url, model_root, **predictor_settings)
    running = await start_service(DEFINITION, DEFINITION.settings_type.load(environment))
    yield running
    await running.stop(0)


@pytest.fixture
async def channel(predictor) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{predictor.port}") as opened:
        yield opened


@pytest.fixture
def stub(channel) -> predictor_service_pb2_grpc.PredictorServiceStub:
    return predictor_service_pb2_grpc.PredictorServiceStub(channel)


@pytest.fixture
def inference_stub(channel) -> grpc_service_pb2_grpc.GRPCInferenceServiceStub:
    return grpc_service_pb2_grpc.GRPCInferenceServiceStub(channel)


@pytest.fixture
def as_admin() -> Callable[..., dict[str, object]]:
    def options(**extra: object) -> dict[str, object]:
        return {"metadata": caller_metadata(ADMIN), **extra}

    return options
