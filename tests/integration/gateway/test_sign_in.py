"""Signing in, refresh-token rotation with reuse detection, sign-out and WhoAmI — on real servers."""

import asyncio

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2

from alphintra.auth.v1 import auth_pb2

from .conftest import mask
from .identity_helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AUDIENCE,
    ISSUER,
    details,
    fetch_jwks,
    violated_fields,
)

pytestmark = pytest.mark.integration


async def test_login_issues_an_es256_token_whose_claims_envoy_can_verify(gateway):
    response = await gateway.stub.Login(auth_pb2.LoginRequest(username=ADMIN_EMAIL, password=ADMIN_PASSWORD))

    tokens = response.tokens
    header = jwt.get_unverified_header(tokens.access_token)
    jwks = await fetch_jwks(gateway.stub)
    signing = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    assert header["alg"] == "ES256"
    assert signing == [{**signing[0], "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig"}]
    claims = jwt.decode(
        tokens.access_token, jwt.PyJWK(signing[0]).key, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["sub"] == response.user.id
    assert claims["org"] == response.user.organization_id != ""
    assert (claims["role"], claims["tier"], claims["auth_method"]) == ("admin", "premium", "password")
    assert claims["exp"] - claims["iat"] == 900
    assert claims["exp"] == tokens.access_token_expire_time.seconds
    assert tokens.token_type == "Bearer"
    assert tokens.refresh_token.startswith("rt_")
    assert tokens.refresh_token_expire_time.seconds > claims["exp"]
    assert response.user.email == ADMIN_EMAIL
    assert response.user.last_login_time.seconds > 0


async def test_a_wrong_password_and_an_unknown_user_are_told_apart_by_nothing(gateway):
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await gateway.stub.Login(
            auth_pb2.LoginRequest(username=ADMIN_EMAIL, password="not the password at all")
        )
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await gateway.stub.Login(
            auth_pb2.LoginRequest(username="nobody@alphintra.test", password="whatever12345")
        )

    assert wrong.value.code() == unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong.value.details() == unknown.value.details()


async def test_the_user_name_is_compared_case_insensitively(gateway):
    response = await gateway.stub.Login(
        auth_pb2.LoginRequest(username=ADMIN_EMAIL.upper(), password=ADMIN_PASSWORD)
    )
    assert response.user.email == ADMIN_EMAIL


async def test_missing_fields_are_named(gateway):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gateway.stub.Login(auth_pb2.LoginRequest())

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == {"username", "password"}


async def test_repeated_failures_lock_the_account_even_for_the_right_password(gateway):
    wrong = auth_pb2.LoginRequest(username=ADMIN_EMAIL, password="guess number one!")
    for _ in range(5):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await gateway.stub.Login(wrong)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED

    with pytest.raises(grpc.aio.AioRpcError) as locked:
        await gateway.stub.Login(auth_pb2.LoginRequest(username=ADMIN_EMAIL, password=ADMIN_PASSWORD))

    assert locked.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    retry = details(locked.value, error_details_pb2.RetryInfo)
    assert 800 < retry.retry_delay.seconds <= 900


async def test_a_disabled_user_cannot_sign_in(gateway, admin):
    trader = await gateway.add_user(admin, "dora@alphintra.test")
    await admin.UpdateUser(
        auth_pb2.UpdateUserRequest(
            user=auth_pb2.User(id=trader.user_id, disabled=True), update_mask=mask("disabled")
        )
    )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gateway.sign_in("dora@alphintra.test", "a long enough password")
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as refresh:
        await gateway.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=trader.tokens.refresh_token)
        )
    assert refresh.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def refresh(gateway, token: str) -> auth_pb2.IssuedTokens:
    return (await gateway.stub.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=token))).tokens


async def test_refresh_rotates_the_refresh_token(gateway, admin):
    first = admin.tokens.refresh_token

    second = await refresh(gateway, first)
    third = await refresh(gateway, second.refresh_token)

    assert len({first, second.refresh_token, third.refresh_token}) == 3
    claims = (await gateway.session(third)).claims
    assert claims["sub"] == admin.user_id
    assert claims["jti"] != admin.claims["jti"]


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(gateway, admin):
    rotated = admin.tokens.refresh_token
    current = await refresh(gateway, rotated)

    with pytest.raises(grpc.aio.AioRpcError) as reuse:
        await refresh(gateway, rotated)
    assert reuse.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "already used" in reuse.value.details()

    # the thief and the user hold the same session: both must sign in again
    with pytest.raises(grpc.aio.AioRpcError) as after:
        await refresh(gateway, current.refresh_token)
    assert after.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_only_one_of_two_concurrent_refreshes_with_one_token_wins(gateway, admin):
    outcomes = await asyncio.gather(
        refresh(gateway, admin.tokens.refresh_token),
        refresh(gateway, admin.tokens.refresh_token),
        return_exceptions=True,
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AioRpcError", "IssuedTokens"]


async def test_a_session_of_another_sign_in_is_untouched_by_reuse(gateway, admin):
    other = await gateway.sign_in()
    await refresh(gateway, admin.tokens.refresh_token)
    with pytest.raises(grpc.aio.AioRpcError):
        await refresh(gateway, admin.tokens.refresh_token)

    assert (await refresh(gateway, other.tokens.refresh_token)).access_token


async def test_garbage_refresh_tokens_are_unauthenticated(gateway, admin):
    forged = admin.tokens.refresh_token[:-4] + "AAAA"
    for token in ["rt_nonsense", forged, admin.tokens.access_token]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await refresh(gateway, token)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, token


async def test_logout_ends_one_session(gateway, admin):
    other = await gateway.sign_in()

    reply = await gateway.stub.Logout(auth_pb2.LogoutRequest(refresh_token=admin.tokens.refresh_token))

    assert reply.revoked_session_count == 1
    with pytest.raises(grpc.aio.AioRpcError):
        await refresh(gateway, admin.tokens.refresh_token)
    assert (await refresh(gateway, other.tokens.refresh_token)).access_token


async def test_logout_of_all_sessions_needs_an_identity_and_ends_them_all(gateway, admin):
    other = await gateway.sign_in()
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await gateway.stub.Logout(auth_pb2.LogoutRequest(all_sessions=True))
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED

    reply = await admin.Logout(auth_pb2.LogoutRequest(all_sessions=True))

    assert reply.revoked_session_count == 2
    for session in (admin, other):
        with pytest.raises(grpc.aio.AioRpcError):
            await refresh(gateway, session.tokens.refresh_token)


async def test_who_am_i_describes_the_token_and_its_user(gateway, admin):
    reply = await admin.WhoAmI(auth_pb2.WhoAmIRequest())

    assert reply.user.id == admin.user_id
    assert reply.user.email == ADMIN_EMAIL
    assert reply.authentication_method == auth_pb2.AUTHENTICATION_METHOD_PASSWORD
    assert reply.effective_role == auth_pb2.ROLE_ADMIN
    assert reply.token_expire_time.seconds == admin.claims["exp"]
    assert reply.api_key_id == ""


async def test_who_am_i_without_identity_is_unauthenticated(gateway):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gateway.stub.WhoAmI(auth_pb2.WhoAmIRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
