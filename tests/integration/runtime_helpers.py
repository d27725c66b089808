"""A tiny raw-bytes service for exercising the shared runtime without any proto."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import grpc

from services.mesh.server import Registration
from services.mesh.settings import ServiceSettings

SERVICE = "alphintra.test.Probe"


class ProbeSettings(ServiceSettings):
    service_name: ClassVar[str] = "probe"


def _identity(payload: bytes) -> bytes:
    return payload


def probe_registration(
    unary: dict[str, Callable[[bytes, Any], Awaitable[bytes]]],
    streaming: dict[str, Callable[[bytes, Any], Any]] | None = None,
) -> Registration:
    """A Registration whose methods take and return raw bytes."""
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            behaviour, request_deserializer=_identity, response_serializer=_identity
        )
        for name, behaviour in unary.items()
    }
    for name, behaviour in (streaming or {}).items():
        handlers[name] = grpc.unary_stream_rpc_method_handler(
            behaviour, request_deserializer=_identity, response_serializer=_identity
        )

    def add(_servicer: object, server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))

    return Registration(add_to_server=add, servicer=None, full_name=SERVICE)


def unary(channel: grpc.aio.Channel, method: str) -> Any:
    return channel.unary_unary(
        f"/{SERVICE}/{method}", request_serializer=_identity, response_deserializer=_identity
    )
