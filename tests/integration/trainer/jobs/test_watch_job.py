"""WatchJob: stored history first, then live events, ending after the terminal state; across restarts."""

import asyncio
import os

import grpc
import pytest

from alphintra.trainer.v1 import training_service_pb2 as messages
from tests.integration.trainer.conftest import JOBS_ALICE, TrainerInstance, scripted_job
from tests.integration.trainer.jobs.helpers import TERMINAL, wait_for_job, wait_until_finished, watch_all

pytestmark = pytest.mark.integration


async def test_a_live_watcher_sees_every_event_up_to_the_terminal_one(jobs_trainer, start_job_worker):
    alice = jobs_trainer.training(JOBS_ALICE)
    job = (await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=5,step_seconds=0.1")))).job
    watching = asyncio.create_task(watch_all(alice, job.id))
    await asyncio.sleep(0.3)
    start_job_worker()
    live = await watching
    assert live[-1].state_change.state == messages.JOB_STATE_SUCCEEDED
    assert [event.sequence for event in live] == list(range(1, len(live) + 1))
    assert any(event.WhichOneof("event") == "progress" for event in live)


async def test_a_late_subscriber_gets_the_whole_history(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = (await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=3")))).job
    await wait_until_finished(alice, job.id)

    history = await watch_all(alice, job.id)
    resumed = await watch_all(alice, job.id, from_sequence=3)

    assert history[0].state_change.state == messages.JOB_STATE_QUEUED
    assert history[-1].state_change.state == messages.JOB_STATE_SUCCEEDED
    assert [event.sequence for event in history] == list(range(1, len(history) + 1))
    assert resumed == history[2:]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await watch_all(alice, job.id, from_sequence=len(history) + 2)
    assert raised.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_a_watch_resumes_without_gaps_after_the_trainer_restarts(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = (
        await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=30,step_seconds=0.1")))
    ).job
    seen: list[messages.JobEvent] = []
    stream = alice.WatchJob(messages.WatchJobRequest(job_id=job.id))
    async for response in stream:
        seen.append(response.event)
        if response.event.WhichOneof("event") == "progress":
            break
    stream.cancel()

    await jobs_trainer.stop()
    await jobs_trainer.start()
    alice = jobs_trainer.training(JOBS_ALICE)
    rest = await watch_all(alice, job.id, from_sequence=seen[-1].sequence + 1)

    everything = seen + rest
    assert [event.sequence for event in everything] == list(range(1, len(everything) + 1))
    assert everything[-1].state_change.state in TERMINAL
    assert everything[-1].state_change.state == messages.JOB_STATE_SUCCEEDED
    assert await watch_all(alice, job.id) == everything


async def test_the_embedded_worker_runs_jobs_and_stops_with_the_service(jobs_environment):
    instance = TrainerInstance({**jobs_environment, "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "1"})
    await instance.start()
    try:
        alice = instance.training(JOBS_ALICE)
        job = (await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=2")))).job
        finished = await wait_until_finished(alice, job.id)
        assert finished.state == messages.JOB_STATE_SUCCEEDED
        pid = int(finished_worker_pid(await watch_all(alice, job.id)))
    finally:
        await instance.stop()
    assert await process_gone(pid)


async def process_gone(pid: int) -> bool:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.1)
    return False


def finished_worker_pid(events: list[messages.JobEvent]) -> str:
    running = [
        event.state_change.message
        for event in events
        if event.WhichOneof("event") == "state_change"
        and event.state_change.state == messages.JOB_STATE_RUNNING
    ]
    return running[-1].rsplit(" ", 1)[1].split(":")[1]


async def test_get_job_while_running_shows_progress_and_the_worker(jobs_trainer, start_job_worker):
    worker = start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = (
        await alice.CreateJob(messages.CreateJobRequest(job=scripted_job("steps=20,step_seconds=0.1")))
    ).job
    running = await wait_for_job(alice, job.id, lambda job: job.progress_fraction >= 0.1)
    assert running.state == messages.JOB_STATE_RUNNING
    assert running.worker_id.split(":")[1] == str(worker.pid)
    assert 0.1 <= running.progress_fraction < 1.0
