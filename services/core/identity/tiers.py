"""Plan tiers and roles as ordered levels: each includes what the ones below it may do."""

from __future__ import annotations

from enum import StrEnum

from services.core.ownership import Role


class PlanTier(StrEnum):
    BASIC = "basic"
    PRO = "pro"
    PREMIUM = "premium"


ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.TRADER, Role.ADMIN)
TIER_ORDER: tuple[PlanTier, ...] = (PlanTier.BASIC, PlanTier.PRO, PlanTier.PREMIUM)


def role_at_least(role: Role, minimum: Role) -> bool:
    return ROLE_ORDER.index(role) >= ROLE_ORDER.index(minimum)


def tier_at_least(tier: PlanTier, minimum: PlanTier) -> bool:
    return TIER_ORDER.index(tier) >= TIER_ORDER.index(minimum)


def roles_from(minimum: Role) -> tuple[Role, ...]:
    """`minimum` and every role above it, lowest first."""
    return ROLE_ORDER[ROLE_ORDER.index(minimum) :]


def tiers_from(minimum: PlanTier) -> tuple[PlanTier, ...]:
    """`minimum` and every tier above it, lowest first."""
    return TIER_ORDER[TIER_ORDER.index(minimum) :]


def lower_role(first: Role, second: Role) -> Role:
    """The weaker of two roles: what an API key grants when its owner has since been demoted."""
    return first if ROLE_ORDER.index(first) <= ROLE_ORDER.index(second) else second


# Active API keys a user may hold: machine clients are a paid feature beyond a couple of scripts.
API_KEY_QUOTA: dict[PlanTier, int] = {PlanTier.BASIC: 2, PlanTier.PRO: 10, PlanTier.PREMIUM: 50}


def tier_named(text: str) -> PlanTier:
    """The tier a claim names; BASIC, the least, for a word that names none."""
    return next((tier for tier in TIER_ORDER if tier.value == text), PlanTier.BASIC)
