"""Opaque secrets, refresh rotation outcomes, plan tiers and the RPC access table."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from services.core.identity import access
from services.core.identity.access import PUBLIC, Requirement, TokenRule
from services.core.identity.opaque_tokens import (
    API_KEY_KIND,
    REFRESH_TOKEN_KIND,
    digest_matches,
    new_token,
    parse_token,
)
from services.core.identity.refresh_rotation import RefreshOutcome, refresh_outcome
from services.core.identity.tiers import (
    PlanTier,
    lower_role,
    role_at_least,
    tier_at_least,
    tier_named,
    tiers_from,
)
from services.core.ownership import Role

DESCRIPTOR_SET = Path(__file__).resolve().parents[3] / "deploy" / "envoy" / "alphintra.pb"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_an_opaque_token_round_trips_through_its_text():
    token = new_token(API_KEY_KIND)

    parsed = parse_token(token.text, API_KEY_KIND)

    assert parsed == token
    assert token.text.startswith("ak_live_")
    assert token.display_prefix == token.text[:16]
    assert digest_matches(parsed, token.digest())


def test_a_token_of_another_kind_or_shape_does_not_parse():
    refresh = new_token(REFRESH_TOKEN_KIND)

    assert parse_token(refresh.text, API_KEY_KIND) is None
    assert parse_token(refresh.text[:-1], REFRESH_TOKEN_KIND) is None
    assert parse_token("rt_zzzzzzzzzzzzzzzz_" + "a" * 43, REFRESH_TOKEN_KIND) is None
    assert parse_token("", REFRESH_TOKEN_KIND) is None


def test_a_changed_secret_does_not_match_the_stored_digest():
    token = new_token(REFRESH_TOKEN_KIND)
    other = new_token(REFRESH_TOKEN_KIND)

    assert not digest_matches(token, other.digest())


@pytest.mark.parametrize(
    ("rotated", "revoked", "expires_in", "outcome"),
    [
        (False, False, 60, RefreshOutcome.ROTATE),
        (True, False, 60, RefreshOutcome.REUSED),
        (True, True, 60, RefreshOutcome.REVOKED),
        (False, True, 60, RefreshOutcome.REVOKED),
        (False, False, 0, RefreshOutcome.EXPIRED),
        (True, False, -60, RefreshOutcome.REUSED),
    ],
)
def test_refresh_outcomes(rotated, revoked, expires_in, outcome):
    assert (
        refresh_outcome(
            rotate_time=NOW if rotated else None,
            revoke_time=NOW if revoked else None,
            expire_time=NOW + timedelta(seconds=expires_in),
            now=NOW,
        )
        is outcome
    )


def test_roles_and_tiers_are_ordered():
    assert role_at_least(Role.ADMIN, Role.TRADER)
    assert not role_at_least(Role.VIEWER, Role.TRADER)
    assert tier_at_least(PlanTier.PREMIUM, PlanTier.PRO)
    assert not tier_at_least(PlanTier.BASIC, PlanTier.PRO)
    assert tiers_from(PlanTier.PRO) == (PlanTier.PRO, PlanTier.PREMIUM)
    assert lower_role(Role.ADMIN, Role.VIEWER) is Role.VIEWER
    assert tier_named("premium") is PlanTier.PREMIUM
    assert tier_named("platinum") is PlanTier.BASIC


def test_reads_need_a_viewer_and_writes_a_trader_at_the_services_tier():
    service = "alphintra.trainer.v1.TrainingService"

    assert access.requirement(service, "GetJob", "get") == Requirement(role=Role.VIEWER, tier=PlanTier.PRO)
    assert access.requirement(service, "CreateJob", "post") == Requirement(
        role=Role.TRADER, tier=PlanTier.PRO
    )


def test_sign_in_and_health_need_no_token_and_logout_takes_one_if_sent():
    assert access.requirement("alphintra.auth.v1.AuthService", "Login", "post") is PUBLIC
    assert access.requirement("inference.GRPCInferenceService", "ServerLive", "get") is PUBLIC
    assert access.requirement("alphintra.auth.v1.AuthService", "Logout", "post").token is TokenRule.OPTIONAL


def test_an_unknown_service_must_be_given_a_tier_before_it_is_exposed():
    with pytest.raises(access.UnknownService):
        access.requirement("alphintra.billing.v1.BillingService", "Charge", "post")


def mesh_methods():
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    for file in descriptor_set.file:
        if not file.package.startswith(("alphintra.", "inference")):
            continue
        for service in file.service:
            for method in service.method:
                rule = method.options.Extensions[annotations_pb2.http]
                yield f"{file.package}.{service.name}", method.name, rule.WhichOneof("pattern") or "post"


def test_every_rpc_of_the_protos_has_a_requirement():
    methods = list(mesh_methods())

    assert len(methods) > 100
    for service, method, verb in methods:
        assert isinstance(access.requirement(service, method, verb), Requirement)
    named = {f"{service}/{method}" for service, method, _ in methods}
    assert set(access.METHOD_REQUIREMENTS) <= named, "an exception names an RPC the protos do not have"
