"""Which failures callers see as UNAVAILABLE (retry), which as their bad input, and which stay bugs."""

import asyncpg
import pytest
import redis.exceptions

from services.core.errors import InvalidArgument, Unavailable
from services.mesh.dependencies import as_bad_input, as_unavailable


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        # what a connection the server dropped mid-query leaves behind (MagicStack/asyncpg#1069)
        asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
        redis.exceptions.ConnectionError("Connection refused"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_an_unreachable_dependency_is_unavailable_with_a_retry_hint(error):
    mapped = as_unavailable(error)
    assert isinstance(mapped, Unavailable)
    assert mapped.retry_after_seconds == 1.0
    assert type(error).__name__ in mapped.message or "unreachable" in mapped.message


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("x"), asyncpg.UniqueViolationError("dup")])
def test_anything_else_is_not_an_outage(error):
    assert as_unavailable(error) is None


def test_a_value_postgresql_refuses_is_the_requests_fault_and_is_not_echoed():
    mapped = as_bad_input(asyncpg.CharacterNotInRepertoireError("invalid byte sequence: 0x00 in 'secret'"))
    assert isinstance(mapped, InvalidArgument)
    assert "secret" not in mapped.message
    assert all("secret" not in violation.description for violation in mapped.violations)
