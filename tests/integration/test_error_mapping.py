"""Each error of the domain taxonomy reaches the caller as one status code with rich details."""

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.core import errors
from services.mesh.server import create_server
from services.mesh.status import ERROR_TABLE

from .runtime_helpers import ProbeSettings, probe_registration, unary

pytestmark = pytest.mark.integration

# (error raised by the handler, code the caller sees, detail type expected, check on that detail)
CASES = [
    (
        errors.InvalidArgument(
            "the graph has 2 problems",
            [
                errors.FieldViolation("nodes[rsi_1].parameters.period", "must be between 2 and 500"),
                errors.FieldViolation("edges[e4]", "connects a boolean output to a series input"),
            ],
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        error_details_pb2.BadRequest,
        lambda detail: (
            [(v.field, v.description) for v in detail.field_violations]
            == [
                ("nodes[rsi_1].parameters.period", "must be between 2 and 500"),
                ("edges[e4]", "connects a boolean output to a series input"),
            ]
        ),
    ),
    (
        errors.NotFound("workflow", "workflows/42"),
        grpc.StatusCode.NOT_FOUND,
        error_details_pb2.ResourceInfo,
        lambda detail: (detail.resource_type, detail.resource_name) == ("workflow", "workflows/42"),
    ),
    (
        errors.AlreadyExists("dataset", "datasets/goog"),
        grpc.StatusCode.ALREADY_EXISTS,
        error_details_pb2.ResourceInfo,
        lambda detail: detail.resource_name == "datasets/goog",
    ),
    (
        errors.FailedPrecondition("job already finished", [("STATE", "jobs/7", "the job SUCCEEDED")]),
        grpc.StatusCode.FAILED_PRECONDITION,
        error_details_pb2.PreconditionFailure,
        lambda detail: (detail.violations[0].type, detail.violations[0].subject) == ("STATE", "jobs/7"),
    ),
    (
        errors.Aborted("workflow changed since version 3", reason="STALE_VERSION"),
        grpc.StatusCode.ABORTED,
        error_details_pb2.ErrorInfo,
        lambda detail: (detail.reason, detail.domain) == ("STALE_VERSION", "alphintra.io"),
    ),
    (
        errors.Unauthenticated("token expired"),
        grpc.StatusCode.UNAUTHENTICATED,
        error_details_pb2.ErrorInfo,
        lambda detail: detail.reason == "UNAUTHENTICATED",
    ),
    (
        errors.PermissionDenied("not your workflow"),
        grpc.StatusCode.PERMISSION_DENIED,
        error_details_pb2.ErrorInfo,
        lambda detail: detail.reason == "PERMISSION_DENIED",
    ),
    (
        errors.ResourceExhausted("rate limit", retry_after_seconds=1.5),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        error_details_pb2.RetryInfo,
        lambda detail: detail.retry_delay.ToNanoseconds() == 1_500_000_000,
    ),
    (
        errors.Unavailable("PostgreSQL is restarting", retry_after_seconds=0.25),
        grpc.StatusCode.UNAVAILABLE,
        error_details_pb2.RetryInfo,
        lambda detail: detail.retry_delay.ToMilliseconds() == 250,
    ),
    (errors.OutOfRange("offset beyond retention"), grpc.StatusCode.OUT_OF_RANGE, None, None),
    (errors.DeadlineExceeded("job timed out"), grpc.StatusCode.DEADLINE_EXCEEDED, None, None),
    (errors.Cancelled("job cancelled by its owner"), grpc.StatusCode.CANCELLED, None, None),
    (errors.Internal("invariant broke"), grpc.StatusCode.INTERNAL, None, None),
]


def _details(status):
    found = {}
    for any_detail in status.details:
        for detail_type in (
            error_details_pb2.BadRequest,
            error_details_pb2.ResourceInfo,
            error_details_pb2.PreconditionFailure,
            error_details_pb2.ErrorInfo,
            error_details_pb2.RetryInfo,
            error_details_pb2.RequestInfo,
        ):
            if any_detail.Is(detail_type.DESCRIPTOR):
                detail = detail_type()
                any_detail.Unpack(detail)
                found[detail_type] = detail
    return found


@pytest.fixture
async def raising_server():
    raised: dict[str, BaseException] = {}

    async def fail(_request, _context):
        raise raised["error"]

    settings = ProbeSettings.load({})
    server, port, _ = await create_server(settings, [probe_registration({"Fail": fail})])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield raised, unary(channel, "Fail")
    await server.stop(None)


@pytest.mark.parametrize(("error", "code", "detail_type", "check"), CASES, ids=lambda c: type(c).__name__)
async def test_each_error_maps_to_its_code_with_details(raising_server, error, code, detail_type, check):
    raised, call = raising_server
    raised["error"] = error
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"", metadata=(("x-request-id", "req-123"),))
    assert caught.value.code() == code
    assert caught.value.details() == error.message
    status = rpc_status.from_call(caught.value)
    assert status is not None
    details = _details(status)
    assert details[error_details_pb2.RequestInfo].request_id == "req-123"
    if detail_type is not None:
        assert check(details[detail_type])
    else:
        assert set(details) == {error_details_pb2.RequestInfo}


async def test_an_unexpected_exception_is_internal_and_leaks_nothing(raising_server):
    raised, call = raising_server
    raised["error"] = KeyError("customer-secret-value")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"")
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "customer-secret-value" not in caught.value.details()
    status = rpc_status.from_call(caught.value)
    request_id = _details(status)[error_details_pb2.RequestInfo].request_id
    assert len(request_id) == 32
    assert request_id in caught.value.details()


async def test_not_implemented_is_unimplemented(raising_server):
    raised, call = raising_server
    raised["error"] = NotImplementedError("Method not implemented!")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(b"")
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_every_error_class_of_the_taxonomy_has_a_mapping():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    mapped = {error_type for error_type, _, _ in ERROR_TABLE}
    assert set(subclasses(errors.AlphintraError)) <= mapped
    assert {type(error) for error, *_ in CASES} == mapped
