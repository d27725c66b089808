"""Fixtures of the trainer's integration tests. Each area adds its own, clearly named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from alphintra.trainer.v1 import (
    backtest_service_pb2_grpc,
    dataset_service_pb2_grpc,
    training_service_pb2,
    training_service_pb2_grpc,
)
from services.core import strategy
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import RunningService, start_service
from services.trainer.service import DEFINITION
from services.trainer.settings import TrainerSettings

# --- jobs and backtests ------------------------------------------------------------------

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
SCRIPTED_RUNNER = "tests.integration.trainer.jobs.scripted_runner:run_scripted"

JOBS_ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="premium")
JOBS_BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER, tier="premium")
JOBS_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN, tier="premium")
JOBS_OUTSIDER = Caller(user_id="eve", organization_id="other", role=Role.ADMIN, tier="premium")


class JobsCaller:
    """A stub that presents one caller's identity on every call (unary and streaming)."""

    def __init__(self, stub: object, caller: Caller) -> None:
        self._stub = stub
        self._metadata = caller_metadata(caller)

    def __getattr__(self, method: str):
        call = getattr(self._stub, method)

        def invoke(request, **options):
            return call(request, metadata=self._metadata, **options)

        return invoke


def scripted_job(script: str, **fields) -> training_service_pb2.Job:
    """A BACKTEST job that the scripted test runner executes (see scripted_runner.py)."""
    spec = strategy.compile_graph(strategy.get_template("sma_crossover").graph)
    job = training_service_pb2.Job(kind=training_service_pb2.JOB_KIND_BACKTEST, **fields)
    job.config.backtest.spec.CopyFrom(spec)
    job.config.backtest.dataset_id = f"script:{script}"
    return job


@pytest.fixture
def jobs_environment(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """Trainer settings for job tests: short leases and backoff, the scripted runner for BACKTEST jobs."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(tmp_path / "artifacts"),
        "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "0",
        "ALPHINTRA_TRAINER__JOB_LEASE_SECONDS": "2",
        "ALPHINTRA_TRAINER__JOB_HEARTBEAT_SECONDS": "0.4",
        "ALPHINTRA_TRAINER__JOB_POLL_SECONDS": "1",
        "ALPHINTRA_TRAINER__JOB_RETRY_BASE_SECONDS": "0.5",
        "ALPHINTRA_TRAINER__JOB_CANCEL_GRACE_SECONDS": "0.3",
        "ALPHINTRA_TRAINER__EXTRA_RUNNERS": json.dumps(
            {str(training_service_pb2.JOB_KIND_BACKTEST): SCRIPTED_RUNNER}
        ),
        # job tests need no datasets: skip generating the platform's at every start
        "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "false",
    }


@pytest.fixture
def backtests_environment(jobs_environment: dict[str, str]) -> dict[str, str]:
    """Settings for backtest tests: the real BACKTEST runner, platform datasets, one embedded worker."""
    return {
        **jobs_environment,
        "ALPHINTRA_TRAINER__EXTRA_RUNNERS": "{}",
        "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "true",
        "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "1",
    }


@pytest.fixture
async def backtests_trainer(backtests_environment: dict[str, str]):
    instance = TrainerInstance(backtests_environment)
    await instance.start()
    yield instance
    await instance.stop()


@pytest.fixture
def start_job_worker(jobs_environment: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `python -m services.trainer worker` processes; all are killed at the end of the test."""
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> subprocess.Popen:
        environment = {**os.environ, **jobs_environment, **overrides}
        process = subprocess.Popen(
            [sys.executable, "-m", "services.trainer", "worker"], env=environment, cwd=REPOSITORY_ROOT
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class TrainerInstance:
    """A running trainer service that a test may stop and start again on the same database."""

    def __init__(self, environment: dict[str, str]) -> None:
        self._environment = environment
        self.running = None
        self.channel: grpc.aio.Channel | None = None

    async def start(self) -> None:
        settings = DEFINITION.settings_type.load(self._environment)
        self.running = await start_service(DEFINITION, settings)
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.running.port}")

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.close()
            self.channel = None
        if self.running is not None:
            await self.running.stop(0)
            self.running = None

    def training(self, caller: Caller) -> JobsCaller:
        assert self.channel is not None
        return JobsCaller(training_service_pb2_grpc.TrainingServiceStub(self.channel), caller)

    def backtests(self, caller: Caller) -> JobsCaller:
        assert self.channel is not None
        return JobsCaller(backtest_service_pb2_grpc.BacktestServiceStub(self.channel), caller)


@pytest.fixture
async def jobs_trainer(jobs_environment: dict[str, str]):
    """A trainer service without embedded workers (tests start their own with `start_job_worker`)."""
    instance = TrainerInstance(jobs_environment)
    await instance.start()
    yield instance
    await instance.stop()


# --- datasets ------------------------------------------------------------------------------


class DatasetsCaller:
    """A DatasetService stub whose every call (unary or client-streaming) presents one caller;
    `read_bars` collects the messages of the server-streaming ReadDatasetBars."""

    def __init__(self, stub: Any, caller: Caller) -> None:
        self._stub = stub
        self._metadata = caller_metadata(caller)

    async def read_bars(self, request: Any) -> list[Any]:
        return [reply async for reply in self._stub.ReadDatasetBars(request, metadata=self._metadata)]

    def __getattr__(self, method: str) -> Callable[[Any], Any]:
        call = getattr(self._stub, method)

        async def invoke(request: Any) -> Any:
            return await call(request, metadata=self._metadata)

        return invoke


@pytest.fixture
def datasets_artifacts_root(tmp_path: Path) -> Path:
    """The artifact store the `datasets_trainer` service writes to."""
    return tmp_path / "artifacts"


@pytest.fixture
async def datasets_trainer(
    database_url: str, redis_url: str, datasets_artifacts_root: Path
) -> AsyncIterator[RunningService]:
    """The whole trainer service (every area wired, no job workers), default platform datasets created."""
    settings = TrainerSettings(
        database_url=database_url,
        redis_url=redis_url,
        artifacts_root=datasets_artifacts_root,
        embedded_workers=0,
    )
    running = await start_service(DEFINITION, settings)
    yield running
    await running.stop(0)


@pytest.fixture
async def datasets_as(datasets_trainer: RunningService) -> AsyncIterator[Callable[[Caller], DatasetsCaller]]:
    """`datasets_as(caller)`: a DatasetService stub calling as `caller`."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{datasets_trainer.port}") as channel:
        stub = dataset_service_pb2_grpc.DatasetServiceStub(channel)
        yield lambda caller: DatasetsCaller(stub, caller)
