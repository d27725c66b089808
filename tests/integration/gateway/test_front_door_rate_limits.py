"""Through a real Envoy: each user has a token bucket at their plan's rate; beyond it calls get
429 (REST) / RESOURCE_EXHAUSTED (gRPC), and the budget comes back as the bucket refills.

The session's Envoy gives BASIC users 10 calls at once, refilled by 10 every second
(conftest.TEST_RATE_LIMITS)."""

import time

import grpc
import pytest

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc

from .front_door_clients import new_person

pytestmark = pytest.mark.integration

BURST = 10


def test_beyond_the_budget_calls_are_refused_and_the_budget_recovers(mesh, root):
    basic = new_person(mesh, root, tier=auth_pb2.PLAN_TIER_BASIC, label="hasty")
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())

    outcomes = []
    for _ in range(3 * BURST):
        try:
            stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=basic.metadata, timeout=10)
            outcomes.append(grpc.StatusCode.OK)
        except grpc.RpcError as error:
            outcomes.append(error.code())
    with mesh.http() as http:
        rest = http.get("/v1/auth/whoami", headers=basic.headers)

    assert set(outcomes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert outcomes[:BURST] == [grpc.StatusCode.OK] * BURST
    assert rest.status_code == 429

    time.sleep(1.2)  # one refill
    assert stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=basic.metadata, timeout=10).user.id == basic.user_id


def test_one_users_budget_is_not_anothers(mesh, root):
    first = new_person(mesh, root, tier=auth_pb2.PLAN_TIER_BASIC, label="greedy")
    second = new_person(mesh, root, tier=auth_pb2.PLAN_TIER_BASIC, label="patient")
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    refusals = []
    for _ in range(2 * BURST):
        try:
            stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=first.metadata, timeout=10)
        except grpc.RpcError as error:
            refusals.append(error.code())

    assert refusals
    assert set(refusals) == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert (
        stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=second.metadata, timeout=10).user.id == second.user_id
    )


def test_higher_tiers_have_larger_budgets(mesh, root):
    pro = new_person(mesh, root, tier=auth_pb2.PLAN_TIER_PRO, label="pro")
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())

    for _ in range(3 * BURST):
        stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=pro.metadata, timeout=10)
