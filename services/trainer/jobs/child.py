"""The process one job attempt runs in (`python -m services.trainer.jobs.child`), started by a worker.

It reads what to run as one JSON line on stdin, imports the kind's runner, calls it, and writes the
job's events and its outcome as JSON lines on the stdout it was started with; the runner's own
prints and library warnings go to stderr, which the worker stores as log lines. A worker limits and
stops this process from outside (timeout, memory, cancellation, its own death), which is why a job
runs here and not in the worker.
"""

from __future__ import annotations

import base64
import ctypes
import json
import math
import os
import resource
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import IO, Any

from google.rpc import code_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.core.errors import AlphintraError
from services.mesh.status import to_rpc_status
from services.trainer.jobs.contract import JobCancelled, JobEnvironment, TemporaryJobFailure
from services.trainer.jobs.imports import import_callable

# The signal a worker sends to ask the job to stop; `check_cancelled` raises once it arrived.
CANCEL_SIGNAL = signal.SIGUSR1
_PR_SET_PDEATHSIG = 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


class ChildContext:
    """The `JobContext` a runner gets: every call becomes one line to the worker."""

    def __init__(self, output: IO[str], job_id: str, owner_id: str, attempt: int) -> None:
        self.job_id = job_id
        self.owner_id = owner_id
        self.attempt = attempt
        self._output = output
        self._lock = threading.Lock()  # runners may report from several threads
        self.cancelled = False

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, allow_nan=False, separators=(",", ":"))
        with self._lock:
            self._output.write(line + "\n")
            self._output.flush()

    def progress(self, fraction: float, message: str = "") -> None:
        self.send(
            {"type": "progress", "fraction": min(1.0, max(0.0, float(fraction))), "message": str(message)}
        )

    def log(self, message: str, level: str = "info") -> None:
        self.send({"type": "log", "message": str(message), "level": str(level)})

    def metric(self, name: str, value: float, step: int, trial: int | None = None) -> None:
        value = float(value)
        if not math.isfinite(value):
            self.log(f"metric {name} at step {step} is {value}; not recorded", "warning")
            return
        self.send({"type": "metric", "name": str(name), "value": value, "step": int(step), "trial": trial})

    def check_cancelled(self) -> None:
        if self.cancelled:
            raise JobCancelled("the job was cancelled")


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its worker dies, so a kill -9'd worker leaves no orphan
    running (and writing) the job that another worker is about to take over."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the worker died before the request took effect
        os._exit(1)


def _failure(error: BaseException, job_id: str) -> dict[str, Any]:
    if isinstance(error, JobCancelled):
        status = status_pb2.Status(code=code_pb2.CANCELLED, message=str(error) or "cancelled")
        return {"type": "cancelled", "status": _encode(status)}
    if isinstance(error, TemporaryJobFailure):
        status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message=str(error) or type(error).__name__)
        return {"type": "temporary", "status": _encode(status)}
    if isinstance(error, AlphintraError):
        return {"type": "failed", "status": _encode(to_rpc_status(error, job_id))}
    if isinstance(error, MemoryError):
        status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message="the job ran out of memory")
        return {"type": "failed", "status": _encode(status)}
    status = status_pb2.Status(code=code_pb2.INTERNAL, message=f"{type(error).__name__}: {error}")
    return {"type": "failed", "status": _encode(status)}


def _encode(message: Any) -> str:
    return base64.b64encode(message.SerializeToString()).decode()


def run(request: dict[str, Any], context: ChildContext) -> dict[str, Any]:
    """Run the runner the request names; the outcome as the worker's last line."""
    try:
        runner = import_callable(request["runner"])
        config = messages.JobConfig.FromString(base64.b64decode(request["config"]))
        environment = JobEnvironment(
            **{**request["environment"], "artifacts_root": Path(request["environment"]["artifacts_root"])}
        )
        result = runner(config, context, environment)
        if not isinstance(result, messages.JobResult):
            raise TypeError(f"the runner returned {type(result).__name__}, not a JobResult")
        return {"type": "succeeded", "result": _encode(result)}
    except BaseException as error:  # every failure of the job is reported, none escapes
        if not isinstance(error, JobCancelled | TemporaryJobFailure | AlphintraError):
            context.log("".join(traceback.format_exception(error)).rstrip(), "error")
        else:
            context.log(
                f"{type(error).__name__}: {error}", "warning" if isinstance(error, JobCancelled) else "error"
            )
        return _failure(error, context.job_id)


def main() -> None:
    _die_with_parent()
    # the protocol keeps the original stdout; anything the runner prints lands on stderr
    output = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    request = json.loads(sys.stdin.readline())
    context = ChildContext(output, request["job_id"], request["owner_id"], request["attempt"])

    def cancel(_signum: int, _frame: object) -> None:
        context.cancelled = True

    signal.signal(CANCEL_SIGNAL, cancel)
    outcome = run(request, context)
    outcome["cpu_seconds"] = cpu_seconds()
    context.send(outcome)
    output.close()


if __name__ == "__main__":
    main()
