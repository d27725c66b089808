"""Who may read or change a resource: the one rule every service applies.

A resource belongs to one user (its owner) inside one organisation. The owner may read
and change it; an admin of the same organisation may read it (to support and audit
their members) but not change it; nobody else learns that it exists — a resource the
caller may not read is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.core.errors import NotFound, PermissionDenied, Unauthenticated


class Role(StrEnum):
    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified identity a call carries (claims Envoy checked and forwarded)."""

    user_id: str
    organization_id: str = ""
    role: Role = Role.VIEWER
    tier: str = "basic"

    def __post_init__(self) -> None:
        if not self.user_id:
            raise Unauthenticated("the call carries no identity")


@dataclass(frozen=True, slots=True)
class Ownership:
    owner_id: str
    organization_id: str = ""


def can_read(caller: Caller, resource: Ownership) -> bool:
    if resource.owner_id == caller.user_id:
        return True
    return (
        caller.role is Role.ADMIN
        and bool(caller.organization_id)
        and caller.organization_id == resource.organization_id
    )


def require_readable(caller: Caller, resource: Ownership, resource_type: str, name: str) -> None:
    if not can_read(caller, resource):
        raise NotFound(resource_type, name)


def require_writable(caller: Caller, resource: Ownership, resource_type: str, name: str) -> None:
    require_readable(caller, resource, resource_type, name)
    if resource.owner_id != caller.user_id:
        raise PermissionDenied(f"{resource_type} {name!r} belongs to another user; admins may only read it")


def require_role(caller: Caller, minimum: Role) -> None:
    """Viewers read; traders and admins may also create and change their own resources."""
    order = [Role.VIEWER, Role.TRADER, Role.ADMIN]
    if order.index(caller.role) < order.index(minimum):
        raise PermissionDenied(
            f"this call needs the {minimum.value} role; the caller is a {caller.role.value}"
        )
