"""Access tokens: the current signing key over the claims of one user, for a short while."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from services.core.identity.claims import AccessClaims, AuthenticationMethod
from services.core.ownership import Role
from services.gateway.key_ring import KeyRing
from services.gateway.records import UserRecord


class TokenIssuer:
    def __init__(self, keys: KeyRing, issuer: str, audience: str, clock: Callable[[], datetime]) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock

    async def issue(
        self,
        user: UserRecord,
        *,
        role: Role,
        method: AuthenticationMethod,
        lifetime: timedelta,
        api_key_id: str = "",
    ) -> tuple[str, datetime]:
        """A signed token and the moment it expires (whole seconds, as the token says)."""
        key = await self._keys.signing_key()
        claims = AccessClaims(
            user_id=user.id,
            organization_id=user.organization_id,
            role=role,
            tier=user.tier,
            method=method,
            token_id=uuid.uuid4().hex,
            issued_at=self._clock().replace(microsecond=0),
            lifetime=lifetime,
            api_key_id=api_key_id,
        )
        return key.sign(claims, self._issuer, self._audience), claims.expires_at
