"""Traffic splits: validation, sticky hashing, proportions."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.core.errors import InvalidArgument
from services.predictor.traffic import TrafficSplit


def test_sticky_keys_always_land_on_the_same_version() -> None:
    split = TrafficSplit(((1, 50), (2, 50)), sticky=True)

    first = [split.choose(f"key-{index}") for index in range(1_000)]
    again = [split.choose(f"key-{index}") for index in range(1_000)]

    assert first == again
    assert abs(Counter(first)[1] - 500) < 80


def test_random_draws_follow_the_percentages() -> None:
    split = TrafficSplit(((3, 10), (4, 90)), sticky=False)
    draw = random.Random(5)

    counts = Counter(split.choose("", draw) for _ in range(10_000))

    assert abs(counts[3] - 1_000) < 150


def test_a_zero_share_gets_nothing() -> None:
    split = TrafficSplit(((1, 0), (2, 100)), sticky=True)

    assert {split.choose(f"k{index}") for index in range(500)} == {2}


def test_growing_an_arm_moves_only_keys_into_it() -> None:
    """Buckets are contiguous: moving 10 points from arm 1 to arm 2 never moves a key from 2 to 1."""
    before = TrafficSplit(((1, 60), (2, 40)), sticky=True)
    after = TrafficSplit(((1, 50), (2, 50)), sticky=True)

    pairs = [(before.choose(f"u{index}"), after.choose(f"u{index}")) for index in range(2_000)]

    assert (2, 1) not in pairs


@pytest.mark.parametrize(
    ("allocations", "fields"),
    [
        (((1, 50), (2, 40)), ["traffic_split.allocations"]),
        (((1, 50), (1, 50)), ["traffic_split.allocations[1].version"]),
        (((0, 100),), ["traffic_split.allocations[0].version"]),
        (
            ((1, 101), (2, -1)),
            ["traffic_split.allocations[0].percent", "traffic_split.allocations[1].percent"],
        ),
    ],
)
def test_invalid_splits_name_their_fields(allocations, fields) -> None:
    with pytest.raises(InvalidArgument) as raised:
        TrafficSplit(allocations, sticky=False)

    assert [violation.field for violation in raised.value.violations] == fields
