"""What the gateway tests share: settings for a fast gateway, verified claims, status details.

`forwarded_claims` does for a direct call what Envoy does in front of the mesh: verify the
token against the gateway's own JWKS and present its claims as the identity headers.
Tests through a real Envoy (test_front_door_*.py) check that Envoy does exactly this.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import jwt
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.core.identity.claims import API_KEY_HEADER, AUTH_METHOD_HEADER, EXPIRY_HEADER
from services.mesh.identity import ORGANIZATION_HEADER, ROLE_HEADER, TIER_HEADER, USER_HEADER

ADMIN_EMAIL = "root@alphintra.test"
ADMIN_PASSWORD = "correct horse battery staple"
ISSUER = "https://alphintra.test"
AUDIENCE = "alphintra-test"


def gateway_environment(database_url: str, redis_url: str, namespace: str, **extra: str) -> dict[str, str]:
    """A gateway with a bootstrap admin, a cheap password hash (tests hash many) and its own Redis keys."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALPHINTRA_GATEWAY__ISSUER": ISSUER,
        "ALPHINTRA_GATEWAY__AUDIENCE": AUDIENCE,
        "ALPHINTRA_GATEWAY__REDIS_KEY_PREFIX": f"{namespace}:",
        "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "ALPHINTRA_GATEWAY__PASSWORD_HASH_TIME_COST": "1",
        "ALPHINTRA_GATEWAY__PASSWORD_HASH_MEMORY_KIB": "8192",
        "ALPHINTRA_GATEWAY__PASSWORD_HASH_PARALLELISM": "1",
        **extra,
    }


async def fetch_jwks(stub: auth_pb2_grpc.AuthServiceStub) -> dict[str, Any]:
    body = await stub.GetJwks(auth_pb2.GetJwksRequest())
    assert body.content_type == "application/json"
    return json.loads(body.data)


def verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims of `token` if it verifies against `jwks` as Envoy checks it; raises otherwise."""
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [key for key in jwks["keys"] if key["kid"] == kid]
    return jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER, leeway=60
    )


def forwarded_claims(claims: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    headers = [
        (USER_HEADER, claims["sub"]),
        (ORGANIZATION_HEADER, claims["org"]),
        (ROLE_HEADER, claims["role"]),
        (TIER_HEADER, claims["tier"]),
        (AUTH_METHOD_HEADER, claims["auth_method"]),
        (EXPIRY_HEADER, str(claims["exp"])),
    ]
    if "api_key_id" in claims:
        headers.append((API_KEY_HEADER, claims["api_key_id"]))
    return tuple(headers)


def details(error: grpc.aio.AioRpcError, kind: type) -> Any:
    """The first rich-error detail of type `kind` (BadRequest, RetryInfo...), or None."""
    status = rpc_status.from_call(error)
    for detail in status.details if status is not None else ():
        if detail.Is(kind.DESCRIPTOR):
            unpacked = kind()
            detail.Unpack(unpacked)
            return unpacked
    return None


def violated_fields(error: grpc.aio.AioRpcError) -> set[str]:
    bad_request = details(error, error_details_pb2.BadRequest)
    return {violation.field for violation in bad_request.field_violations} if bad_request else set()
