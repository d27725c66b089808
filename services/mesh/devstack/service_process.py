"""One mesh service as a child process: its ports, its environment, its log, its health."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.mesh.devstack.health import HealthProbe
from services.mesh.devstack.processes import spawn


def python_module_command(name: str) -> list[str]:
    """`python -m services.<name>` with this interpreter: how every service is started."""
    return [sys.executable, "-m", f"services.{name}"]


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    name: str
    host: str
    port: int
    metrics_port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def environment(self, database_url: str, redis_url: str) -> dict[str, str]:
        """The variables the service's settings read (`ALPHINTRA_<NAME>__PORT`, DATABASE_URL, ...)."""
        prefix = f"ALPHINTRA_{self.name.upper()}__"
        return {
            f"{prefix}HOST": self.host,
            f"{prefix}PORT": str(self.port),
            f"{prefix}METRICS_PORT": str(self.metrics_port),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            # logs reach the file as they are written, so a failure's tail is complete
            "PYTHONUNBUFFERED": "1",
        }


class ServiceProcess:
    """Starts `command(name)` with the endpoint's environment, probes it, and stops it."""

    def __init__(
        self,
        endpoint: ServiceEndpoint,
        *,
        log_path: Path,
        environment: Mapping[str, str],
        command: Callable[[str], Sequence[str]] = python_module_command,
    ) -> None:
        self.endpoint = endpoint
        self.log_path = log_path
        self._environment = dict(environment)
        self._command = command
        self._process: subprocess.Popen[bytes] | None = None
        self._probe: HealthProbe | None = None

    @property
    def name(self) -> str:
        return self.endpoint.name

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._process = spawn(self._command(self.name), self.log_path, {**os.environ, **self._environment})
        self._probe = HealthProbe(self.endpoint.address)

    def poll(self) -> int | None:
        """None while running, else the exit code (negative: killed by that signal)."""
        return self._process.poll() if self._process is not None else None

    def is_serving(self) -> bool:
        return self._probe is not None and self._probe.is_serving()

    def request_stop(self) -> None:
        """SIGTERM without waiting, so that all services drain their calls at the same time."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)

    def wait_stopped(self, grace_seconds: float) -> bool:
        """Wait for the exit, SIGKILL after the grace period; True when it stopped by itself."""
        if self._probe is not None:
            self._probe.close()
            self._probe = None
        if self._process is None:
            return True
        try:
            self._process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            return False
        return True
