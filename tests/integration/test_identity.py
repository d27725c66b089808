"""The caller's identity is read from verified-claim headers and follows calls between services."""

import grpc
import pytest

from services.core.errors import Unauthenticated
from services.core.ownership import Caller, Role
from services.mesh.clients import mesh_channel
from services.mesh.identity import caller_metadata, current_caller
from services.mesh.server import create_server

from .runtime_helpers import SERVICE, ProbeSettings, probe_registration, unary

pytestmark = pytest.mark.integration


async def test_a_downstream_service_sees_the_original_caller():
    settings = ProbeSettings.load({})
    seen: list[Caller] = []

    async def whoami(request, _context):
        seen.append(current_caller())
        return request

    downstream, downstream_port, _ = await create_server(settings, [probe_registration({"WhoAmI": whoami})])
    peer = mesh_channel(f"127.0.0.1:{downstream_port}")

    async def forward(request, _context):
        return await unary(peer, "WhoAmI")(request)

    upstream, upstream_port, _ = await create_server(settings, [probe_registration({"Forward": forward})])
    alice = Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="pro")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{upstream_port}") as channel:
            await unary(channel, "Forward")(b"", metadata=caller_metadata(alice))
    finally:
        await peer.close()
        await upstream.stop(None)
        await downstream.stop(None)
    assert seen == [alice]


async def test_the_caller_follows_a_server_streaming_call_too():
    settings = ProbeSettings.load({})
    seen: list[Caller] = []

    async def whoami_stream(request, _context):
        seen.append(current_caller())
        yield request
        yield request

    downstream, downstream_port, _ = await create_server(
        settings, [probe_registration({}, streaming={"WhoAmIStream": whoami_stream})]
    )
    peer = mesh_channel(f"127.0.0.1:{downstream_port}")
    stream = peer.unary_stream(
        f"/{SERVICE}/WhoAmIStream", request_serializer=bytes, response_deserializer=bytes
    )

    async def forward(request, _context):
        return b"".join([reply async for reply in stream(request)])

    upstream, upstream_port, _ = await create_server(settings, [probe_registration({"Forward": forward})])
    alice = Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="pro")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{upstream_port}") as channel:
            assert await unary(channel, "Forward")(b"x", metadata=caller_metadata(alice)) == b"xx"
    finally:
        await peer.close()
        await upstream.stop(None)
        await downstream.stop(None)
    assert seen == [alice]


async def test_a_call_without_identity_is_unauthenticated():
    async def whoami(request, _context):
        current_caller()
        return request

    server, port, _ = await create_server(ProbeSettings.load({}), [probe_registration({"WhoAmI": whoami})])
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await unary(channel, "WhoAmI")(b"")
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await unary(channel, "WhoAmI")(
                    b"", metadata=(("x-alphintra-user-id", "a"), ("x-alphintra-role", "god"))
                )
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "god" in caught.value.details()
    finally:
        await server.stop(None)


def test_identity_is_not_leaked_between_calls():
    with pytest.raises(Unauthenticated):
        current_caller()
