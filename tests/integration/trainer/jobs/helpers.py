"""Waiting on jobs in tests: poll GetJob, or collect a WatchJob stream."""

from __future__ import annotations

import asyncio
import time

from alphintra.trainer.v1 import training_service_pb2 as messages

TERMINAL = (messages.JOB_STATE_SUCCEEDED, messages.JOB_STATE_FAILED, messages.JOB_STATE_CANCELLED)


async def wait_for_job(stub, job_id: str, predicate, seconds: float = 60.0) -> messages.Job:
    """Poll the job until `predicate(job)` holds; fail with its last state when it never does."""
    deadline = time.monotonic() + seconds
    job = None
    while time.monotonic() < deadline:
        job = (await stub.GetJob(messages.GetJobRequest(job_id=job_id))).job
        if predicate(job):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there; last seen: {job}")


async def wait_until_finished(stub, job_id: str, seconds: float = 60.0) -> messages.Job:
    return await wait_for_job(stub, job_id, lambda job: job.state in TERMINAL, seconds)


async def watch_all(
    stub, job_id: str, from_sequence: int = 0, seconds: float = 60.0
) -> list[messages.JobEvent]:
    request = messages.WatchJobRequest(job_id=job_id, from_sequence=from_sequence)
    return [response.event async for response in stub.WatchJob(request, timeout=seconds)]


def states(events: list[messages.JobEvent]) -> list[int]:
    return [event.state_change.state for event in events if event.WhichOneof("event") == "state_change"]
