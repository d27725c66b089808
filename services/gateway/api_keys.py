"""API keys for machine clients: created once with their secret shown once, listed, revoked.

A key carries a role no higher than its owner's, so a read-only dashboard can hold a
viewer key of a trader. Only a person signed in with a password creates keys: a leaked
key must not be able to mint more keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from alphintra.auth.v1 import auth_pb2
from services.core.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from services.core.identity.claims import AuthenticationMethod
from services.core.identity.opaque_tokens import API_KEY_KIND, new_token
from services.core.identity.tiers import API_KEY_QUOTA, role_at_least, tier_named
from services.core.ownership import Caller, Role
from services.core.paging import next_page_token, page_request
from services.gateway.conversions import api_key_message, role_from_proto
from services.gateway.credential_store import CredentialStore
from services.gateway.records import ApiKeyRecord
from services.gateway.token_context import TokenContext
from services.gateway.user_store import UserStore
from services.mesh.conversions import datetime_from_proto

MAX_DISPLAY_NAME = 200
MAX_REQUEST_ID = 128
RESOURCE = "api key"


class ApiKeys:
    def __init__(self, users: UserStore, credentials: CredentialStore, clock: Callable[[], datetime]) -> None:
        self._users = users
        self._credentials = credentials
        self._clock = clock

    async def create(
        self, caller: Caller, token: TokenContext, request: auth_pb2.CreateApiKeyRequest
    ) -> auth_pb2.CreateApiKeyResponse:
        if token.method is AuthenticationMethod.API_KEY:
            raise PermissionDenied("API keys are created by a person signed in with a password, not by a key")
        now = self._clock()
        role = role_from_proto(request.role, "role") or caller.role
        _check_new_key(request, role, caller.role, now)
        if request.request_id:
            earlier = await self._credentials.find_api_key_by_request(caller.user_id, request.request_id)
            if earlier is not None:
                return auth_pb2.CreateApiKeyResponse(api_key=api_key_message(earlier))
        quota = API_KEY_QUOTA[tier_named(caller.tier)]
        if await self._credentials.count_usable_api_keys(caller.user_id, now) >= quota:
            raise ResourceExhausted(
                f"the {caller.tier} plan allows {quota} active API keys; revoke one or upgrade the plan"
            )
        secret = new_token(API_KEY_KIND)
        expire_time = (
            datetime_from_proto(request.expire_time, "expire_time")
            if request.HasField("expire_time")
            else None
        )
        record = ApiKeyRecord(
            id=secret.identifier,
            owner_id=caller.user_id,
            display_name=request.display_name.strip(),
            prefix=secret.display_prefix,
            secret_digest=secret.digest(),
            role=role,
            create_time=now,
            expire_time=expire_time,
        )
        stored = await self._credentials.insert_api_key(record, request.request_id or None)
        if stored is None:  # a concurrent retry with the same request id won
            earlier = await self._credentials.find_api_key_by_request(caller.user_id, request.request_id)
            if earlier is None:
                raise NotFound(RESOURCE, f"request {request.request_id}")
            return auth_pb2.CreateApiKeyResponse(api_key=api_key_message(earlier))
        return auth_pb2.CreateApiKeyResponse(api_key=api_key_message(stored), secret=secret.text)

    async def list(
        self, caller: Caller, request: auth_pb2.ListApiKeysRequest
    ) -> auth_pb2.ListApiKeysResponse:
        owner_id = request.owner_id or caller.user_id
        if owner_id != caller.user_id:
            await self._require_admin_of(caller, owner_id)
        filters = {"owner_id": owner_id, "show_revoked": request.show_revoked}
        page = page_request(request.page_size, request.page_token, filters, default=50, maximum=100)
        keys, last_key = await self._credentials.list_api_keys(
            owner_id, request.show_revoked, self._clock(), page
        )
        return auth_pb2.ListApiKeysResponse(
            api_keys=[api_key_message(key) for key in keys],
            next_page_token=next_page_token(last_key, filters),
        )

    async def revoke(self, caller: Caller, api_key_id: str) -> auth_pb2.RevokeApiKeyResponse:
        key = await self._credentials.get_api_key(api_key_id) if api_key_id else None
        if key is None or key.owner_id != caller.user_id:
            raise NotFound(RESOURCE, f"apiKeys/{api_key_id}")
        revoked = await self._credentials.revoke_api_key(key.id, self._clock())
        assert revoked is not None  # keys are never deleted
        return auth_pb2.RevokeApiKeyResponse(api_key=api_key_message(revoked))

    async def _require_admin_of(self, caller: Caller, user_id: str) -> None:
        if caller.role is not Role.ADMIN:
            raise PermissionDenied("listing another user's API keys needs the admin role")
        owner = await self._users.get_user(user_id)
        if owner is None or not caller.organization_id or owner.organization_id != caller.organization_id:
            raise NotFound("user", f"users/{user_id}")


def _check_new_key(
    request: auth_pb2.CreateApiKeyRequest, role: Role, caller_role: Role, now: datetime
) -> None:
    violations = []
    name = request.display_name.strip()
    if not name:
        violations.append(FieldViolation("display_name", "is required"))
    elif len(name) > MAX_DISPLAY_NAME:
        violations.append(FieldViolation("display_name", f"at most {MAX_DISPLAY_NAME} characters"))
    if not role_at_least(caller_role, role):
        violations.append(FieldViolation("role", f"at most your own role ({caller_role.value})"))
    if request.HasField("expire_time"):
        try:
            if datetime_from_proto(request.expire_time, "expire_time") <= now:
                violations.append(FieldViolation("expire_time", "must be in the future"))
        except InvalidArgument as error:
            violations.extend(error.violations)
    if len(request.request_id) > MAX_REQUEST_ID:
        violations.append(FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters"))
    if violations:
        raise InvalidArgument("the API key cannot be created", violations)
