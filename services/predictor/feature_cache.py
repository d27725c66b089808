"""The feature cache in Redis: per (deployment, symbol), the latest feature vector and the streaming state.

Other services read the latest vector (GetLatestFeatures) to compare live features with batch
ones; a restarted deployment restores each symbol's streaming state and resumes the bar stream
right after the bar that state includes, instead of replaying the whole warm-up. Both are
written together, once per batch of bars, in one MULTI so they never disagree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class LatestFeatures:
    symbol: str
    bar_time: datetime
    names: tuple[str, ...]
    values: tuple[float, ...]

    @property
    def ready(self) -> bool:
        return bool(self.values) and not any(math.isnan(value) for value in self.values)


@dataclass(frozen=True, slots=True)
class SymbolCheckpoint:
    """Where a symbol's pipelines are: their encoded states and the bus offset of the last bar they saw."""

    offset: str
    states: tuple[bytes, ...]


class FeatureCache:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl_seconds

    def _latest_key(self, deployment_id: str) -> str:
        return f"{self._prefix}:{deployment_id}:latest"

    def _state_key(self, deployment_id: str) -> str:
        return f"{self._prefix}:{deployment_id}:state"

    async def save(
        self, deployment_id: str, latest: list[LatestFeatures], checkpoints: dict[str, SymbolCheckpoint]
    ) -> None:
        latest_key, state_key = self._latest_key(deployment_id), self._state_key(deployment_id)
        async with self._redis.pipeline(transaction=True) as pipeline:
            if latest:
                pipeline.hset(latest_key, mapping={item.symbol: _latest_json(item) for item in latest})
                pipeline.expire(latest_key, self._ttl)
            if checkpoints:
                pipeline.hset(
                    state_key,
                    mapping={
                        symbol: _checkpoint_json(checkpoint) for symbol, checkpoint in checkpoints.items()
                    },
                )
                pipeline.expire(state_key, self._ttl)
            await pipeline.execute()

    async def latest(self, deployment_id: str) -> list[LatestFeatures]:
        stored = await self._redis.hgetall(self._latest_key(deployment_id))
        items = [_latest_from_json(symbol, value) for symbol, value in stored.items()]
        return sorted(items, key=lambda item: item.symbol)

    async def checkpoints(self, deployment_id: str) -> dict[str, SymbolCheckpoint]:
        stored = await self._redis.hgetall(self._state_key(deployment_id))
        found = {}
        for symbol, value in stored.items():
            document = json.loads(value)
            found[_text(symbol)] = SymbolCheckpoint(
                offset=document["offset"], states=tuple(state.encode() for state in document["states"])
            )
        return found

    async def forget_states(self, deployment_id: str) -> None:
        await self._redis.delete(self._state_key(deployment_id))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _latest_json(item: LatestFeatures) -> str:
    return json.dumps(
        {
            "bar_time": item.bar_time.isoformat(),
            "names": list(item.names),
            "values": [repr(float(value)) for value in item.values],
        }
    )


def _latest_from_json(symbol: bytes | str, value: bytes | str) -> LatestFeatures:
    document = json.loads(value)
    return LatestFeatures(
        symbol=_text(symbol),
        bar_time=datetime.fromisoformat(document["bar_time"]),
        names=tuple(document["names"]),
        values=tuple(float(number) for number in document["values"]),
    )


def _checkpoint_json(checkpoint: SymbolCheckpoint) -> str:
    return json.dumps(
        {"offset": checkpoint.offset, "states": [state.decode() for state in checkpoint.states]}
    )
