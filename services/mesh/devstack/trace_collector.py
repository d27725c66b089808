"""A tiny OTLP/gRPC trace collector for people without one: every span it receives becomes one JSON
line in a file (`.run/traces.jsonl` under `make run`).

Envoy and every service export to it exactly as they would to a real collector (OTLP over gRPC),
so pointing `ALPHINTRA_TRACING_COLLECTOR` at Jaeger, Tempo or an OpenTelemetry Collector changes
an address, not the code path.

    python -m services.mesh.devstack.trace_collector serve --port 4317 --out .run/traces.jsonl
    python -m services.mesh.devstack.trace_collector show <trace id> [--file .run/traces.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.managed import ManagedServer
from services.mesh.devstack.processes import describe_exit, spawn, terminate, wait_for
from services.mesh.devstack.trace_tree import print_trace

DEFAULT_TRACES_PATH = Path(".run/traces.jsonl")
START_TIMEOUT_SECONDS = 15
STOP_GRACE_SECONDS = 5
# OTLP batches from Envoy and the SDKs are small; this bounds a hostile one
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


# -- spans as JSON lines ------------------------------------------------------------------


def span_records(request: trace_service_pb2.ExportTraceServiceRequest) -> Iterator[dict[str, Any]]:
    """One flat record per span: ids in hex (as W3C traceparent spells them), times in Unix nanoseconds."""
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = str(resource.get("service.name", "unknown"))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None,
                    "name": span.name,
                    "kind": trace_pb2.Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                    "service.name": service,
                    "start_time_unix_nano": span.start_time_unix_nano,
                    "end_time_unix_nano": span.end_time_unix_nano,
                    "status": trace_pb2.Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
                    "attributes": _attributes(span.attributes),
                }


def _attributes(pairs: Sequence[common_pb2.KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: common_pb2.AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind is not None else None


class TraceCollector(trace_service_pb2_grpc.TraceServiceServicer):
    """Appends every exported span to `path`; a line is written whole and flushed before the reply."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.aio.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        lines = [json.dumps(record, separators=(",", ":")) + "\n" for record in span_records(request)]
        self._file.writelines(lines)
        self._file.flush()
        return trace_service_pb2.ExportTraceServiceResponse()

    def close(self) -> None:
        self._file.close()


async def start_collector(path: Path, host: str = "127.0.0.1", port: int = 0) -> tuple[grpc.aio.Server, int]:
    """A started server appending to `path`, and the port it bound (`port` 0 picks a free one)."""
    server = grpc.aio.server(
        options=[("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    )
    collector = TraceCollector(path)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        collector.close()
        raise DevstackError(f"the trace collector cannot listen on {host}:{port}")
    await server.start()
    return server, bound


async def serve(path: Path, host: str, port: int) -> None:
    """Until SIGTERM or SIGINT; spans in flight are answered before it exits."""
    server, bound = await start_collector(path, host, port)
    print(f"trace collector on {host}:{bound}, appending spans to {path}", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await server.stop(STOP_GRACE_SECONDS)


# -- as a child process of `make run` and of tests ----------------------------------------


class EmbeddedTraceCollector(ManagedServer):
    """The collector in its own process on `port`, stopped (after the exporters) by `stop`."""

    def __init__(self, path: Path, port: int, log_path: Path, host: str = "127.0.0.1") -> None:
        self.path = Path(path).absolute()
        self.host = host
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            *("-m", "services.mesh.devstack.trace_collector", "serve"),
            *("--host", self.host, "--port", str(self.port), "--out", str(self.path)),
        ]
        self._process = spawn(command, self.log_path)
        process = self._process
        if not wait_for(lambda: process.poll() is not None or self._accepts(), START_TIMEOUT_SECONDS):
            self.stop()
            raise DevstackError(
                describe_failure(
                    f"the trace collector did not listen within {START_TIMEOUT_SECONDS}s", self.log_path
                )
            )
        if process.poll() is not None:
            raise DevstackError(
                describe_failure(f"the trace collector {describe_exit(process.returncode)}", self.log_path)
            )

    def stop(self) -> None:
        if self._process is not None:
            terminate(self._process, STOP_GRACE_SECONDS)

    def poll(self) -> int | None:
        """None while it runs, else its exit code."""
        return self._process.poll() if self._process is not None else None

    def _accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False


# -- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.mesh.devstack.trace_collector")
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="receive OTLP/gRPC spans and append them to a file")
    serving.add_argument("--host", default="127.0.0.1")
    serving.add_argument("--port", type=int, default=4317)
    serving.add_argument("--out", type=Path, default=DEFAULT_TRACES_PATH)
    showing = commands.add_parser("show", help="print one trace from the file as a tree of spans")
    showing.add_argument("trace_id", help="32 hex digits (the `trace_id` of any of its spans)")
    showing.add_argument("--file", type=Path, default=DEFAULT_TRACES_PATH)
    arguments = parser.parse_args(argv)
    if arguments.command == "serve":
        asyncio.run(serve(arguments.out, arguments.host, arguments.port))
        return 0
    if not arguments.file.is_file():
        print(f"{arguments.file} does not exist: `make run` writes it when tracing to the local collector",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0 if print_trace(arguments.file, arguments.trace_id.lower(), sys.stdout) else 1


if __name__ == "__main__":
    raise SystemExit(main())
