"""Scheduled retraining: a due schedule queues exactly one RETRAINING job, however many schedulers race."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import (
    dataset_service_pb2,
    dataset_service_pb2_grpc,
    model_registry_service_pb2_grpc,
)
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.mesh.database import create_pool
from services.mesh.server import utc_now
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.modeling.training import run_training_job
from services.trainer.registry.scheduler import RetrainingScheduler
from tests.integration.trainer.model_helpers import (
    MODEL_ALICE,
    TRENDING_MODEL,
    As,
    RecordingContext,
    running_trainer,
    trainer_environment,
)
from tests.integration.trainer.model_helpers import trending_training_job as training_job

MODEL = TRENDING_MODEL

pytestmark = pytest.mark.integration


async def scheduled_model(channel, environment: JobEnvironment) -> str:
    """Alice's model with a production version trained by a job and an hourly schedule; its dataset id."""
    datasets = As(dataset_service_pb2_grpc.DatasetServiceStub(channel), MODEL_ALICE)
    models = As(model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel), MODEL_ALICE)
    spec = dataset_service_pb2.SyntheticDatasetSpec(
        seed=4, bar_count=300, timeframe=bar_pb2.TIMEFRAME_1_DAY, symbol="SYN"
    )
    dataset = (
        await datasets.GeneratePlatformDataset(
            dataset_service_pb2.GeneratePlatformDatasetRequest(spec=spec, display_name="syn")
        )
    ).dataset
    context = RecordingContext("job-base", "alice")
    await asyncio.to_thread(run_training_job, training_job(dataset.id), context, environment)
    await models.SetModelAlias(registry.SetModelAliasRequest(model_name=MODEL, alias="production", version=1))
    schedule = registry.RetrainingSchedule(
        enabled=True, cron="0 * * * *", dataset_id=dataset.id, promotion_margin=0.02, holdout_fraction=0.2
    )
    await models.SetRetrainingSchedule(
        registry.SetRetrainingScheduleRequest(model_name=MODEL, schedule=schedule)
    )
    return dataset.id


async def test_two_racing_schedulers_queue_one_job(database_url, redis_url, tmp_path):
    settings = trainer_environment(
        database_url,
        redis_url,
        tmp_path / "artifacts",
        ALPHINTRA_TRAINER__RETRAINING_SCHEDULER_SECONDS="3600",
    )
    environment = JobEnvironment(
        database_url=database_url, redis_url=redis_url, artifacts_root=tmp_path / "artifacts"
    )
    async with running_trainer(settings) as (_, channel):
        dataset_id = await scheduled_model(channel, environment)
        pools = [await create_pool(database_url, schema="trainer", timeout_seconds=10.0) for _ in range(2)]
        try:
            # an hour and a half on, the hourly schedule is due (at least once: it is queued once)
            later = utc_now() + timedelta(minutes=90)
            schedulers = [RetrainingScheduler(pool, lambda: later, 3600.0) for pool in pools]
            rounds = [
                await asyncio.gather(*(scheduler.run_once() for scheduler in schedulers)) for _ in range(3)
            ]
            queued = [job_id for passes in rounds for ids in passes for job_id in ids]
            assert len(queued) == 1, rounds
            rows = await pools[0].fetch("SELECT id, owner_id, kind, definition FROM jobs WHERE kind = $1",
                                        jobs.JOB_KIND_RETRAINING)  # fmt: skip
            model = await pools[0].fetchrow(
                "SELECT schedule, next_run_time FROM registry_models WHERE name = $1", MODEL
            )
        finally:
            for pool in pools:
                await pool.close()
    assert [(row["id"], row["owner_id"]) for row in rows] == [(queued[0], "alice")]
    definition = jobs.Job.FromString(rows[0]["definition"])
    assert definition.config.retraining == jobs.RetrainingJobConfig(
        model_name=MODEL,
        alias="production",
        dataset_id=dataset_id,
        promotion_margin=0.02,
        holdout_fraction=0.2,
    )
    schedule = registry.RetrainingSchedule.FromString(model["schedule"])
    assert schedule.last_job_id == queued[0]
    assert model["next_run_time"] > later  # the next run is after the pass that queued this one
