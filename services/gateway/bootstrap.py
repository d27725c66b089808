"""The first admin, from the environment on first start; never a default password.

Without ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL and ..._PASSWORD nobody is created. With
them (the settings refuse a password the policy refuses), the admin and their organization,
on the premium plan, are created once; later starts find the e-mail taken and change
nothing — not even the password, which the admin may have changed since.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.gateway.passwords import Passwords
from services.gateway.records import OrganizationRecord, UserRecord
from services.gateway.user_store import UserStore

log = logging.getLogger("alphintra.gateway")


async def ensure_bootstrap_admin(
    users: UserStore,
    passwords: Passwords,
    *,
    email: str | None,
    password: SecretStr | None,
    organization_name: str,
    clock: Callable[[], datetime],
) -> UserRecord | None:
    """Create the admin if configured and absent; the new admin, or None when nothing was created."""
    if email is None or password is None:
        log.info("no bootstrap admin configured (ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL / _PASSWORD)")
        return None
    if await users.find_user_by_email(email) is not None:
        return None
    now = clock()
    admin = UserRecord(
        id=uuid.uuid4().hex,
        email=email.strip(),
        display_name="Administrator",
        password_hash=await passwords.hash(password.get_secret_value()),
        organization_id="",
        role=Role.ADMIN,
        tier=PlanTier.PREMIUM,
        disabled=False,
        version=1,
        create_time=now,
        update_time=now,
    )
    organization = OrganizationRecord(
        id=uuid.uuid4().hex,
        display_name=organization_name,
        tier=PlanTier.PREMIUM,
        owner_id=admin.id,
        member_count=1,
        create_time=now,
        update_time=now,
    )
    created = await users.ensure_admin(organization, admin)
    if created is not None:
        log.info("created the bootstrap admin %s in organization %r", created.email, organization_name)
    return created
