"""Jobs: CreateJob latency, and how long a queued job waits before a worker runs it.

- CreateJob p50/p95: a real trainer service (gRPC on loopback, PostgreSQL commit with the queued
  event and the NOTIFY); the reference is GetJob on the same server, a read of the same row.
- Queue → running: from the job's queued event to its running event (both stamped by the database
  clients), with one idle worker woken by LISTEN/NOTIFY; the reference is the polling interval a
  worker would otherwise wait up to (the fallback, `job_poll_seconds`).

A throwaway PostgreSQL and Redis are started for the run. Timings never fail a build.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

from alphintra.trainer.v1 import training_service_pb2 as messages
from alphintra.trainer.v1 import training_service_pb2_grpc
from services.core import strategy
from services.core.ownership import Caller, Role
from services.mesh.devstack import EmbeddedPostgres, EmbeddedRedis
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.trainer.service import DEFINITION
from tests.performance.measurement import Measurement

CREATES = 200
QUEUED_JOBS = 20
POLL_SECONDS = 1.0
RUNNER = "tests.integration.trainer.jobs.scripted_runner:run_scripted"
CALLER = caller_metadata(Caller(user_id="bench", role=Role.TRADER, tier="premium"))


def _job() -> messages.Job:
    job = messages.Job(kind=messages.JOB_KIND_BACKTEST)
    job.config.backtest.spec.CopyFrom(strategy.compile_graph(strategy.get_template("sma_crossover").graph))
    job.config.backtest.dataset_id = "script:steps=1,step_seconds=0"
    return job


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _timed(call) -> float:
    started = time.perf_counter()
    await call
    return (time.perf_counter() - started) * 1000


async def _measure(environment: dict[str, str]) -> list[Measurement]:
    service = await start_service(DEFINITION, DEFINITION.settings_type.load(environment))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = training_service_pb2_grpc.TrainingServiceStub(channel)
            job = _job()
            creates, reads = [], []
            created = []
            for _ in range(CREATES):
                started = time.perf_counter()
                response = await stub.CreateJob(messages.CreateJobRequest(job=job), metadata=CALLER)
                creates.append((time.perf_counter() - started) * 1000)
                created.append(response.job.id)
                # queued jobs count against the plan's quota: cancel each (outside the timing)
                await stub.CancelJob(messages.CancelJobRequest(job_id=response.job.id), metadata=CALLER)
            for job_id in created:
                reads.append(
                    await _timed(stub.GetJob(messages.GetJobRequest(job_id=job_id), metadata=CALLER))
                )
            waits = await _queue_waits(stub, environment)
    finally:
        await service.stop(0)
    return [
        Measurement("CreateJob p50", "ms", statistics.median(creates), "GetJob p50", statistics.median(reads),
                    higher_is_better=False),
        Measurement("CreateJob p95", "ms", _percentile(creates, 0.95), "GetJob p95", _percentile(reads, 0.95),
                    higher_is_better=False),
        Measurement("queued → running p50", "ms", statistics.median(waits), "polling interval",
                    POLL_SECONDS * 1000, higher_is_better=False, aim="woken by NOTIFY, not by polling"),
    ]  # fmt: skip


async def _queue_waits(stub, environment: dict[str, str]) -> list[float]:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.trainer", "worker", env={**os.environ, **environment}
    )
    try:
        waits = []
        for _ in range(QUEUED_JOBS):
            job = (await stub.CreateJob(messages.CreateJobRequest(job=_job()), metadata=CALLER)).job
            stream = stub.WatchJob(messages.WatchJobRequest(job_id=job.id), metadata=CALLER)
            changes = [
                r.event
                for r in [item async for item in stream]
                if r.event.WhichOneof("event") == "state_change"
            ]
            queued, running = changes[0], changes[1]
            waits.append((running.time.ToNanoseconds() - queued.time.ToNanoseconds()) / 1e6)
        return waits
    finally:
        worker.terminate()
        await worker.wait()


def run() -> list[Measurement]:
    root = Path(tempfile.mkdtemp(prefix="alphintra-bench-jobs-"))
    postgres = EmbeddedPostgres(root / "pg", fsync=False)
    redis = EmbeddedRedis(root / "redis", appendfsync="everysec")
    try:
        postgres.start()
        redis.start()
        environment = {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(root / "artifacts"),
            "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "0",
            "ALPHINTRA_TRAINER__JOB_POLL_SECONDS": str(POLL_SECONDS),
            "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "false",
            "ALPHINTRA_TRAINER__EXTRA_RUNNERS": json.dumps({str(messages.JOB_KIND_BACKTEST): RUNNER}),
        }
        return asyncio.run(_measure(environment))
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
