"""A peer's error comes back as the same taxonomy error, its details intact."""

import grpc
import pytest

from services.core import errors
from services.mesh.peer_errors import error_from_peer
from services.mesh.status import to_rpc_status

_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _as_peer_error(error: BaseException) -> grpc.aio.AioRpcError:
    status = to_rpc_status(error, "request-1")
    trailing = grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString()))
    return grpc.aio.AioRpcError(_CODES[status.code], grpc.aio.Metadata(), trailing, details=status.message)


@pytest.mark.parametrize(
    "error",
    [
        errors.InvalidArgument("bad", [errors.FieldViolation("spec.nodes[1]", "unknown type")]),
        errors.NotFound("dataset", "datasets/7"),
        errors.AlreadyExists("model", "models/m"),
        errors.FailedPrecondition("finished", [("STATE", "jobs/1", "already succeeded")]),
        errors.Aborted("stale", reason="STALE_VERSION"),
        errors.ResourceExhausted("slow down", retry_after_seconds=2.5),
        errors.PermissionDenied("admins only"),
        errors.Unauthenticated("who are you"),
        errors.OutOfRange("past the end"),
        errors.DeadlineExceeded("too slow"),
        errors.Cancelled("cancelled"),
    ],
)
def test_a_peer_error_is_raised_again_as_the_same_error(error: errors.AlphintraError) -> None:
    again = error_from_peer(_as_peer_error(error), "trainer")
    assert type(again) is type(error)
    assert again.message == error.message
    for attribute in ("violations", "resource_type", "resource_name", "reason", "retry_after_seconds"):
        assert getattr(again, attribute, None) == getattr(error, attribute, None)


def test_a_broken_peer_is_unavailable_without_its_text() -> None:
    again = error_from_peer(_as_peer_error(RuntimeError("secret stack trace")), "trainer")
    assert isinstance(again, errors.Unavailable)
    assert "secret" not in again.message
    assert "trainer" in again.message


def test_an_unimplemented_peer_rpc_is_unavailable_naming_the_peer() -> None:
    again = error_from_peer(_as_peer_error(NotImplementedError()), "trainer")
    assert isinstance(again, errors.Unavailable)
    assert "trainer" in again.message
