"""The checks every job passes before it is queued: kind and config agree, limits are in bounds.

Every problem is reported at once with its field path in the request (`job.config.backtest.spec...`),
so a client can show each next to its input. Kind-specific checks come from `kinds.VALIDATORS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from alphintra.trainer.v1 import training_service_pb2
from services.core.errors import FieldViolation, InvalidArgument, ResourceExhausted
from services.trainer.jobs import kinds
from services.trainer.jobs.imports import import_callable
from services.trainer.jobs.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS,
    MIN_MEMORY_BYTES,
    MIN_TIMEOUT_SECONDS,
    TierLimits,
)

MAX_DISPLAY_NAME = 200


@dataclass(frozen=True, slots=True)
class AcceptedJob:
    """A job that may be queued: what the caller asked for, with the tier's defaults filled in."""

    definition: training_service_pb2.Job
    timeout_seconds: float
    memory_limit_bytes: int
    max_attempts: int


def _kind_violations(job: training_service_pb2.Job, field: str) -> list[FieldViolation]:
    member = job.config.WhichOneof("config")
    expected = kinds.CONFIG_MEMBER.get(job.kind)
    if expected is None:
        names = ", ".join(training_service_pb2.JobKind.Name(kind) for kind in kinds.CONFIG_MEMBER)
        return [FieldViolation(f"{field}.kind", f"choose one of {names}")]
    if member is None:
        return [FieldViolation(f"{field}.config", f"set config.{expected} for a {_kind_name(job.kind)} job")]
    if member != expected:
        return [
            FieldViolation(
                f"{field}.config",
                f"a {_kind_name(job.kind)} job runs on config.{expected}, not config.{member}",
            )
        ]
    return []


def _kind_name(kind: int) -> str:
    return training_service_pb2.JobKind.Name(kind)


def _timeout(
    job: training_service_pb2.Job, limits: TierLimits, field: str
) -> tuple[float, list[FieldViolation]]:
    if not job.HasField("timeout"):
        return limits.default_timeout_seconds, []
    seconds = job.timeout.seconds + job.timeout.nanos / 1e9
    if seconds == 0:
        return limits.default_timeout_seconds, []
    if not math.isfinite(seconds) or seconds < MIN_TIMEOUT_SECONDS or seconds > limits.max_timeout_seconds:
        return seconds, [
            FieldViolation(
                f"{field}.timeout",
                f"between {MIN_TIMEOUT_SECONDS:g}s and {limits.max_timeout_seconds:g}s on this plan "
                f"(0 means {limits.default_timeout_seconds:g}s)",
            )
        ]
    return seconds, []


def _memory(
    job: training_service_pb2.Job, limits: TierLimits, field: str
) -> tuple[int, list[FieldViolation]]:
    requested = job.memory_limit_bytes
    if requested == 0:
        return limits.default_memory_bytes, []
    if requested < MIN_MEMORY_BYTES:
        return requested, [
            FieldViolation(
                f"{field}.memory_limit_bytes",
                f"at least {MIN_MEMORY_BYTES} bytes (0 means {limits.default_memory_bytes})",
            )
        ]
    return requested, []


def _attempts(job: training_service_pb2.Job, field: str) -> tuple[int, list[FieldViolation]]:
    if job.max_attempts == 0:
        return DEFAULT_MAX_ATTEMPTS, []
    if not 1 <= job.max_attempts <= MAX_ATTEMPTS:
        return job.max_attempts, [
            FieldViolation(
                f"{field}.max_attempts", f"between 1 and {MAX_ATTEMPTS} (0 means {DEFAULT_MAX_ATTEMPTS})"
            )
        ]
    return job.max_attempts, []


def _config_violations(
    job: training_service_pb2.Job, validators: Mapping[int, str], field: str
) -> list[FieldViolation]:
    path = validators.get(job.kind)
    if path is None:
        return []
    member = kinds.CONFIG_MEMBER[job.kind]
    validate = import_callable(path)
    return list(validate(getattr(job.config, member), f"{field}.config.{member}"))


def definition_of(job: training_service_pb2.Job) -> training_service_pb2.Job:
    """Only the fields a caller may set; output-only fields they sent are dropped, not trusted."""
    return training_service_pb2.Job(
        display_name=job.display_name,
        kind=job.kind,
        config=job.config,
        timeout=job.timeout if job.HasField("timeout") else None,
        memory_limit_bytes=job.memory_limit_bytes,
        max_attempts=job.max_attempts,
    )


def validate_job(
    job: training_service_pb2.Job,
    limits: TierLimits,
    *,
    validators: Mapping[int, str] = kinds.VALIDATORS,
    field: str = "job",
) -> AcceptedJob:
    """The job as it will be queued, or InvalidArgument naming every problem (ResourceExhausted
    when only the memory asked for is beyond the plan)."""
    violations = _kind_violations(job, field)
    timeout, problems = _timeout(job, limits, field)
    violations += problems
    memory, problems = _memory(job, limits, field)
    violations += problems
    attempts, problems = _attempts(job, field)
    violations += problems
    if len(job.display_name) > MAX_DISPLAY_NAME:
        violations.append(FieldViolation(f"{field}.display_name", f"at most {MAX_DISPLAY_NAME} characters"))
    if not violations:
        violations = _config_violations(job, validators, field)
    if violations:
        raise InvalidArgument("invalid job", violations)
    if memory > limits.max_memory_bytes:
        raise ResourceExhausted(
            f"memory_limit_bytes {memory} is above this plan's limit of {limits.max_memory_bytes} bytes"
        )
    return AcceptedJob(definition_of(job), timeout, memory, attempts)
