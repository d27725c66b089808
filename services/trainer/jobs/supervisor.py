"""The worker processes a trainer service starts itself (`embedded_workers`), and stops with it.

Each is the same `python -m services.trainer worker` one would run by hand, given the service's
settings through its environment; one that exits unexpectedly is started again after a pause.
Stopping sends SIGTERM (a worker gives its running job back to the queue) and kills what is still
there after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping

from pydantic import SecretStr

from services.trainer.settings import TrainerSettings

log = logging.getLogger("alphintra.trainer.workers")

RESTART_DELAY_SECONDS = 2.0
STOP_GRACE_SECONDS = 10.0
# settings a worker has no use for (it serves nothing)
_NOT_FOR_WORKERS = frozenset({"host", "port", "metrics_port"})


def worker_environment(settings: TrainerSettings, base: Mapping[str, str]) -> dict[str, str]:
    """`base` with the service's settings as the variables a worker reads them from."""
    prefix = TrainerSettings.env_prefix()
    environment = {name: value for name, value in base.items() if not name.upper().startswith(prefix)}
    dumped = settings.model_dump(mode="json")
    for name in TrainerSettings.model_fields:
        if name in _NOT_FOR_WORKERS:
            continue
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(dumped[name], dict | list):
            text = json.dumps(dumped[name])
        else:
            text = str(dumped[name])
        environment[f"{prefix}{name.upper()}"] = text
    return environment


class EmbeddedWorkers:
    def __init__(self, settings: TrainerSettings, count: int) -> None:
        self._environment = worker_environment(settings, os.environ)
        self._count = count
        self._processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._keepers: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        return [
            process.pid for process in self._processes if process is not None and process.returncode is None
        ]

    async def start(self) -> None:
        for index in range(self._count):
            self._processes[index] = await self._spawn()
            self._keepers.append(asyncio.create_task(self._keep(index)))

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.trainer", "worker", env=self._environment
        )

    async def _keep(self, index: int) -> None:
        """Start worker `index` again whenever it exits while the service runs."""
        while not self._stopping:
            process = self._processes[index]
            assert process is not None
            code = await process.wait()
            if self._stopping:
                return
            log.warning("embedded worker %d exited with %s; starting it again", process.pid, code)
            await asyncio.sleep(RESTART_DELAY_SECONDS)
            if not self._stopping:
                self._processes[index] = await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        for keeper in self._keepers:
            keeper.cancel()
        for keeper in self._keepers:
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        running = [
            process for process in self._processes if process is not None and process.returncode is None
        ]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("embedded worker %d did not stop in time; killing it", process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
