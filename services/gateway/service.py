"""Wiring of the identity service.

The generated base servicers answer UNIMPLEMENTED for every RPC whose behaviour has not
landed yet (users, API keys, tokens and the JWKS: the gateway issue); handlers replace
them as it does.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.gateway.settings import GatewaySettings
from services.mesh.server import Registration, Resources, ServiceDefinition


async def build(_resources: Resources) -> Sequence[Registration]:
    return [
        Registration.of(auth_pb2, auth_pb2_grpc, "AuthService", auth_pb2_grpc.AuthServiceServicer()),
    ]


DEFINITION = ServiceDefinition(
    name="gateway",
    settings_type=GatewaySettings,
    build=build,
    schema="gateway",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
