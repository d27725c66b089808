"""The ownership rule: owners read and write; their organisation's admins read; nobody else sees."""

import pytest

from services.core.errors import NotFound, PermissionDenied, Unauthenticated
from services.core.ownership import Caller, Ownership, Role, can_read, require_role, require_writable

ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER)
ACME_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN)
OTHER_ADMIN = Caller(user_id="eve", organization_id="globex", role=Role.ADMIN)
BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER)
ALICES = Ownership(owner_id="alice", organization_id="acme")


def test_owner_reads_and_writes():
    assert can_read(ALICE, ALICES)
    require_writable(ALICE, ALICES, "workflow", "workflows/1")


def test_admin_of_the_organisation_reads_but_cannot_write():
    assert can_read(ACME_ADMIN, ALICES)
    with pytest.raises(PermissionDenied):
        require_writable(ACME_ADMIN, ALICES, "workflow", "workflows/1")


@pytest.mark.parametrize("stranger", [BOB, OTHER_ADMIN], ids=["colleague", "admin-elsewhere"])
def test_anyone_else_is_told_it_does_not_exist(stranger):
    assert not can_read(stranger, ALICES)
    with pytest.raises(NotFound):
        require_writable(stranger, ALICES, "workflow", "workflows/1")


def test_an_admin_without_an_organisation_reads_nothing_of_others():
    lone_admin = Caller(user_id="x", organization_id="", role=Role.ADMIN)
    assert not can_read(lone_admin, Ownership(owner_id="y", organization_id=""))


def test_roles_are_ordered():
    require_role(ALICE, Role.TRADER)
    with pytest.raises(PermissionDenied, match="trader"):
        require_role(Caller(user_id="v", role=Role.VIEWER), Role.TRADER)


def test_a_caller_needs_a_user_id():
    with pytest.raises(Unauthenticated):
        Caller(user_id="")
