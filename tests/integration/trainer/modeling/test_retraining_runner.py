"""The RETRAINING runner: a candidate on fresh data, compared on a recent holdout; `staging` if better."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from alphintra.common.v1 import bar_pb2
from alphintra.trainer.v1 import dataset_service_pb2
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.core.errors import NotFound
from services.trainer.modeling.retraining import run_retraining_job
from services.trainer.modeling.training import run_training_job
from tests.helpers import assert_eventually
from tests.integration.trainer.model_helpers import TRENDING_MODEL as MODEL
from tests.integration.trainer.model_helpers import RecordingContext
from tests.integration.trainer.model_helpers import trending_training_job as training_job

pytestmark = pytest.mark.integration


def retraining_job(dataset_id: str, margin: float) -> jobs.JobConfig:
    config = jobs.JobConfig()
    config.retraining.CopyFrom(
        jobs.RetrainingJobConfig(
            model_name=MODEL, alias="production", dataset_id=dataset_id, promotion_margin=margin,
            holdout_fraction=0.2,
        )
    )  # fmt: skip
    return config


async def small_dataset(setup) -> str:
    """A short, unrelated series: the production model trained on it is a weak baseline."""
    spec = dataset_service_pb2.SyntheticDatasetSpec(
        seed=99, bar_count=260, timeframe=bar_pb2.TIMEFRAME_1_DAY, symbol="SMALL"
    )
    response = await setup.datasets.GeneratePlatformDataset(
        dataset_service_pb2.GeneratePlatformDatasetRequest(
            spec=spec, display_name="small", request_id="small"
        )
    )
    return response.dataset.id


async def test_a_better_candidate_goes_to_staging_and_a_worse_one_does_not(retraining_trainer):
    setup = retraining_trainer
    environment = setup.job_environment
    baseline_data = await small_dataset(setup)
    trained = await asyncio.to_thread(
        run_training_job, training_job(baseline_data), RecordingContext("job-base", "alice"), environment
    )
    assert trained.training.model_version == 1
    await setup.registry.SetModelAlias(
        registry.SetModelAliasRequest(model_name=MODEL, alias="production", version=1)
    )
    fresh = setup.platform["BTC-USD daily 5y"]
    redis = Redis.from_url(environment.redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(environment.registry_alias_channel)
    events = []

    async def staging_event() -> bool:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            events.append(json.loads(message["data"]))
        return bool(events)

    try:
        context = RecordingContext("job-retrain-1", "alice")
        promoted = await asyncio.to_thread(
            run_retraining_job, retraining_job(fresh, 0.0), context, environment
        )
        await assert_eventually(staging_event, timeout=5.0)
    finally:
        await pubsub.aclose()
        await redis.aclose()
    result = promoted.retraining
    assert result.baseline_version == 1
    assert result.training.model_version == 2
    assert result.candidate_holdout_metric < result.baseline_holdout_metric  # log loss: lower is better
    assert result.promoted
    assert "staging → v2" in result.reason
    assert "holdout log_loss" in result.reason
    assert events[0]["alias"] == "staging"
    assert events[0]["version"] == 2
    assert events[0]["owner_id"] == "alice"
    staged = await setup.registry.GetModelVersion(
        registry.GetModelVersionRequest(model_name=MODEL, alias="staging")
    )
    assert staged.model_version.version == 2
    assert staged.model_version.lineage.parent_version == 1
    assert staged.model_version.lineage.dataset_id == fresh
    production = await setup.registry.GetModelVersion(
        registry.GetModelVersionRequest(model_name=MODEL, alias="production")
    )
    assert production.model_version.version == 1  # retraining never touches production

    # a margin no candidate can reach: registered, compared, not promoted
    context = RecordingContext("job-retrain-2", "alice")
    kept = (
        await asyncio.to_thread(run_retraining_job, retraining_job(fresh, 10.0), context, environment)
    ).retraining
    assert kept.training.model_version == 3
    assert not kept.promoted
    assert "staging unchanged" in kept.reason
    staged = await setup.registry.GetModelVersion(
        registry.GetModelVersionRequest(model_name=MODEL, alias="staging")
    )
    assert staged.model_version.version == 2


async def test_another_owners_model_is_not_found(retraining_trainer):
    setup = retraining_trainer
    await setup.registry.CreateModel(registry.CreateModelRequest(model=registry.Model(model_name=MODEL)))
    with pytest.raises(NotFound):
        await asyncio.to_thread(
            run_retraining_job,
            retraining_job("any", 0.1),
            RecordingContext("job-r", "bob"),
            setup.job_environment,
        )
    with pytest.raises(NotFound):  # Alice's model has no production version
        await asyncio.to_thread(
            run_retraining_job, retraining_job("any", 0.1), RecordingContext("job-r", "alice"),
            setup.job_environment,
        )  # fmt: skip
