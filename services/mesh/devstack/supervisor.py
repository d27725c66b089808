"""`make run`: the whole mesh on one machine, started in order and stopped in reverse.

PostgreSQL and Redis come first (unless DATABASE_URL / REDIS_URL point elsewhere), then
the five services on free ports, then Envoy in front of them once each reports SERVING:
TLS from a local CA, tokens verified against the gateway's JWKS, the first admin from
.run/admin.json (see `front_door`). Envoy and the services export traces over OTLP to a
local collector writing .run/traces.jsonl, or to ALPHINTRA_TRACING_COLLECTOR (see `trace_setup`).
The supervisor then watches its children: Ctrl-C or SIGTERM stops everything and exits
0; a child that dies on its own is named with its log tail, everything else is stopped,
and the exit code is 1. Nothing it started outlives it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.text import Text

from services.mesh import envoy_config
from services.mesh.devstack.envoy import EmbeddedEnvoy
from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.front_door import FrontDoorSetup, prepare_front_door
from services.mesh.devstack.lock import AlreadyRunning, PidLock
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.ports import distinct_free_ports, port_is_free
from services.mesh.devstack.postgres import EmbeddedPostgres
from services.mesh.devstack.processes import describe_exit, is_alive
from services.mesh.devstack.redis import EmbeddedRedis
from services.mesh.devstack.service_process import ServiceEndpoint, ServiceProcess, python_module_command
from services.mesh.devstack.summary import MeshAddresses, print_summary, write_endpoints
from services.mesh.devstack.trace_collector import EmbeddedTraceCollector
from services.mesh.devstack.trace_setup import TraceDestination, TraceMode, service_tracing_environment

SERVICE_NAMES: tuple[str, ...] = tuple(envoy_config.SERVICE_PACKAGES)
DATABASE_NAME = "alphintra"
REPO_ROOT = Path(__file__).resolve().parents[3]
DESCRIPTOR_PATH = REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH

SERVICES_START_TIMEOUT_SECONDS = 120.0
ENVOY_HEALTHY_TIMEOUT_SECONDS = 30.0
SERVICE_STOP_GRACE_SECONDS = 15.0
WATCH_INTERVAL_SECONDS = 0.5


# Ctrl-C, `kill`, and the terminal closing
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(Exception):
    """A stop signal arrived: unwind to the shutdown path wherever we are."""


@dataclass(frozen=True, slots=True)
class SupervisorOptions:
    run_dir: Path
    envoy_port: int
    # servers of the developer's own; None starts an embedded one under run_dir
    database_url: str | None
    redis_url: str | None
    descriptor_path: Path | None
    # the developer's variables that shape the front door (admin, issuer, CORS origins)
    environ: Mapping[str, str] = field(default_factory=dict)
    # where Envoy and the services send their spans
    traces: TraceDestination = field(default_factory=lambda: TraceDestination(TraceMode.LOCAL))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SupervisorOptions:
        port_text = environ.get("ALPHINTRA_ENVOY_PORT", str(envoy_config.DEFAULT_LISTENER_PORT))
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DevstackError(f"ALPHINTRA_ENVOY_PORT={port_text!r} is not a TCP port number")
        return cls(
            run_dir=Path(environ.get("ALPHINTRA_RUN_DIR", ".run")).absolute(),
            envoy_port=int(port_text),
            database_url=environ.get("DATABASE_URL") or None,
            redis_url=environ.get("REDIS_URL") or None,
            descriptor_path=DESCRIPTOR_PATH if DESCRIPTOR_PATH.is_file() else None,
            environ=dict(environ),
            traces=TraceDestination.from_environment(environ),
        )


class Supervisor:
    def __init__(
        self,
        options: SupervisorOptions,
        *,
        console: Console,
        service_command: Callable[[str], Sequence[str]] = python_module_command,
    ) -> None:
        self.options = options
        self._console = console
        self._service_command = service_command
        self._lock = PidLock(options.run_dir / "mesh.pid")
        self._postgres: EmbeddedPostgres | None = None
        self._postgres_pid: int | None = None
        self._redis: EmbeddedRedis | None = None
        self._services: list[ServiceProcess] = []
        self._envoy: EmbeddedEnvoy | None = None
        self._front_door: FrontDoorSetup | None = None
        self._trace_collector: EmbeddedTraceCollector | None = None

    @property
    def logs_dir(self) -> Path:
        return self.options.run_dir / "logs"

    @property
    def endpoints_path(self) -> Path:
        return self.options.run_dir / "endpoints.json"

    @property
    def traces_path(self) -> Path:
        return self.options.run_dir / "traces.jsonl"

    def run(self) -> int:
        """Start the mesh, watch it until told to stop; 0 on a requested stop, 1 on any failure."""
        try:
            self._lock.acquire()
        except AlreadyRunning as error:
            self._console.print(Text(str(error)), soft_wrap=True)
            return 1
        previous_handlers = _install_signal_handlers(_raise_stop_requested)
        try:
            self._start()
            return self._watch()
        except StopRequested:
            return 0
        except DevstackError as error:
            self._error(str(error))
            return 1
        finally:
            # a second Ctrl-C must not interrupt the shutdown it asked for
            _install_signal_handlers(_ignore)
            self._stop_all()
            self._lock.release()
            _install_signal_handlers(previous_handlers)

    # -- start-up, in order --------------------------------------------------------------

    def _start(self) -> None:
        if not port_is_free(self.options.envoy_port):
            raise DevstackError(
                f"port {self.options.envoy_port} is in use: set ALPHINTRA_ENVOY_PORT to a free port for Envoy"
            )
        if self.options.descriptor_path is None:
            raise DevstackError(f"{DESCRIPTOR_PATH} is missing: `make proto` builds it (Envoy routes by it)")
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._front_door = prepare_front_door(self.options.run_dir, self.options.environ)
        database_url = self.options.database_url or self._start_postgres()
        redis_url = self.options.redis_url or self._start_redis()
        endpoints = self._pick_endpoints()
        collector = self._trace_collector_address(endpoints)
        self._start_services(endpoints, database_url, redis_url, collector)
        self._wait_until_serving(SERVICES_START_TIMEOUT_SECONDS)
        admin_port = self._start_envoy(endpoints, collector)
        mesh = MeshAddresses(
            supervisor_pid=os.getpid(),
            run_dir=self.options.run_dir,
            envoy_address=f"127.0.0.1:{self.options.envoy_port}",
            envoy_admin_port=admin_port,
            services=endpoints,
            database_url=database_url,
            redis_url=redis_url,
            logs=self._log_paths(),
            descriptor_path=self.options.descriptor_path,
            ca_certificate=self._front_door.certificates.ca_certificate,
            admin_email=self._front_door.admin.email,
            admin_credentials=self._front_door.admin.file,
            traces=self._describe_traces(collector),
        )
        write_endpoints(mesh, self.endpoints_path)
        print_summary(mesh, self._console)

    def _start_postgres(self) -> str:
        self._say(f"starting PostgreSQL in {self.options.run_dir / 'postgres'}")
        self._postgres = EmbeddedPostgres(self.options.run_dir / "postgres")
        self._postgres.start()
        self._postgres_pid = self._postgres.pid
        return self._postgres.create_database(DATABASE_NAME)

    def _start_redis(self) -> str:
        self._say(f"starting Redis in {self.options.run_dir / 'redis'}")
        self._redis = EmbeddedRedis(self.options.run_dir / "redis")
        self._redis.start()
        return self._redis.url

    def _pick_endpoints(self) -> list[ServiceEndpoint]:
        ports = distinct_free_ports(2 * len(SERVICE_NAMES), avoid={self.options.envoy_port})
        return [
            ServiceEndpoint(
                name=name, host="127.0.0.1", port=ports[2 * index], metrics_port=ports[2 * index + 1]
            )
            for index, name in enumerate(SERVICE_NAMES)
        ]

    def _trace_collector_address(self, endpoints: Sequence[ServiceEndpoint]) -> tuple[str, int] | None:
        """Start the local collector if traces go to it; the collector's address, None when tracing is off."""
        traces = self.options.traces
        if traces.mode is not TraceMode.LOCAL:
            return traces.collector
        taken = {self.options.envoy_port} | {e.port for e in endpoints} | {e.metrics_port for e in endpoints}
        port = distinct_free_ports(1, avoid=taken)[0]
        self._say(f"starting the trace collector on 127.0.0.1:{port}, writing {self.traces_path}")
        self._trace_collector = EmbeddedTraceCollector(
            self.traces_path, port, log_path=self.logs_dir / "trace-collector.log"
        )
        self._trace_collector.start()
        return ("127.0.0.1", port)

    def _describe_traces(self, collector: tuple[str, int] | None) -> str:
        if collector is None:
            return "off (ALPHINTRA_TRACING_COLLECTOR=off)"
        host, port = collector
        if self._trace_collector is None:
            return f"OTLP/gRPC to {host}:{port} (ALPHINTRA_TRACING_COLLECTOR)"
        return (
            f"{self.traces_path} (local collector on {host}:{port}; "
            "`python -m services.mesh.devstack.trace_collector show <trace id>`)"
        )

    def _start_services(
        self,
        endpoints: Sequence[ServiceEndpoint],
        database_url: str,
        redis_url: str,
        collector: tuple[str, int] | None,
    ) -> None:
        self._say(f"starting {', '.join(SERVICE_NAMES)}")
        assert self._front_door is not None
        peers = peer_environment(endpoints, self.options.run_dir / "artifacts")
        for endpoint in endpoints:
            environment = endpoint.environment(database_url, redis_url) | peers.get(endpoint.name, {})
            if endpoint.name == "gateway":
                environment |= self._front_door.gateway_environment
            environment |= LOCAL_ONLY.get(endpoint.name, {})
            if collector is not None:
                environment |= service_tracing_environment(endpoint.name, collector, self.options.environ)
            service = ServiceProcess(
                endpoint,
                log_path=self.logs_dir / f"{endpoint.name}.log",
                environment=environment,
                command=self._service_command,
            )
            self._services.append(service)
            service.start()

    def _wait_until_serving(self, timeout_seconds: float) -> None:
        """Until every service reports SERVING; a service that exits or stays silent fails the start."""
        pending = list(self._services)
        deadline = time.monotonic() + timeout_seconds
        while pending:
            for service in list(pending):
                if (code := service.poll()) is not None:
                    raise DevstackError(
                        describe_failure(
                            f"{service.name} {describe_exit(code)} while starting", service.log_path
                        )
                    )
                if service.is_serving():
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(service.name for service in pending)
                raise DevstackError(
                    describe_failure(
                        f"{names} did not report SERVING within {timeout_seconds:.0f}s", pending[0].log_path
                    )
                )
            time.sleep(0.2)

    def _start_envoy(self, endpoints: Sequence[ServiceEndpoint], collector: tuple[str, int] | None) -> int:
        """Render the config for the ports picked, start Envoy, wait until it sees every service healthy."""
        taken = {self.options.envoy_port} | {e.port for e in endpoints} | {e.metrics_port for e in endpoints}
        if self._trace_collector is not None:
            taken.add(self._trace_collector.port)
        admin_port = distinct_free_ports(1, avoid=taken)[0]
        config_path = self.options.run_dir / "envoy.yaml"
        assert self._front_door is not None
        assert self.options.descriptor_path is not None
        front_door = envoy_config.FrontDoor(
            listener_port=self.options.envoy_port,
            admin_port=admin_port,
            descriptor_path=self.options.descriptor_path,
            tls=self._front_door.tls,
            jwt=self._front_door.jwt,
            cors_origins=self._front_door.cors_origins,
            trace_collector=collector,
        )
        config_path.write_text(
            envoy_config.render(
                {endpoint.name: (endpoint.host, endpoint.port) for endpoint in endpoints}, front_door
            )
        )
        self._say(f"starting Envoy on 127.0.0.1:{self.options.envoy_port}")
        self._envoy = EmbeddedEnvoy(config_path, admin_port, log_path=self.logs_dir / "envoy.log")
        self._envoy.start()
        self._envoy.wait_until_healthy(SERVICE_NAMES, ENVOY_HEALTHY_TIMEOUT_SECONDS)
        return admin_port

    # -- running -------------------------------------------------------------------------

    def _watch(self) -> int:
        """Sleep until a signal arrives (StopRequested) or a child dies (exit code 1)."""
        while True:
            if (death := self._find_dead_child()) is not None:
                summary, log_path = death
                self._error(f"{describe_failure(summary, log_path)}\nstopping the mesh.")
                return 1
            time.sleep(WATCH_INTERVAL_SECONDS)

    def _find_dead_child(self) -> tuple[str, Path] | None:
        for service in self._services:
            if (code := service.poll()) is not None:
                return f"{service.name} {describe_exit(code)} unexpectedly", service.log_path
        if self._envoy is not None and (code := self._envoy.poll()) is not None:
            return f"envoy {describe_exit(code)} unexpectedly", self._envoy.log_path
        if self._trace_collector is not None and (code := self._trace_collector.poll()) is not None:
            return f"the trace collector {describe_exit(code)} unexpectedly", self._trace_collector.log_path
        if self._redis is not None and self._redis.pid is None:
            return "redis exited unexpectedly", self._redis.log_path
        if self._postgres is not None and self._postgres_pid is not None and not is_alive(self._postgres_pid):
            return "postgresql exited unexpectedly", self._postgres.log_path
        return None

    # -- shutdown, in reverse ------------------------------------------------------------

    def _stop_all(self) -> None:
        # the addresses are about to go dead: no tool should find them any more
        self.endpoints_path.unlink(missing_ok=True)
        steps: list[tuple[str, Callable[[], None]]] = [("services", self._stop_services)]
        if self._envoy is not None:
            steps.insert(0, ("envoy", self._envoy.stop))
        # after Envoy and the services, which send it their last spans as they stop
        if self._trace_collector is not None:
            steps.append(("the trace collector", self._trace_collector.stop))
        if self._redis is not None:
            steps.append(("redis", self._redis.stop))
        if self._postgres is not None:
            steps.append(("postgresql", self._postgres.stop))
        for name, stop in steps:
            try:
                stop()
            except (DevstackError, OSError) as error:
                self._error(f"while stopping {name}: {error}")
        self._say("the mesh has stopped")

    def _stop_services(self) -> None:
        for service in self._services:
            service.request_stop()
        for service in self._services:
            if not service.wait_stopped(SERVICE_STOP_GRACE_SECONDS):
                self._say(f"{service.name} ignored SIGTERM for {SERVICE_STOP_GRACE_SECONDS:.0f}s: killed")

    # -- helpers -------------------------------------------------------------------------

    def _log_paths(self) -> dict[str, Path]:
        paths = {service.name: service.log_path for service in self._services}
        paths["envoy"] = self.logs_dir / "envoy.log"
        if self._trace_collector is not None:
            paths["trace collector"] = self._trace_collector.log_path
        if self._postgres is not None:
            paths["postgres"] = self._postgres.log_path
        if self._redis is not None:
            paths["redis"] = self._redis.log_path
        return paths

    def _say(self, message: str) -> None:
        self._console.print(Text(message, style="dim"), soft_wrap=True)

    def _error(self, message: str) -> None:
        # log tails are full of [brackets]: plain Text, never markup
        self._console.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def _raise_stop_requested(signal_number: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signal_number).name)


def _ignore(signal_number: int, frame: FrameType | None) -> None:
    """Swallow the signal without SIG_IGN, which children started meanwhile would inherit."""


def _install_signal_handlers(
    handler: SignalHandler | dict[int, SignalHandler],
) -> dict[int, SignalHandler]:
    """Install one handler for every stop signal (or restore saved ones); return the previous ones."""
    previous: dict[int, SignalHandler] = {}
    for signal_number in STOP_SIGNALS:
        chosen = handler[signal_number] if isinstance(handler, dict) else handler
        previous[signal_number] = signal.signal(signal_number, chosen)  # type: ignore[arg-type]
    return previous


def main() -> int:
    console = Console()
    try:
        options = SupervisorOptions.from_environment(os.environ)
    except DevstackError as error:
        console.print(Text.assemble(("error: ", "bold red"), str(error)), soft_wrap=True)
        return 1
    return Supervisor(options, console=console).run()


# what a single-machine mesh allows that a deployment would not: webhooks to loopback receivers
LOCAL_ONLY = {"signal_bus": {"ALPHINTRA_SIGNAL_BUS__WEBHOOK_ALLOW_PRIVATE_URLS": "true"}}


def peer_environment(endpoints: Sequence[ServiceEndpoint], artifacts_root: Path) -> dict[str, dict[str, str]]:
    """Per service, where its peers listen and where the shared artifact store is.

    Services talk to each other directly on the private network (not through Envoy, which is the
    front door for clients); the trainer and the predictor share one content-addressed store.
    """
    address = {endpoint.name: endpoint.address for endpoint in endpoints}
    wanted = {
        "workflow": {"ALPHINTRA_WORKFLOW__TRAINER_ADDRESS": address.get("trainer")},
        "trainer": {
            "ALPHINTRA_TRAINER__WORKFLOW_ADDRESS": address.get("workflow"),
            "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(artifacts_root),
        },
        # the predictor reads registry versions from the trainer and their ONNX files from the shared
        # store, subscribes to bars and publishes signals on the bus, and compiles a model's workflow
        "predictor": {
            "ALPHINTRA_PREDICTOR__TRAINER_ADDRESS": address.get("trainer"),
            "ALPHINTRA_PREDICTOR__SIGNAL_BUS_ADDRESS": address.get("signal_bus"),
            "ALPHINTRA_PREDICTOR__WORKFLOW_ADDRESS": address.get("workflow"),
            "ALPHINTRA_PREDICTOR__ARTIFACTS_ROOT": str(artifacts_root),
        },
    }
    # a partial mesh (tests) leaves out the variables of peers it does not run
    return {
        service: {name: value for name, value in variables.items() if value}
        for service, variables in wanted.items()
        if service in address
    }
