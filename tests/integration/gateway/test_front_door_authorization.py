"""Through a real Envoy: role and plan tier are enforced per RPC from the verified claims (RBAC),
before any service is called; a refused call never reaches an upstream."""

from collections.abc import Iterator

import grpc
import pytest

from alphintra.auth.v1 import auth_pb2
from services.core.identity.tiers import PlanTier, role_at_least, tier_at_least
from services.core.ownership import Role
from services.mesh.envoy_config import mesh_rpcs

from .front_door import DESCRIPTOR
from .front_door_clients import Person, new_person

pytestmark = pytest.mark.integration

ROLES = {
    Role.VIEWER: auth_pb2.ROLE_VIEWER,
    Role.TRADER: auth_pb2.ROLE_TRADER,
    Role.ADMIN: auth_pb2.ROLE_ADMIN,
}
TIERS = {
    PlanTier.BASIC: auth_pb2.PLAN_TIER_BASIC,
    PlanTier.PRO: auth_pb2.PLAN_TIER_PRO,
    PlanTier.PREMIUM: auth_pb2.PLAN_TIER_PREMIUM,
}


def answered_by_upstream(error: grpc.RpcError) -> bool:
    """Envoy adds this header to responses that came from an upstream, never to its own refusals."""
    headers = [*(error.initial_metadata() or ()), *(error.trailing_metadata() or ())]
    return any(key == "x-envoy-upstream-service-time" for key, _ in headers)


def call_with_empty_request(mesh, path: str, person: Person) -> grpc.StatusCode | None:
    """None when the call got past Envoy (answered by the service, whatever it said)."""
    call = mesh.channel().unary_unary(path, request_serializer=bytes, response_deserializer=bytes)
    try:
        call(b"", metadata=person.metadata, timeout=10)
    except grpc.RpcError as error:
        return None if answered_by_upstream(error) else error.code()
    return None


def one_unary_rpc_per_requirement() -> Iterator[tuple[str, object]]:
    seen = set()
    for rpc in mesh_rpcs(DESCRIPTOR):
        requirement = rpc.requirement
        if rpc.streaming or not requirement.checks_claims or requirement in seen:
            continue
        seen.add(requirement)
        yield rpc.path, requirement


@pytest.fixture(scope="module")
def people(mesh, root) -> dict[tuple[Role, PlanTier], Person]:
    return {
        (role, tier): new_person(mesh, root, role=ROLES[role], tier=TIERS[tier], label=f"{role}-{tier}")
        for role in ROLES
        for tier in TIERS
    }


def test_every_role_and_tier_gets_exactly_the_rpcs_its_claims_allow(mesh, people):
    checked = 0
    for path, requirement in one_unary_rpc_per_requirement():
        for (role, tier), person in people.items():
            allowed = role_at_least(role, requirement.role) and tier_at_least(tier, requirement.tier)
            refusal = call_with_empty_request(mesh, path, person)
            expected = None if allowed else grpc.StatusCode.PERMISSION_DENIED
            assert refusal == expected, f"{role}/{tier} on {path} (needs {requirement}): {refusal}"
            checked += 1
    assert checked >= 9 * 6  # every (role, tier) against every kind of requirement there is


def test_a_basic_user_is_refused_a_premium_route_over_grpc_and_rest(mesh, people):
    basic = people[(Role.TRADER, PlanTier.BASIC)]
    premium = people[(Role.TRADER, PlanTier.PREMIUM)]
    path = "/alphintra.predictor.v1.DeploymentService/ListDeployments"

    assert call_with_empty_request(mesh, path, basic) == grpc.StatusCode.PERMISSION_DENIED
    assert call_with_empty_request(mesh, path, premium) is None
    with mesh.http() as http:
        refused = http.get("/v1/deployments", headers=basic.headers)
        admitted = http.get("/v1/deployments", headers=premium.headers)
    assert (refused.status_code, refused.text) == (403, "RBAC: access denied")
    assert admitted.headers.get("x-envoy-upstream-service-time") is not None


def test_a_viewer_reads_but_cannot_write(mesh, people):
    viewer = people[(Role.VIEWER, PlanTier.PREMIUM)]
    with mesh.http() as http:
        read = http.get("/v1/workflows", headers=viewer.headers)
        write = http.post("/v1/workflows", json={"workflow": {"displayName": "nope"}}, headers=viewer.headers)

    assert read.status_code == 200
    assert write.status_code == 403


def test_only_admins_reach_user_management(mesh, people):
    path = "/alphintra.auth.v1.AuthService/ListUsers"

    assert call_with_empty_request(mesh, path, people[(Role.TRADER, PlanTier.PREMIUM)]) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    assert call_with_empty_request(mesh, path, people[(Role.ADMIN, PlanTier.BASIC)]) is None
