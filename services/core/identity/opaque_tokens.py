"""Opaque bearer secrets: refresh tokens and API keys.

A secret reads `<kind>_<id>_<random>`: the id finds the stored row without a scan and
the random part (256 bits) is what proves possession. Only its SHA-256 is stored — a
slow hash buys nothing against 256 random bits, and a lookup must stay cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

REFRESH_TOKEN_KIND = "rt"  # noqa: S105 - a prefix, not a secret
API_KEY_KIND = "ak_live"
ID_HEX_LENGTH = 16
SECRET_BYTES = 32
# what lists and logs show of an API key: enough to recognise it, useless to use it
DISPLAY_PREFIX_LENGTH = len(API_KEY_KIND) + 1 + 8

_FORMAT = re.compile(r"^(?P<kind>[a-z_]+?)_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class OpaqueToken:
    kind: str
    identifier: str
    secret: str

    @property
    def text(self) -> str:
        return f"{self.kind}_{self.identifier}_{self.secret}"

    @property
    def display_prefix(self) -> str:
        return self.text[:DISPLAY_PREFIX_LENGTH]

    def digest(self) -> bytes:
        return hashlib.sha256(self.text.encode()).digest()


def new_token(kind: str) -> OpaqueToken:
    return OpaqueToken(
        kind=kind,
        identifier=secrets.token_hex(ID_HEX_LENGTH // 2),
        secret=secrets.token_urlsafe(SECRET_BYTES),
    )


def parse_token(text: str, kind: str) -> OpaqueToken | None:
    """The token `text` spells, or None when it is not a well-formed token of this kind."""
    match = _FORMAT.match(text.strip())
    if match is None or match["kind"] != kind:
        return None
    return OpaqueToken(kind=kind, identifier=match["id"], secret=match["secret"])


def digest_matches(token: OpaqueToken, stored_digest: bytes) -> bool:
    return hmac.compare_digest(token.digest(), stored_digest)
