"""Prometheus metrics shared by every server: RED metrics per RPC, served over HTTP.

Per-request log lines are expensive on the hot path; counters and histograms are not,
so this is where request-level observability lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Gauge, Histogram, start_http_server

# Latency buckets from 100 µs to 30 s: predictor calls sit at the bottom, jobs at the top.
LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)

GRPC_REQUESTS = Counter(
    "alphintra_grpc_server_handled_total",
    "RPCs completed, by service, method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_LATENCY = Histogram(
    "alphintra_grpc_server_handling_seconds",
    "Time from the call's arrival to its status, by service and method (streams: their lifetime).",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
)
GRPC_IN_FLIGHT = Gauge(
    "alphintra_grpc_server_in_flight",
    "RPCs being handled now.",
    ["grpc_service", "grpc_method"],
)


@dataclass(frozen=True)
class MetricsEndpoint:
    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(host: str, port: int) -> MetricsEndpoint:
    """Serve /metrics on `port` (0 picks a free one) in a background thread."""
    server, thread = start_http_server(port, addr=host)
    return MetricsEndpoint(server=server, thread=thread)
