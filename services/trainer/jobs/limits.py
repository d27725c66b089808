"""Each plan tier's job limits, and the checks a job's requested limits must pass.

A job may ask for less than its tier allows, never more: a timeout past the tier's maximum is a
bad request (INVALID_ARGUMENT), memory past it is a quota (RESOURCE_EXHAUSTED, as the contract says),
and so is starting more concurrent jobs than the tier runs at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core.identity.tiers import PlanTier, tier_named

MEBIBYTE = 1 << 20
GIBIBYTE = 1 << 30


@dataclass(frozen=True, slots=True)
class TierLimits:
    default_timeout_seconds: float
    max_timeout_seconds: float
    default_memory_bytes: int
    max_memory_bytes: int
    # queued and running jobs an owner may have at once
    concurrent_jobs: int


# Below this no Python process with numpy loaded gets anything done.
MIN_MEMORY_BYTES = 128 * MEBIBYTE
MIN_TIMEOUT_SECONDS = 1.0
DEFAULT_MAX_ATTEMPTS = 3
MAX_ATTEMPTS = 10

TIER_LIMITS: dict[PlanTier, TierLimits] = {
    PlanTier.BASIC: TierLimits(600.0, 3600.0, 1 * GIBIBYTE, 2 * GIBIBYTE, 5),
    PlanTier.PRO: TierLimits(3600.0, 6 * 3600.0, 2 * GIBIBYTE, 8 * GIBIBYTE, 20),
    PlanTier.PREMIUM: TierLimits(3600.0, 24 * 3600.0, 4 * GIBIBYTE, 32 * GIBIBYTE, 100),
}


def limits_of(tier: str) -> TierLimits:
    return TIER_LIMITS[tier_named(tier)]
