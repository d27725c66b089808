"""A trained model into the registry, from a job's own process: the same facade the RPCs use.

The runner is synchronous and has no service around it, so it opens a small asyncpg pool for the
one registration. The version's request id is "job:<job id>", so a retried attempt of the same
job finds the version its earlier attempt registered instead of adding another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.errors import NotFound
from services.core.ownership import Caller, Role
from services.mesh.artifacts import ArtifactStore
from services.mesh.database import create_pool
from services.mesh.server import utc_now
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.registry.app import RegistryApp
from services.trainer.registry.events import AliasEvents
from services.trainer.registry.store import RegistryStore


@dataclass(frozen=True, slots=True)
class Registration:
    model_name: str
    version: messages.ModelVersion


def register_version(
    environment: JobEnvironment,
    *,
    owner_id: str,
    job_id: str,
    model_name: str,
    version: messages.ModelVersion,
    training_job: bytes,
) -> Registration:
    return asyncio.run(
        _register(environment, owner_id, job_id, model_name, version, training_job=training_job)
    )


async def _register(
    environment: JobEnvironment, owner_id: str, job_id: str, model_name: str, version: messages.ModelVersion,
    *, training_job: bytes,
) -> Registration:  # fmt: skip
    pool = await create_pool(
        environment.database_url, schema=environment.schema, timeout_seconds=10.0, max_size=2
    )
    try:
        app = RegistryApp(
            RegistryStore(pool), ArtifactStore(environment.artifacts_root), AliasEvents(None), utc_now
        )
        caller = Caller(user_id=owner_id, role=Role.TRADER)
        try:
            await app.get_model(caller, model_name)
        except NotFound:
            await app.create_model(caller, messages.Model(model_name=model_name), f"job:{job_id}")
        created = await app.create_version(
            caller, model_name, version, b"", f"job:{job_id}", training_job=training_job
        )
        return Registration(model_name, created)
    finally:
        await pool.close()
