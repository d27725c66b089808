"""The error taxonomy every service shares, grouped by what the caller should do.

Domain code raises these; it never knows about gRPC. The server runtime
(`services.mesh.status`) maps each class to one canonical status code with
`google.rpc` rich details. Only `Unavailable` means "try again": it is the one
class that maps to UNAVAILABLE, so Envoy's retry policy never replays a call
that failed for a reason a retry cannot fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One thing wrong with the input, and where: a field path, node id, CSV line..."""

    field: str
    description: str


class AlphintraError(Exception):
    """Base of every error a caller is meant to see."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the caller must change the request ------------------------------------------------


class InvalidArgument(AlphintraError):
    """The request is malformed; `violations` names every problem at once."""

    def __init__(self, message: str, violations: Iterable[FieldViolation] = ()) -> None:
        super().__init__(message)
        self.violations: tuple[FieldViolation, ...] = tuple(violations)


class NotFound(AlphintraError):
    """The resource does not exist (or is not visible to the caller)."""

    def __init__(self, resource_type: str, resource_name: str, message: str | None = None) -> None:
        super().__init__(message or f"{resource_type} {resource_name!r} not found")
        self.resource_type = resource_type
        self.resource_name = resource_name


class AlreadyExists(AlphintraError):
    """A resource with the same identity already exists."""

    def __init__(self, resource_type: str, resource_name: str, message: str | None = None) -> None:
        super().__init__(message or f"{resource_type} {resource_name!r} already exists")
        self.resource_type = resource_type
        self.resource_name = resource_name


class FailedPrecondition(AlphintraError):
    """The system is not in a state that allows this call (a job already finished...)."""

    def __init__(self, message: str, violations: Iterable[tuple[str, str, str]] = ()) -> None:
        super().__init__(message)
        # (type, subject, description), as google.rpc.PreconditionFailure.Violation
        self.violations: tuple[tuple[str, str, str], ...] = tuple(violations)


class OutOfRange(AlphintraError):
    """The request reads past the valid range (an offset beyond retention...)."""


# -- the caller must re-read and retry -------------------------------------------------


class Aborted(AlphintraError):
    """A concurrent change won (a stale version or etag); read again, then retry."""

    def __init__(self, message: str, *, reason: str = "CONCURRENT_MODIFICATION") -> None:
        super().__init__(message)
        self.reason = reason


# -- the caller needs other credentials ------------------------------------------------


class Unauthenticated(AlphintraError):
    """No valid identity came with the call."""


class PermissionDenied(AlphintraError):
    """The identity is known but may not do this."""


# -- the caller should slow down or wait -----------------------------------------------


class ResourceExhausted(AlphintraError):
    """A quota or rate limit was hit; `retry_after_seconds` says when to try again."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(AlphintraError):
    """A temporary failure (a dependency is down); the same call may succeed later."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class DeadlineExceeded(AlphintraError):
    """The work did not finish in the time it was given."""


class Cancelled(AlphintraError):
    """The work was cancelled by its owner."""


# -- our fault -------------------------------------------------------------------------


class Internal(AlphintraError):
    """An invariant broke; the message is safe to show, the details are in the logs."""
