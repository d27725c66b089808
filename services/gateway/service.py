"""Wiring of the identity service: stores, keys and facade from the settings; the bootstrap admin."""

from collections.abc import Sequence
from pathlib import Path

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.gateway.app import build_app
from services.gateway.bootstrap import ensure_bootstrap_admin
from services.gateway.handlers import GatewayHandlers
from services.gateway.settings import GatewaySettings
from services.mesh.server import Registration, Resources, ServiceDefinition


async def build(resources: Resources) -> Sequence[Registration]:
    settings = resources.settings
    assert isinstance(settings, GatewaySettings)
    # the definition asks for both
    assert resources.database is not None
    assert resources.redis is not None
    app = build_app(settings, resources.database, resources.redis, resources.clock)
    await ensure_bootstrap_admin(
        app.users,
        app.passwords,
        email=settings.bootstrap_admin_email,
        password=settings.bootstrap_admin_password,
        organization_name=settings.bootstrap_organization_name,
        clock=resources.clock,
    )
    # the first start creates the first keys, so the JWKS is complete before Envoy asks for it
    await app.keys.signing_key()
    return [Registration.of(auth_pb2, auth_pb2_grpc, "AuthService", GatewayHandlers(app))]


DEFINITION = ServiceDefinition(
    name="gateway",
    settings_type=GatewaySettings,
    build=build,
    schema="gateway",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
