"""The one table from the domain's error taxonomy to gRPC status codes with rich details.

Each error class maps to exactly one canonical code; the details follow
`google.rpc.error_details` so that any gRPC client (and Envoy's transcoder, which
turns them into JSON) can show the caller *where* the problem is. Every status also
carries `RequestInfo` with the request id, the handle an operator greps the logs for.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
from google.protobuf import duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from services.core import errors

ERROR_DOMAIN = "alphintra.io"

DetailBuilder = Callable[[errors.AlphintraError], list[Message]]


def _bad_request(error: errors.AlphintraError) -> list[Message]:
    assert isinstance(error, errors.InvalidArgument)
    violations = [
        error_details_pb2.BadRequest.FieldViolation(field=item.field, description=item.description)
        for item in error.violations
    ]
    return [error_details_pb2.BadRequest(field_violations=violations)] if violations else []


def _resource_info(error: errors.AlphintraError) -> list[Message]:
    assert isinstance(error, errors.NotFound | errors.AlreadyExists)
    return [
        error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=error.resource_name, description=error.message
        )
    ]


def _precondition(error: errors.AlphintraError) -> list[Message]:
    assert isinstance(error, errors.FailedPrecondition)
    violations = [
        error_details_pb2.PreconditionFailure.Violation(type=kind, subject=subject, description=text)
        for kind, subject, text in error.violations
    ]
    return [error_details_pb2.PreconditionFailure(violations=violations)] if violations else []


def _error_info(reason: str) -> DetailBuilder:
    def build(error: errors.AlphintraError) -> list[Message]:
        return [error_details_pb2.ErrorInfo(reason=getattr(error, "reason", reason), domain=ERROR_DOMAIN)]

    return build


def _retry_info(error: errors.AlphintraError) -> list[Message]:
    assert isinstance(error, errors.ResourceExhausted | errors.Unavailable)
    if error.retry_after_seconds is None:
        return []
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(error.retry_after_seconds * 1e9))
    return [error_details_pb2.RetryInfo(retry_delay=delay)]


def _no_details(_: errors.AlphintraError) -> list[Message]:
    return []


# Ordered from most to least specific; the first isinstance match wins.
ERROR_TABLE: tuple[tuple[type[errors.AlphintraError], grpc.StatusCode, DetailBuilder], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, _bad_request),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND, _resource_info),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS, _resource_info),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION, _precondition),
    (errors.OutOfRange, grpc.StatusCode.OUT_OF_RANGE, _no_details),
    (errors.Aborted, grpc.StatusCode.ABORTED, _error_info("CONCURRENT_MODIFICATION")),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED, _error_info("UNAUTHENTICATED")),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED, _error_info("PERMISSION_DENIED")),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED, _retry_info),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE, _retry_info),
    (errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED, _no_details),
    (errors.Cancelled, grpc.StatusCode.CANCELLED, _no_details),
    (errors.Internal, grpc.StatusCode.INTERNAL, _no_details),
)


def _pack(code: grpc.StatusCode, message: str, details: list[Message], request_id: str) -> status_pb2.Status:
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in [*details, error_details_pb2.RequestInfo(request_id=request_id)]:
        status.details.add().Pack(detail)
    return status


def to_rpc_status(error: BaseException, request_id: str) -> status_pb2.Status:
    """The google.rpc.Status a caller sees for `error`.

    Anything outside the taxonomy is a bug on our side: the caller gets INTERNAL with the
    request id and nothing of the exception's text, which may hold data that is not theirs.
    """
    if isinstance(error, errors.AlphintraError):
        for error_type, code, build_details in ERROR_TABLE:
            if isinstance(error, error_type):
                return _pack(code, error.message, build_details(error), request_id)
    if isinstance(error, NotImplementedError):
        # generated servicer bases raise it for RPCs whose behaviour has not landed yet
        return _pack(grpc.StatusCode.UNIMPLEMENTED, "this RPC is not implemented yet", [], request_id)
    return _pack(grpc.StatusCode.INTERNAL, f"internal error (request id {request_id})", [], request_id)


def status_code_name(status: status_pb2.Status) -> str:
    return code_pb2.Code.Name(status.code)
