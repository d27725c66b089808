"""The job process's side of the protocol, run in-process on a pipe of lines."""

import base64
import io
import json

from google.rpc import code_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.trainer.jobs.child import ChildContext, run
from services.trainer.jobs.contract import JobCancelled, TemporaryJobFailure


def request(runner: str) -> dict:
    return {
        "runner": runner,
        "config": base64.b64encode(messages.JobConfig().SerializeToString()).decode(),
        "environment": {"database_url": "", "redis_url": "", "artifacts_root": "/tmp", "schema": "trainer"},
    }


def succeed(config, context, environment):
    context.progress(0.5, "half")
    context.metric("loss", 0.5, 1, trial=2)
    context.metric("loss", float("nan"), 2)
    return messages.JobResult()


def cancelled(config, context, environment):
    context.check_cancelled()
    raise AssertionError("check_cancelled should have raised")


def temporary(config, context, environment):
    raise TemporaryJobFailure("try later")


def broken(config, context, environment):
    raise KeyError("boom")


def run_with(runner: str, *, cancel: bool = False) -> tuple[dict, list[dict]]:
    output = io.StringIO()
    context = ChildContext(output, "j1", "alice", 1)
    context.cancelled = cancel
    outcome = run(request(f"{__name__}:{runner}"), context)
    return outcome, [json.loads(line) for line in output.getvalue().splitlines()]


def status_of(outcome: dict) -> status_pb2.Status:
    return status_pb2.Status.FromString(base64.b64decode(outcome["status"]))


def test_events_and_the_result_travel_as_lines():
    outcome, lines = run_with("succeed")
    assert outcome["type"] == "succeeded"
    assert [line["type"] for line in lines] == ["progress", "metric", "log"]
    assert lines[1] == {"type": "metric", "name": "loss", "value": 0.5, "step": 1, "trial": 2}
    assert "not recorded" in lines[2]["message"]


def test_each_failure_is_reported_with_its_kind():
    assert run_with("cancelled", cancel=True)[0]["type"] == "cancelled"
    outcome, _ = run_with("temporary")
    assert (outcome["type"], status_of(outcome).code) == ("temporary", code_pb2.UNAVAILABLE)
    outcome, lines = run_with("broken")
    assert (outcome["type"], status_of(outcome).code) == ("failed", code_pb2.INTERNAL)
    assert status_of(outcome).message == "KeyError: 'boom'"
    assert "Traceback" in lines[-1]["message"]
    assert JobCancelled.__name__ in "JobCancelled"
