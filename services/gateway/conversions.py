"""Stored records <-> the auth.v1 protobuf messages; enum words <-> proto enums."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from alphintra.auth.v1 import auth_pb2
from services.core.errors import FieldViolation, InvalidArgument
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.gateway.records import ApiKeyRecord, OrganizationRecord, UserRecord

ROLE_TO_PROTO = {
    Role.VIEWER: auth_pb2.ROLE_VIEWER,
    Role.TRADER: auth_pb2.ROLE_TRADER,
    Role.ADMIN: auth_pb2.ROLE_ADMIN,
}
PROTO_TO_ROLE = {value: role for role, value in ROLE_TO_PROTO.items()}
TIER_TO_PROTO = {
    PlanTier.BASIC: auth_pb2.PLAN_TIER_BASIC,
    PlanTier.PRO: auth_pb2.PLAN_TIER_PRO,
    PlanTier.PREMIUM: auth_pb2.PLAN_TIER_PREMIUM,
}
PROTO_TO_TIER = {value: tier for tier, value in TIER_TO_PROTO.items()}


def role_from_proto(value: int, field: str) -> Role | None:
    """None for ROLE_UNSPECIFIED; INVALID_ARGUMENT for a number the contract does not define."""
    if value == auth_pb2.ROLE_UNSPECIFIED:
        return None
    if value not in PROTO_TO_ROLE:
        raise InvalidArgument("unknown role", [FieldViolation(field, f"{value} is not a Role")])
    return PROTO_TO_ROLE[value]  # type: ignore[index]


def tier_from_proto(value: int, field: str) -> PlanTier | None:
    if value == auth_pb2.PLAN_TIER_UNSPECIFIED:
        return None
    if value not in PROTO_TO_TIER:
        raise InvalidArgument("unknown plan tier", [FieldViolation(field, f"{value} is not a PlanTier")])
    return PROTO_TO_TIER[value]  # type: ignore[index]


def timestamp(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def user_message(user: UserRecord) -> auth_pb2.User:
    return auth_pb2.User(
        name=f"users/{user.id}",
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        organization_id=user.organization_id,
        role=ROLE_TO_PROTO[user.role],
        plan_tier=TIER_TO_PROTO[user.tier],
        disabled=user.disabled,
        etag=user.etag,
        create_time=timestamp(user.create_time),
        update_time=timestamp(user.update_time),
        last_login_time=timestamp(user.last_login_time),
    )


def organization_message(organization: OrganizationRecord) -> auth_pb2.Organization:
    return auth_pb2.Organization(
        name=f"organizations/{organization.id}",
        id=organization.id,
        display_name=organization.display_name,
        plan_tier=TIER_TO_PROTO[organization.tier],
        owner_id=organization.owner_id,
        member_count=organization.member_count,
        create_time=timestamp(organization.create_time),
        update_time=timestamp(organization.update_time),
    )


def member_message(user: UserRecord) -> auth_pb2.OrganizationMember:
    return auth_pb2.OrganizationMember(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=ROLE_TO_PROTO[user.role],
        join_time=timestamp(user.join_time),
    )


def api_key_message(key: ApiKeyRecord) -> auth_pb2.ApiKey:
    return auth_pb2.ApiKey(
        name=f"apiKeys/{key.id}",
        id=key.id,
        owner_id=key.owner_id,
        display_name=key.display_name,
        prefix=key.prefix,
        role=ROLE_TO_PROTO[key.role],
        expire_time=timestamp(key.expire_time),
        create_time=timestamp(key.create_time),
        last_used_time=timestamp(key.last_used_time),
        revoke_time=timestamp(key.revoke_time),
    )
