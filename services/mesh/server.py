"""The gRPC server every service runs, and the start-up/shutdown sequence around it.

`create_server` builds a grpc.aio server with the production interceptor, health and
reflection, bound to the given port (0 in tests) and returns the port it got.
`start_service` wires one service: settings -> PostgreSQL (migrated) and Redis ->
the service's servicers -> server -> SERVING. `serve` runs it until SIGTERM/SIGINT
and then stops gracefully: health goes NOT_SERVING first (so Envoy drains it), in-flight
calls get the grace period, then connections and pools close.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace
from redis.asyncio import Redis

from services.mesh.database import apply_migrations, create_pool
from services.mesh.dependencies import DependencyWatchdog
from services.mesh.interceptors import ServerInterceptor
from services.mesh.metrics import MetricsEndpoint, serve_metrics
from services.mesh.redis import connect_redis
from services.mesh.settings import ServiceSettings
from services.mesh.tracing import setup_tracing

log = logging.getLogger("alphintra.server")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


@dataclass(frozen=True)
class Registration:
    """One gRPC service to add: the generated `add_*_to_server`, its servicer, its full name."""

    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: object
    full_name: str

    @classmethod
    def of(cls, messages: ModuleType, stubs: ModuleType, service: str, servicer: object) -> Registration:
        """From a generated `*_pb2` / `*_pb2_grpc` pair and the service's short name."""
        return cls(
            add_to_server=getattr(stubs, f"add_{service}Servicer_to_server"),
            servicer=servicer,
            full_name=messages.DESCRIPTOR.services_by_name[service].full_name,
        )


@dataclass(frozen=True)
class Resources:
    """What a service's wiring receives: its settings and the connections it asked for."""

    settings: ServiceSettings
    database: asyncpg.Pool | None
    redis: Redis | None
    clock: Clock = utc_now
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def on_close(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run `close` at shutdown, after in-flight calls finish and before the pools close.

        A service's background tasks (workers, batchers, listeners) register their stop here;
        closers run last-registered first, like an ExitStack.
        """
        self.closers.append(close)


@dataclass(frozen=True)
class ServiceDefinition:
    """How to build one service; each service package declares one."""

    name: str
    settings_type: type[ServiceSettings]
    build: Callable[[Resources], Awaitable[Sequence[Registration]]]
    schema: str | None = None
    migrations: Path | None = None
    needs_redis: bool = False


def server_options(settings: ServiceSettings) -> list[tuple[str, Any]]:
    return [
        # a second process on the same port must fail, not silently take half the traffic
        ("grpc.so_reuseport", 0),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ]


async def create_server(
    settings: ServiceSettings,
    registrations: Sequence[Registration],
    *,
    tracer: trace.Tracer | None = None,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A started server with health (NOT_SERVING until the caller says so) and reflection."""
    server = grpc.aio.server(interceptors=[ServerInterceptor(tracer)], options=server_options(settings))
    for registration in registrations:
        registration.add_to_server(registration.servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [registration.full_name for registration in registrations]
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    if port == 0:
        raise OSError(f"cannot bind {settings.host}:{settings.port}")
    await server.start()
    return server, port, health_servicer


@dataclass
class RunningService:
    definition: ServiceDefinition
    settings: ServiceSettings
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    resources: Resources
    registrations: Sequence[Registration]
    metrics: MetricsEndpoint | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    watchdog: DependencyWatchdog | None = None

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *(registration.full_name for registration in self.registrations)]:
            await self.health.set(name, status)

    async def stop(self, grace: float | None = None) -> None:
        if self.watchdog is not None:
            # first: health must not flip back to SERVING while the service drains
            await self.watchdog.stop()
        await self.set_serving(False)
        await self.server.stop(self.settings.grace_period_seconds if grace is None else grace)
        for close in reversed(self.closers):
            await close()
        if self.metrics is not None:
            self.metrics.close()


async def _connect(definition: ServiceDefinition, settings: ServiceSettings) -> tuple[Resources, list[Any]]:
    closers: list[Any] = []
    database = None
    if definition.schema is not None:
        if settings.database_url is None:
            raise ConnectionError(f"the {definition.name} service needs DATABASE_URL")
        database = await create_pool(
            settings.database_url.get_secret_value(),
            schema=definition.schema,
            timeout_seconds=settings.dependency_timeout_seconds,
        )
        closers.append(database.close)
        if definition.migrations is not None:
            applied = await apply_migrations(database, definition.schema, definition.migrations)
            if applied:
                log.info("%s: applied migrations %s", definition.schema, applied)
    redis = None
    if definition.needs_redis:
        if settings.redis_url is None:
            raise ConnectionError(f"the {definition.name} service needs REDIS_URL")
        redis = await connect_redis(
            settings.redis_url.get_secret_value(), settings.dependency_timeout_seconds
        )
        closers.append(redis.aclose)
    return Resources(settings=settings, database=database, redis=redis), closers


async def start_service(
    definition: ServiceDefinition, settings: ServiceSettings, *, tracer: trace.Tracer | None = None
) -> RunningService:
    """Connect, migrate, build and start one service; it reports SERVING when this returns."""
    resources, closers = await _connect(definition, settings)
    try:
        registrations = await definition.build(resources)
        server, port, health_servicer = await create_server(settings, registrations, tracer=tracer)
    except BaseException:
        for close in reversed([*closers, *resources.closers]):
            await close()
        raise
    running = RunningService(
        definition,
        settings,
        server,
        port,
        health_servicer,
        resources,
        registrations,
        closers=[*closers, *resources.closers],
    )
    if settings.metrics_port >= 0:
        running.metrics = serve_metrics(settings.host, settings.metrics_port)
    await running.set_serving(True)
    watchdog = DependencyWatchdog(
        _probes(resources),
        running.set_serving,
        interval_seconds=settings.dependency_check_interval_seconds,
        timeout_seconds=max(1.0, settings.dependency_check_interval_seconds),
    )
    watchdog.start()
    running.watchdog = watchdog
    return running


def _probes(resources: Resources) -> dict[str, Callable[[], Awaitable[object]]]:
    probes: dict[str, Callable[[], Awaitable[object]]] = {}
    if resources.database is not None:
        probes["postgresql"] = lambda: resources.database.fetchval("SELECT 1")  # type: ignore[union-attr]
    if resources.redis is not None:
        probes["redis"] = resources.redis.ping  # type: ignore[assignment]
    return probes


def settle_heap() -> None:
    """Move everything start-up made (modules, protobuf descriptors, pools, models) out of the
    garbage collector's reach, as the CPython docs suggest for long-running servers: a full
    collection then walks only what the service made since, instead of pausing every request
    for the tens of thousands of objects that live until exit."""
    gc.collect()
    gc.freeze()


async def serve(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Run one service until SIGTERM or SIGINT, then stop gracefully."""
    provider = setup_tracing(definition.name, settings.tracing)
    tracer = provider.get_tracer("alphintra.mesh") if provider is not None else None
    running = await start_service(definition, settings, tracer=tracer)
    settle_heap()
    metrics_note = f", metrics on :{running.metrics.port}" if running.metrics else ""
    log.info("%s serving on %s:%d%s", definition.name, settings.host, running.port, metrics_note)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log.info("%s stopping (grace %.1fs)", definition.name, settings.grace_period_seconds)
    await running.stop()
    if provider is not None:
        provider.shutdown()
    log.info("%s stopped", definition.name)
