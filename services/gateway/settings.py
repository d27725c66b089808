"""The identity service's settings (`ALPHINTRA_GATEWAY__*`).

Token lifetimes and the key rotation schedule are linked to Envoy's: a new signing key
must be published for longer than Envoy caches the JWKS before it signs anything
(`KEY_PUBLICATION_DELAY_SECONDS` > Envoy's JWKS cache + `KEY_REFRESH_SECONDS`), and a
retired key stays published for the longest token lifetime plus Envoy's clock skew.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator

from services.core.identity.passwords import password_violations
from services.mesh.settings import ServiceSettings

DAY = 24 * 3600


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"

    # the `iss` and `aud` of every token; Envoy's jwt_authn checks both
    issuer: str = Field("https://alphintra.local", min_length=1)
    audience: str = Field("alphintra-mesh", min_length=1)
    access_token_lifetime_seconds: int = Field(900, ge=10, le=DAY)
    refresh_token_lifetime_seconds: int = Field(30 * DAY, ge=60, le=365 * DAY)
    api_key_token_lifetime_seconds: int = Field(900, ge=10, le=DAY)
    # how long a key signs before the next one takes over
    key_rotation_period_seconds: float = Field(7 * DAY, gt=0)
    # how long a new key is published before it signs: more than Envoy's JWKS cache duration
    key_publication_delay_seconds: float = Field(1200, ge=0)
    # how often a replica re-reads the keys (and rotates them when due)
    key_refresh_seconds: float = Field(30, gt=0, le=3600)
    # the verifiers' clock tolerance: a retired key stays published this much longer
    clock_skew_seconds: int = Field(60, ge=0, le=600)
    # encrypts the signing keys at rest; without it they are stored as plain PKCS#8
    signing_key_passphrase: SecretStr | None = None
    # failed logins before an account is locked for LOGIN_LOCKOUT_SECONDS
    login_max_failures: int = Field(5, ge=1, le=1000)
    login_lockout_seconds: int = Field(900, ge=1, le=DAY)
    # Argon2id cost (RFC 9106's second recommendation by default)
    password_hash_time_cost: int = Field(3, ge=1, le=20)
    password_hash_memory_kib: int = Field(64 * 1024, ge=8 * 1024, le=4 * 1024 * 1024)
    password_hash_parallelism: int = Field(4, ge=1, le=64)
    redis_key_prefix: str = "gateway:"
    # created on first start when both are set; never a default password
    bootstrap_admin_email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    bootstrap_admin_password: SecretStr | None = None
    bootstrap_organization_name: str = Field("Alphintra", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _bootstrap_pair(self) -> Self:
        if (self.bootstrap_admin_email is None) != (self.bootstrap_admin_password is None):
            raise ValueError("set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or neither")
        if self.bootstrap_admin_email is not None and self.bootstrap_admin_password is not None:
            problems = password_violations(
                "password", self.bootstrap_admin_password.get_secret_value(), self.bootstrap_admin_email
            )
            if problems:
                reasons = "; ".join(problem.description for problem in problems)
                raise ValueError(f"BOOTSTRAP_ADMIN_PASSWORD is not allowed: {reasons}")
        return self
