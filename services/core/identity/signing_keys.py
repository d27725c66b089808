"""ES256 signing keys: generated here, published as a JWKS (RFC 7517), stored as PKCS#8 PEM.

A key's id is its RFC 7638 thumbprint, so the same key always has the same `kid` and two
replicas can never publish one key under two names.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.core.identity.claims import ALGORITHM, AccessClaims

# P-256 coordinates are 32 bytes; JWK requires the full length, leading zeros included
COORDINATE_BYTES = 32


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key and the times that decide its state (see `key_rotation`)."""

    private_key: ec.EllipticCurvePrivateKey
    create_time: datetime
    # when it started signing; None while it is only published, waiting for its turn
    activate_time: datetime | None = None
    # when it stopped signing; it stays published until the tokens it signed have expired
    retire_time: datetime | None = None

    @property
    def kid(self) -> str:
        return thumbprint(self.public_jwk_members())

    def public_jwk_members(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "crv": "P-256",
            "kty": "EC",
            "x": _base64url(numbers.x.to_bytes(COORDINATE_BYTES, "big")),
            "y": _base64url(numbers.y.to_bytes(COORDINATE_BYTES, "big")),
        }

    def public_jwk(self) -> dict[str, str]:
        return {**self.public_jwk_members(), "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def sign(self, claims: AccessClaims, issuer: str, audience: str) -> str:
        """A compact JWS whose header names this key, so verifiers pick it from the JWKS."""
        return jwt.encode(
            claims.payload(issuer, audience),
            self.private_key,
            algorithm=ALGORITHM,
            headers={"kid": self.kid, "typ": "JWT"},
        )


def thumbprint(members: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return _base64url(hashlib.sha256(canonical.encode()).digest())


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def jwks_document(keys: list[SigningKey]) -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in keys]}


def private_key_to_pem(private_key: ec.EllipticCurvePrivateKey, passphrase: bytes | None) -> bytes:
    """PKCS#8 PEM, encrypted with `passphrase` when one is configured."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def private_key_from_pem(pem: bytes, passphrase: bytes | None) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError as error:
        # stored without encryption but a passphrase is configured now, or the other way round
        raise ValueError(
            f"the signing key's encryption does not match the passphrase setting: {error}"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a signing key must be an EC P-256 private key")
    return key
