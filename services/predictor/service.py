"""Wiring of the predictor service.

`build` opens the model source (the platform's model directory, and the owners' models in the
trainer's registry when `trainer_address` is set), loads the models the settings name, and
starts the background tasks: the alias follower (hot reload), the periodic drift check and the
restart of the deployments that were running; their stop is registered with `on_close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from redis.asyncio import Redis

from alphintra.predictor.v1 import (
    deployment_service_pb2,
    deployment_service_pb2_grpc,
    predictor_service_pb2,
    predictor_service_pb2_grpc,
)
from inference import grpc_service_pb2, grpc_service_pb2_grpc
from services.core.errors import AlphintraError, FieldViolation, NotFound
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.predictor.app import Predictor
from services.predictor.combined_source import CombinedModelSource
from services.predictor.deployment_handlers import DeploymentHandlers
from services.predictor.deployment_store import DeploymentStore
from services.predictor.deployments import Deployments, Peers
from services.predictor.directory_source import DirectoryModelSource
from services.predictor.drift_monitor import DriftMonitor
from services.predictor.feature_cache import FeatureCache
from services.predictor.handlers import PredictorHandlers
from services.predictor.inference import InferenceHandlers
from services.predictor.model_access import ModelAccess
from services.predictor.model_source import AliasMove, ModelArtifact, ModelSource
from services.predictor.peer_clients import SignalBusClient, WorkflowClient
from services.predictor.registry_client import RegistryClient
from services.predictor.registry_source import RegistryModelSource
from services.predictor.repository import ModelRepository
from services.predictor.settings import PredictorSettings

log = logging.getLogger("alphintra.predictor")


class NoModels:
    """The source when no model directory is configured: it knows no model."""

    async def model_names(self) -> list[str]:
        return []

    async def aliases(self, model_name: str) -> dict[str, int]:
        raise NotFound("model", model_name, "no model source is configured (set model_directory)")

    async def resolve(
        self, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> ModelArtifact:
        raise NotFound("model", model_name, "no model source is configured (set model_directory)")

    async def watch(self) -> AsyncIterator[AliasMove]:
        await asyncio.Event().wait()
        yield AliasMove("", "", None)  # never reached: makes this an async generator


def platform_source(settings: PredictorSettings) -> ModelSource:
    if settings.model_directory is None:
        return NoModels()
    return DirectoryModelSource(settings.model_directory, poll_seconds=settings.alias_poll_seconds)


def model_source(settings: PredictorSettings, registry: RegistryClient, redis: Redis | None) -> ModelSource:
    """The directory's platform models, and the owners' registry models when the trainer is configured."""
    platform = platform_source(settings)
    if not registry.configured:
        return platform
    owned = RegistryModelSource(
        registry,
        redis,
        channel=settings.registry_alias_channel,
        shared_store=settings.artifacts_root,
        cache_store=settings.model_cache_directory,
        reference_rows=settings.registry_reference_rows,
        reconnect_seconds=settings.registry_reconnect_seconds,
    )
    return CombinedModelSource(platform, owned)


def parse_serve_models(text: str) -> list[tuple[str, int | None, str | None]]:
    """`name`, `name@alias`, `name:version`, comma-separated -> (name, version, alias)."""
    specs = []
    for index, item in enumerate(part.strip() for part in text.split(",") if part.strip()):
        name, _, alias = item.partition("@")
        name, _, number = name.partition(":")
        if number and (not number.isdigit() or int(number) < 1):
            raise AlphintraError(str(FieldViolation(f"serve_models[{index}]", f"bad version in {item!r}")))
        specs.append((name, int(number) if number else None, alias or None))
    return specs


async def load_startup_models(repository: ModelRepository, settings: PredictorSettings) -> None:
    text = settings.serve_models.strip()
    if text == "*":
        specs = [(name, None, None) for name in await repository.source.model_names()]
    else:
        specs = parse_serve_models(text)
    for name, version, alias in specs:
        try:
            await repository.load(name, version=version, alias=alias)
        except AlphintraError as error:
            log.error("model %s could not be loaded at start: %s", name, error.message)


async def follow_aliases(repository: ModelRepository) -> None:
    async for move in repository.source.watch():
        try:
            await repository.follow(move)
        except AlphintraError as error:
            log.error("following %s@%s failed: %s", move.model_name, move.alias, error.message)


def _versions(repository: ModelRepository) -> list:
    return [served for model in repository.models.values() for served in model.versions.values()]


async def build(resources: Resources) -> Sequence[Registration]:
    settings = resources.settings
    assert isinstance(settings, PredictorSettings)
    registry = RegistryClient(settings.trainer_address, timeout_seconds=settings.registry_timeout_seconds)
    repository = ModelRepository(model_source(settings, registry, resources.redis), settings, resources.clock)
    drift = DriftMonitor(settings, resources.clock)
    predictor = Predictor(repository, drift, resources.clock, ModelAccess(registry.readable_by))
    await load_startup_models(repository, settings)
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(follow_aliases(repository), name="predictor-aliases")]
    peers = Peers(
        registry,
        WorkflowClient(settings.workflow_address, timeout_seconds=settings.registry_timeout_seconds),
        SignalBusClient(settings.signal_bus_address, timeout_seconds=settings.registry_timeout_seconds),
    )
    assert resources.database is not None
    assert resources.redis is not None
    deployments = Deployments(
        DeploymentStore(resources.database),
        FeatureCache(resources.redis, settings.feature_cache_prefix, settings.feature_cache_ttl_seconds),
        predictor,
        peers,
        settings=settings,
        clock=resources.clock,
    )
    tasks.append(loop.create_task(deployments.restore_all(), name="predictor-deployments-restore"))
    if settings.drift_check_seconds > 0:
        tasks.append(loop.create_task(drift.run(lambda: _versions(repository)), name="predictor-drift"))

    async def close() -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await deployments.close()
        await repository.close()
        await registry.close()
        await peers.workflows.channel.close()
        await peers.bus.channel.close()

    resources.on_close(close)
    window = settings.stream_window
    return [
        Registration.of(
            predictor_service_pb2,
            predictor_service_pb2_grpc,
            "PredictorService",
            PredictorHandlers(predictor, window),
        ),
        Registration.of(
            deployment_service_pb2,
            deployment_service_pb2_grpc,
            "DeploymentService",
            DeploymentHandlers(deployments),
        ),
        Registration.of(
            grpc_service_pb2,
            grpc_service_pb2_grpc,
            "GRPCInferenceService",
            InferenceHandlers(predictor, window),
        ),
    ]


DEFINITION = ServiceDefinition(
    name="predictor",
    settings_type=PredictorSettings,
    build=build,
    schema="predictor",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
