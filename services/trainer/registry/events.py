"""Alias events on Redis pub/sub: how predictors learn that a model version was promoted.

Every change of an alias (set, moved, rolled back, deleted) is published, after its
transaction committed, on the channel `registry_alias_channel` (setting; default
"alphintra.registry.aliases") as one JSON object:

    {"owner_id": "alice", "model": "btc-trend-lgbm", "alias": "production",
     "version": 7, "artifact_digest": "sha256:<hex>", "previous_version": 6,
     "change_time": "2025-01-01T12:00:00+00:00"}

`version` is 0 and `artifact_digest` is "" when the alias was deleted. Pub/sub is not durable: a
predictor that was not subscribed at that moment reads the alias with GetModelVersion when it
(re)connects, so an event only needs to be a prompt, never the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from alphintra.trainer.v1 import model_registry_service_pb2 as messages

DEFAULT_CHANNEL = "alphintra.registry.aliases"


class Publisher(Protocol):
    async def publish(self, channel: str, message: bytes) -> int: ...


@dataclass(frozen=True, slots=True)
class AliasEvents:
    redis: Publisher | None
    channel: str = DEFAULT_CHANNEL

    async def published(
        self, owner_id: str, model: str, change: messages.AliasChange, artifact_digest: str
    ) -> None:
        if self.redis is None:
            return
        await self.redis.publish(self.channel, encode(owner_id, model, change, artifact_digest))


def encode(owner_id: str, model: str, change: messages.AliasChange, artifact_digest: str) -> bytes:
    payload = {
        "owner_id": owner_id,
        "model": model,
        "alias": change.alias,
        "version": change.version,
        "artifact_digest": artifact_digest if change.version else "",
        "previous_version": change.previous_version,
        "change_time": change.change_time.ToDatetime().isoformat() + "+00:00",
    }
    return json.dumps(payload, separators=(",", ":")).encode()
