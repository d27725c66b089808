"""The embedded default: real PostgreSQL, Redis, Envoy and the `make run` supervisor.

Every test checks that what it started is gone afterwards: a leaked server would hold a
port and a data directory on a developer's machine until the next reboot.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import grpc
import httpx
import pytest
import redis
from cryptography import x509
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.mesh import envoy_config
from services.mesh.devstack import DevstackError, EmbeddedEnvoy, EmbeddedPostgres, EmbeddedRedis, free_port
from services.mesh.devstack.front_door import prepare_front_door
from services.mesh.devstack.processes import is_alive
from services.mesh.devstack.supervisor import SERVICE_NAMES
from services.mesh.devstack.tls import ensure_local_certificates

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
MESH_START_TIMEOUT_SECONDS = 180
SERVICES_PRESENT = all(importlib.util.find_spec(f"services.{name}.__main__") for name in SERVICE_NAMES)
needs_services = pytest.mark.skipif(not SERVICES_PRESENT, reason="the five services are not all written yet")


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A short directory under /tmp that the `postgres` account can reach (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="alphintra-devstack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


# -- PostgreSQL ---------------------------------------------------------------------------


async def fetch_one(url: str, query: str) -> object:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def execute(url: str, script: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(script)
    finally:
        await connection.close()


async def test_postgres_serves_databases_and_stops_without_a_trace(scratch_dir):
    server = EmbeddedPostgres(scratch_dir / "data", fsync=False)
    server.start()
    try:
        postmaster = server.pid
        url = server.create_database("orders")
        assert server.create_database("orders") == url  # a second create is a no-op
        assert await fetch_one(url, "SELECT current_database()") == "orders"
        assert await fetch_one(server.url, "SHOW listen_addresses") == "127.0.0.1"
        assert await fetch_one(server.url, "SHOW fsync") == "off"
        await execute(url, "CREATE TABLE kept (id int)")
    finally:
        server.stop()

    assert postmaster is not None
    assert not is_alive(postmaster)
    assert server.pid is None


async def test_postgres_restarts_on_its_existing_cluster(scratch_dir):
    first = EmbeddedPostgres(scratch_dir / "data", fsync=False)
    first.start()
    try:
        url = first.create_database("kept")
        await execute(url, "CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (7)")
    finally:
        first.stop()

    second = EmbeddedPostgres(scratch_dir / "data", fsync=False)
    second.start()
    try:
        assert await fetch_one(second.url_for("kept"), "SELECT id FROM survivor") == 7
        second.drop_database("kept")
        assert await fetch_one(second.url, "SELECT count(*) FROM pg_database WHERE datname = 'kept'") == 0
    finally:
        second.stop()


def test_postgres_refuses_a_database_name_it_would_have_to_quote(scratch_dir):
    server = EmbeddedPostgres(scratch_dir / "data")

    with pytest.raises(ValueError, match="must match"):
        server.create_database('x"; DROP DATABASE postgres; --')


async def test_each_test_gets_a_fresh_database_of_its_own(database_url):
    assert urlsplit(database_url).path.startswith("/test_")
    assert await fetch_one(database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0


# -- Redis --------------------------------------------------------------------------------


def test_each_test_gets_a_namespace_of_its_own(redis_url, namespace):
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.scan(match=f"{namespace}*")[1] == []
        client.set(f"{namespace}:greeting", "hello")  # removed by the fixture afterwards
    finally:
        client.close()


def test_redis_runs_with_the_append_only_file_and_stops(scratch_dir):
    server = EmbeddedRedis(scratch_dir, appendfsync="everysec")
    server.start()
    pid = server.pid
    try:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.config_get("appendonly") == {"appendonly": "yes"}
            assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
            assert client.config_get("save") == {"save": ""}
        finally:
            client.close()
    finally:
        server.stop()

    assert pid is not None
    assert not is_alive(pid)


def test_redis_keeps_an_acknowledged_write_across_kill_9(scratch_dir):
    crashed = EmbeddedRedis(scratch_dir, appendfsync="always")
    crashed.start()
    client = redis.Redis.from_url(crashed.url)
    try:
        client.xadd("signals", {"signal_id": "s-1"})
    finally:
        client.close()
    pid = crashed.pid
    crashed.kill()
    assert pid is not None
    assert not is_alive(pid)

    restarted = EmbeddedRedis(scratch_dir, appendfsync="always")
    restarted.start()
    try:
        client = redis.Redis.from_url(restarted.url)
        try:
            assert [fields for _, fields in client.xrange("signals")] == [{b"signal_id": b"s-1"}]
        finally:
            client.close()
    finally:
        restarted.stop()


# -- Envoy --------------------------------------------------------------------------------


@pytest.fixture
def health_only_upstreams() -> Iterator[dict[str, tuple[str, int]]]:
    """Real gRPC servers with only grpc.health.v1, as the gateway and the predictor: any RPC reaching
    one is UNIMPLEMENTED, which tells an answer from the upstream apart from Envoy's own."""
    servers, upstreams = [], {}
    for name in ("gateway", "predictor"):
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
        servicer = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        upstreams[name] = ("127.0.0.1", server.add_insecure_port("127.0.0.1:0"))
        server.start()
        servers.append(server)
    yield upstreams
    for server in servers:
        server.stop(grace=None)


def front_door(scratch_dir: Path, listener_port: int, admin_port: int) -> envoy_config.FrontDoor:
    certificates = ensure_local_certificates(scratch_dir / "tls")
    return envoy_config.FrontDoor(
        listener_port=listener_port,
        admin_port=admin_port,
        descriptor_path=REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH,
        tls=envoy_config.TlsFiles(
            certificates.server_certificate, certificates.server_key, certificates.ca_certificate
        ),
    )


def tls_channel(address: str, ca_certificate: Path) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_certificate.read_bytes())
    return grpc.secure_channel(address, credentials)


def call_through(channel: grpc.Channel, method: str, metadata: tuple = ()) -> grpc.RpcError:
    call = channel.unary_unary(method, request_serializer=bytes, response_deserializer=bytes)
    with pytest.raises(grpc.RpcError) as failure:
        call(b"", metadata=metadata, timeout=5)
    return failure.value


def answered_by_upstream(error: grpc.RpcError) -> bool:
    """Envoy adds this header to responses that came from an upstream, never to its own replies."""
    headers = [*(error.initial_metadata() or ()), *(error.trailing_metadata() or ())]
    return any(key == "x-envoy-upstream-service-time" for key, _ in headers)


def test_envoy_routes_an_rpc_to_its_healthy_upstream_over_tls(scratch_dir, health_only_upstreams):
    listener_port, admin_port = free_port(), free_port()
    config = scratch_dir / "envoy.yaml"
    config.write_text(
        envoy_config.render(health_only_upstreams, front_door(scratch_dir, listener_port, admin_port))
    )
    envoy = EmbeddedEnvoy(config, admin_port)
    envoy.start()
    pid = envoy.pid
    try:
        envoy.wait_until_healthy(["gateway", "predictor"], timeout_seconds=20)
        with tls_channel(f"127.0.0.1:{listener_port}", scratch_dir / "tls" / "ca.crt") as channel:
            routed = call_through(channel, "/inference.GRPCInferenceService/ServerLive")
            unauthenticated = call_through(
                channel, "/alphintra.predictor.v1.DeploymentService/ListDeployments"
            )
            unrouted = call_through(
                channel, "/alphintra.billing.v1.Billing/Charge", (("authorization", "Bearer x"),)
            )
        stats = envoy.admin("/stats?filter=^cluster\\.predictor\\.upstream_rq_total$")
    finally:
        envoy.stop()

    assert routed.code() == grpc.StatusCode.UNIMPLEMENTED
    assert answered_by_upstream(routed)
    assert unauthenticated.code() == grpc.StatusCode.UNAUTHENTICATED
    assert not answered_by_upstream(unauthenticated)
    assert not answered_by_upstream(unrouted)
    assert stats.strip() == "cluster.predictor.upstream_rq_total: 1"
    assert pid is not None
    assert not is_alive(pid)


def test_envoy_reports_an_unreachable_upstream_as_unhealthy(scratch_dir):
    admin_port = free_port()
    config = scratch_dir / "envoy.yaml"
    config.write_text(
        envoy_config.render(
            {"gateway": ("127.0.0.1", free_port())}, front_door(scratch_dir, free_port(), admin_port)
        )
    )
    with (
        EmbeddedEnvoy(config, admin_port) as envoy,
        pytest.raises(DevstackError, match="unhealthy after 2s: gateway"),
    ):
        envoy.wait_until_healthy(["gateway"], timeout_seconds=2)


# -- TLS and the front door's secrets -------------------------------------------------------


def test_the_local_ca_signs_a_certificate_for_localhost_once_and_reuses_it(scratch_dir):
    first = ensure_local_certificates(scratch_dir / "tls")
    again = ensure_local_certificates(scratch_dir / "tls")

    assert first.server_certificate.read_bytes() == again.server_certificate.read_bytes()
    assert stat.S_IMODE(first.server_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.ca_key.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(first.ca_certificate.read_bytes())
    server = x509.load_pem_x509_certificate(first.server_certificate.read_bytes())
    server.verify_directly_issued_by(ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(address) for address in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}


def test_a_certificate_about_to_expire_or_for_other_hosts_is_renewed(scratch_dir):
    first = ensure_local_certificates(scratch_dir / "tls")
    original = first.server_certificate.read_bytes()
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=380)

    renewed = ensure_local_certificates(scratch_dir / "tls", now=later)
    other_hosts = ensure_local_certificates(scratch_dir / "tls", hosts=("mesh.internal",))

    assert renewed.server_certificate.read_bytes() != original
    assert b"BEGIN CERTIFICATE" in other_hosts.server_certificate.read_bytes()
    assert other_hosts.ca_certificate.read_bytes() == first.ca_certificate.read_bytes()


def test_the_local_admin_gets_a_random_password_once_and_the_environment_wins(scratch_dir):
    first = prepare_front_door(scratch_dir, {})
    again = prepare_front_door(scratch_dir, {})
    chosen = prepare_front_door(
        scratch_dir,
        {
            "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_EMAIL": "ops@example.com",
            "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD": "a password of our own",
            "ALPHINTRA_ENVOY_CORS_ORIGINS": "https://a.example, https://b.example",
            "ALPHINTRA_GATEWAY__ISSUER": "https://id.example",
        },
    )

    assert first.admin == again.admin
    assert len(first.admin.password) >= 20
    assert stat.S_IMODE((scratch_dir / "admin.json").stat().st_mode) == 0o600
    assert (
        first.gateway_environment["ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE"]
        == (again.gateway_environment["ALPHINTRA_GATEWAY__SIGNING_KEY_PASSPHRASE"])
    )
    assert (chosen.admin.email, chosen.admin.file) == ("ops@example.com", None)
    assert (
        chosen.gateway_environment["ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD"] == "a password of our own"
    )
    assert chosen.cors_origins == ("https://a.example", "https://b.example")
    assert chosen.jwt.issuer == "https://id.example"


# -- the supervisor (`make run`) ----------------------------------------------------------


def child_pids(parent: int) -> list[int]:
    """Direct children of `parent`, from /proc."""
    children = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat_file.parent.name))
    return children


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


class RunningMesh:
    """`python -m services.mesh.devstack` in a run directory of its own, as `make run` starts it."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.envoy_port = free_port()
        self.environment = {
            **{key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}},
            "ALPHINTRA_RUN_DIR": str(run_dir),
            "ALPHINTRA_ENVOY_PORT": str(self.envoy_port),
        }
        self.output_path = run_dir.parent / f"{run_dir.name}-supervisor.out"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> dict:
        with self.output_path.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.mesh.devstack"],
                cwd=REPO_ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        endpoints = self.run_dir / "endpoints.json"
        deadline = time.monotonic() + MESH_START_TIMEOUT_SECONDS
        while not endpoints.exists():
            assert self.process.poll() is None, f"the supervisor exited at start:\n{self.output()}"
            assert time.monotonic() < deadline, f"the mesh did not come up:\n{self.output()}"
            time.sleep(0.5)
        return json.loads(endpoints.read_text())

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def all_pids(self) -> list[int]:
        """The supervisor's children and the PostgreSQL postmaster (which pg_ctl detached)."""
        assert self.process is not None
        postmaster = int((self.run_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        return [*child_pids(self.process.pid), postmaster]

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def kill_everything(self) -> None:
        """Only after a failed assertion: leave nothing behind even then."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def mesh(scratch_dir) -> Iterator[RunningMesh]:
    running = RunningMesh(scratch_dir / "run")
    yield running
    running.kill_everything()


def upstream_requests(admin: str, cluster: str) -> int:
    """How many requests Envoy has sent to `cluster` (health checks are not counted)."""
    reply = httpx.get(f"{admin}/stats", params={"filter": f"^cluster\\.{cluster}\\.upstream_rq_total$"})
    return int(reply.text.split(":")[1])


# one RPC of each package, callable with an admin token and an empty request
PACKAGE_PROBES = {
    "alphintra.auth.v1": "/alphintra.auth.v1.AuthService/WhoAmI",
    "alphintra.workflow.v1": "/alphintra.workflow.v1.WorkflowService/ListWorkflows",
    "alphintra.trainer.v1": "/alphintra.trainer.v1.DatasetService/ListDatasets",
    "alphintra.predictor.v1": "/alphintra.predictor.v1.DeploymentService/ListDeployments",
    "inference": "/inference.GRPCInferenceService/ServerLive",
    "alphintra.signalbus.v1": "/alphintra.signalbus.v1.SignalBusService/ListSignals",
}


def reaches_upstream(channel: grpc.Channel, method: str, metadata: tuple) -> bool:
    """Whether the service itself answered (whatever it said), rather than Envoy."""
    call = channel.unary_unary(method, request_serializer=bytes, response_deserializer=bytes)
    try:
        _, outcome = call.with_call(b"", metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        return answered_by_upstream(error)
    return any(key == "x-envoy-upstream-service-time" for key, _ in outcome.initial_metadata())


def sign_in_as_local_admin(endpoints: dict) -> tuple[tuple[str, str], ...]:
    """The admin `make run` created, signed in over TLS; returns once Envoy accepts the token."""
    credentials = json.loads(Path(endpoints["admin"]["credentials"]).read_text())
    ca = endpoints["envoy"]["ca_certificate"]
    with httpx.Client(
        base_url=endpoints["envoy"]["url"], verify=ssl.create_default_context(cafile=ca)
    ) as http:
        login = http.post(
            "/v1/auth:login", json={"username": credentials["email"], "password": credentials["password"]}
        )
        assert login.status_code == 200, login.text
        headers = {"authorization": f"Bearer {login.json()['tokens']['accessToken']}"}
        deadline = time.monotonic() + 30
        while http.get("/v1/auth/whoami", headers=headers).status_code != 200:
            assert time.monotonic() < deadline, "Envoy never accepted the admin's token"
            time.sleep(0.2)
    return tuple(headers.items())


@needs_services
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_make_run_brings_up_the_mesh_behind_envoy_and_stops_cleanly(mesh):
    endpoints = mesh.start()
    assert set(endpoints["services"]) == set(SERVICE_NAMES)
    assert endpoints["admin"]["email"] == "admin@alphintra.local"
    metadata = sign_in_as_local_admin(endpoints)
    channel = tls_channel(f"127.0.0.1:{mesh.envoy_port}", Path(endpoints["envoy"]["ca_certificate"]))

    # each package reaches its own service over TLS with a token: the service (not Envoy) answers,
    # and exactly that service's cluster counts the request
    for service, packages in envoy_config.SERVICE_PACKAGES.items():
        for package in packages:
            before = upstream_requests(endpoints["envoy"]["admin"], service)
            assert reaches_upstream(channel, PACKAGE_PROBES[package], metadata), package
            assert upstream_requests(endpoints["envoy"]["admin"], service) == before + 1, package
    # and nothing reaches one without a token
    assert not reaches_upstream(channel, PACKAGE_PROBES["alphintra.workflow.v1"], ())
    channel.close()

    second = subprocess.run(
        [sys.executable, "-m", "services.mesh.devstack"],
        cwd=REPO_ROOT,
        env=mesh.environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 1
    assert f"the mesh is already running (pid {mesh.process.pid})" in second.stdout

    pids = mesh.all_pids()
    assert len(pids) == len(SERVICE_NAMES) + 4  # the services, Redis, Envoy, PostgreSQL, trace collector
    mesh.process.send_signal(signal.SIGINT)

    assert mesh.wait(90) == 0, mesh.output()
    assert [pid for pid in pids if is_alive(pid)] == []
    assert not (mesh.run_dir / "mesh.pid").exists()
    assert not (mesh.run_dir / "endpoints.json").exists()


@needs_services
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_make_run_stops_everything_when_a_service_dies(mesh):
    mesh.start()
    pids = mesh.all_pids()
    [workflow] = [pid for pid in pids if "services.workflow" in command_line(pid)]

    os.kill(workflow, signal.SIGKILL)

    assert mesh.wait(90) == 1
    assert "workflow was killed by SIGKILL unexpectedly" in mesh.output()
    assert [pid for pid in pids if is_alive(pid)] == []
    assert not (mesh.run_dir / "mesh.pid").exists()


def test_make_run_refuses_a_port_that_is_taken(scratch_dir):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "services.mesh.devstack"],
            cwd=REPO_ROOT,
            env={**os.environ, "ALPHINTRA_RUN_DIR": str(scratch_dir), "ALPHINTRA_ENVOY_PORT": str(taken)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    assert f"port {taken} is in use" in result.stdout
    assert not (scratch_dir / "mesh.pid").exists()
