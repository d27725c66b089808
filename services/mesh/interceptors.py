"""The server interceptor every service runs: request id, trace span, RED metrics and
the mapping from the domain's errors to gRPC status with rich details.

One interceptor rather than four: each layer of wrapping costs CPU on every call, and the
predictor's budget per streamed message is a few hundred microseconds.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_status import rpc_status
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.core.errors import AlphintraError, FieldViolation, InvalidArgument
from services.mesh import metrics
from services.mesh.context import REQUEST_ID_HEADER, new_request_id, request_id_var
from services.mesh.dependencies import as_bad_input, as_unavailable
from services.mesh.identity import identity_headers, identity_headers_var
from services.mesh.status import to_rpc_status

log = logging.getLogger("alphintra.rpc")

Behaviour = Callable[..., Any]


def _split_method(full_method: str) -> tuple[str, str]:
    # "/alphintra.workflow.v1.WorkflowService/GetWorkflow" -> (service, method)
    _, service, method = full_method.split("/", 2)
    return service, method


def _metadata_value(metadata: tuple[tuple[str, str | bytes], ...] | None, key: str) -> str | None:
    for name, value in metadata or ():
        if name == key:
            return value if isinstance(value, str) else value.decode()
    return None


class _MethodMetrics:
    """One method's metric children, labelled once: `labels()` takes a lock and a dict look-up per
    call, four times a call, on a path whose budget is a few hundred microseconds."""

    __slots__ = ("_method", "_requests", "_service", "in_flight", "latency")

    def __init__(self, service: str, method: str) -> None:
        self._service, self._method = service, method
        self.in_flight = metrics.GRPC_IN_FLIGHT.labels(service, method)
        self.latency = metrics.GRPC_LATENCY.labels(service, method)
        self._requests: dict[str, Any] = {}

    def requests(self, code: str) -> Any:
        counter = self._requests.get(code)
        if counter is None:
            counter = self._requests[code] = metrics.GRPC_REQUESTS.labels(self._service, self._method, code)
        return counter


class _CallScope:
    """Begins and ends one call's request id, span and metrics."""

    __slots__ = (
        "_identity_token",
        "_method",
        "_metrics",
        "_service",
        "_span",
        "_started",
        "_token",
        "request_id",
    )

    def __init__(
        self,
        service: str,
        method: str,
        request_id: str,
        *,
        identity: tuple[tuple[str, str], ...],
        span: trace.Span | None,
        method_metrics: _MethodMetrics,
    ) -> None:
        self._service = service
        self._method = method
        self.request_id = request_id
        self._span = span
        self._metrics = method_metrics
        self._token = request_id_var.set(request_id)
        self._identity_token = identity_headers_var.set(identity)
        self._started = time.perf_counter()
        method_metrics.in_flight.inc()

    async def fail(self, context: grpc.aio.ServicerContext, error: BaseException) -> None:
        unavailable = as_unavailable(error)
        translated = unavailable or as_bad_input(error)
        status = to_rpc_status(translated or error, self.request_id)
        if isinstance(error, AlphintraError | NotImplementedError) or (translated and not unavailable):
            log.info("%s/%s -> %s: %s", self._service, self._method, status.code, status.message)
        elif unavailable is not None:
            log.warning("%s/%s -> UNAVAILABLE: %s (request id %s)", self._service, self._method,
                        type(error).__name__, self.request_id)  # fmt: skip
        else:
            log.exception("%s/%s failed (request id %s)", self._service, self._method, self.request_id)
        if self._span is not None:
            self._span.record_exception(error)
        await context.abort_with_status(rpc_status.to_status(status))

    def finish(self, context: grpc.aio.ServicerContext) -> None:
        code = context.code()
        name = "OK" if code is None else code.name
        method_metrics = self._metrics
        method_metrics.in_flight.dec()
        method_metrics.requests(name).inc()
        method_metrics.latency.observe(time.perf_counter() - self._started)
        if self._span is not None:
            self._span.set_attribute("rpc.grpc.status_code", name)
            if name != "OK":
                self._span.set_status(Status(StatusCode.ERROR, name))
            self._span.end()
        # A streaming handler closed from another task (the client cancelled) finishes in a context
        # that did not create these tokens; that context dies with the task, so there is nothing to undo.
        try:
            request_id_var.reset(self._token)
            identity_headers_var.reset(self._identity_token)
        except ValueError:
            pass


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every handler; `tracer` is None when tracing is off (no span cost at all).

    grpc.aio asks the interceptor for a handler on every call. Each method is wrapped once, on its
    first call, and the wrapped handler reused: the call's own metadata is read from its context.
    (The services' handlers are all registered before the server starts, so a path's handler
    never changes.)"""

    def __init__(self, tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        path = handler_call_details.method
        wrapped = self._wrapped.get(path)
        if wrapped is not None:
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        wrapped = self._wrapped[path] = self._wrap(handler, path)
        return wrapped

    def _wrap(self, handler: grpc.RpcMethodHandler, path: str) -> grpc.RpcMethodHandler:
        service, method = _split_method(path)
        method_metrics = _MethodMetrics(service, method)
        wrap = self._wrap_unary if not handler.response_streaming else self._wrap_streaming
        behaviour, factory = _behaviour_and_factory(handler)
        behaviour = _refusing_undecodable(behaviour, streaming_requests=handler.request_streaming)
        return factory(
            wrap(behaviour, service, method, method_metrics),
            request_deserializer=_tolerant(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )

    def _begin(self, service: str, method: str, metadata: Any, method_metrics: _MethodMetrics) -> _CallScope:
        request_id = _metadata_value(metadata, REQUEST_ID_HEADER) or new_request_id()
        span = None
        if self._tracer is not None:
            carrier = {name: value for name, value in metadata or () if isinstance(value, str)}
            span = self._tracer.start_span(
                f"{service}/{method}",
                context=propagate.extract(carrier),
                kind=SpanKind.SERVER,
                attributes={
                    "rpc.system": "grpc",
                    "rpc.service": service,
                    "rpc.method": method,
                    "alphintra.request_id": request_id,
                },
            )
        return _CallScope(
            service,
            method,
            request_id,
            identity=identity_headers(metadata),
            span=span,
            method_metrics=method_metrics,
        )

    def _wrap_unary(
        self, behaviour: Behaviour, service: str, method: str, method_metrics: _MethodMetrics
    ) -> Behaviour:
        async def handle(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
            scope = self._begin(service, method, context.invocation_metadata(), method_metrics)
            try:
                with _current_span(scope):
                    return await behaviour(request_or_iterator, context)
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await scope.fail(context, error)
            finally:
                scope.finish(context)

        return handle

    def _wrap_streaming(
        self, behaviour: Behaviour, service: str, method: str, method_metrics: _MethodMetrics
    ) -> Behaviour:
        if not inspect.isasyncgenfunction(behaviour):
            # a handler that writes with context.write() and returns: wrap it as unary
            return self._wrap_unary(behaviour, service, method, method_metrics)

        async def handle(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            scope = self._begin(service, method, context.invocation_metadata(), method_metrics)
            try:
                with _current_span(scope):
                    async for response in behaviour(request_or_iterator, context):
                        yield response
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await scope.fail(context, error)
            finally:
                scope.finish(context)

        return handle


class _current_span:
    """Makes the call's span current so that outgoing calls carry its trace context."""

    __slots__ = ("_manager", "_scope")

    def __init__(self, scope: _CallScope) -> None:
        self._scope = scope
        self._manager: Any = None

    def __enter__(self) -> None:
        span = self._scope._span
        if span is not None:
            self._manager = trace.use_span(span, end_on_exit=False)
            self._manager.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._manager is not None:
            self._manager.__exit__(None, None, None)


def _behaviour_and_factory(handler: grpc.RpcMethodHandler) -> tuple[Behaviour, Callable[..., Any]]:
    if handler.unary_unary:
        return handler.unary_unary, grpc.unary_unary_rpc_method_handler
    if handler.unary_stream:
        return handler.unary_stream, grpc.unary_stream_rpc_method_handler
    if handler.stream_unary:
        return handler.stream_unary, grpc.stream_unary_rpc_method_handler
    return handler.stream_stream, grpc.stream_stream_rpc_method_handler


class _Undecodable:
    """What a request that is not valid protobuf of the method's type deserialises to."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def error(self) -> InvalidArgument:
        return InvalidArgument(
            "the request is not a valid protobuf message of this method's type",
            [FieldViolation("request", f"cannot be decoded: {self.reason}")],
        )


def _tolerant(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """grpcio answers UNKNOWN when a request fails to decode; make it reach the handler as a value
    that `_refusing_undecodable` turns into INVALID_ARGUMENT, like any other bad input."""
    if deserialize is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except DecodeError as error:
            return _Undecodable(str(error))

    return parse


def _refusing_undecodable(behaviour: Behaviour, *, streaming_requests: bool) -> Behaviour:
    if streaming_requests:
        return _refusing_in_stream(behaviour)
    return _refusing_one(behaviour)


def _refusing_in_stream(behaviour: Behaviour) -> Behaviour:

    async def checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in requests:
            if isinstance(request, _Undecodable):
                raise request.error()
            yield request

    if inspect.isasyncgenfunction(behaviour):

        async def stream_in_stream_out(
            requests: Any, context: grpc.aio.ServicerContext
        ) -> AsyncIterator[Any]:
            async for response in behaviour(checked(requests), context):
                yield response

        return stream_in_stream_out

    async def stream_in(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _maybe_await(behaviour(checked(requests), context))

    return stream_in


def _refusing_one(behaviour: Behaviour) -> Behaviour:
    if inspect.isasyncgenfunction(behaviour):

        async def one_in_stream_out(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if isinstance(request, _Undecodable):
                raise request.error()
            async for response in behaviour(request, context):
                yield response

        return one_in_stream_out

    if inspect.iscoroutinefunction(behaviour):  # every service's own handler: awaited directly

        async def one_in_awaited(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, _Undecodable):
                raise request.error()
            return await behaviour(request, context)

        return one_in_awaited

    async def one_in(request: Any, context: grpc.aio.ServicerContext) -> Any:
        if isinstance(request, _Undecodable):
            raise request.error()
        return await _maybe_await(behaviour(request, context))

    return one_in


async def _maybe_await(result: Any) -> Any:
    """Generated base servicers are plain functions (they raise NotImplementedError); ours are async."""
    return await result if inspect.isawaitable(result) else result
