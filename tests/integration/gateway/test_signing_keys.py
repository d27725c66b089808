"""Signing keys: published before they sign, kept after they retire, encrypted at rest when asked."""

import asyncio
import os
import sys

import grpc
import jwt
import pytest

from alphintra.auth.v1 import auth_pb2
from services.gateway import rotate_keys

from .conftest import start_gateway
from .identity_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, fetch_jwks, gateway_environment, verify

pytestmark = pytest.mark.integration


REFRESH_SECONDS = 0.2


def rotatable_environment(database_url, redis_url, namespace):
    """A gateway whose next key may sign at once (no verifier caches its JWKS here)."""
    return gateway_environment(
        database_url,
        redis_url,
        namespace,
        ALPHINTRA_GATEWAY__KEY_PUBLICATION_DELAY_SECONDS="0",
        ALPHINTRA_GATEWAY__KEY_REFRESH_SECONDS=str(REFRESH_SECONDS),
        ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE="a passphrase for the keys at rest",
    )


@pytest.fixture
async def rotatable(database_url, redis_url, namespace):
    gateway = await start_gateway(rotatable_environment(database_url, redis_url, namespace))
    yield gateway
    await gateway.stop()


async def login(gateway) -> str:
    response = await gateway.stub.Login(auth_pb2.LoginRequest(username=ADMIN_EMAIL, password=ADMIN_PASSWORD))
    return response.tokens.access_token


async def test_the_jwks_publishes_the_next_key_before_it_signs(gateway):
    token = await login(gateway)

    jwks = await fetch_jwks(gateway.stub)

    kids = [key["kid"] for key in jwks["keys"]]
    assert len(kids) == 2
    assert kids[0] == jwt.get_unverified_header(token)["kid"]  # the signing key comes first
    for key in jwks["keys"]:
        assert set(key) == {"kty", "crv", "x", "y", "kid", "alg", "use"}


async def test_a_rotation_too_soon_after_publication_is_refused(gateway):
    with pytest.raises(Exception, match="published too recently"):
        await gateway.app.keys.rotate_now()


async def test_after_rotation_old_tokens_still_verify_and_new_ones_use_the_next_key(rotatable):
    before = await login(rotatable)
    published = [key["kid"] for key in (await fetch_jwks(rotatable.stub))["keys"]]

    await rotatable.app.keys.rotate_now()
    after = await login(rotatable)
    jwks = await fetch_jwks(rotatable.stub)

    old_kid, new_kid = (jwt.get_unverified_header(token)["kid"] for token in (before, after))
    assert new_kid == published[1] != old_kid
    assert [key["kid"] for key in jwks["keys"]][:1] == [new_kid]
    assert {old_kid, new_kid} < {key["kid"] for key in jwks["keys"]}  # and a fresh next key
    assert verify(before, jwks)["sub"] == verify(after, jwks)["sub"]


async def test_operators_rotate_from_the_command_line_and_replicas_follow(
    rotatable, database_url, redis_url, namespace
):
    before = jwt.get_unverified_header(await login(rotatable))["kid"]

    assert (
        await asyncio.to_thread(rotate_keys.main, rotatable_environment(database_url, redis_url, namespace))
        == 0
    )
    await asyncio.sleep(REFRESH_SECONDS * 2)  # the running replica re-reads its keys

    assert jwt.get_unverified_header(await login(rotatable))["kid"] != before


async def test_the_command_line_refuses_to_sign_with_a_key_verifiers_may_not_know(
    gateway, database_url, redis_url, namespace, capsys
):
    environment = gateway_environment(database_url, redis_url, namespace)

    assert await asyncio.to_thread(rotate_keys.main, environment) == 1
    assert "published too recently" in capsys.readouterr().err


async def test_keys_are_encrypted_at_rest_with_the_passphrase(rotatable):
    rows = await rotatable.service.resources.database.fetch("SELECT private_key FROM signing_keys")

    assert rows
    for row in rows:
        assert bytes(row["private_key"]).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


async def test_a_second_replica_signs_with_the_same_keys(rotatable, database_url, redis_url, namespace):
    replica = await start_gateway(rotatable_environment(database_url, redis_url, namespace))
    try:
        first, second = await login(rotatable), await login(replica)
        assert jwt.get_unverified_header(first)["kid"] == jwt.get_unverified_header(second)["kid"]
        assert await fetch_jwks(rotatable.stub) == await fetch_jwks(replica.stub)
    finally:
        await replica.stop()


async def test_a_wrong_passphrase_stops_the_service_at_start(rotatable, database_url, redis_url, namespace):
    environment = gateway_environment(
        database_url, redis_url, namespace, ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE="not the passphrase"
    )
    started = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.gateway",
        env={**os.environ, **environment, "ALPHINTRA_GATEWAY__PORT": "0"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(started.communicate(), timeout=60)

    assert started.returncode != 0
    assert b"SIGNING_KEY_PASSPHRASE" in output


async def test_the_jwks_is_served_without_identity(gateway):
    jwks = await fetch_jwks(gateway.stub)
    assert jwks["keys"]
    with pytest.raises(grpc.aio.AioRpcError):
        await gateway.stub.WhoAmI(auth_pb2.WhoAmIRequest())
