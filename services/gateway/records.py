"""The gateway's stored facts as plain values: what the stores return and the facade reasons on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.core.identity.tiers import PlanTier
from services.core.ownership import Role


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    display_name: str
    password_hash: str
    organization_id: str  # '' when the user belongs to no organisation
    role: Role
    tier: PlanTier
    disabled: bool
    version: int
    create_time: datetime
    update_time: datetime
    last_login_time: datetime | None = None
    join_time: datetime | None = None

    @property
    def etag(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: str
    display_name: str
    tier: PlanTier
    owner_id: str
    member_count: int
    create_time: datetime
    update_time: datetime


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    owner_id: str
    display_name: str
    prefix: str
    secret_digest: bytes
    role: Role
    create_time: datetime
    expire_time: datetime | None = None
    last_used_time: datetime | None = None
    revoke_time: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoke_time is None and (self.expire_time is None or now < self.expire_time)


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    id: str
    session_id: str
    user_id: str
    secret_digest: bytes
    create_time: datetime
    expire_time: datetime
    rotate_time: datetime | None = None
    revoke_time: datetime | None = None
