"""One trace across services; RED metrics on the Prometheus endpoint."""

import grpc
import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.core.errors import NotFound
from services.mesh.clients import mesh_channel
from services.mesh.server import ServiceDefinition, create_server, start_service

from .runtime_helpers import ProbeSettings, probe_registration, unary

pytestmark = pytest.mark.integration


async def test_a_call_through_two_services_is_one_trace():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    settings = ProbeSettings.load({})

    async def echo(request, _context):
        return request

    downstream, downstream_port, _ = await create_server(
        settings, [probe_registration({"Echo": echo})], tracer=tracer
    )
    peer = mesh_channel(f"127.0.0.1:{downstream_port}")

    async def forward(request, _context):
        return await unary(peer, "Echo")(request + b"!")

    upstream, upstream_port, _ = await create_server(
        settings, [probe_registration({"Forward": forward})], tracer=tracer
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{upstream_port}") as channel:
            assert await unary(channel, "Forward")(b"hi", metadata=(("x-request-id", "trace-me"),)) == b"hi!"
    finally:
        await peer.close()
        await upstream.stop(None)
        await downstream.stop(None)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    outer, inner = spans["alphintra.test.Probe/Forward"], spans["alphintra.test.Probe/Echo"]
    assert inner.context.trace_id == outer.context.trace_id
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id
    # the request id travels with the call too
    assert inner.attributes["alphintra.request_id"] == "trace-me"


async def test_metrics_count_calls_by_method_and_code():
    async def ok(request, _context):
        return request

    async def missing(_request, _context):
        raise NotFound("thing", "things/1")

    async def build(_resources):
        return [probe_registration({"Ok": ok, "Missing": missing})]

    definition = ServiceDefinition(name="probe", settings_type=ProbeSettings, build=build)
    running = await start_service(definition, ProbeSettings.load({"ALPHINTRA_PROBE__METRICS_PORT": "0"}))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            for _ in range(3):
                await unary(channel, "Ok")(b"x")
            with pytest.raises(grpc.aio.AioRpcError):
                await unary(channel, "Missing")(b"x")
        assert running.metrics is not None
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{running.metrics.port}/metrics")).text
    finally:
        await running.stop(0)
    ok_line = next(
        line
        for line in text.splitlines()
        if line.startswith("alphintra_grpc_server_handled_total") and 'grpc_method="Ok"' in line
    )
    assert 'grpc_code="OK"' in ok_line
    assert float(ok_line.split()[-1]) >= 3
    assert any(
        'grpc_method="Missing"' in line and 'grpc_code="NOT_FOUND"' in line for line in text.splitlines()
    )
    assert 'alphintra_grpc_server_handling_seconds_bucket{grpc_method="Ok"' in text
