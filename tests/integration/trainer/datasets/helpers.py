"""What the dataset tests share: callers, uploads in chunks, and expected errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.core.ownership import Caller, Role

ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER)
BOB = Caller(user_id="bob", organization_id="other", role=Role.TRADER)
ACME_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN)
VIEWER = Caller(user_id="val", organization_id="acme", role=Role.VIEWER)
CHUNK_BYTES = 64 * 1024


async def _requests(
    metadata: messages.DatasetUploadMetadata, data: bytes, chunk_bytes: int
) -> AsyncIterator[messages.UploadDatasetRequest]:
    yield messages.UploadDatasetRequest(metadata=metadata)
    for start in range(0, len(data), chunk_bytes):
        yield messages.UploadDatasetRequest(chunk=data[start : start + chunk_bytes])


async def upload(
    client, data: bytes, chunk_bytes: int = CHUNK_BYTES, **metadata: object
) -> messages.UploadDatasetResponse:
    fields = {"display_name": "test data", "format": messages.DATASET_FORMAT_CSV} | metadata
    return await client.UploadDataset(_requests(messages.DatasetUploadMetadata(**fields), data, chunk_bytes))


async def expect_error(call, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    assert raised.value.code() == code, raised.value.details()
    return raised.value


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """field -> description of the BadRequest detail of an INVALID_ARGUMENT."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad_request = error_details_pb2.BadRequest()
                    detail.Unpack(bad_request)
                    return {item.field: item.description for item in bad_request.field_violations}
    return {}


def stored_files(root: Path) -> set[Path]:
    """Every file under the artifact store, temporary ones included."""
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()
