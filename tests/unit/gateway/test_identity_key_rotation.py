"""When signing keys are published, used, retired and dropped (services.core.identity.key_rotation)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.errors import FailedPrecondition
from services.core.identity import key_rotation
from services.core.identity.key_rotation import RotationPlan, RotationPolicy
from services.core.identity.signing_keys import SigningKey, generate_private_key

START = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = RotationPolicy(
    rotation_period=timedelta(days=7),
    publication_delay=timedelta(minutes=20),
    retention=timedelta(minutes=16),
)
# one key pair is enough: the rules look at times, and the kid tells keys apart by their pair
KEY_POOL = [generate_private_key() for _ in range(64)]


class Ring:
    """Applies plans the way the gateway's store does, in memory."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []
        self._pool = iter(KEY_POOL)

    def apply(self, plan: RotationPlan, now: datetime) -> None:
        updated = []
        for key in self.keys:
            if key.kid in plan.drop:
                continue
            if key.kid == plan.activate:
                updated.append(SigningKey(key.private_key, key.create_time, activate_time=now))
            elif key.kid == plan.retire:
                updated.append(
                    SigningKey(key.private_key, key.create_time, key.activate_time, retire_time=now)
                )
            else:
                updated.append(key)
        if plan.create_current:
            updated.append(SigningKey(next(self._pool), now, activate_time=now))
        if plan.create_next:
            updated.append(SigningKey(next(self._pool), now))
        self.keys = updated

    def step(self, now: datetime, *, force: bool = False) -> RotationPlan:
        plan = key_rotation.plan(self.keys, now, POLICY, force=force)
        self.apply(plan, now)
        return plan


def test_the_first_plan_creates_a_signing_key_and_publishes_the_next():
    ring = Ring()

    plan = ring.step(START)

    assert (plan.create_current, plan.create_next) == (True, True)
    assert key_rotation.current_key(ring.keys) is ring.keys[0]
    assert key_rotation.next_key(ring.keys) is ring.keys[1]
    assert key_rotation.plan(ring.keys, START, POLICY) == RotationPlan()


def test_the_next_key_takes_over_when_the_period_ends_and_the_old_one_stays_published():
    ring = Ring()
    ring.step(START)
    first, second = ring.keys

    ring.step(START + POLICY.rotation_period)

    assert key_rotation.current_key(ring.keys).kid == second.kid
    published = key_rotation.published_keys(ring.keys, START + POLICY.rotation_period, POLICY)
    assert published[0].kid == second.kid
    assert first.kid in {key.kid for key in published}
    assert len(published) == 3  # retired, current, and a fresh next


def test_a_retired_key_is_dropped_once_its_tokens_have_expired():
    ring = Ring()
    ring.step(START)
    retired_kid = ring.keys[0].kid
    rotation = START + POLICY.rotation_period
    ring.step(rotation)

    still = ring.step(rotation + POLICY.retention - timedelta(seconds=1))
    gone = ring.step(rotation + POLICY.retention)

    assert retired_kid not in still.drop
    assert gone.drop == (retired_kid,)
    assert retired_kid not in {key.kid for key in ring.keys}


def test_a_forced_rotation_waits_until_the_next_key_has_been_published_long_enough():
    ring = Ring()
    ring.step(START)
    early = START + POLICY.publication_delay - timedelta(seconds=1)

    with pytest.raises(FailedPrecondition, match="published too recently"):
        key_rotation.require_rotatable(ring.keys, early, POLICY)
    assert ring.step(early, force=True) == RotationPlan()

    ready = START + POLICY.publication_delay
    key_rotation.require_rotatable(ring.keys, ready, POLICY)
    assert ring.step(ready, force=True).activate is not None


def test_a_lone_next_key_signs_at_once_when_nothing_signs():
    ring = Ring()
    ring.keys = [SigningKey(KEY_POOL[-1], START)]

    plan = ring.step(START + timedelta(seconds=1))

    assert plan.activate == KEY_POOL_KID
    assert plan.create_next


KEY_POOL_KID = SigningKey(KEY_POOL[-1], START).kid


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=1, max_value=3 * 24 * 3600), st.booleans()), min_size=1, max_size=40
    )
)
def test_every_token_ever_signed_verifies_until_it_expires(steps):
    """Whatever the schedule: a key signs only once verifiers can know it, and stays while its tokens live."""
    ring = Ring()
    now = START
    ring.step(now)
    first_kid = ring.keys[0].kid
    published_since: dict[str, datetime] = {key.kid: now for key in ring.keys}
    signed_until: dict[str, datetime] = {}
    for seconds, force in steps:
        now += timedelta(seconds=seconds)
        ring.step(now, force=force)
        current = key_rotation.current_key(ring.keys)
        assert current is not None
        assert key_rotation.next_key(ring.keys) is not None
        for key in ring.keys:
            published_since.setdefault(key.kid, now)
        if current.kid != first_kid:
            assert now - published_since[current.kid] >= POLICY.publication_delay
        for key in ring.keys:
            if key.activate_time is not None:
                # a key may sign until the moment it retires
                signed_until[key.kid] = key.retire_time or now
        published = {key.kid for key in key_rotation.published_keys(ring.keys, now, POLICY)}
        for kid, last_signature in signed_until.items():
            if now < last_signature + POLICY.retention:
                assert kid in published, "a key whose tokens are still valid left the JWKS"
