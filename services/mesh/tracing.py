"""OpenTelemetry tracing: off by default, console, a JSON-lines file, or OTLP/gRPC.

The server interceptor opens a SERVER span per call from the W3C `traceparent` the
caller sent; `services.mesh.clients` injects it into outgoing calls, so one user request
is one trace across Envoy and every service it touches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

from services.mesh.settings import TracingExporter, TracingSettings

# Envoy and `make run` probe every service every few seconds: a trace each would bury the requests
UNTRACED_SERVICE_PREFIXES = ("grpc.health.v1.Health/",)


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON span per line to a file, for people without a collector."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def export(self, spans: list[ReadableSpan]) -> SpanExportResult:  # type: ignore[override]
        for span in spans:
            self._file.write(json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n")
        self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._file.close()


class SkippingProbes(Sampler):
    """Drops the spans of health checks, and lets `sampler` decide every other span."""

    def __init__(self, sampler: Sampler) -> None:
        self._sampler = sampler

    def should_sample(  # noqa: PLR0917 (the SDK's Sampler signature)
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if name.startswith(UNTRACED_SERVICE_PREFIXES):
            return SamplingResult(Decision.DROP)
        return self._sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"SkippingProbes{{{self._sampler.get_description()}}}"


def _exporter(settings: TracingSettings) -> SpanExporter:
    if settings.exporter is TracingExporter.CONSOLE:
        return ConsoleSpanExporter()
    if settings.exporter is TracingExporter.FILE:
        return JsonLinesSpanExporter(settings.file_path)
    # imported here: the OTLP exporter pulls in its own gRPC stubs, needed only when used
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    return OTLPSpanExporter(
        endpoint=settings.otlp_endpoint, insecure=settings.otlp_endpoint.startswith("http:")
    )


def setup_tracing(service_name: str, settings: TracingSettings) -> TracerProvider | None:
    """Install a tracer provider for this process; None when tracing is off."""
    if settings.exporter is TracingExporter.NONE:
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"alphintra-{service_name}"}),
        sampler=SkippingProbes(ParentBased(TraceIdRatioBased(settings.sample_ratio))),
    )
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    trace.set_tracer_provider(provider)
    return provider
