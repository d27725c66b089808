"""The registry from a job's own process: the same facade the RPCs use, the same rules and events.

The runners are synchronous and have no service around them, so each registry step opens a small
asyncpg pool (and, to publish alias events, a Redis client) for its few statements. A version's
request id is "job:<job id>", so a retried attempt of the same job finds the version its earlier
attempt registered instead of adding another.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.errors import FailedPrecondition, NotFound
from services.core.ownership import Caller, Role
from services.mesh.artifacts import ArtifactStore
from services.mesh.database import create_pool
from services.mesh.redis import redis_from_url
from services.mesh.server import utc_now
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.registry.app import RegistryApp
from services.trainer.registry.events import AliasEvents
from services.trainer.registry.rules import digest_hex
from services.trainer.registry.store import RegistryStore

Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class Registration:
    model_name: str
    version: messages.ModelVersion


@dataclass(frozen=True, slots=True, eq=False)
class Baseline:
    """The version an alias points at, with what retraining needs of it."""

    version: messages.ModelVersion
    training_job: bytes  # the TrainingJobConfig it was trained with
    content: bytes  # its ONNX file


@contextlib.asynccontextmanager
async def _registry(environment: JobEnvironment, *, publish: bool = False) -> AsyncIterator[RegistryApp]:
    pool = await create_pool(
        environment.database_url, schema=environment.schema, timeout_seconds=10.0, max_size=2
    )
    redis = redis_from_url(environment.redis_url) if publish else None
    try:
        yield RegistryApp(
            RegistryStore(pool),
            ArtifactStore(environment.artifacts_root),
            AliasEvents(redis, environment.registry_alias_channel),
            utc_now,
        )
    finally:
        if redis is not None:
            await redis.aclose()
        await pool.close()


def _run(
    environment: JobEnvironment, step: Callable[[RegistryApp], Awaitable[Value]], *, publish: bool = False
) -> Value:
    async def main() -> Value:
        async with _registry(environment, publish=publish) as app:
            return await step(app)

    return asyncio.run(main())


def _owner(owner_id: str) -> Caller:
    return Caller(user_id=owner_id, role=Role.TRADER)


def register_version(
    environment: JobEnvironment,
    *,
    owner_id: str,
    job_id: str,
    model_name: str,
    version: messages.ModelVersion,
    training_job: bytes,
) -> Registration:
    async def step(app: RegistryApp) -> Registration:
        caller = _owner(owner_id)
        try:
            await app.get_model(caller, model_name)
        except NotFound:
            await app.create_model(caller, messages.Model(model_name=model_name), f"job:{job_id}")
        created = await app.create_version(
            caller, model_name, version, b"", f"job:{job_id}", training_job=training_job
        )
        return Registration(model_name, created)

    return _run(environment, step)


def read_baseline(environment: JobEnvironment, *, owner_id: str, model_name: str, alias: str) -> Baseline:
    """The owner's version under `alias`; NOT_FOUND for a model they cannot see or an unset alias."""

    async def step(app: RegistryApp) -> Baseline:
        version = await app.get_version(_owner(owner_id), model_name, 0, alias)
        training_job = await app.training_job_of(model_name, version.version)
        if not training_job:
            raise FailedPrecondition(
                f"{model_name} v{version.version} was not trained by a job: nothing to retrain from",
                [
                    (
                        "TRAINING_CONFIG",
                        f"registry/models/{model_name}/versions/{version.version}",
                        "none stored",
                    )
                ],
            )
        path = ArtifactStore(environment.artifacts_root).path(digest_hex(version.artifact.digest))
        return Baseline(version, training_job, path.read_bytes())

    return _run(environment, step)


def promote(
    environment: JobEnvironment, *, model_name: str, alias: str, version: int, reason: str
) -> messages.AliasChange:
    """Point `alias` at `version` for the owner, published on the alias channel like any change."""

    async def step(app: RegistryApp) -> messages.AliasChange:
        return await app.promote(model_name, alias, version, reason)

    return _run(environment, step, publish=True)
