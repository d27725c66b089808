"""Signing in and staying signed in: passwords, refresh sessions, API-key exchange, WhoAmI, the JWKS.

Every failure to authenticate answers the same UNAUTHENTICATED whatever the reason
(unknown account, wrong password, unknown key), so answers do not reveal which accounts
or keys exist; only a correct password for a disabled account says PERMISSION_DENIED.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alphintra.auth.v1 import auth_pb2
from services.core.errors import FieldViolation, InvalidArgument, PermissionDenied, Unauthenticated
from services.core.identity.claims import AuthenticationMethod
from services.core.identity.opaque_tokens import (
    API_KEY_KIND,
    REFRESH_TOKEN_KIND,
    OpaqueToken,
    digest_matches,
    new_token,
    parse_token,
)
from services.core.identity.passwords import MAX_LENGTH
from services.core.identity.refresh_rotation import RefreshOutcome
from services.core.identity.tiers import lower_role
from services.core.ownership import Caller
from services.gateway.conversions import ROLE_TO_PROTO, timestamp, user_message
from services.gateway.credential_store import CredentialStore
from services.gateway.key_ring import KeyRing
from services.gateway.login_throttle import LoginThrottle
from services.gateway.passwords import Passwords
from services.gateway.records import RefreshTokenRecord, UserRecord
from services.gateway.token_context import TokenContext
from services.gateway.token_issuer import TokenIssuer
from services.gateway.user_store import UserStore

AUTH_METHOD_TO_PROTO = {
    AuthenticationMethod.PASSWORD: auth_pb2.AUTHENTICATION_METHOD_PASSWORD,
    AuthenticationMethod.API_KEY: auth_pb2.AUTHENTICATION_METHOD_API_KEY,
}
MAX_USERNAME = 320
TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
SIGN_IN_REFUSED = "the user name or password is wrong"


@dataclass(frozen=True, slots=True)
class Lifetimes:
    access_token: timedelta
    refresh_token: timedelta
    api_key_token: timedelta


def _required(**fields: str) -> None:
    missing = [FieldViolation(name, "is required") for name, value in fields.items() if not value]
    if missing:
        raise InvalidArgument("required fields are missing", missing)


class Authentication:
    def __init__(
        self,
        *,
        users: UserStore,
        credentials: CredentialStore,
        tokens: TokenIssuer,
        keys: KeyRing,
        passwords: Passwords,
        throttle: LoginThrottle,
        lifetimes: Lifetimes,
        clock: Callable[[], datetime],
    ) -> None:
        self._users = users
        self._credentials = credentials
        self._tokens = tokens
        self._keys = keys
        self._passwords = passwords
        self._throttle = throttle
        self._lifetimes = lifetimes
        self._clock = clock

    async def login(self, username: str, password: str) -> auth_pb2.LoginResponse:
        _required(username=username.strip(), password=password)
        if len(username) > MAX_USERNAME or len(password) > MAX_LENGTH:
            raise Unauthenticated(SIGN_IN_REFUSED)
        await self._throttle.check(username)
        user = await self._users.find_user_by_email(username)
        verified = (
            await self._passwords.verify(user.password_hash, password)
            if user is not None
            else await self._passwords.verify_absent(password)
        )
        if user is None or not verified:
            await self._throttle.record_failure(username)
            raise Unauthenticated(SIGN_IN_REFUSED)
        await self._throttle.clear(username)
        if user.disabled:
            raise PermissionDenied("this account is disabled; ask an administrator of your organization")
        now = self._clock()
        rehashed = (
            await self._passwords.hash(password) if self._passwords.needs_rehash(user.password_hash) else None
        )
        await self._users.record_login(user.id, now, rehashed)
        refresh = self._refresh_record(new_token(REFRESH_TOKEN_KIND), uuid.uuid4().hex, user.id, now)
        await self._credentials.insert_refresh_token(refresh.record)
        tokens = await self._issued(user, refresh)
        signed_in = await self._users.get_user(user.id)
        return auth_pb2.LoginResponse(tokens=tokens, user=user_message(signed_in or user))

    async def refresh(self, refresh_token: str) -> auth_pb2.IssuedTokens:
        _required(refresh_token=refresh_token)
        presented = parse_token(refresh_token, REFRESH_TOKEN_KIND)
        if presented is None:
            raise Unauthenticated("the refresh token is not valid")
        now = self._clock()
        successor = new_token(REFRESH_TOKEN_KIND)
        outcome, record = await self._credentials.rotate_refresh_token(
            presented.identifier,
            now,
            successor=lambda old: self._refresh_record(successor, old.session_id, old.user_id, now).record,
            matches=lambda stored: digest_matches(presented, stored.secret_digest),
        )
        if outcome is None or record is None:
            raise Unauthenticated("the refresh token is not valid")
        if outcome is RefreshOutcome.REUSED:
            raise Unauthenticated(
                "this refresh token was already used; the session is revoked, sign in again"
            )
        if outcome is not RefreshOutcome.ROTATE:
            raise Unauthenticated(f"the refresh token is {outcome.value}; sign in again")
        user = await self._users.get_user(record.user_id)
        if user is None or user.disabled:
            await self._credentials.revoke_session(record.session_id, now)
            raise Unauthenticated("the account is disabled; sign in again")
        return await self._issued(user, self._refresh_record(successor, record.session_id, user.id, now))

    async def logout(self, refresh_token: str, all_sessions: bool, caller: Caller | None) -> int:
        now = self._clock()
        if all_sessions:
            if caller is None:
                raise Unauthenticated("ending every session needs an access token")
            return await self._credentials.revoke_user_sessions(caller.user_id, now)
        if not refresh_token:
            raise InvalidArgument(
                "say which session to end",
                [FieldViolation("refresh_token", "is required unless all_sessions is set")],
            )
        presented = parse_token(refresh_token, REFRESH_TOKEN_KIND)
        stored = await self._credentials.get_refresh_token(presented.identifier) if presented else None
        if presented is None or stored is None or not digest_matches(presented, stored.secret_digest):
            raise Unauthenticated("the refresh token is not valid")
        if caller is not None and caller.user_id != stored.user_id:
            raise Unauthenticated("the refresh token is not valid")
        return await self._credentials.revoke_session(stored.session_id, now)

    async def exchange_api_key(self, api_key: str) -> auth_pb2.IssuedTokens:
        _required(api_key=api_key)
        presented = parse_token(api_key, API_KEY_KIND)
        if presented is None:
            raise InvalidArgument(
                "malformed API key", [FieldViolation("api_key", "is not an Alphintra API key")]
            )
        now = self._clock()
        key = await self._credentials.get_api_key(presented.identifier)
        if key is None or not digest_matches(presented, key.secret_digest) or not key.usable(now):
            raise Unauthenticated("the API key is unknown, revoked or expired")
        owner = await self._users.get_user(key.owner_id)
        if owner is None or owner.disabled:
            raise Unauthenticated("the API key's owner is disabled")
        await self._credentials.touch_api_key(key.id, now)
        access, expires = await self._tokens.issue(
            owner,
            # an owner demoted since the key was made cannot keep the old role through it
            role=lower_role(key.role, owner.role),
            method=AuthenticationMethod.API_KEY,
            lifetime=self._lifetimes.api_key_token,
            api_key_id=key.id,
        )
        return auth_pb2.IssuedTokens(
            access_token=access, token_type=TOKEN_TYPE, access_token_expire_time=timestamp(expires)
        )

    async def who_am_i(self, caller: Caller, token: TokenContext) -> auth_pb2.WhoAmIResponse:
        user = await self._users.get_user(caller.user_id)
        if user is None:
            raise Unauthenticated("the token names a user that does not exist")
        return auth_pb2.WhoAmIResponse(
            user=user_message(user),
            authentication_method=AUTH_METHOD_TO_PROTO.get(
                token.method,
                auth_pb2.AUTHENTICATION_METHOD_UNSPECIFIED,  # type: ignore[arg-type]
            ),
            api_key_id=token.api_key_id,
            effective_role=ROLE_TO_PROTO[caller.role],
            token_expire_time=timestamp(token.expires_at),
        )

    async def jwks(self) -> bytes:
        return await self._keys.jwks_json()

    # -- helpers -------------------------------------------------------------------------

    def _refresh_record(
        self, token: OpaqueToken, session_id: str, user_id: str, now: datetime
    ) -> _NewRefresh:
        record = RefreshTokenRecord(
            id=token.identifier,
            session_id=session_id,
            user_id=user_id,
            secret_digest=token.digest(),
            create_time=now,
            expire_time=now + self._lifetimes.refresh_token,
        )
        return _NewRefresh(token, record)

    async def _issued(self, user: UserRecord, refresh: _NewRefresh) -> auth_pb2.IssuedTokens:
        access, expires = await self._tokens.issue(
            user, role=user.role, method=AuthenticationMethod.PASSWORD, lifetime=self._lifetimes.access_token
        )
        return auth_pb2.IssuedTokens(
            access_token=access,
            token_type=TOKEN_TYPE,
            access_token_expire_time=timestamp(expires),
            refresh_token=refresh.token.text,
            refresh_token_expire_time=timestamp(refresh.record.expire_time),
        )


@dataclass(frozen=True, slots=True)
class _NewRefresh:
    token: OpaqueToken
    record: RefreshTokenRecord
