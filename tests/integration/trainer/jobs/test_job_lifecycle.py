"""A job from creation to its end, run by a real worker process, seen through every read RPC."""

import pytest
from prometheus_client import REGISTRY

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs.queue_metrics import QueueDepth
from tests.integration.trainer.conftest import JOBS_ALICE, scripted_job
from tests.integration.trainer.jobs.helpers import states, wait_until_finished, watch_all

pytestmark = pytest.mark.integration


async def test_a_job_runs_to_success_and_its_events_are_stored(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    created = (
        await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=4"), request_id="r1"))
    ).job
    assert created.state == messages.JOB_STATE_QUEUED
    assert created.owner_id == "alice"
    assert created.name == f"jobs/{created.id}"

    finished = await wait_until_finished(alice, created.id)

    assert finished.state == messages.JOB_STATE_SUCCEEDED
    assert finished.attempts == 1
    assert finished.progress_fraction == 1.0
    assert finished.result.backtest.backtest_id == f"scripted-{created.id}"
    assert finished.cpu_seconds > 0
    assert finished.HasField("start_time")
    assert finished.HasField("end_time")
    events = await watch_all(alice, created.id)
    assert [event.sequence for event in events] == list(range(1, len(events) + 1))
    assert states(events) == [
        messages.JOB_STATE_QUEUED,
        messages.JOB_STATE_RUNNING,
        messages.JOB_STATE_SUCCEEDED,
    ]
    kinds = {event.WhichOneof("event") for event in events}
    assert kinds == {"state_change", "progress", "log_line", "metric"}
    metrics = [event.metric for event in events if event.WhichOneof("event") == "metric"]
    assert [(metric.name, metric.step) for metric in metrics] == [("loss", step) for step in range(4)]


async def test_the_queue_depth_gauge_counts_waiting_jobs_by_kind(jobs_trainer):
    """No worker runs here, so a created job waits; the gauge (what the dashboard and autoscaling read)
    counts it under its kind."""
    alice = jobs_trainer.training(JOBS_ALICE)
    before = REGISTRY.get_sample_value("alphintra_trainer_jobs_queued", {"kind": "backtest"}) or 0
    await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=1")))
    await QueueDepth(jobs_trainer.running.resources.database).measure()
    assert REGISTRY.get_sample_value("alphintra_trainer_jobs_queued", {"kind": "backtest"}) == before + 1
