"""A real identity service on real PostgreSQL and Redis, called over real gRPC; and, once per
session, the whole mesh behind a real Envoy (`mesh`)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.core.identity.tiers import PlanTier
from services.gateway.app import GatewayApp
from services.gateway.handlers import GatewayHandlers
from services.gateway.service import DEFINITION
from services.mesh.envoy_config import Bucket, RateLimits
from services.mesh.server import RunningService, start_service

from . import fuzz_inputs
from .front_door import mesh_behind_envoy, private_database
from .front_door_clients import Person, signed_in_admin
from .identity_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    fetch_jwks,
    forwarded_claims,
    gateway_environment,
    verify,
)


class Session:
    """One signed-in user: their tokens and the identity headers Envoy would forward for them."""

    def __init__(
        self, stub: auth_pb2_grpc.AuthServiceStub, tokens: auth_pb2.IssuedTokens, claims: dict
    ) -> None:
        self.stub = stub
        self.tokens = tokens
        self.claims = claims
        self.metadata = forwarded_claims(claims)

    @property
    def user_id(self) -> str:
        return self.claims["sub"]

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.stub, method)

        async def invoke(request: Any) -> Any:
            return await call(request, metadata=self.metadata)

        return invoke


@dataclass
class Gateway:
    service: RunningService
    channel: grpc.aio.Channel

    @property
    def stub(self) -> auth_pb2_grpc.AuthServiceStub:
        return auth_pb2_grpc.AuthServiceStub(self.channel)

    async def stop(self) -> None:
        await self.channel.close()
        await self.service.stop(0)

    @property
    def app(self) -> GatewayApp:
        [registration] = self.service.registrations
        assert isinstance(registration.servicer, GatewayHandlers)
        return registration.servicer.app

    async def session(self, tokens: auth_pb2.IssuedTokens) -> Session:
        return Session(self.stub, tokens, verify(tokens.access_token, await fetch_jwks(self.stub)))

    async def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> Session:
        response = await self.stub.Login(auth_pb2.LoginRequest(username=email, password=password))
        return await self.session(response.tokens)

    async def add_user(
        self,
        admin: Session,
        email: str,
        *,
        role: int = auth_pb2.ROLE_TRADER,
        tier: int = auth_pb2.PLAN_TIER_UNSPECIFIED,
        password: str = "a long enough password",
    ) -> Session:
        await admin.CreateUser(
            auth_pb2.CreateUserRequest(
                user=auth_pb2.User(
                    email=email, display_name=email.split("@", maxsplit=1)[0], role=role, plan_tier=tier
                ),
                initial_password=password,
            )
        )
        return await self.sign_in(email, password)


async def start_gateway(environment: dict[str, str]) -> Gateway:
    service = await start_service(DEFINITION, DEFINITION.settings_type.load(environment))
    return Gateway(service, grpc.aio.insecure_channel(f"127.0.0.1:{service.port}"))


@pytest.fixture
async def gateway(database_url, redis_url, namespace):
    running = await start_gateway(gateway_environment(database_url, redis_url, namespace))
    yield running
    await running.stop()


@pytest.fixture
async def admin(gateway) -> Session:
    return await gateway.sign_in()


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


# basic users get a small budget so that the rate-limit test sees 429s quickly; one address
# (127.0.0.1) makes every anonymous call of the session, so its budget is large
TEST_RATE_LIMITS = RateLimits(
    per_tier={
        PlanTier.BASIC: Bucket(max_tokens=10, tokens_per_fill=10, fill_interval_seconds=1.0),
        PlanTier.PRO: Bucket(max_tokens=200, tokens_per_fill=200),
        PlanTier.PREMIUM: Bucket(max_tokens=2000, tokens_per_fill=2000),
    },
    anonymous=Bucket(max_tokens=5000, tokens_per_fill=5000),
)


@pytest.fixture(scope="session")
def mesh(postgres_server_url, redis_server_url):
    """All five services and Envoy (TLS, JWT, RBAC, rate limits, REST, gRPC-Web), once per session."""
    run_dir = Path(tempfile.mkdtemp(prefix="alphintra-frontdoor-"))
    try:
        with (
            private_database(postgres_server_url) as database_url,
            mesh_behind_envoy(
                run_dir, database_url, redis_server_url, rate_limits=TEST_RATE_LIMITS
            ) as running,
        ):
            yield running
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def root(mesh) -> Person:
    """The bootstrap admin, signed in through Envoy."""
    return signed_in_admin(mesh)


def pytest_terminal_summary(terminalreporter) -> None:
    """How much hostile input the fuzz tests threw at the front door (issue: report the number)."""
    counts = fuzz_inputs.TALLY
    if counts["inputs"]:
        terminalreporter.write_line(
            f"fuzz: {counts['inputs']} inputs tried through Envoy, {counts['accepted']} accepted, "
            f"{counts['refused']} refused (each checked: a clean code, no stored data changed)"
        )
