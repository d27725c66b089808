"""Where `make run` sends traces: a local collector writing `.run/traces.jsonl` by default, the
developer's own OTLP/gRPC collector when `ALPHINTRA_TRACING_COLLECTOR=host:port` names one, or
nowhere with `ALPHINTRA_TRACING_COLLECTOR=off`.

Envoy and every service get the same address, so one request is one trace wherever it lands.
A service's own `ALPHINTRA_<SERVICE>__TRACING__*` variables, when the developer set them, win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.mesh.devstack.errors import DevstackError

COLLECTOR_VARIABLE = "ALPHINTRA_TRACING_COLLECTOR"
OFF_VALUES = frozenset({"off", "none", "false", "0"})


class TraceMode(StrEnum):
    LOCAL = "local"  # the embedded collector, appending to a file
    EXTERNAL = "external"  # a collector of the developer's
    OFF = "off"


@dataclass(frozen=True, slots=True)
class TraceDestination:
    mode: TraceMode
    # the external collector's (host, port); the local one's is picked when it starts
    collector: tuple[str, int] | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> TraceDestination:
        text = environ.get(COLLECTOR_VARIABLE, "").strip()
        if not text:
            return cls(TraceMode.LOCAL)
        if text.lower() in OFF_VALUES:
            return cls(TraceMode.OFF)
        return cls(TraceMode.EXTERNAL, parse_collector_address(text))


def parse_collector_address(text: str) -> tuple[str, int]:
    """`host:port` or `http://host:port` (OTLP/gRPC in plaintext, which Envoy's exporter speaks here)."""
    address = text.removeprefix("http://").rstrip("/")
    host, _, port = address.rpartition(":")
    if text.startswith("https://") or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DevstackError(
            f"{COLLECTOR_VARIABLE}={text!r}: expected host:port of an OTLP/gRPC collector "
            "(plaintext, e.g. 127.0.0.1:4317), or 'off'"
        )
    return host.strip("[]"), int(port)


def service_tracing_environment(
    service: str, collector: tuple[str, int], environ: Mapping[str, str]
) -> dict[str, str]:
    """The variables that point one service's OTLP exporter at the collector (unless already set)."""
    prefix = f"ALPHINTRA_{service.upper()}__TRACING__"
    host, port = collector
    shown = f"[{host}]" if ":" in host else host
    wanted = {f"{prefix}EXPORTER": "otlp", f"{prefix}OTLP_ENDPOINT": f"http://{shown}:{port}"}
    return {name: value for name, value in wanted.items() if name not in environ}
