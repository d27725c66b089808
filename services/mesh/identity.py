"""The caller's identity as it reaches a service: verified claims in request headers.

Envoy verifies the JWT and forwards its claims in these headers, after removing any
copy a client sent (the gateway issue); services read them here and never parse tokens.
Calls from one service to another forward the same headers (`services.mesh.clients`),
so a downstream service applies the same ownership rules to the original caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from services.core.errors import Unauthenticated
from services.core.ownership import Caller, Role

USER_HEADER = "x-alphintra-user-id"
ORGANIZATION_HEADER = "x-alphintra-org-id"
ROLE_HEADER = "x-alphintra-role"
TIER_HEADER = "x-alphintra-tier"
IDENTITY_HEADERS = (USER_HEADER, ORGANIZATION_HEADER, ROLE_HEADER, TIER_HEADER)

# the identity headers of the call being handled, as (name, value) pairs
identity_headers_var: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("alphintra_identity", default=())


def identity_headers(metadata: Iterable[tuple[str, str | bytes]] | None) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, value if isinstance(value, str) else value.decode())
        for name, value in metadata or ()
        if name in IDENTITY_HEADERS
    )


def current_caller() -> Caller:
    """The caller of the call being handled; UNAUTHENTICATED when it carries no identity."""
    headers = dict(identity_headers_var.get())
    user_id = headers.get(USER_HEADER, "")
    if not user_id:
        raise Unauthenticated("the call carries no identity (sign in through the gateway)")
    try:
        role = Role(headers.get(ROLE_HEADER, Role.VIEWER.value))
    except ValueError:
        raise Unauthenticated(f"the identity carries an unknown role {headers[ROLE_HEADER]!r}") from None
    return Caller(
        user_id=user_id,
        organization_id=headers.get(ORGANIZATION_HEADER, ""),
        role=role,
        tier=headers.get(TIER_HEADER, "basic"),
    )


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    """Headers that present `caller` to a service (tests, and trusted in-mesh clients)."""
    return (
        (USER_HEADER, caller.user_id),
        (ORGANIZATION_HEADER, caller.organization_id),
        (ROLE_HEADER, caller.role.value),
        (TIER_HEADER, caller.tier),
    )
