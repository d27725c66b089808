"""One ModelSource over two: platform models from the directory, owned models from the registry.

Keys with an owner ("<owner>/<model>") go to the registry, plain names to the directory; alias
moves of both arrive through one `watch`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from services.predictor.model_source import AliasMove, ModelArtifact, ModelSource
from services.predictor.namespaces import is_registry_key


class CombinedModelSource:
    def __init__(self, platform: ModelSource, registry: ModelSource) -> None:
        self.platform = platform
        self.registry = registry

    def _source(self, model_name: str) -> ModelSource:
        return self.registry if is_registry_key(model_name) else self.platform

    async def model_names(self) -> list[str]:
        return await self.platform.model_names()

    async def aliases(self, model_name: str) -> dict[str, int]:
        return await self._source(model_name).aliases(model_name)

    async def resolve(
        self, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> ModelArtifact:
        return await self._source(model_name).resolve(model_name, version=version, alias=alias)

    async def watch(self) -> AsyncIterator[AliasMove]:
        moves: asyncio.Queue[AliasMove] = asyncio.Queue(maxsize=1024)

        async def pump(source: ModelSource) -> None:
            async for move in source.watch():
                await moves.put(move)

        tasks = [asyncio.create_task(pump(source)) for source in (self.platform, self.registry)]
        try:
            while True:
                yield await moves.get()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
