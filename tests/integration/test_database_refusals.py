"""A value PostgreSQL refuses (a NUL character in text) is the caller's bad input: INVALID_ARGUMENT
naming `request`, never INTERNAL. Found by the front-door fuzz test."""

import grpc
import pytest

from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.trainer.service import DEFINITION

pytestmark = pytest.mark.integration


async def test_a_nul_character_in_a_text_field_is_invalid_argument(database_url, redis_url, tmp_path):
    settings = DEFINITION.settings_type.load({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "0",
        "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "false",
        "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(tmp_path),
    })  # fmt: skip
    service = await start_service(DEFINITION, settings)
    metadata = caller_metadata(Caller("alice", "acme", Role.TRADER))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = dataset_service_pb2_grpc.DatasetServiceStub(channel)
            for call, request in (
                (stub.ListDatasets, dataset_service_pb2.ListDatasetsRequest(symbol="BTC\x00USD")),
                (stub.GetDataset, dataset_service_pb2.GetDatasetRequest(dataset_id="\x00")),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await call(request, metadata=metadata)
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert "cannot be stored or compared" in caught.value.details()
    finally:
        await service.stop(0)
