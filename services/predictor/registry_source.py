"""Model versions from the trainer's registry: resolved over gRPC, bytes from the artifact store.

Registry models are owned, so they are served under the key "<owner>/<model>" (`namespaces`),
and every registry call is made as that owner. The ONNX file comes from the content-addressed
store the trainer writes (`artifacts_root`) when this machine shares it, else it is downloaded
with DownloadModelArtifact into a local store; either way its SHA-256 must equal the digest the
version was registered with before anything loads it.

`watch` follows the registry's alias events on Redis pub/sub. Pub/sub is not durable: on every
(re)connection the aliases of every model this source resolved through an alias are read again,
so a move published while the listener was away is still applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from services.core.errors import AlphintraError, FailedPrecondition, NotFound
from services.mesh.artifacts import ArtifactStore
from services.predictor.model_source import AliasMove, ModelArtifact
from services.predictor.namespaces import registry_key, split_registry_key
from services.predictor.registry_client import RegistryClient

log = logging.getLogger("alphintra.predictor.registry")

DIGEST_PREFIX = "sha256:"


class RegistryModelSource:
    def __init__(
        self,
        client: RegistryClient,
        redis: Redis | None,
        *,
        channel: str,
        shared_store: Path | None,
        cache_store: Path,
        reference_rows: int,
        reconnect_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._redis = redis
        self._channel = channel
        self._shared = ArtifactStore(shared_store) if shared_store is not None else None
        self._cache = ArtifactStore(cache_store)
        self._reference_rows = reference_rows
        self._reconnect_seconds = reconnect_seconds
        self._verified: set[Path] = set()
        # keys resolved through an alias: re-read on every (re)connection of the listener
        self._followed: set[str] = set()

    async def model_names(self) -> list[str]:
        """Registry models are loaded by key on demand; none is listed for "load everything"."""
        return []

    async def aliases(self, model_name: str) -> dict[str, int]:
        owner, name = split_registry_key(model_name)
        model = await self._client.model(owner, name)
        return dict(model.aliases)

    async def resolve(
        self, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> ModelArtifact:
        owner, name = split_registry_key(model_name)
        found = await self._client.version(owner, name, version=version, alias=alias)
        if alias is not None:
            self._followed.add(model_name)
        path = await self._artifact_path(owner, name, found)
        return ModelArtifact(
            model_name=model_name,
            version=found.version,
            onnx_path=path,
            metadata={
                "feature_names": list(found.signature.feature_names),
                "class_names": list(found.signature.class_names),
            },
            reference=self._reference(found),
        )

    async def _artifact_path(self, owner: str, name: str, found: registry.ModelVersion) -> Path:
        digest = found.artifact.digest
        if not digest.startswith(DIGEST_PREFIX) or len(digest) != len(DIGEST_PREFIX) + 64:
            raise FailedPrecondition(f"{name} version {found.version} has no usable digest {digest!r}")
        hex_digest = digest.removeprefix(DIGEST_PREFIX)
        for store in (self._shared, self._cache):
            if store is not None and store.exists(hex_digest):
                path = store.path(hex_digest)
                if await self._intact(path, hex_digest):
                    return path
        stored = await self._cache.put_async_chunks(self._client.download(owner, name, found.version))
        if stored.digest != hex_digest:
            raise FailedPrecondition(
                f"the artifact of {name} version {found.version} does not match its digest {digest}"
            )
        self._verified.add(stored.path)
        return stored.path

    async def _intact(self, path: Path, hex_digest: str) -> bool:
        if path in self._verified:
            return True
        if await asyncio.to_thread(_sha256, path) != hex_digest:
            log.error("artifact %s does not match its digest; fetching it again", path)
            return False
        self._verified.add(path)
        return True

    def _reference(self, found: registry.ModelVersion) -> dict[str, Any] | None:
        distributions = found.reference_distributions
        if not distributions:
            return None
        return {
            "features": [
                {
                    "name": item.feature,
                    "bin_edges": list(item.bin_edges),
                    "bin_fractions": list(item.bin_fractions),
                    "quantiles": list(item.quantiles),
                    "mean": item.mean,
                    "count": self._reference_rows,
                }
                for item in distributions
            ]
        }

    # -- alias events ------------------------------------------------------------------------

    async def watch(self) -> AsyncIterator[AliasMove]:
        if self._redis is None:
            await asyncio.Event().wait()
        assert self._redis is not None
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                async for move in self._current_aliases():
                    yield move
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    move = parse_event(message.get("data"))
                    if move is not None:
                        yield move
            except (RedisError, OSError) as error:
                log.warning("alias events: lost Redis (%s); reconnecting", error)
            finally:
                await pubsub.aclose()
            await asyncio.sleep(self._reconnect_seconds)

    async def _current_aliases(self) -> AsyncIterator[AliasMove]:
        """Where every followed model's aliases point now (moves missed while disconnected)."""
        for key in sorted(self._followed):
            try:
                aliases = await self.aliases(key)
            except AlphintraError as error:
                log.warning("cannot re-read the aliases of %s: %s", key, error.message)
                continue
            for alias, version in sorted(aliases.items()):
                yield AliasMove(key, alias, version)


def parse_event(data: object) -> AliasMove | None:
    """An AliasMove from the registry's event payload (services/trainer/registry/events.py)."""
    try:
        payload = json.loads(data if isinstance(data, bytes | str) else b"")
        key = registry_key(str(payload["owner_id"]), str(payload["model"]))
        version = int(payload["version"])
        return AliasMove(key, str(payload["alias"]), version if version > 0 else None)
    except (ValueError, KeyError, TypeError, NotFound) as error:
        log.warning("ignoring an unreadable alias event %r: %s", data, error)
        return None


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()
