"""A client that cancels a server stream leaves the server clean: no stray task errors, no leaked call."""

import asyncio

import grpc
import pytest

from services.mesh import metrics
from services.mesh.server import create_server

from .runtime_helpers import SERVICE, ProbeSettings, probe_registration

pytestmark = pytest.mark.integration


async def test_cancelling_a_server_stream_finishes_the_call_cleanly():
    loop = asyncio.get_running_loop()
    stray: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: stray.append(context))

    async def ticks(_request, _context):
        count = 0
        while True:
            count += 1
            yield str(count).encode()
            await asyncio.sleep(0.01)

    server, port, _ = await create_server(
        ProbeSettings.load({}), [probe_registration({}, streaming={"Ticks": ticks})]
    )
    in_flight = metrics.GRPC_IN_FLIGHT.labels(SERVICE, "Ticks")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            for _ in range(3):
                call = channel.unary_stream(f"/{SERVICE}/Ticks")(b"")
                async for _message in call:
                    break
                call.cancel()
            for _ in range(100):
                if in_flight._value.get() == 0:
                    break
                await asyncio.sleep(0.02)
    finally:
        await server.stop(None)
        loop.set_exception_handler(None)
    assert in_flight._value.get() == 0
    assert stray == []
