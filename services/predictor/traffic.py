"""A/B traffic splits between the loaded versions of one model.

Sticky assignment hashes the routing key into one of 10,000 buckets (BLAKE2b: stable across
processes and restarts, unlike Python's salted `hash`), so a user or symbol keeps its arm for
as long as the split is unchanged, on every replica. Without a key (or without stickiness)
each request draws at random.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from services.core.errors import FieldViolation, InvalidArgument

BUCKETS = 10_000


@dataclass(frozen=True)
class TrafficSplit:
    # (version, percent) in the order given
    allocations: tuple[tuple[int, int], ...]
    sticky: bool

    def __post_init__(self) -> None:
        violations = []
        seen: set[int] = set()
        for index, (version, percent) in enumerate(self.allocations):
            where = f"traffic_split.allocations[{index}]"
            if version < 1:
                violations.append(FieldViolation(f"{where}.version", "must be a version number (>= 1)"))
            if not 0 <= percent <= 100:
                violations.append(FieldViolation(f"{where}.percent", "must be between 0 and 100"))
            if version in seen:
                violations.append(FieldViolation(f"{where}.version", f"version {version} is listed twice"))
            seen.add(version)
        total = sum(percent for _, percent in self.allocations)
        if total != 100:
            violations.append(
                FieldViolation("traffic_split.allocations", f"percentages sum to {total}, not 100")
            )
        if violations:
            raise InvalidArgument("invalid traffic split", violations)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(version for version, _ in self.allocations)

    @cached_property
    def _upper_bounds(self) -> Sequence[int]:
        return list(accumulate(percent * BUCKETS // 100 for _, percent in self.allocations))

    def choose(self, routing_key: str, draw: random.Random | None = None) -> int:
        """The version for one request."""
        if self.sticky and routing_key:
            digest = hashlib.blake2b(routing_key.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest, "big") % BUCKETS
        else:
            bucket = (draw or _DRAW).randrange(BUCKETS)
        for (version, _), upper in zip(self.allocations, self._upper_bounds, strict=True):
            if bucket < upper:
                return version
        return self.allocations[-1][0]


_DRAW = random.Random()  # noqa: S311 - traffic assignment, not security
