"""Users and organizations: admins manage their members; everyone else sees only themselves."""

import uuid

import grpc
import pytest

from alphintra.auth.v1 import auth_pb2
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.gateway.records import UserRecord

from .conftest import mask
from .identity_helpers import violated_fields

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"


def new_user(
    email, role=auth_pb2.ROLE_UNSPECIFIED, tier=auth_pb2.PLAN_TIER_UNSPECIFIED, password=PASSWORD, **extra
):
    return auth_pb2.CreateUserRequest(
        user=auth_pb2.User(email=email, role=role, plan_tier=tier, **extra), initial_password=password
    )


async def test_an_admin_creates_users_in_their_organization(admin):
    created = (await admin.CreateUser(new_user("ana@alphintra.test", display_name="Ana"))).user

    assert created.name == f"users/{created.id}"
    assert created.organization_id == admin.claims["org"]
    assert (created.role, created.plan_tier) == (auth_pb2.ROLE_VIEWER, auth_pb2.PLAN_TIER_PREMIUM)
    assert created.etag
    assert created.display_name == "Ana"


async def test_e_mail_addresses_are_unique_whatever_their_case(admin):
    await admin.CreateUser(new_user("Case@Alphintra.test"))

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.CreateUser(new_user("case@alphintra.TEST"))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_a_new_user_is_checked_field_by_field(admin):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.CreateUser(new_user("not an address", password="short"))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == {"user.email", "initial_password"}


async def test_a_retried_create_returns_the_first_user(admin):
    request = new_user("retry@alphintra.test")
    request.request_id = "onboarding-7"

    first = (await admin.CreateUser(request)).user
    again = (await admin.CreateUser(request)).user

    assert again.id == first.id


async def test_only_admins_create_and_list_users(gateway, admin):
    trader = await gateway.add_user(admin, "tom@alphintra.test")

    with pytest.raises(grpc.aio.AioRpcError) as create:
        await trader.CreateUser(new_user("sneaky@alphintra.test"))
    with pytest.raises(grpc.aio.AioRpcError) as listing:
        await trader.ListUsers(auth_pb2.ListUsersRequest())

    assert create.value.code() == listing.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_user_tier_cannot_exceed_the_organizations(gateway, admin):
    outsider = await make_outsider(gateway, "solo@alphintra.test", PlanTier.PRO)
    organization = (
        await outsider.CreateOrganization(
            auth_pb2.CreateOrganizationRequest(
                organization=auth_pb2.Organization(display_name="Solo Capital")
            )
        )
    ).organization
    solo_admin = await gateway.sign_in("solo@alphintra.test", PASSWORD)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await solo_admin.CreateUser(new_user("hire@alphintra.test", tier=auth_pb2.PLAN_TIER_PREMIUM))

    assert organization.plan_tier == auth_pb2.PLAN_TIER_PRO
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == {"user.plan_tier"}


async def test_users_see_themselves_and_admins_see_their_members_only(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")
    bob = await gateway.add_user(admin, "bob@alphintra.test")
    outsider = await make_outsider(gateway, "eve@elsewhere.test")

    assert (await alice.GetUser(auth_pb2.GetUserRequest(user_id=alice.user_id))).user.id == alice.user_id
    assert (await admin.GetUser(auth_pb2.GetUserRequest(user_id=alice.user_id))).user.id == alice.user_id
    for caller, target in [(bob, alice.user_id), (admin, outsider.user_id), (outsider, alice.user_id)]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await caller.GetUser(auth_pb2.GetUserRequest(user_id=target))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_users_are_listed_by_e_mail_in_pages_with_filters(gateway, admin):
    for name in ["dave", "carol", "bea"]:
        await gateway.add_user(admin, f"{name}@alphintra.test")
    await admin.CreateUser(new_user("vic@alphintra.test", role=auth_pb2.ROLE_VIEWER))

    emails, token = [], ""
    while True:
        page = await admin.ListUsers(auth_pb2.ListUsersRequest(page_size=2, page_token=token))
        emails += [user.email for user in page.users]
        if not (token := page.next_page_token):
            break
    viewers = await admin.ListUsers(auth_pb2.ListUsersRequest(role=auth_pb2.ROLE_VIEWER))
    matching = await admin.ListUsers(auth_pb2.ListUsersRequest(query="CAR"))

    assert emails == [f"{name}@alphintra.test" for name in ["bea", "carol", "dave", "root", "vic"]]
    assert [user.email for user in viewers.users] == ["vic@alphintra.test"]
    assert [user.email for user in matching.users] == ["carol@alphintra.test"]
    with pytest.raises(grpc.aio.AioRpcError) as other_organization:
        await admin.ListUsers(auth_pb2.ListUsersRequest(organization_id="not-mine"))
    assert other_organization.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_users_change_their_own_profile_but_not_their_role(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")

    renamed = await alice.UpdateUser(
        auth_pb2.UpdateUserRequest(
            user=auth_pb2.User(id=alice.user_id, display_name="Alice L."), update_mask=mask("display_name")
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as promote:
        await alice.UpdateUser(
            auth_pb2.UpdateUserRequest(
                user=auth_pb2.User(id=alice.user_id, role=auth_pb2.ROLE_ADMIN), update_mask=mask("role")
            )
        )

    assert renamed.user.display_name == "Alice L."
    assert promote.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_stale_etag_is_aborted(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")
    read = (await alice.GetUser(auth_pb2.GetUserRequest(user_id=alice.user_id))).user
    await admin.UpdateUser(
        auth_pb2.UpdateUserRequest(
            user=auth_pb2.User(id=alice.user_id, role=auth_pb2.ROLE_VIEWER), update_mask=mask("role")
        )
    )

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await alice.UpdateUser(
            auth_pb2.UpdateUserRequest(
                user=auth_pb2.User(id=alice.user_id, display_name="late", etag=read.etag),
                update_mask=mask("display_name"),
            )
        )
    assert caught.value.code() == grpc.StatusCode.ABORTED


async def test_changing_ones_password_needs_the_current_one_and_ends_every_session(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")
    change = auth_pb2.UpdateUserRequest(
        user=auth_pb2.User(id=alice.user_id),
        update_mask=mask("password"),
        new_password="a brand new passphrase",
        current_password="wrong current password",
    )
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await alice.UpdateUser(change)
    assert violated_fields(wrong.value) == {"current_password"}

    change.current_password = PASSWORD
    await alice.UpdateUser(change)

    with pytest.raises(grpc.aio.AioRpcError) as old_session:
        await gateway.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=alice.tokens.refresh_token)
        )
    assert old_session.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (await gateway.sign_in("alice@alphintra.test", "a brand new passphrase")).user_id == alice.user_id


async def test_an_admin_cannot_demote_themselves(admin):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.UpdateUser(
            auth_pb2.UpdateUserRequest(
                user=auth_pb2.User(id=admin.user_id, role=auth_pb2.ROLE_VIEWER), update_mask=mask("role")
            )
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_an_unknown_mask_path_is_refused(admin):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.UpdateUser(
            auth_pb2.UpdateUserRequest(
                user=auth_pb2.User(id=admin.user_id), update_mask=mask("organization_id")
            )
        )
    assert violated_fields(caught.value) == {"update_mask"}


async def make_outsider(gateway, email, tier=PlanTier.BASIC):
    """A user of no organization: what sign-up (outside this API) creates."""
    now = gateway.service.resources.clock()
    await gateway.app.users.insert_user(
        UserRecord(
            id=uuid.uuid4().hex,
            email=email,
            display_name="",
            password_hash=await gateway.app.passwords.hash(PASSWORD),
            organization_id="",
            role=Role.TRADER,
            tier=tier,
            disabled=False,
            version=1,
            create_time=now,
            update_time=now,
        ),
        created_by=None,
        request_id=None,
    )
    return await gateway.sign_in(email, PASSWORD)


async def test_creating_an_organization_makes_the_caller_its_admin(gateway, admin):
    outsider = await make_outsider(gateway, "founder@startup.test")

    created = (
        await outsider.CreateOrganization(
            auth_pb2.CreateOrganizationRequest(organization=auth_pb2.Organization(display_name="Startup"))
        )
    ).organization
    founder = await gateway.sign_in("founder@startup.test", PASSWORD)

    assert (created.owner_id, created.member_count) == (outsider.user_id, 1)
    assert (founder.claims["org"], founder.claims["role"]) == (created.id, "admin")
    members = await founder.ListOrganizationMembers(
        auth_pb2.ListOrganizationMembersRequest(organization_id=created.id)
    )
    assert [member.user_id for member in members.members] == [outsider.user_id]
    with pytest.raises(grpc.aio.AioRpcError) as second:
        await founder.CreateOrganization(
            auth_pb2.CreateOrganizationRequest(organization=auth_pb2.Organization(display_name="Another"))
        )
    assert second.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as not_a_member:
        await admin.GetOrganization(auth_pb2.GetOrganizationRequest(organization_id=created.id))
    assert not_a_member.value.code() == grpc.StatusCode.NOT_FOUND


async def test_an_organization_name_is_taken_once(gateway, admin):
    outsider = await make_outsider(gateway, "copycat@startup.test")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await outsider.CreateOrganization(
            auth_pb2.CreateOrganizationRequest(organization=auth_pb2.Organization(display_name="ALPHINTRA"))
        )
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_members_read_their_organization(gateway, admin):
    alice = await gateway.add_user(admin, "alice@alphintra.test")

    organization = (
        await alice.GetOrganization(auth_pb2.GetOrganizationRequest(organization_id=admin.claims["org"]))
    ).organization

    assert organization.display_name == "Alphintra"
    assert organization.member_count == 2
    assert organization.plan_tier == auth_pb2.PLAN_TIER_PREMIUM
