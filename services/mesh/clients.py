"""Channels for calls from one service to another inside the mesh.

Outgoing calls carry the current request id and W3C trace context, so a user request
stays one request (one id in every log, one trace) across services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from opentelemetry import propagate

from services.mesh.context import REQUEST_ID_HEADER, current_request_id
from services.mesh.identity import identity_headers_var

DEFAULT_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


def _with_context(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    for key, value in carrier.items():
        metadata[key] = value
    request_id = current_request_id()
    if request_id != "-" and REQUEST_ID_HEADER not in metadata:
        metadata[REQUEST_ID_HEADER] = request_id
    # the original caller's identity travels with calls made on its behalf
    for name, value in identity_headers_var.get():
        if name not in metadata:
            metadata[name] = value
    return grpc.aio.ClientCallDetails(
        method=details.method,
        timeout=details.timeout,
        metadata=metadata,
        credentials=details.credentials,
        wait_for_ready=details.wait_for_ready,
    )


class _UnaryUnaryContext(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_context(client_call_details), request)


class _UnaryStreamContext(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_with_context(client_call_details), request)


class _StreamUnaryContext(grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(
        self, continuation: Any, client_call_details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(_with_context(client_call_details), request_iterator)


class _StreamStreamContext(grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(
        self, continuation: Any, client_call_details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(_with_context(client_call_details), request_iterator)


def context_propagation() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors adding request id, trace context and identity to every outgoing call of a channel.

    One per kind of call: a grpc.aio channel files an interceptor under the first kind it implements
    only (grpc/grpc#31442), so a single class implementing all four would skip every streaming call.
    """
    return [_UnaryUnaryContext(), _UnaryStreamContext(), _StreamUnaryContext(), _StreamStreamContext()]


def mesh_channel(
    target: str, options: Sequence[tuple[str, Any]] = DEFAULT_CHANNEL_OPTIONS
) -> grpc.aio.Channel:
    """An insecure channel to a peer on the mesh's private network, propagating context."""
    return grpc.aio.insecure_channel(target, options=list(options), interceptors=context_propagation())
