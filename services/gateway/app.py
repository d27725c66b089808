"""The identity service's transport-free facade, assembled from its settings and connections.

Handlers call these parts; the rules live in them: `authentication` (sign-in, sessions,
API-key exchange, WhoAmI, JWKS), `api_keys`, `directory` (users and organizations) and
`keys`, the signing keys this replica uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from redis.asyncio import Redis

from services.core.identity.key_rotation import RotationPolicy
from services.core.identity.passwords import HashingCost, PasswordHasher
from services.gateway.api_keys import ApiKeys
from services.gateway.authentication import Authentication, Lifetimes
from services.gateway.credential_store import CredentialStore
from services.gateway.directory import Directory
from services.gateway.key_ring import KeyRing
from services.gateway.key_store import KeyStore
from services.gateway.login_throttle import LoginThrottle
from services.gateway.passwords import Passwords
from services.gateway.settings import GatewaySettings
from services.gateway.token_issuer import TokenIssuer
from services.gateway.user_store import UserStore


@dataclass(frozen=True, slots=True)
class GatewayApp:
    authentication: Authentication
    api_keys: ApiKeys
    directory: Directory
    keys: KeyRing
    users: UserStore
    passwords: Passwords


def rotation_policy(settings: GatewaySettings) -> RotationPolicy:
    longest_token = max(settings.access_token_lifetime_seconds, settings.api_key_token_lifetime_seconds)
    return RotationPolicy(
        rotation_period=timedelta(seconds=settings.key_rotation_period_seconds),
        publication_delay=timedelta(seconds=settings.key_publication_delay_seconds),
        retention=timedelta(seconds=longest_token + settings.clock_skew_seconds),
    )


def build_app(
    settings: GatewaySettings, database: asyncpg.Pool, redis: Redis, clock: Callable[[], datetime]
) -> GatewayApp:
    passphrase = settings.signing_key_passphrase
    keys = KeyRing(
        KeyStore(database, passphrase.get_secret_value().encode() if passphrase else None),
        rotation_policy(settings),
        timedelta(seconds=settings.key_refresh_seconds),
        clock,
    )
    users = UserStore(database)
    credentials = CredentialStore(database)
    passwords = Passwords(
        PasswordHasher(
            HashingCost(
                time_cost=settings.password_hash_time_cost,
                memory_kib=settings.password_hash_memory_kib,
                parallelism=settings.password_hash_parallelism,
            )
        )
    )
    authentication = Authentication(
        users=users,
        credentials=credentials,
        tokens=TokenIssuer(keys, settings.issuer, settings.audience, clock),
        keys=keys,
        passwords=passwords,
        throttle=LoginThrottle(
            redis,
            settings.redis_key_prefix,
            settings.login_max_failures,
            timedelta(seconds=settings.login_lockout_seconds),
        ),
        lifetimes=Lifetimes(
            access_token=timedelta(seconds=settings.access_token_lifetime_seconds),
            refresh_token=timedelta(seconds=settings.refresh_token_lifetime_seconds),
            api_key_token=timedelta(seconds=settings.api_key_token_lifetime_seconds),
        ),
        clock=clock,
    )
    return GatewayApp(
        authentication=authentication,
        api_keys=ApiKeys(users, credentials, clock),
        directory=Directory(users, credentials, passwords, clock),
        keys=keys,
        users=users,
        passwords=passwords,
    )
