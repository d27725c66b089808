"""Through a real Envoy: no call reaches a service without a valid token, and identity cannot be forged.

Tokens are verified by Envoy's jwt_authn against the gateway's JWKS; these tests craft bad
tokens with the gateway's own signing key (read from its database, as a replica reads it)
to prove each check is made.
"""

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from alphintra.workflow.v1 import workflow_service_pb2, workflow_service_pb2_grpc
from services.core.identity.claims import AccessClaims, AuthenticationMethod
from services.core.identity.signing_keys import generate_private_key
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role

from .front_door_clients import bearer, new_person
from .identity_helpers import AUDIENCE, ISSUER

pytestmark = pytest.mark.integration

IDENTITY_HEADERS = {
    "x-alphintra-user-id": "victim",
    "x-alphintra-org-id": "victims-org",
    "x-alphintra-role": "admin",
    "x-alphintra-tier": "premium",
    "x-alphintra-auth-method": "password",
}


def who_am_i(mesh, metadata=()):
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    return stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=metadata, timeout=10)


def refused(mesh, metadata) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        who_am_i(mesh, metadata)
    return caught.value.code()


def claims_for(person, **overrides) -> AccessClaims:
    values = {
        "user_id": person.user_id,
        "organization_id": person.claims["org"],
        "role": Role(person.claims["role"]),
        "tier": PlanTier(person.claims["tier"]),
        "method": AuthenticationMethod.PASSWORD,
        "token_id": uuid.uuid4().hex,
        "issued_at": datetime.now(tz=UTC).replace(microsecond=0),
        "lifetime": timedelta(minutes=5),
    }
    return AccessClaims(**{**values, **overrides})


# -- no token ---------------------------------------------------------------------------


def test_without_a_token_rest_answers_401_and_grpc_unauthenticated(mesh):
    with mesh.http() as http:
        reply = http.get("/v1/auth/whoami")
        workflows = http.get("/v1/workflows")

    assert reply.status_code == workflows.status_code == 401
    assert refused(mesh, ()) == grpc.StatusCode.UNAUTHENTICATED
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(mesh.channel())
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListWorkflows(workflow_service_pb2.ListWorkflowsRequest(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_sign_in_the_jwks_and_health_need_no_token(mesh):
    with mesh.http() as http:
        jwks = http.get("/.well-known/jwks.json")
        live = http.get("/v2/health/live")
        login = http.post("/v1/auth:login", json={"username": "nobody@alphintra.test", "password": "x" * 12})

    assert jwks.status_code == 200
    assert jwks.headers["content-type"] == "application/json"
    assert {key["alg"] for key in jwks.json()["keys"]} == {"ES256"}
    assert (live.status_code, live.json()) == (200, {"live": True})
    assert login.status_code == 401  # answered by the gateway: a wrong password, not a missing token
    assert login.json()["message"] == "the user name or password is wrong"


def test_a_method_the_access_table_does_not_know_is_refused_even_with_a_token(mesh, root):
    call = mesh.channel().unary_unary(
        "/alphintra.workflow.v1.WorkflowService/DropAllTables",
        request_serializer=bytes,
        response_deserializer=bytes,
    )
    with pytest.raises(grpc.RpcError) as caught:
        call(b"", metadata=root.metadata, timeout=10)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


# -- bad tokens -------------------------------------------------------------------------


def test_an_expired_token_is_refused(mesh, root):
    key = mesh.signing_key()
    long_ago = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    expired = key.sign(claims_for(root, issued_at=long_ago), ISSUER, AUDIENCE)

    assert refused(mesh, bearer(expired)) == grpc.StatusCode.UNAUTHENTICATED
    with mesh.http() as http:
        reply = http.get("/v1/auth/whoami", headers={"authorization": f"Bearer {expired}"})
    assert reply.status_code == 401
    assert "expired" in reply.text.lower()


def test_a_token_for_another_audience_or_issuer_is_refused(mesh, root):
    key = mesh.signing_key()
    claims = claims_for(root)

    # a genuine token minted for another API is "not for you" (Envoy answers 403), not "who are you"
    assert (
        refused(mesh, bearer(key.sign(claims, ISSUER, "some-other-api"))) == grpc.StatusCode.PERMISSION_DENIED
    )
    assert (
        refused(mesh, bearer(key.sign(claims, "https://evil.test", AUDIENCE)))
        == grpc.StatusCode.UNAUTHENTICATED
    )
    # the same claims, correctly addressed, pass: the refusals above were for audience and issuer alone
    assert who_am_i(mesh, bearer(key.sign(claims, ISSUER, AUDIENCE))).user.id == root.user_id
    with mesh.http() as http:
        reply = http.get(
            "/v1/auth/whoami", headers={"authorization": f"Bearer {key.sign(claims, ISSUER, 'x')}"}
        )
    assert (reply.status_code, reply.text) == (403, "Audiences in Jwt are not allowed")


def test_a_token_signed_by_another_key_under_our_key_id_is_refused(mesh, root):
    kid = mesh.signing_key().kid
    forged = jwt.encode(
        claims_for(root).payload(ISSUER, AUDIENCE),
        generate_private_key(),
        algorithm="ES256",
        headers={"kid": kid},
    )

    assert refused(mesh, bearer(forged)) == grpc.StatusCode.UNAUTHENTICATED


def test_an_unsigned_alg_none_token_is_refused(mesh, root):
    def segment(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    kid = mesh.signing_key().kid
    unsigned = ".".join(
        [
            segment({"alg": "none", "typ": "JWT", "kid": kid}),
            segment(claims_for(root).payload(ISSUER, AUDIENCE)),
            "",
        ]
    )

    assert refused(mesh, bearer(unsigned)) == grpc.StatusCode.UNAUTHENTICATED


def test_a_tampered_token_is_refused(mesh, root):
    header, payload, signature = root.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    claims["sub"] = "somebody-else"
    tampered_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert (
        refused(mesh, bearer(f"{header}.{tampered_payload}.{signature}")) == grpc.StatusCode.UNAUTHENTICATED
    )


# -- keys rotate, identity cannot be forged ---------------------------------------------


def test_a_rotated_signing_key_keeps_old_tokens_valid_until_they_expire(mesh, root):
    old_token = mesh.sign_in().tokens.access_token
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    deadline = time.monotonic() + 30
    while True:  # the front door's gateway rotates every 4 s
        new_token = mesh.sign_in().tokens.access_token
        if jwt.get_unverified_header(new_token)["kid"] != old_kid:
            break
        assert time.monotonic() < deadline, "the signing key never rotated"
        time.sleep(0.5)

    assert who_am_i(mesh, bearer(new_token)).user.id == root.user_id
    assert who_am_i(mesh, bearer(old_token)).user.id == root.user_id
    with mesh.http() as http:
        published = {key["kid"] for key in http.get("/.well-known/jwks.json").json()["keys"]}
    assert old_kid in published


def test_identity_headers_sent_by_a_client_never_reach_a_service(mesh, root):
    victim = new_person(mesh, root, label="victim")
    smuggled = {**IDENTITY_HEADERS, "x-alphintra-user-id": victim.user_id}

    # with a token: the service sees the token's identity, not the smuggled one
    assert who_am_i(mesh, (*root.metadata, *smuggled.items())).user.id == root.user_id
    with mesh.http() as http:
        rest = http.get("/v1/auth/whoami", headers={**root.headers, **smuggled})
        # without a token, on a route that needs none: the service sees no identity at all
        logout = http.post("/v1/auth:logout", json={"allSessions": True}, headers=smuggled)
        # and on a route that needs one, the headers are no substitute for it
        anonymous = http.get("/v1/auth/whoami", headers=smuggled)
    assert rest.json()["user"]["id"] == root.user_id
    assert logout.status_code == 401
    assert anonymous.status_code == 401
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    still_signed_in = stub.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=victim.tokens.refresh_token)
    )
    assert still_signed_in.tokens.access_token


def test_a_revoked_api_key_stops_working(mesh, root):
    with mesh.http() as http:
        created = http.post(
            "/v1/apiKeys", json={"displayName": "nightly backtests"}, headers=root.headers
        ).json()
        exchanged = http.post("/v1/auth:exchangeApiKey", json={"apiKey": created["secret"]})
        machine = {"authorization": f"Bearer {exchanged.json()['tokens']['accessToken']}"}
        whoami = http.get("/v1/auth/whoami", headers=machine).json()

        revoked = http.post(f"/v1/apiKeys/{created['apiKey']['id']}:revoke", json={}, headers=root.headers)
        again = http.post("/v1/auth:exchangeApiKey", json={"apiKey": created["secret"]})

    assert exchanged.status_code == 200
    assert whoami["authenticationMethod"] == "AUTHENTICATION_METHOD_API_KEY"
    assert whoami["apiKeyId"] == created["apiKey"]["id"]
    assert revoked.status_code == 200
    assert revoked.json()["apiKey"]["revokeTime"]
    assert again.status_code == 401
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    with pytest.raises(grpc.RpcError) as caught:
        stub.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(api_key=created["secret"]), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
