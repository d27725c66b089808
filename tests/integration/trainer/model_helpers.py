"""Helpers of the registry, experiments and MODEL-mode tests: a trainer on port 0, callers, a test context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from alphintra.strategy.v1 import training_pb2
from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.core.ownership import Caller, Role
from services.core.strategy import compile_graph, get_template
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.trainer.jobs.contract import JobCancelled
from services.trainer.service import DEFINITION

MODEL_ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="premium")
MODEL_BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER, tier="premium")
MODEL_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN, tier="premium")


def trainer_environment(database_url: str, redis_url: str, artifacts: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(artifacts),
        "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "0",
        "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "false",
        **extra,
    }


@asynccontextmanager
async def running_trainer(environment: dict[str, str]) -> AsyncIterator[tuple[int, grpc.aio.Channel]]:
    settings = DEFINITION.settings_type.load(environment)
    service = await start_service(DEFINITION, settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            yield service.port, channel
    finally:
        await service.stop(0)


class As:
    """A stub presenting one caller's identity on every call (unary and server-streaming)."""

    def __init__(self, stub: object, caller: Caller) -> None:
        self._stub = stub
        self._metadata = caller_metadata(caller)

    def __getattr__(self, method: str):
        call = getattr(self._stub, method)

        def invoke(request, **options):
            return call(request, metadata=self._metadata, **options)

        return invoke


@dataclass
class RecordingContext:
    """A JobContext that records what a runner reports (the worker stores these as job events)."""

    job_id: str
    owner_id: str
    attempt: int = 1
    progress_reports: list[tuple[float, str]] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[tuple[str, float, int, int | None]] = field(default_factory=list)
    cancel_after_metrics: int | None = None

    def progress(self, fraction: float, message: str = "") -> None:
        self.progress_reports.append((fraction, message))

    def log(self, message: str, level: str = "info") -> None:
        self.logs.append((level, message))

    def metric(self, name: str, value: float, step: int, trial: int | None = None) -> None:
        self.metrics.append((name, value, step, trial))

    def check_cancelled(self) -> None:
        if self.cancel_after_metrics is not None and len(self.metrics) >= self.cancel_after_metrics:
            raise JobCancelled()


TRENDING_MODEL = "btc-trending"


def trending_training_job(dataset_id: str) -> jobs.JobConfig:
    """A model anticipating the ADX "trending" condition one bar ahead (learnable from the features)."""
    config = jobs.JobConfig()
    job = config.training
    job.spec.CopyFrom(compile_graph(get_template("macd_adx_trend").graph))
    job.dataset_id = dataset_id
    job.training.CopyFrom(
        training_pb2.TrainingConfig(
            model_family=training_pb2.MODEL_FAMILY_LIGHTGBM,
            label=training_pb2.LabelDefinition(
                condition=training_pb2.ConditionLabel(condition_node_id="trending"), horizon_bars=1
            ),
            split=training_pb2.DataSplit(
                train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2, gap_bars=1
            ),
            seed=3,
            model_name=TRENDING_MODEL,
        )
    )
    return config
