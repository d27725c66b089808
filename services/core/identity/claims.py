"""What an access token says about its bearer, as JWT claims (RFC 7519) signed with ES256.

Envoy verifies the signature, issuer, audience and expiry, then forwards these claims to
the services as headers; nothing downstream parses a token. The four identity claims
(`sub`, `org`, `role`, `tier`) become `services.mesh.identity`'s headers; the three
below are for the gateway's WhoAmI only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from services.core.identity.tiers import PlanTier
from services.core.ownership import Role

ALGORITHM = "ES256"

SUBJECT_CLAIM = "sub"
ORGANIZATION_CLAIM = "org"
ROLE_CLAIM = "role"
TIER_CLAIM = "tier"
AUTH_METHOD_CLAIM = "auth_method"
API_KEY_CLAIM = "api_key_id"
EXPIRY_CLAIM = "exp"

# headers carrying the claims above that only the gateway reads (set by Envoy, stripped from clients)
AUTH_METHOD_HEADER = "x-alphintra-auth-method"
API_KEY_HEADER = "x-alphintra-api-key-id"
EXPIRY_HEADER = "x-alphintra-token-expiry"


class AuthenticationMethod(StrEnum):
    PASSWORD = "password"  # noqa: S105 - the method's name, not a secret
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """Who the bearer is, and what the token lets them do, for `lifetime` from `issued_at`."""

    user_id: str
    organization_id: str
    role: Role
    tier: PlanTier
    method: AuthenticationMethod
    token_id: str
    issued_at: datetime
    lifetime: timedelta
    api_key_id: str = ""

    @property
    def expires_at(self) -> datetime:
        return self.issued_at + self.lifetime

    def payload(self, issuer: str, audience: str) -> dict[str, Any]:
        """The JWT payload; times are whole seconds since the epoch, as RFC 7519 says."""
        issued = int(self.issued_at.timestamp())
        payload: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            SUBJECT_CLAIM: self.user_id,
            "iat": issued,
            "nbf": issued,
            EXPIRY_CLAIM: issued + int(self.lifetime.total_seconds()),
            "jti": self.token_id,
            ORGANIZATION_CLAIM: self.organization_id,
            ROLE_CLAIM: self.role.value,
            TIER_CLAIM: self.tier.value,
            AUTH_METHOD_CLAIM: self.method.value,
        }
        if self.api_key_id:
            payload[API_KEY_CLAIM] = self.api_key_id
        return payload
