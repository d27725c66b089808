"""Bytes that are not the method's message type are bad input like any other: INVALID_ARGUMENT naming
`request`, not grpcio's UNKNOWN "Exception deserializing request"."""

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.signal_bus.service import DEFINITION as SIGNAL_BUS
from services.workflow.service import DEFINITION as WORKFLOW

pytestmark = pytest.mark.integration

# field 1 as a length-delimited value 200 bytes long, followed by 3 bytes: truncated
ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER)
GARBAGE = b"\x0a\xc8\x01abc"


def _violations(error: grpc.aio.AioRpcError) -> list[str]:
    for key, value in error.trailing_metadata():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    return [violation.field for violation in bad.field_violations]
    return []


async def test_an_undecodable_unary_request_is_invalid_argument(database_url):
    service = await start_service(WORKFLOW, WORKFLOW.settings_type.load({"DATABASE_URL": database_url}))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            call = channel.unary_unary("/alphintra.workflow.v1.WorkflowService/GetWorkflow")
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(GARBAGE, timeout=5)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert _violations(caught.value) == ["request"]
    finally:
        await service.stop(0)


async def test_an_undecodable_message_in_a_client_stream_is_invalid_argument(
    database_url, redis_url, namespace
):
    settings = SIGNAL_BUS.settings_type.load(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ALPHINTRA_SIGNAL_BUS__TOPIC_PREFIX": namespace,
        }
    )
    service = await start_service(SIGNAL_BUS, settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            call = channel.stream_stream("/alphintra.signalbus.v1.SignalBusService/PublishSignals")
            stream = call(iter([GARBAGE]), timeout=5, metadata=caller_metadata(ALICE))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for _ in stream:
                    pass
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert _violations(caught.value) == ["request"]
    finally:
        await service.stop(0)
