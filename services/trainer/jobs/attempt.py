"""One attempt of one job: its process started, watched, limited, heard, and its end decided.

The worker starts `services.trainer.jobs.child` in a session of its own and then, every tick:
stores what the job reported, renews the lease every heartbeat, and stops the process when the
attempt must end early: past its timeout or memory limit (killed, the job fails with
DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED and a message saying which limit), when the owner cancels
(asked with a signal the runner's `check_cancelled` sees, killed after a short grace), when the
worker itself is stopping (the job goes back to the queue), or when the lease was lost (another
worker owns the job now: this one writes nothing more).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from google.rpc import code_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs import events, processes
from services.trainer.jobs.child import CANCEL_SIGNAL
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.jobs.queue import AttemptEnd, ClaimedJob, JobQueue, LeaseLost
from services.trainer.jobs.retry import backoff_seconds

log = logging.getLogger("alphintra.trainer.worker")

TICK_SECONDS = 0.05
MAX_LINE_CHARACTERS = 8000
MEBIBYTE = 1 << 20
# a job result travels as one line (base64 of the JobResult)
MAX_OUTCOME_BYTES = 1 << 28


@dataclass(frozen=True, slots=True)
class AttemptSettings:
    heartbeat_seconds: float
    cancel_grace_seconds: float
    retry_base_seconds: float
    retry_max_seconds: float
    runners: Mapping[int, str]
    environment: JobEnvironment


@dataclass
class _Watch:
    """What the worker learned about the running attempt."""

    started: float
    cpu_seconds: float = 0.0
    outcome: dict | None = None
    stopped_for: str = ""  # timeout, memory, cancelled, released, lease_lost
    stop_message: str = ""
    cancel_asked_at: float | None = None
    cancel_reason: str = ""
    pending: list[messages.JobEvent] = field(default_factory=list)
    pending_progress: float | None = None


class Attempt:
    def __init__(
        self,
        queue: JobQueue,
        job: ClaimedJob,
        settings: AttemptSettings,
        *,
        clock: Callable[[], datetime],
        cancel_requested: asyncio.Event,
        stopping: asyncio.Event,
    ) -> None:
        self._queue = queue
        self._job = job
        self._settings = settings
        self._clock = clock
        self._cancel_requested = cancel_requested
        self._stopping = stopping
        self._watch = _Watch(started=time.monotonic())

    async def run(self) -> None:
        """Run the attempt to its end and record it (unless the lease was lost)."""
        runner = self._settings.runners.get(self._job.definition.kind)
        if runner is None:
            await self._finish_without_process(f"no runner for job kind {self._job.definition.kind}")
            return
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.trainer.jobs.child",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, limit=MAX_OUTCOME_BYTES,
        )  # fmt: skip
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdin.write(self._request(runner))
        with contextlib.suppress(ConnectionError):
            await process.stdin.drain()
        process.stdin.close()
        readers = [
            asyncio.create_task(self._read_outcome_lines(process.stdout)),
            asyncio.create_task(self._read_stderr(process.stderr)),
        ]
        try:
            await self._supervise(process)
        finally:
            _kill(process)
            await process.wait()
            await asyncio.gather(*readers, return_exceptions=True)
        if self._watch.stopped_for == "lease_lost":
            log.warning("job %s: lease lost; another worker owns it now", self._job.job_id)
            return
        with contextlib.suppress(LeaseLost):
            await self._flush()
            await self._queue.finish(self._job, self._end(process.returncode), self._clock())

    def _request(self, runner: str) -> bytes:
        environment = self._settings.environment
        request = {
            "runner": runner,
            "job_id": self._job.job_id,
            "owner_id": self._job.owner_id,
            "attempt": self._job.attempt,
            "config": base64.b64encode(self._job.definition.config.SerializeToString()).decode(),
            "environment": {
                "database_url": environment.database_url,
                "redis_url": environment.redis_url,
                "artifacts_root": str(environment.artifacts_root),
                "schema": environment.schema,
                "workflow_address": environment.workflow_address,
                "registry_alias_channel": environment.registry_alias_channel,
            },
        }
        return (json.dumps(request) + "\n").encode()

    async def _supervise(self, process: asyncio.subprocess.Process) -> None:
        next_heartbeat = time.monotonic() + self._settings.heartbeat_seconds
        while process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), TICK_SECONDS)
            sampled = processes.sample(process.pid)
            if sampled is not None:
                self._watch.cpu_seconds = max(self._watch.cpu_seconds, sampled.cpu_seconds)
            try:
                await self._flush()
                if self._cancel_requested.is_set() and not self._watch.cancel_reason:
                    self._watch.cancel_reason = await self._queue.cancel_reason(self._job.job_id)
                if time.monotonic() >= next_heartbeat:
                    next_heartbeat = time.monotonic() + self._settings.heartbeat_seconds
                    requested, reason = await self._queue.heartbeat(
                        self._job.job_id, self._watch.cpu_seconds, self._clock()
                    )
                    if requested:
                        self._cancel_requested.set()
                        self._watch.cancel_reason = reason
            except LeaseLost:
                self._watch.stopped_for = "lease_lost"
                return
            if process.returncode is None and self._should_stop(process, sampled):
                return

    def _should_stop(
        self, process: asyncio.subprocess.Process, sampled: processes.ProcessSample | None
    ) -> bool:
        """Check the limits, cancellation and shutdown; True once the process must be killed."""
        watch, job = self._watch, self._job
        elapsed = time.monotonic() - watch.started
        if elapsed > job.timeout_seconds:
            watch.stopped_for = "timeout"
            watch.stop_message = (
                f"the job ran past its timeout of {job.timeout_seconds:g}s "
                f"(attempt {job.attempt}) and was stopped"
            )
            return True
        if sampled is not None and sampled.resident_bytes > job.memory_limit_bytes:
            watch.stopped_for = "memory"
            watch.stop_message = (
                f"the job used {sampled.resident_bytes / MEBIBYTE:.0f} MiB, over its memory limit of "
                f"{job.memory_limit_bytes / MEBIBYTE:.0f} MiB, and was stopped"
            )
            return True
        if self._stopping.is_set():
            watch.stopped_for = "released"
            return True
        if self._cancel_requested.is_set():
            if watch.cancel_asked_at is None:
                watch.cancel_asked_at = time.monotonic()
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(CANCEL_SIGNAL)
            elif time.monotonic() - watch.cancel_asked_at > self._settings.cancel_grace_seconds:
                watch.stopped_for = "cancelled"
                return True
        return False

    async def _read_outcome_lines(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            try:
                message = json.loads(line)
            except ValueError:
                self._add(
                    events.log_line(
                        line.decode(errors="replace")[:MAX_LINE_CHARACTERS],
                        messages.LOG_LEVEL_INFO,
                        self._job.attempt,
                    )
                )
                continue
            self._hear(message)

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            if text:
                self._add(
                    events.log_line(text[:MAX_LINE_CHARACTERS], messages.LOG_LEVEL_INFO, self._job.attempt)
                )

    def _hear(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "progress":
            fraction = float(message["fraction"])
            eta = events.eta_seconds(fraction, time.monotonic() - self._watch.started)
            # only the latest progress of a batch is worth storing
            self._watch.pending = [
                event for event in self._watch.pending if event.WhichOneof("event") != "progress"
            ]
            self._add(events.progress(fraction, message.get("message", ""), eta))
            self._watch.pending_progress = fraction
        elif kind == "log":
            level = events.log_level(message.get("level", "info"))
            self._add(
                events.log_line(str(message["message"])[:MAX_LINE_CHARACTERS], level, self._job.attempt)
            )
        elif kind == "metric":
            self._add(events.metric(message["name"], message["value"], message["step"], message.get("trial")))
        else:
            self._watch.outcome = message
            self._watch.cpu_seconds = max(self._watch.cpu_seconds, float(message.get("cpu_seconds", 0.0)))

    def _add(self, event: messages.JobEvent) -> None:
        self._watch.pending.append(event)

    async def _flush(self) -> None:
        watch = self._watch
        if not watch.pending and watch.pending_progress is None:
            return
        batch, watch.pending = watch.pending, []
        progress, watch.pending_progress = watch.pending_progress, None
        await self._queue.record(self._job.job_id, batch, self._clock(), progress)

    def _end(self, returncode: int | None) -> AttemptEnd:
        """How the attempt ended: stopped by the worker, or as the job's process reported."""
        watch = self._watch
        cpu = watch.cpu_seconds
        if watch.stopped_for == "timeout":
            return _failed(code_pb2.DEADLINE_EXCEEDED, watch.stop_message, cpu)
        if watch.stopped_for == "memory":
            return _failed(code_pb2.RESOURCE_EXHAUSTED, watch.stop_message, cpu)
        if watch.stopped_for == "released":
            message = f"worker {self._queue.worker_id} stopped; the job goes back to the queue"
            return AttemptEnd("queued", message, cpu, attempt_returned=True)
        return self._reported_end(returncode, cpu)

    def _reported_end(self, returncode: int | None, cpu: float) -> AttemptEnd:
        watch, job = self._watch, self._job
        outcome = watch.outcome or {}
        kind = outcome.get("type")
        if kind == "succeeded":
            result = messages.JobResult.FromString(base64.b64decode(outcome["result"]))
            return AttemptEnd("succeeded", f"attempt {job.attempt} succeeded", cpu, result=result)
        if self._cancel_requested.is_set():
            reason = watch.cancel_reason
            message = f"cancelled by its owner: {reason}" if reason else "cancelled by its owner"
            return AttemptEnd(
                "cancelled", message, cpu, error=status_pb2.Status(code=code_pb2.CANCELLED, message=message)
            )
        if kind in ("failed", "temporary", "cancelled"):
            status = status_pb2.Status.FromString(base64.b64decode(outcome["status"]))
            if kind == "temporary":
                return self._retry_or_fail(status, cpu)
            return AttemptEnd("failed", f"attempt {job.attempt} failed: {status.message}", cpu, error=status)
        return _failed(
            code_pb2.INTERNAL,
            f"the job's process ended {_exit_description(returncode)} without a result",
            cpu,
        )

    def _retry_or_fail(self, status: status_pb2.Status, cpu: float) -> AttemptEnd:
        job = self._job
        if job.attempt >= job.max_attempts:
            message = (
                f"attempt {job.attempt} of {job.max_attempts} failed temporarily: {status.message}; "
                "no attempts left"
            )
            return AttemptEnd(
                "failed", message, cpu, error=status_pb2.Status(code=status.code, message=message)
            )
        delay = backoff_seconds(
            job.attempt, self._settings.retry_base_seconds, self._settings.retry_max_seconds
        )
        message = f"attempt {job.attempt} failed temporarily: {status.message}; retrying in {delay:g}s"
        return AttemptEnd("queued", message, cpu, retry_after_seconds=delay)

    async def _finish_without_process(self, message: str) -> None:
        end = _failed(code_pb2.FAILED_PRECONDITION, message, 0.0)
        with contextlib.suppress(LeaseLost):
            await self._queue.finish(self._job, end, self._clock())


def _failed(code: int, message: str, cpu: float) -> AttemptEnd:
    return AttemptEnd("failed", message, cpu, error=status_pb2.Status(code=code, message=message))


def _exit_description(returncode: int | None) -> str:
    if returncode is None:
        return "abnormally"
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        note = " (the machine may have run out of memory)" if returncode == -signal.SIGKILL else ""
        return f"by signal {name}{note}"
    return f"with exit code {returncode}"


def _kill(process: asyncio.subprocess.Process) -> None:
    """Kill the job's whole session (a runner's own subprocesses too)."""
    if process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
