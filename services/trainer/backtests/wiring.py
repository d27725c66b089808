"""Wiring of the trainer's backtests: BacktestService over the jobs facade and the artifact store."""

from __future__ import annotations

from alphintra.trainer.v1 import backtest_service_pb2, backtest_service_pb2_grpc
from services.mesh.artifacts import ArtifactStore
from services.mesh.server import Registration, Resources
from services.trainer.backtests.app import BacktestsApp
from services.trainer.backtests.handlers import BacktestHandlers
from services.trainer.backtests.store import BacktestStore
from services.trainer.jobs.wiring import shared_jobs
from services.trainer.settings import TrainerSettings


async def registrations(resources: Resources) -> list[Registration]:
    settings = resources.settings
    assert isinstance(settings, TrainerSettings)
    assert resources.database is not None  # the trainer's definition asks for a schema
    app = BacktestsApp(
        BacktestStore(resources.database),
        await shared_jobs(resources),
        resources.database,
        ArtifactStore(settings.artifacts_root),
        clock=resources.clock,
        workflow_address=settings.workflow_address,
    )
    return [
        Registration.of(
            backtest_service_pb2, backtest_service_pb2_grpc, "BacktestService", BacktestHandlers(app)
        )
    ]
