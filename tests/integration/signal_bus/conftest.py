"""A real signal bus (grpc.aio on port 0) on real PostgreSQL and Redis, topics under the test's namespace.

The log engine is Redis Streams unless a module parametrises `log_engine` (`BOTH_ENGINES` runs its
tests on Redis and on a single-node NATS JetStream server started once for the session).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import grpc
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, signal_pb2
from services.core.ownership import Caller, Role
from services.mesh.devstack.nats import EmbeddedNats
from services.mesh.identity import caller_metadata
from services.mesh.server import RunningService, start_service
from services.signal_bus.service import DEFINITION

ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER)
BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER)
EVE = Caller(user_id="eve", organization_id="globex", role=Role.TRADER)
ACME_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN)
VIEWER = Caller(user_id="val", organization_id="acme", role=Role.VIEWER)


def bus_environment(database_url: str, redis_url: str, namespace: str, **settings: object) -> dict[str, str]:
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALPHINTRA_SIGNAL_BUS__TOPIC_PREFIX": namespace,
        "ALPHINTRA_SIGNAL_BUS__HEARTBEAT_SECONDS": "0.2",
    }
    environment.update(
        {f"ALPHINTRA_SIGNAL_BUS__{name.upper()}": str(value) for name, value in settings.items()}
    )
    return environment


async def start_bus(database_url: str, redis_url: str, namespace: str, **settings: object) -> RunningService:
    loaded = DEFINITION.settings_type.load(bus_environment(database_url, redis_url, namespace, **settings))
    return await start_service(DEFINITION, loaded)


class As:
    """A stub that presents one caller's identity on every call (unary and streaming alike)."""

    def __init__(self, stub: object, caller: Caller) -> None:
        self._stub = stub
        self.metadata = caller_metadata(caller)

    def __getattr__(self, method: str) -> Callable:
        call = getattr(self._stub, method)
        return lambda *arguments, **options: call(*arguments, metadata=self.metadata, **options)


BOTH_ENGINES = pytest.mark.parametrize("log_engine", ["redis", "nats"])


@pytest.fixture
def bus_settings() -> dict[str, object]:
    """Extra settings a test module may override (e.g. a small fanout window)."""
    return {}


@pytest.fixture
def log_engine() -> str:
    """The bus's log engine; a module runs on both with `pytestmark = [..., BOTH_ENGINES]`."""
    return "redis"


@pytest.fixture(scope="session")
def nats_server() -> Iterator[EmbeddedNats]:
    """One JetStream server for the session (installed with apt when missing and we are root)."""
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-nats-"))
    server = EmbeddedNats(data_dir, size=1)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def engine_settings(request: pytest.FixtureRequest, log_engine: str) -> dict[str, object]:
    """The settings that select `log_engine` (starting the session's NATS server when it is asked for)."""
    if log_engine == "redis":
        return {}
    server: EmbeddedNats = request.getfixturevalue("nats_server")
    return {"log_engine": "nats", "nats_urls": server.url, "nats_replicas": 1}


@pytest.fixture
async def bus(
    database_url, redis_url, namespace, bus_settings, engine_settings
) -> AsyncIterator[RunningService]:
    running = await start_bus(database_url, redis_url, namespace, **engine_settings, **bus_settings)
    yield running
    await running.stop(0)


@pytest.fixture
async def channel(bus) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{bus.port}") as opened:
        yield opened


@pytest.fixture
def stub(channel) -> signal_bus_service_pb2_grpc.SignalBusServiceStub:
    return signal_bus_service_pb2_grpc.SignalBusServiceStub(channel)


@pytest.fixture
def as_alice(stub) -> As:
    return As(stub, ALICE)


def make_signal(signal_id: str, **fields: object) -> signal_pb2.Signal:
    values: dict[str, object] = {
        "signal_id": signal_id,
        "strategy_id": "rsi",
        "symbol": "BTC-USD",
        "action": signal_pb2.ACTION_BUY,
        "confidence": 0.5,
    }
    values.update(fields)
    return signal_pb2.Signal(**values)
