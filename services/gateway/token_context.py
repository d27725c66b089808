"""How the presented access token was obtained, as Envoy forwarded it (claims it verified)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.core.identity.claims import (
    API_KEY_HEADER,
    AUTH_METHOD_HEADER,
    EXPIRY_HEADER,
    AuthenticationMethod,
)

_METHODS = frozenset(method.value for method in AuthenticationMethod)


@dataclass(frozen=True, slots=True)
class TokenContext:
    method: AuthenticationMethod | None = None
    api_key_id: str = ""
    expires_at: datetime | None = None

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> TokenContext:
        headers = {
            name: value if isinstance(value, str) else value.decode() for name, value in metadata or ()
        }
        method = headers.get(AUTH_METHOD_HEADER, "")
        expiry = headers.get(EXPIRY_HEADER, "")
        return cls(
            method=AuthenticationMethod(method) if method in _METHODS else None,
            api_key_id=headers.get(API_KEY_HEADER, ""),
            expires_at=datetime.fromtimestamp(int(expiry), tz=UTC) if expiry.isdigit() else None,
        )
