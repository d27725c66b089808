"""Users and organisations: who belongs where, with which role and plan tier.

Decisions use the caller's stored record, not only the claims of their token: a token
lives for minutes, and an admin who was demoted or disabled a minute ago must not keep
managing users until it expires. Users that the caller may not see are NOT_FOUND.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from alphintra.auth.v1 import auth_pb2
from services.core.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from services.core.identity.passwords import password_violations
from services.core.identity.tiers import PlanTier, tier_at_least
from services.core.ownership import Caller, Role
from services.core.paging import next_page_token, page_request
from services.gateway.conversions import (
    member_message,
    organization_message,
    role_from_proto,
    tier_from_proto,
    user_message,
)
from services.gateway.credential_store import CredentialStore
from services.gateway.passwords import Passwords
from services.gateway.records import OrganizationRecord, UserRecord
from services.gateway.user_store import UserStore

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 320
MAX_DISPLAY_NAME = 200
MAX_REQUEST_ID = 128
SELF_PATHS = frozenset({"display_name", "email", "password"})
ADMIN_PATHS = frozenset({"role", "plan_tier", "disabled"})


def email_violations(field: str, email: str) -> list[FieldViolation]:
    if not email:
        return [FieldViolation(field, "is required")]
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        return [FieldViolation(field, "is not an e-mail address")]
    return []


def display_name_violations(field: str, name: str) -> list[FieldViolation]:
    return (
        [FieldViolation(field, f"at most {MAX_DISPLAY_NAME} characters")]
        if len(name) > MAX_DISPLAY_NAME
        else []
    )


def _invalid(message: str, violations: Sequence[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(message, violations)


class Directory:
    def __init__(
        self,
        users: UserStore,
        credentials: CredentialStore,
        passwords: Passwords,
        clock: Callable[[], datetime],
    ) -> None:
        self._users = users
        self._credentials = credentials
        self._passwords = passwords
        self._clock = clock

    # -- users ---------------------------------------------------------------------------

    async def create_user(
        self, caller: Caller, user: auth_pb2.User, initial_password: str, request_id: str
    ) -> auth_pb2.User:
        admin = await self._admin(caller, "creating users")
        organization = await self._users.get_organization(admin.organization_id)
        if organization is None:
            raise FailedPrecondition("you belong to no organization to add users to")
        if user.organization_id and user.organization_id != organization.id:
            raise PermissionDenied("users are created in your own organization only")
        email = user.email.strip()
        role = role_from_proto(user.role, "user.role") or Role.VIEWER
        tier = tier_from_proto(user.plan_tier, "user.plan_tier") or organization.tier
        _invalid(
            "the user cannot be created",
            [
                *email_violations("user.email", email),
                *display_name_violations("user.display_name", user.display_name),
                *password_violations("initial_password", initial_password, email),
                *_tier_violations("user.plan_tier", tier, organization),
                *_request_id_violations(request_id),
            ],
        )
        if request_id:
            earlier = await self._users.find_user_by_request(admin.id, request_id)
            if earlier is not None:
                return user_message(earlier)
        now = self._clock()
        record = UserRecord(
            id=uuid.uuid4().hex,
            email=email,
            display_name=user.display_name.strip(),
            password_hash=await self._passwords.hash(initial_password),
            organization_id=organization.id,
            role=role,
            tier=tier,
            disabled=user.disabled,
            version=1,
            create_time=now,
            update_time=now,
            join_time=now,
        )
        created = await self._users.insert_user(record, created_by=admin.id, request_id=request_id or None)
        if created is None:  # a concurrent retry with the same request id won
            earlier = await self._users.find_user_by_request(admin.id, request_id)
            if earlier is None:
                raise NotFound("user", f"request {request_id}")
            return user_message(earlier)
        return user_message(created)

    async def get_user(self, caller: Caller, user_id: str) -> auth_pb2.User:
        acting = await self._acting(caller)
        return user_message(await self._visible_user(acting, user_id))

    async def list_users(
        self, caller: Caller, request: auth_pb2.ListUsersRequest
    ) -> auth_pb2.ListUsersResponse:
        admin = await self._admin(caller, "listing users")
        organization_id = request.organization_id or admin.organization_id
        if organization_id != admin.organization_id:
            raise PermissionDenied("admins list the users of their own organization only")
        role = role_from_proto(request.role, "role")
        filters = {"organization": organization_id, "role": role, "query": request.query}
        page = page_request(request.page_size, request.page_token, filters, default=50, maximum=100)
        users, last_key = await self._users.list_users(organization_id, role, request.query.strip(), page)
        return auth_pb2.ListUsersResponse(
            users=[user_message(user) for user in users], next_page_token=next_page_token(last_key, filters)
        )

    async def update_user(
        self,
        caller: Caller,
        user: auth_pb2.User,
        paths: Sequence[str],
        new_password: str,
        current_password: str,
    ) -> auth_pb2.User:
        acting = await self._acting(caller)
        target = await self._visible_user(acting, user.id)
        changes = _check_paths(paths, acting, target)
        if "password" in changes:
            await self._check_password_change(acting, target, new_password, current_password)
        new_hash = await self._passwords.hash(new_password) if "password" in changes else None
        organization = (
            await self._users.get_organization(target.organization_id) if target.organization_id else None
        )
        now = self._clock()

        def change(current: UserRecord) -> UserRecord:
            if user.etag and user.etag != current.etag:
                raise Aborted(
                    f"users/{current.id} changed since it was read (etag {current.etag}); read it again"
                )
            return _changed(
                current, user, changes=changes, new_hash=new_hash, organization=organization, now=now
            )

        updated = await self._users.update_user(target.id, change)
        if changes & {"password", "disabled"} and (new_hash is not None or updated.disabled):
            # a new password or a disabled account ends every session; access tokens expire in minutes
            await self._credentials.revoke_user_sessions(updated.id, now)
        return user_message(updated)

    # -- organisations -------------------------------------------------------------------

    async def create_organization(
        self, caller: Caller, organization: auth_pb2.Organization, request_id: str
    ) -> auth_pb2.Organization:
        acting = await self._acting(caller)
        name = organization.display_name.strip()
        tier = tier_from_proto(organization.plan_tier, "organization.plan_tier") or acting.tier
        violations = [
            *display_name_violations("organization.display_name", name),
            *_request_id_violations(request_id),
        ]
        if not name:
            violations.append(FieldViolation("organization.display_name", "is required"))
        if not tier_at_least(acting.tier, tier):
            violations.append(
                FieldViolation("organization.plan_tier", f"at most your own plan ({acting.tier.value})")
            )
        _invalid("the organization cannot be created", violations)
        if request_id:
            earlier = await self._users.find_organization_by_request(acting.id, request_id)
            if earlier is not None:
                if earlier.display_name != name or earlier.tier is not tier:
                    raise AlreadyExists(
                        "organization", request_id, "request_id was already used for another organization"
                    )
                return organization_message(earlier)
        now = self._clock()
        record = OrganizationRecord(
            id=uuid.uuid4().hex,
            display_name=name,
            tier=tier,
            owner_id=acting.id,
            member_count=1,
            create_time=now,
            update_time=now,
        )
        return organization_message(await self._users.create_organization(record, request_id or None, now))

    async def get_organization(self, caller: Caller, organization_id: str) -> auth_pb2.Organization:
        organization = await self._member_organization(caller, organization_id)
        return organization_message(organization)

    async def list_members(
        self, caller: Caller, request: auth_pb2.ListOrganizationMembersRequest
    ) -> auth_pb2.ListOrganizationMembersResponse:
        organization = await self._member_organization(caller, request.organization_id)
        filters = {"organization": organization.id}
        page = page_request(request.page_size, request.page_token, filters, default=50, maximum=100)
        members, last_key = await self._users.list_members(organization.id, page)
        return auth_pb2.ListOrganizationMembersResponse(
            members=[member_message(member) for member in members],
            next_page_token=next_page_token(last_key, filters),
        )

    # -- helpers -------------------------------------------------------------------------

    async def _acting(self, caller: Caller) -> UserRecord:
        acting = await self._users.get_user(caller.user_id)
        if acting is None or acting.disabled:
            raise Unauthenticated("the token names a user that no longer exists or is disabled")
        return acting

    async def _admin(self, caller: Caller, what: str) -> UserRecord:
        acting = await self._acting(caller)
        if acting.role is not Role.ADMIN or not acting.organization_id:
            raise PermissionDenied(f"{what} needs the admin role of an organization")
        return acting

    async def _visible_user(self, acting: UserRecord, user_id: str) -> UserRecord:
        """The user if `acting` is them or an admin of their organization; NOT_FOUND otherwise."""
        if user_id == acting.id:
            return acting
        target = await self._users.get_user(user_id) if user_id else None
        visible = (
            target is not None
            and acting.role is Role.ADMIN
            and bool(acting.organization_id)
            and target.organization_id == acting.organization_id
        )
        if target is None or not visible:
            raise NotFound("user", f"users/{user_id}")
        return target

    async def _member_organization(self, caller: Caller, organization_id: str) -> OrganizationRecord:
        acting = await self._acting(caller)
        organization = await self._users.get_organization(organization_id) if organization_id else None
        if organization is None or acting.organization_id != organization.id:
            raise NotFound("organization", f"organizations/{organization_id}")
        return organization

    async def _check_password_change(
        self, acting: UserRecord, target: UserRecord, new_password: str, current_password: str
    ) -> None:
        _invalid(
            "the password cannot be changed", password_violations("new_password", new_password, target.email)
        )
        if acting.id == target.id and not await self._passwords.verify(
            target.password_hash, current_password
        ):
            raise InvalidArgument(
                "the current password is wrong", [FieldViolation("current_password", "does not match")]
            )


def _check_paths(paths: Sequence[str], acting: UserRecord, target: UserRecord) -> frozenset[str]:
    changes = frozenset(paths)
    unknown = sorted(changes - SELF_PATHS - ADMIN_PATHS)
    if not changes or unknown:
        raise InvalidArgument(
            "update_mask names no field that can be changed",
            [FieldViolation("update_mask", f"paths must be among {sorted(SELF_PATHS | ADMIN_PATHS)}")],
        )
    if changes & ADMIN_PATHS and acting.role is not Role.ADMIN:
        raise PermissionDenied("changing role, plan tier or disabled needs the admin role")
    if acting.id == target.id and changes & {"role", "disabled"}:
        raise FailedPrecondition(
            "admins cannot demote or disable themselves; another admin of the organization can",
            [("SELF_DEMOTION", f"users/{acting.id}", "would leave the organization without this admin")],
        )
    return changes


def _changed(
    current: UserRecord,
    requested: auth_pb2.User,
    *,
    changes: frozenset[str],
    new_hash: str | None,
    organization: OrganizationRecord | None,
    now: datetime,
) -> UserRecord:
    violations: list[FieldViolation] = []
    updated = replace(current, update_time=now)
    if "display_name" in changes:
        violations += display_name_violations("user.display_name", requested.display_name)
        updated = replace(updated, display_name=requested.display_name.strip())
    if "email" in changes:
        violations += email_violations("user.email", requested.email.strip())
        updated = replace(updated, email=requested.email.strip())
    if new_hash is not None:
        updated = replace(updated, password_hash=new_hash)
    if "role" in changes:
        updated = replace(updated, role=role_from_proto(requested.role, "user.role") or Role.VIEWER)
    if "plan_tier" in changes:
        tier = tier_from_proto(requested.plan_tier, "user.plan_tier") or PlanTier.BASIC
        violations += _tier_violations("user.plan_tier", tier, organization)
        updated = replace(updated, tier=tier)
    if "disabled" in changes:
        updated = replace(updated, disabled=requested.disabled)
    _invalid("the user cannot be updated", violations)
    return updated


def _tier_violations(
    field: str, tier: PlanTier, organization: OrganizationRecord | None
) -> list[FieldViolation]:
    if organization is not None and not tier_at_least(organization.tier, tier):
        return [FieldViolation(field, f"at most the organization's plan ({organization.tier.value})")]
    return []


def _request_id_violations(request_id: str) -> list[FieldViolation]:
    if len(request_id) > MAX_REQUEST_ID:
        return [FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters")]
    return []
