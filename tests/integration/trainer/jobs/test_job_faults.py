"""Faults a job survives or reports: a killed worker, cancellation, limits, failures, retries."""

import asyncio
import os
import signal
import time

import pytest
from google.rpc import code_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from tests.integration.trainer.conftest import JOBS_ALICE, scripted_job
from tests.integration.trainer.jobs.helpers import states, wait_for_job, wait_until_finished, watch_all

pytestmark = pytest.mark.integration


async def create(stub, job: messages.Job) -> messages.Job:
    return (await stub.CreateJob(messages.CreateJobRequest(job=job))).job


def is_running(job: messages.Job) -> bool:
    return job.state == messages.JOB_STATE_RUNNING


async def test_a_job_survives_the_kill_of_its_worker(jobs_trainer, start_job_worker):
    first, second = start_job_worker(), start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = await create(alice, scripted_job("steps=3,step_seconds=0.1,hang_attempts=1"))
    running = await wait_for_job(alice, job.id, is_running)
    holder = first if running.worker_id.split(":")[1] == str(first.pid) else second
    other = second if holder is first else first

    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    finished = await wait_until_finished(alice, job.id)

    assert finished.state == messages.JOB_STATE_SUCCEEDED
    assert finished.attempts == 2
    assert other.poll() is None
    events = await watch_all(alice, job.id)
    changes = [event.state_change for event in events if event.WhichOneof("event") == "state_change"]
    assert "stopped heartbeating" in changes[2].message
    assert str(other.pid) in changes[3].message
    assert [change.state for change in changes] == [
        messages.JOB_STATE_QUEUED,
        messages.JOB_STATE_RUNNING,
        messages.JOB_STATE_QUEUED,
        messages.JOB_STATE_RUNNING,
        messages.JOB_STATE_SUCCEEDED,
    ]


@pytest.mark.parametrize("script", ["steps=600,step_seconds=0.1", "steps=600,step_seconds=0.1,ignore_cancel"])
async def test_cancelling_a_running_job_stops_it_within_a_second(jobs_trainer, start_job_worker, script):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = await create(alice, scripted_job(script))
    await wait_for_job(alice, job.id, lambda job: is_running(job) and job.progress_fraction > 0)

    started = time.monotonic()
    answer = (await alice.CancelJob(messages.CancelJobRequest(job_id=job.id, reason="changed my mind"))).job
    cancelled = await wait_until_finished(alice, job.id)

    assert time.monotonic() - started < 1.0
    assert answer.state == messages.JOB_STATE_CANCELLED
    assert cancelled.state == messages.JOB_STATE_CANCELLED
    assert cancelled.error.code == code_pb2.CANCELLED
    assert "changed my mind" in cancelled.error.message
    again = (await alice.CancelJob(messages.CancelJobRequest(job_id=job.id))).job
    assert again.state == messages.JOB_STATE_CANCELLED


async def test_cancelling_a_queued_job_ends_it_at_once(jobs_trainer):
    alice = jobs_trainer.training(JOBS_ALICE)
    job = await create(alice, scripted_job("steps=1"))
    cancelled = (await alice.CancelJob(messages.CancelJobRequest(job_id=job.id))).job
    assert cancelled.state == messages.JOB_STATE_CANCELLED
    assert states(await watch_all(alice, job.id)) == [messages.JOB_STATE_QUEUED, messages.JOB_STATE_CANCELLED]


async def test_a_job_past_its_timeout_is_stopped_and_fails_saying_so(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = scripted_job("steps=600,step_seconds=0.1")
    job.timeout.FromSeconds(2)
    finished = await wait_until_finished(alice, (await create(alice, job)).id)
    assert finished.state == messages.JOB_STATE_FAILED
    assert finished.error.code == code_pb2.DEADLINE_EXCEEDED
    assert "timeout of 2s" in finished.error.message
    assert finished.attempts == 1


async def test_a_job_over_its_memory_limit_is_stopped_and_fails_saying_so(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = scripted_job(f"allocate={400 << 20},steps=100,step_seconds=0.1", memory_limit_bytes=256 << 20)
    finished = await wait_until_finished(alice, (await create(alice, job)).id)
    assert finished.state == messages.JOB_STATE_FAILED
    assert finished.error.code == code_pb2.RESOURCE_EXHAUSTED
    assert "over its memory limit of 256 MiB" in finished.error.message


async def test_a_failing_runner_keeps_its_error_and_its_logs(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    finished = await wait_until_finished(
        alice, (await create(alice, scripted_job("steps=2,fail=disk on fire"))).id
    )

    assert finished.state == messages.JOB_STATE_FAILED
    assert finished.error.code == code_pb2.INTERNAL
    assert finished.error.message == "ValueError: disk on fire"
    assert finished.attempts == 1
    logs = (await alice.ListJobLogs(messages.ListJobLogsRequest(job_id=finished.id))).events
    texts = [event.log_line.message for event in logs]
    assert any("about to fail" in text for text in texts)
    assert any("Traceback" in text and "disk on fire" in text for text in texts)
    errors = (
        await alice.ListJobLogs(
            messages.ListJobLogsRequest(job_id=finished.id, minimum_level=messages.LOG_LEVEL_WARNING)
        )
    ).events
    assert {event.log_line.level for event in errors} <= {
        messages.LOG_LEVEL_WARNING,
        messages.LOG_LEVEL_ERROR,
    }
    assert len(errors) == 2


async def test_a_temporary_failure_is_retried_with_backoff(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    finished = await wait_until_finished(alice, (await create(alice, scripted_job("temporary=2,steps=1"))).id)

    assert finished.state == messages.JOB_STATE_SUCCEEDED
    assert finished.attempts == 3
    events = await watch_all(alice, finished.id)
    retries = [
        event
        for event in events
        if event.WhichOneof("event") == "state_change"
        and event.state_change.state == messages.JOB_STATE_QUEUED
    ][1:]
    assert [event.state_change.message.rsplit("retrying in ", 1)[1] for event in retries] == ["0.5s", "1s"]
    restarts = [
        event
        for event in events
        if event.WhichOneof("event") == "state_change"
        and event.state_change.state == messages.JOB_STATE_RUNNING
    ]
    gaps = [
        restarts[index + 1].time.ToMilliseconds() - retries[index].time.ToMilliseconds() for index in range(2)
    ]
    assert gaps[0] >= 500
    assert gaps[1] >= 1000


async def test_temporary_failures_past_max_attempts_fail_the_job(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = scripted_job("temporary=5,steps=1", max_attempts=2)
    finished = await wait_until_finished(alice, (await create(alice, job)).id)
    assert finished.state == messages.JOB_STATE_FAILED
    assert finished.error.code == code_pb2.UNAVAILABLE
    assert "no attempts left" in finished.error.message
    assert finished.attempts == 2


async def test_a_stopped_worker_gives_its_job_back(jobs_trainer, start_job_worker):
    worker = start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = await create(alice, scripted_job("steps=40,step_seconds=0.1"))
    await wait_for_job(alice, job.id, is_running)
    worker.send_signal(signal.SIGTERM)
    await asyncio.to_thread(worker.wait, 15)
    released = await wait_for_job(alice, job.id, lambda job: job.state == messages.JOB_STATE_QUEUED)
    assert released.attempts == 0
    start_job_worker()
    finished = await wait_until_finished(alice, job.id)
    assert finished.state == messages.JOB_STATE_SUCCEEDED
    assert finished.attempts == 1
