"""A job's states as stored, and the events it emits (what WatchJob streams and ListJobLogs pages)."""

from __future__ import annotations

from google.protobuf import duration_pb2
from google.rpc import status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages

STATE_OF_NAME: dict[str, int] = {
    "queued": messages.JOB_STATE_QUEUED,
    "running": messages.JOB_STATE_RUNNING,
    "succeeded": messages.JOB_STATE_SUCCEEDED,
    "failed": messages.JOB_STATE_FAILED,
    "cancelled": messages.JOB_STATE_CANCELLED,
}
NAME_OF_STATE: dict[int, str] = {state: name for name, state in STATE_OF_NAME.items()}
TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})

LEVEL_OF_NAME: dict[str, int] = {
    "debug": messages.LOG_LEVEL_DEBUG,
    "info": messages.LOG_LEVEL_INFO,
    "warning": messages.LOG_LEVEL_WARNING,
    "error": messages.LOG_LEVEL_ERROR,
}


def log_level(name: str) -> int:
    """A runner's level name as a LogLevel; an unknown name is kept as info rather than lost."""
    return LEVEL_OF_NAME.get(name.lower(), messages.LOG_LEVEL_INFO)


def state_change(
    previous: str | None, state: str, message: str, error: status_pb2.Status | None = None
) -> messages.JobEvent:
    change = messages.JobStateChange(
        previous_state=STATE_OF_NAME[previous] if previous else messages.JOB_STATE_UNSPECIFIED,
        state=STATE_OF_NAME[state],
        message=message,
    )
    if error is not None:
        change.error.CopyFrom(error)
    return messages.JobEvent(state_change=change)


def progress(fraction: float, message: str, eta_seconds: float | None) -> messages.JobEvent:
    event = messages.JobEvent(progress=messages.JobProgress(fraction=fraction, message=message))
    if eta_seconds is not None:
        eta = duration_pb2.Duration()
        eta.FromNanoseconds(int(eta_seconds * 1e9))
        event.progress.eta.CopyFrom(eta)
    return event


def log_line(message: str, level: int, attempt: int) -> messages.JobEvent:
    return messages.JobEvent(log_line=messages.JobLogLine(level=level, message=message, attempt=attempt))


def metric(name: str, value: float, step: int, trial: int | None) -> messages.JobEvent:
    event = messages.JobEvent(metric=messages.JobMetric(name=name, value=value, step=step))
    if trial is not None:
        event.metric.trial = trial
    return event


def eta_seconds(fraction: float, elapsed_seconds: float) -> float | None:
    """Time left at the rate so far; unknown before any progress or after the end."""
    if not 0.0 < fraction < 1.0 or elapsed_seconds <= 0:
        return None
    return elapsed_seconds * (1.0 - fraction) / fraction


def is_terminal(event: messages.JobEvent) -> bool:
    return (
        event.WhichOneof("event") == "state_change"
        and NAME_OF_STATE.get(event.state_change.state, "") in TERMINAL_STATES
    )
