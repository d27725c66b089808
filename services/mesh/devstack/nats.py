"""Private nats-server processes with JetStream: one node, or a cluster of three on loopback.

The bus's second log engine runs on JetStream; tests (and a developer trying the engine) need a
real server, and the fault drills a real cluster whose nodes can be killed one at a time. Each
node has its own store directory and ports, and a route to every other node, so a stream with
three replicas keeps a copy on each and survives the loss of any one.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.managed import ManagedServer
from services.mesh.devstack.ports import distinct_free_ports
from services.mesh.devstack.processes import describe_exit, spawn, terminate, wait_for
from services.mesh.devstack.system import ensure_installed

START_TIMEOUT_SECONDS = 30
STOP_GRACE_SECONDS = 10
CLUSTER_NAME = "alphintra"


def find_nats_server() -> Path | None:
    found = shutil.which("nats-server") or shutil.which(
        "nats-server", path="/usr/sbin:/usr/bin:/usr/local/bin"
    )
    return Path(found) if found else None


@dataclass
class NatsNode:
    """One server of the cluster: its name, ports, store and process."""

    name: str
    client_port: int
    cluster_port: int
    monitor_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "nats.log"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nats.conf"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class EmbeddedNats(ManagedServer):
    """`size` nats-server processes on 127.0.0.1 with JetStream, clustered when size > 1."""

    def __init__(self, data_dir: Path, size: int = 1) -> None:
        if size < 1:
            raise ValueError("a NATS cluster has at least one node")
        self.data_dir = Path(data_dir).absolute()
        self.size = size
        self.nodes: list[NatsNode] = []

    @property
    def urls(self) -> list[str]:
        if not self.nodes:
            raise DevstackError("NATS has not been started: call start() first")
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node's URL, comma-separated: the form the bus's `nats_urls` setting takes."""
        return ",".join(self.urls)

    def node(self, name: str) -> NatsNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise DevstackError(f"no NATS node named {name!r}")

    def start(self) -> None:
        """Start every node and wait until each reports JetStream ready (a meta leader is elected)."""
        binary = ensure_installed(find_nats_server, package="nats-server", what="NATS (nats-server)")
        if not self.nodes:
            ports = distinct_free_ports(3 * self.size)
            self.nodes = [
                NatsNode(
                    name=f"n{index + 1}",
                    client_port=ports[3 * index],
                    cluster_port=ports[3 * index + 1],
                    monitor_port=ports[3 * index + 2],
                    data_dir=self.data_dir / f"n{index + 1}",
                )
                for index in range(self.size)
            ]
        for node in self.nodes:
            if not node.running:
                self._spawn(binary, node)
        for node in self.nodes:
            self._wait_ready(node)

    def start_node(self, name: str) -> None:
        """Restart one node (after `kill`) with its store as it was left, and wait until it is ready."""
        binary = ensure_installed(find_nats_server, package="nats-server", what="NATS (nats-server)")
        node = self.node(name)
        if not node.running:
            self._spawn(binary, node)
        self._wait_ready(node)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                terminate(node.process, STOP_GRACE_SECONDS)

    def kill(self, name: str) -> None:
        """SIGKILL one node, as a crash would."""
        node = self.node(name)
        if node.running:
            assert node.process is not None
            node.process.send_signal(signal.SIGKILL)
            node.process.wait()

    def _spawn(self, binary: Path, node: NatsNode) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        node.config_path.write_text(self._config(node), encoding="utf-8")
        node.process = spawn([str(binary), "--config", str(node.config_path)], node.log_path)

    def _config(self, node: NatsNode) -> str:
        lines = [
            f"server_name: {node.name}",
            f"listen: 127.0.0.1:{node.client_port}",
            f"http: 127.0.0.1:{node.monitor_port}",
            "jetstream {",
            f"  store_dir: {json.dumps(str(node.data_dir / 'jetstream'))}",
            "  max_memory_store: 256MB",
            "  max_file_store: 4GB",
            "}",
        ]
        if self.size > 1:
            routes = ", ".join(
                f"nats-route://127.0.0.1:{other.cluster_port}" for other in self.nodes if other is not node
            )
            lines += [
                "cluster {",
                f"  name: {CLUSTER_NAME}",
                f"  listen: 127.0.0.1:{node.cluster_port}",
                f"  routes: [{routes}]",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def _wait_ready(self, node: NatsNode) -> None:
        process = node.process
        assert process is not None
        if not wait_for(lambda: process.poll() is not None or self._healthy(node), START_TIMEOUT_SECONDS):
            terminate(process, STOP_GRACE_SECONDS)
            raise DevstackError(
                describe_failure(
                    f"NATS node {node.name} was not ready within {START_TIMEOUT_SECONDS}s", node.log_path
                )
            )
        if process.poll() is not None:
            raise DevstackError(
                describe_failure(
                    f"NATS node {node.name} {describe_exit(process.returncode)} at start", node.log_path
                )
            )

    @staticmethod
    def _healthy(node: NatsNode) -> bool:
        """The monitoring endpoint answers 200 once the server and its JetStream are ready."""
        address = f"http://127.0.0.1:{node.monitor_port}/healthz"
        try:
            with urllib.request.urlopen(address, timeout=1.0) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False
