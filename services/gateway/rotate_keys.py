"""`python -m services.gateway.rotate_keys`: stop signing with the current key now.

For a suspected key leak, or a drill. It reads the gateway's settings like the service does
(`ALPHINTRA_GATEWAY__*`, DATABASE_URL) and applies the rotation every replica would: the next
key, published long enough ago for Envoy to know it, starts signing; the old one stays in the
JWKS until the tokens it signed expire. Replicas pick the change up within KEY_REFRESH_SECONDS.
Refused (exit code 1) while the next key is too new for every verifier to have fetched it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from datetime import timedelta

from services.core.errors import FailedPrecondition
from services.gateway.app import rotation_policy
from services.gateway.key_ring import KeyRing
from services.gateway.key_store import KeyStore
from services.gateway.service import DEFINITION
from services.gateway.settings import GatewaySettings
from services.mesh.database import create_pool
from services.mesh.server import utc_now
from services.mesh.settings import SettingsError


async def rotate(settings: GatewaySettings) -> str:
    """The id of the key that signs from now on."""
    if settings.database_url is None:
        raise SettingsError("rotating keys needs DATABASE_URL (or ALPHINTRA_GATEWAY__DATABASE_URL)")
    pool = await create_pool(
        settings.database_url.get_secret_value(),
        schema=DEFINITION.schema,
        timeout_seconds=settings.dependency_timeout_seconds,
        max_size=1,
    )
    try:
        passphrase = settings.signing_key_passphrase
        store = KeyStore(pool, passphrase.get_secret_value().encode() if passphrase else None)
        ring = KeyRing(
            store, rotation_policy(settings), timedelta(seconds=settings.key_refresh_seconds), utc_now
        )
        return (await ring.rotate_now()).kid
    finally:
        await pool.close()


def main(environ: Mapping[str, str] | None = None) -> int:
    try:
        kid = asyncio.run(rotate(GatewaySettings.load(environ)))
    except (SettingsError, FailedPrecondition) as error:
        print(f"not rotated: {error}", file=sys.stderr)
        return 1
    print(f"signing with key {kid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
