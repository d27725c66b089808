"""The signal bus as a child process (`python -m services.signal_bus`), for kill -9 drills."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.mesh.devstack.processes import spawn, terminate
from tests.integration.signal_bus.conftest import bus_environment

START_TIMEOUT_SECONDS = 30.0


class BusProcess:
    def __init__(self, port: int, log_path: Path, environment: dict[str, str]) -> None:
        self.port = port
        self.log_path = log_path
        self._environment = {
            **os.environ,
            **environment,
            "ALPHINTRA_SIGNAL_BUS__PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def of(cls, port: int, log_path: Path, database_url: str, redis_url: str, namespace: str) -> BusProcess:
        return cls(port, log_path, bus_environment(database_url, redis_url, namespace))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._process = spawn([sys.executable, "-m", "services.signal_bus"], self.log_path, self._environment)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        async with grpc.aio.insecure_channel(self.address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                if self._process.poll() is not None:
                    raise AssertionError(f"the bus exited at start:\n{self.log_path.read_text()[-3000:]}")
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bus did not start:\n{self.log_path.read_text()[-3000:]}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()

    def stop(self) -> None:
        if self._process is not None:
            terminate(self._process, 10)
