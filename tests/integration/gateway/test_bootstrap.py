"""The first admin comes from the environment, once, and never with a default password."""

import grpc
import pytest

from alphintra.auth.v1 import auth_pb2
from services.gateway.settings import GatewaySettings
from services.mesh.settings import SettingsError

from .conftest import start_gateway
from .identity_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, gateway_environment

pytestmark = pytest.mark.integration

BOOTSTRAP_KEYS = ("ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL", "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD")


def without_bootstrap(environment):
    return {key: value for key, value in environment.items() if key not in BOOTSTRAP_KEYS}


async def count_users(gateway) -> int:
    return await gateway.service.resources.database.fetchval("SELECT count(*) FROM users")


async def test_without_the_variables_nobody_is_created(database_url, redis_url, namespace):
    gateway = await start_gateway(without_bootstrap(gateway_environment(database_url, redis_url, namespace)))
    try:
        assert await count_users(gateway) == 0
    finally:
        await gateway.stop()


async def test_the_admin_is_created_once_and_a_later_password_does_not_replace_theirs(
    database_url, redis_url, namespace
):
    environment = gateway_environment(database_url, redis_url, namespace)
    first = await start_gateway(environment)
    await first.stop()
    changed = {**environment, "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD": "another password entirely"}

    second = await start_gateway(changed)
    try:
        assert await count_users(second) == 1
        signed_in = await second.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        assert signed_in.claims["role"] == "admin"
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await second.stub.Login(
                auth_pb2.LoginRequest(username=ADMIN_EMAIL, password="another password entirely")
            )
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await second.stop()


def test_a_weak_bootstrap_password_stops_the_service_at_start():
    with pytest.raises(SettingsError, match="BOOTSTRAP_ADMIN_PASSWORD"):
        GatewaySettings.load(
            {
                "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL": "admin@alphintra.test",
                "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD": "admin",
            }
        )


def test_an_email_without_a_password_is_refused():
    with pytest.raises(SettingsError, match="set both"):
        GatewaySettings.load({"ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL": "admin@alphintra.test"})


def test_the_password_is_never_shown():
    settings = GatewaySettings.load(
        {
            "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL": "admin@alphintra.test",
            "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
    )
    assert ADMIN_PASSWORD not in repr(settings)
