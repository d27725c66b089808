"""A job runner whose behaviour the test writes into the job: the controllable job of these tests.

Registered only in tests, through `ALPHINTRA_TRAINER__EXTRA_RUNNERS` for JOB_KIND_BACKTEST, it reads
its script from the config's dataset_id, e.g. "script:steps=20,step_seconds=0.1,temporary=2":

- steps, step_seconds: report progress, a log line and a metric per step, sleeping in between;
- temporary=N: raise TemporaryJobFailure on the first N attempts;
- fail=TEXT: raise an error with that text (after the steps);
- allocate=BYTES: hold that much memory (touched, so it is resident) while stepping;
- ignore_cancel: never call check_cancelled (the worker must kill it);
- hang_attempts=N: on the first N attempts, sleep forever after the first step (a worker to kill).
"""

from __future__ import annotations

import time

import numpy as np

from alphintra.trainer.v1 import training_service_pb2
from services.trainer.jobs.contract import JobContext, JobEnvironment, TemporaryJobFailure


def parse_script(text: str) -> dict[str, str]:
    body = text.removeprefix("script:")
    script = {}
    for item in filter(None, body.split(",")):
        name, _, value = item.partition("=")
        script[name] = value
    return script


def run_scripted(
    config: training_service_pb2.JobConfig, context: JobContext, environment: JobEnvironment
) -> training_service_pb2.JobResult:
    script = parse_script(config.backtest.dataset_id)
    steps = int(script.get("steps", "3"))
    step_seconds = float(script.get("step_seconds", "0.05"))
    context.log(f"attempt {context.attempt} starting with {script}")
    if context.attempt <= int(script.get("temporary", "0")):
        raise TemporaryJobFailure(f"dependency down on attempt {context.attempt}")
    held = None
    if "allocate" in script:
        held = np.ones(int(script["allocate"]) // 8)
    for step in range(steps):
        if "ignore_cancel" not in script:
            context.check_cancelled()
        context.progress((step + 1) / steps, f"step {step + 1}/{steps}")
        context.metric("loss", 1.0 / (step + 1), step)
        if step == 0 and context.attempt <= int(script.get("hang_attempts", "0")):
            context.log("hanging (a worker to kill)")
            time.sleep(3600)
        time.sleep(step_seconds)
    if "fail" in script:
        context.log("about to fail", "warning")
        raise ValueError(script["fail"])
    context.log("done", "info")
    del held
    result = training_service_pb2.JobResult()
    result.backtest.backtest_id = f"scripted-{context.job_id}"
    return result
