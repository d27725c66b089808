"""API keys: the secret shown once, stored hashed, scoped to a role, exchanged for tokens, revocable."""

import asyncio
import hashlib
import time

import grpc
import pytest
from google.protobuf import timestamp_pb2

from alphintra.auth.v1 import auth_pb2

from .identity_helpers import violated_fields

pytestmark = pytest.mark.integration


def create(display_name="ci bot", role=auth_pb2.ROLE_UNSPECIFIED, request_id="", expire_time=None):
    return auth_pb2.CreateApiKeyRequest(
        display_name=display_name, role=role, request_id=request_id, expire_time=expire_time
    )


async def exchange(gateway, secret: str) -> auth_pb2.IssuedTokens:
    return (await gateway.stub.ExchangeApiKey(auth_pb2.ExchangeApiKeyRequest(api_key=secret))).tokens


async def test_a_key_is_shown_once_and_stored_only_as_a_digest(gateway, admin):
    created = await admin.CreateApiKey(create())

    assert created.secret.startswith("ak_live_")
    assert created.api_key.prefix == created.secret[: len(created.api_key.prefix)]
    assert created.api_key.role == auth_pb2.ROLE_ADMIN  # unspecified: the caller's own
    listed = await admin.ListApiKeys(auth_pb2.ListApiKeysRequest())
    assert [key.id for key in listed.api_keys] == [created.api_key.id]
    assert created.secret not in str(listed)
    stored = await gateway.service.resources.database.fetchrow(
        "SELECT secret_digest, prefix FROM api_keys WHERE id = $1", created.api_key.id
    )
    assert bytes(stored["secret_digest"]) == hashlib.sha256(created.secret.encode()).digest()


async def test_exchanging_a_key_gives_a_short_token_with_the_keys_role(gateway, admin):
    trader = await gateway.add_user(admin, "quant@alphintra.test", tier=auth_pb2.PLAN_TIER_PRO)
    created = await trader.CreateApiKey(create(role=auth_pb2.ROLE_VIEWER))

    tokens = await exchange(gateway, created.secret)

    session = await gateway.session(tokens)
    assert session.claims["sub"] == trader.user_id
    assert (session.claims["role"], session.claims["tier"]) == ("viewer", "pro")
    assert session.claims["auth_method"] == "api_key"
    assert session.claims["api_key_id"] == created.api_key.id
    assert tokens.refresh_token == ""
    whoami = await session.WhoAmI(auth_pb2.WhoAmIRequest())
    assert whoami.authentication_method == auth_pb2.AUTHENTICATION_METHOD_API_KEY
    assert whoami.api_key_id == created.api_key.id
    assert whoami.effective_role == auth_pb2.ROLE_VIEWER
    assert whoami.user.role == auth_pb2.ROLE_TRADER
    used = await trader.ListApiKeys(auth_pb2.ListApiKeysRequest())
    assert used.api_keys[0].last_used_time.seconds > 0


async def test_a_revoked_key_stops_working_and_revoking_again_changes_nothing(gateway, admin):
    created = await admin.CreateApiKey(create())
    await exchange(gateway, created.secret)

    first = await admin.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(api_key_id=created.api_key.id))
    again = await admin.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(api_key_id=created.api_key.id))

    assert first.api_key.revoke_time == again.api_key.revoke_time
    assert first.api_key.revoke_time.seconds > 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await exchange(gateway, created.secret)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (await admin.ListApiKeys(auth_pb2.ListApiKeysRequest())).api_keys == []
    shown = await admin.ListApiKeys(auth_pb2.ListApiKeysRequest(show_revoked=True))
    assert [key.id for key in shown.api_keys] == [created.api_key.id]


async def test_an_expired_key_stops_working(gateway, admin):
    soon = timestamp_pb2.Timestamp()
    soon.FromSeconds(int(time.time()) + 2)
    created = await admin.CreateApiKey(create(expire_time=soon))
    await exchange(gateway, created.secret)

    await asyncio.sleep(max(0.0, soon.seconds - time.time()) + 0.2)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await exchange(gateway, created.secret)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_key_of_a_disabled_owner_stops_working(gateway, admin):
    trader = await gateway.add_user(admin, "leaver@alphintra.test")
    created = await trader.CreateApiKey(create())
    await admin.UpdateUser(
        auth_pb2.UpdateUserRequest(
            user=auth_pb2.User(id=trader.user_id, disabled=True), update_mask={"paths": ["disabled"]}
        )
    )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await exchange(gateway, created.secret)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_forged_or_malformed_key_is_refused(gateway, admin):
    created = await admin.CreateApiKey(create())
    forged = created.secret[:-5] + ("AAAAA" if not created.secret.endswith("AAAAA") else "BBBBB")

    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await exchange(gateway, forged)
    with pytest.raises(grpc.aio.AioRpcError) as malformed:
        await exchange(gateway, "not-a-key")

    assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_a_key_cannot_carry_more_than_its_owners_role_nor_expire_in_the_past(gateway, admin):
    viewer = await gateway.add_user(admin, "val@alphintra.test", role=auth_pb2.ROLE_VIEWER)
    past = timestamp_pb2.Timestamp(seconds=int(time.time()) - 60)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await viewer.CreateApiKey(create(display_name="", role=auth_pb2.ROLE_TRADER, expire_time=past))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == {"display_name", "role", "expire_time"}


async def test_a_retry_with_the_same_request_id_returns_the_same_key_without_a_second_secret(gateway, admin):
    first = await admin.CreateApiKey(create(request_id="deploy-42"))
    retry = await admin.CreateApiKey(create(request_id="deploy-42"))

    assert retry.api_key.id == first.api_key.id
    assert first.secret
    assert retry.secret == ""


async def test_the_plan_tier_limits_how_many_keys_are_active(gateway, admin):
    basic = await gateway.add_user(admin, "basic@alphintra.test", tier=auth_pb2.PLAN_TIER_BASIC)
    first = await basic.CreateApiKey(create("one"))
    await basic.CreateApiKey(create("two"))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await basic.CreateApiKey(create("three"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    await basic.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(api_key_id=first.api_key.id))
    assert (await basic.CreateApiKey(create("three"))).secret


async def test_a_key_cannot_mint_more_keys(gateway, admin):
    created = await admin.CreateApiKey(create())
    machine = await gateway.session(await exchange(gateway, created.secret))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await machine.CreateApiKey(create("second"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_keys_are_private_to_their_owner_except_for_listing_by_an_admin(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")
    bob = await gateway.add_user(admin, "bob@alphintra.test")
    key = await alice.CreateApiKey(create())

    with pytest.raises(grpc.aio.AioRpcError) as revoke:
        await bob.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(api_key_id=key.api_key.id))
    with pytest.raises(grpc.aio.AioRpcError) as listing:
        await bob.ListApiKeys(auth_pb2.ListApiKeysRequest(owner_id=alice.user_id))

    assert revoke.value.code() == grpc.StatusCode.NOT_FOUND
    assert listing.value.code() == grpc.StatusCode.PERMISSION_DENIED
    by_admin = await admin.ListApiKeys(auth_pb2.ListApiKeysRequest(owner_id=alice.user_id))
    assert [item.id for item in by_admin.api_keys] == [key.api_key.id]


async def test_keys_are_listed_newest_first_in_pages(gateway, admin):
    created = [(await admin.CreateApiKey(create(f"key {index}"))).api_key.id for index in range(5)]

    seen, token = [], ""
    while True:
        page = await admin.ListApiKeys(auth_pb2.ListApiKeysRequest(page_size=2, page_token=token))
        seen += [key.id for key in page.api_keys]
        token = page.next_page_token
        if not token:
            break

    assert seen == list(reversed(created))
