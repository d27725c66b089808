"""When a signing key is published, used, retired and forgotten.

Verifiers (Envoy) cache the JWKS, so a new key must be published *before* it signs
anything: a token signed by a key the verifier has not fetched yet would be refused.
Each key therefore goes through four states:

    next     published, not signing: waits `publication_delay` (longer than any JWKS cache)
    current  signing, for `rotation_period`
    retired  published only, until every token it signed has expired (`retention`)
    dropped  deleted

`plan` looks at the keys and the time and says what to do; the gateway does it in one
transaction, so replicas that plan at the same moment agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core.errors import FailedPrecondition
from services.core.identity.signing_keys import SigningKey


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    rotation_period: timedelta
    # longer than verifiers cache the JWKS plus how often the gateway re-reads its keys
    publication_delay: timedelta
    # at least the longest access-token lifetime plus the verifiers' clock skew
    retention: timedelta


@dataclass(frozen=True, slots=True)
class RotationPlan:
    # kids, in the order to apply: activate `activate`, retire `retire`, then create and drop
    activate: str | None = None
    retire: str | None = None
    # a key that signs at once: only when nothing signs yet, so no verifier holds a token to protect
    create_current: bool = False
    # a key that is published now and signs after the publication delay
    create_next: bool = False
    drop: tuple[str, ...] = ()

    @property
    def changes_anything(self) -> bool:
        return bool(self.activate or self.retire or self.create_current or self.create_next or self.drop)


def current_key(keys: Sequence[SigningKey]) -> SigningKey | None:
    """The key that signs: activated and not retired (the latest activated, should two exist)."""
    signing = [key for key in keys if key.activate_time is not None and key.retire_time is None]
    return max(signing, key=lambda key: key.activate_time or key.create_time, default=None)


def next_key(keys: Sequence[SigningKey]) -> SigningKey | None:
    """The published key waiting to sign (the oldest, should two exist)."""
    waiting = [key for key in keys if key.activate_time is None and key.retire_time is None]
    return min(waiting, key=lambda key: key.create_time, default=None)


def published_keys(keys: Sequence[SigningKey], now: datetime, policy: RotationPolicy) -> list[SigningKey]:
    """What the JWKS holds: every key not yet due to be dropped, the signing one first."""
    kept = [key for key in keys if not _expired(key, now, policy)]
    current = current_key(kept)
    return sorted(kept, key=lambda key: (key is not current, key.create_time))


def plan(
    keys: Sequence[SigningKey], now: datetime, policy: RotationPolicy, *, force: bool = False
) -> RotationPlan:
    """What to change now. `force` rotates before the period is over (a suspected leak, a drill)."""
    drop = tuple(key.kid for key in keys if _expired(key, now, policy))
    current = current_key(keys)
    waiting = next_key(keys)
    if current is None:
        # nothing signs, so no verifier can hold a token to protect: sign with what we have at once
        if waiting is not None:
            return RotationPlan(activate=waiting.kid, create_next=True, drop=drop)
        return RotationPlan(create_current=True, create_next=True, drop=drop)
    if waiting is None:
        return RotationPlan(create_next=True, drop=drop)
    due = force or now >= (current.activate_time or current.create_time) + policy.rotation_period
    if due and now >= waiting.create_time + policy.publication_delay:
        return RotationPlan(activate=waiting.kid, retire=current.kid, create_next=True, drop=drop)
    return RotationPlan(drop=drop)


def require_rotatable(keys: Sequence[SigningKey], now: datetime, policy: RotationPolicy) -> None:
    """Refuse a forced rotation that would sign with a key verifiers may not have fetched yet."""
    waiting = next_key(keys)
    if waiting is None:
        raise FailedPrecondition("there is no published next key yet; try again in a moment")
    ready_at = waiting.create_time + policy.publication_delay
    if now < ready_at:
        seconds = (ready_at - now).total_seconds()
        raise FailedPrecondition(
            f"the next key was published too recently for every verifier to know it; "
            f"it may sign in {seconds:.0f}s"
        )


def _expired(key: SigningKey, now: datetime, policy: RotationPolicy) -> bool:
    return key.retire_time is not None and now >= key.retire_time + policy.retention
