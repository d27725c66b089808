"""A private Redis server with the append-only file on, owned by the process that starts it.

The bus's durability promise (no acknowledged signal lost across `kill -9`) rests on the
AOF, so the embedded server always runs with it; `appendfsync` picks how often it is
synced: "always" for `make run` and fault drills, "everysec" where speed matters more.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from pathlib import Path

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.logs import describe_failure
from services.mesh.devstack.managed import ManagedServer
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.processes import describe_exit, spawn, terminate, wait_for
from services.mesh.devstack.system import ensure_installed

APPENDFSYNC_CHOICES = ("always", "everysec", "no")
START_TIMEOUT_SECONDS = 30
STOP_GRACE_SECONDS = 15


def find_redis_server() -> Path | None:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/local/bin")
    return Path(found) if found else None


class EmbeddedRedis(ManagedServer):
    """One `redis-server` on 127.0.0.1, not daemonised: we hold its process."""

    def __init__(self, data_dir: Path, port: int | None = None, appendfsync: str = "always") -> None:
        if appendfsync not in APPENDFSYNC_CHOICES:
            raise ValueError(f"appendfsync must be one of {APPENDFSYNC_CHOICES}, not {appendfsync!r}")
        self.data_dir = Path(data_dir).absolute()
        self.appendfsync = appendfsync
        self._requested_port = port
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise DevstackError("Redis has not been started: call start() first")
        return self._port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "redis.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def start(self) -> None:
        """Start the server and wait until it answers PING (after replaying its AOF)."""
        binary = ensure_installed(find_redis_server, package="redis-server", what="Redis (redis-server)")
        self._port = self._requested_port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(binary),
            *("--bind", "127.0.0.1", "--port", str(self._port), "--protected-mode", "yes"),
            *("--daemonize", "no", "--dir", str(self.data_dir), "--save", ""),
            *("--appendonly", "yes", "--appendfsync", self.appendfsync),
        ]
        self._process = spawn(command, self.log_path)
        process = self._process
        if not wait_for(lambda: process.poll() is not None or self._answers_ping(), START_TIMEOUT_SECONDS):
            terminate(process, STOP_GRACE_SECONDS)
            raise DevstackError(
                describe_failure(
                    f"Redis did not answer PING on port {self._port} within {START_TIMEOUT_SECONDS}s",
                    self.log_path,
                )
            )
        if process.poll() is not None:
            raise DevstackError(
                describe_failure(
                    f"Redis {describe_exit(process.returncode)} at start (port {self._port})", self.log_path
                )
            )

    def stop(self) -> None:
        """SIGTERM (Redis syncs its AOF and exits), SIGKILL only if it hangs."""
        if self._process is not None:
            terminate(self._process, STOP_GRACE_SECONDS)

    def kill(self) -> None:
        """SIGKILL, as a crash would: what survives is what the AOF had synced."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False
