"""A peer service's error, raised again as ours: the inverse of `status.to_rpc_status`.

When the workflow service asks the trainer for something on a caller's behalf, the trainer's
INVALID_ARGUMENT (with its field violations), NOT_FOUND or RESOURCE_EXHAUSTED is the caller's
answer too: `raise_from_peer` turns the `AioRpcError` back into the taxonomy, details kept, so
the interceptor maps it to the same status. A peer that is down or that broke is our problem,
not the caller's request: UNAVAILABLE stays UNAVAILABLE, and an INTERNAL / UNKNOWN from the peer
becomes Unavailable naming the peer rather than leaking its text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import grpc
from google.rpc import error_details_pb2, status_pb2

from services.core import errors


def _details(error: grpc.aio.AioRpcError) -> list[object]:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            found: list[object] = []
            for any_detail in status.details:
                for kind in (
                    error_details_pb2.BadRequest,
                    error_details_pb2.ResourceInfo,
                    error_details_pb2.PreconditionFailure,
                    error_details_pb2.RetryInfo,
                    error_details_pb2.ErrorInfo,
                ):
                    if any_detail.Is(kind.DESCRIPTOR):
                        detail = kind()
                        any_detail.Unpack(detail)
                        found.append(detail)
            return found
    return []


def _first(details: list[object], kind: type) -> object | None:
    return next((detail for detail in details if isinstance(detail, kind)), None)


def _retry_after(details: list[object]) -> float | None:
    retry = _first(details, error_details_pb2.RetryInfo)
    return retry.retry_delay.ToNanoseconds() / 1e9 if retry is not None else None  # type: ignore[attr-defined]


Builder = Callable[[str, list[object]], errors.AlphintraError]


def _invalid(message: str, details: list[object]) -> errors.AlphintraError:
    bad = _first(details, error_details_pb2.BadRequest)
    items = bad.field_violations if bad is not None else []  # type: ignore[attr-defined]
    return errors.InvalidArgument(message, [errors.FieldViolation(v.field, v.description) for v in items])


def _resource(kind: type[errors.NotFound | errors.AlreadyExists]) -> Builder:
    def build(message: str, details: list[object]) -> errors.AlphintraError:
        info = _first(details, error_details_pb2.ResourceInfo)
        if info is None:
            return kind("resource", "", message)
        return kind(info.resource_type, info.resource_name, message)  # type: ignore[attr-defined]

    return build


def _precondition(message: str, details: list[object]) -> errors.AlphintraError:
    failure = _first(details, error_details_pb2.PreconditionFailure)
    items = failure.violations if failure is not None else []  # type: ignore[attr-defined]
    return errors.FailedPrecondition(message, [(v.type, v.subject, v.description) for v in items])


def _aborted(message: str, details: list[object]) -> errors.AlphintraError:
    info = _first(details, error_details_pb2.ErrorInfo)
    reason = info.reason if info is not None else "CONCURRENT_MODIFICATION"  # type: ignore[attr-defined]
    return errors.Aborted(message, reason=reason)


def _exhausted(message: str, details: list[object]) -> errors.AlphintraError:
    return errors.ResourceExhausted(message, retry_after_seconds=_retry_after(details))


def _plain(kind: type[errors.AlphintraError]) -> Builder:
    return lambda message, _details: kind(message)


_BUILDERS: dict[grpc.StatusCode, Builder] = {
    grpc.StatusCode.INVALID_ARGUMENT: _invalid,
    grpc.StatusCode.NOT_FOUND: _resource(errors.NotFound),
    grpc.StatusCode.ALREADY_EXISTS: _resource(errors.AlreadyExists),
    grpc.StatusCode.FAILED_PRECONDITION: _precondition,
    grpc.StatusCode.ABORTED: _aborted,
    grpc.StatusCode.RESOURCE_EXHAUSTED: _exhausted,
    grpc.StatusCode.OUT_OF_RANGE: _plain(errors.OutOfRange),
    grpc.StatusCode.UNAUTHENTICATED: _plain(errors.Unauthenticated),
    grpc.StatusCode.PERMISSION_DENIED: _plain(errors.PermissionDenied),
    grpc.StatusCode.DEADLINE_EXCEEDED: _plain(errors.DeadlineExceeded),
    grpc.StatusCode.CANCELLED: _plain(errors.Cancelled),
}


def error_from_peer(error: grpc.aio.AioRpcError, peer: str) -> errors.AlphintraError:
    code = error.code()
    message = error.details() or code.name.lower()
    details = _details(error)
    build = _BUILDERS.get(code)
    if build is not None:
        return build(message, details)
    if code is grpc.StatusCode.UNIMPLEMENTED:
        return errors.Unavailable(f"the {peer} service cannot do this yet: {message}")
    if code is grpc.StatusCode.UNAVAILABLE:
        return errors.Unavailable(
            f"the {peer} service is unavailable", retry_after_seconds=_retry_after(details)
        )
    return errors.Unavailable(f"the {peer} service failed ({code.name})")


def raise_from_peer(error: grpc.aio.AioRpcError, peer: str) -> NoReturn:
    raise error_from_peer(error, peer) from None
