"""The embedded default: real PostgreSQL, Redis, Envoy and the `make run` supervisor.

Every test checks that what it started is gone afterwards: a leaked server would hold a
port and a data directory on a developer's machine until the next reboot.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
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
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.mesh import envoy_config
from services.mesh.devstack import DevstackError, EmbeddedEnvoy, EmbeddedPostgres, EmbeddedRedis, free_port
from services.mesh.devstack.processes import is_alive
from services.mesh.devstack.supervisor import SERVICE_NAMES

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
def workflow_upstream() -> Iterator[int]:
    """A real gRPC server with only grpc.health.v1: any workflow RPC reaching it is UNIMPLEMENTED."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    server.stop(grace=None)


def call_through(address: str, method: str) -> grpc.RpcError:
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(method, request_serializer=bytes, response_deserializer=bytes)
        with pytest.raises(grpc.RpcError) as failure:
            call(b"", timeout=5)
    return failure.value


def answered_by_upstream(error: grpc.RpcError) -> bool:
    """Envoy adds this header to responses that came from an upstream, never to its own replies."""
    headers = [*(error.initial_metadata() or ()), *(error.trailing_metadata() or ())]
    return any(key == "x-envoy-upstream-service-time" for key, _ in headers)


def test_envoy_routes_a_package_to_its_healthy_upstream(scratch_dir, workflow_upstream):
    listener_port, admin_port = free_port(), free_port()
    config = scratch_dir / "envoy.yaml"
    config.write_text(
        envoy_config.render(
            {"workflow": ("127.0.0.1", workflow_upstream)},
            listener_port=listener_port,
            admin_port=admin_port,
            descriptor_path=None,
        )
    )
    envoy = EmbeddedEnvoy(config, admin_port)
    envoy.start()
    pid = envoy.pid
    try:
        envoy.wait_until_healthy(["workflow"], timeout_seconds=20)
        routed = call_through(
            f"127.0.0.1:{listener_port}", "/alphintra.workflow.v1.WorkflowService/ListNodeTypes"
        )
        unrouted = call_through(f"127.0.0.1:{listener_port}", "/alphintra.billing.v1.Billing/Charge")
        stats = envoy.admin("/stats?filter=^cluster\\.workflow\\.upstream_rq_total$")
    finally:
        envoy.stop()

    assert routed.code() == grpc.StatusCode.UNIMPLEMENTED
    assert answered_by_upstream(routed)
    assert not answered_by_upstream(unrouted)
    assert stats.strip() == "cluster.workflow.upstream_rq_total: 1"
    assert pid is not None
    assert not is_alive(pid)


def test_envoy_reports_an_unreachable_upstream_as_unhealthy(scratch_dir):
    admin_port = free_port()
    config = scratch_dir / "envoy.yaml"
    config.write_text(
        envoy_config.render(
            {"trainer": ("127.0.0.1", free_port())},
            listener_port=free_port(),
            admin_port=admin_port,
            descriptor_path=None,
        )
    )
    with (
        EmbeddedEnvoy(config, admin_port) as envoy,
        pytest.raises(DevstackError, match="unhealthy after 2s: trainer"),
    ):
        envoy.wait_until_healthy(["trainer"], timeout_seconds=2)


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


@needs_services
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_make_run_brings_up_the_mesh_behind_envoy_and_stops_cleanly(mesh):
    endpoints = mesh.start()
    assert set(endpoints["services"]) == set(SERVICE_NAMES)
    envoy_address = endpoints["envoy"]["address"]

    # each package path reaches its own service: the service (not Envoy) answers, and
    # exactly that service's cluster counts the request
    for service, packages in envoy_config.SERVICE_PACKAGES.items():
        for package in packages:
            before = upstream_requests(endpoints["envoy"]["admin"], service)
            answer = call_through(envoy_address, f"/{package}.RoutingProbe/Check")
            assert answer.code() == grpc.StatusCode.UNIMPLEMENTED, (package, answer.details())
            assert answered_by_upstream(answer), package
            assert upstream_requests(endpoints["envoy"]["admin"], service) == before + 1, package

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
    assert len(pids) == len(SERVICE_NAMES) + 3  # the services, Redis, Envoy, PostgreSQL
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
