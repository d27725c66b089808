"""What experiments, runs, parameters, tags and metrics may hold: every problem of a request at once."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from services.core.errors import FieldViolation, InvalidArgument

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_KEY = 250
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 5000
MAX_ENTRIES = 200
MAX_METRIC_POINTS = 1000
MAX_STEP = 2**62
TERMINAL = frozenset({"FINISHED", "FAILED", "KILLED"})
UPDATE_PATHS = frozenset({"status", "end_time", "display_name"})


def _fail(message: str, violations: list[FieldViolation]) -> None:
    if violations:
        raise InvalidArgument(message, violations)


def _entry_violations(entries: Mapping[str, str], field: str, max_value: int) -> list[FieldViolation]:
    violations = []
    if len(entries) > MAX_ENTRIES:
        violations.append(FieldViolation(field, f"at most {MAX_ENTRIES} entries"))
    for key, value in entries.items():
        if not key.strip() or len(key) > MAX_KEY or "\x00" in key:
            violations.append(FieldViolation(f"{field}[{key[:40]}]", f"a key of 1 to {MAX_KEY} characters"))
        if len(value) > max_value or "\x00" in value:
            violations.append(
                FieldViolation(f"{field}[{key[:40]}]", f"a value of at most {max_value} characters")
            )
    return violations


def _name_violations(name: str, field: str, *, required: bool) -> list[FieldViolation]:
    if required and not name.strip():
        return [FieldViolation(field, "is required")]
    if len(name) > MAX_NAME or "\x00" in name:
        return [FieldViolation(field, f"at most {MAX_NAME} characters")]
    return []


def check_experiment(experiment: messages.Experiment) -> None:
    violations = _name_violations(experiment.display_name, "experiment.display_name", required=True)
    if len(experiment.description) > MAX_DESCRIPTION:
        violations.append(FieldViolation("experiment.description", f"at most {MAX_DESCRIPTION} characters"))
    violations += _entry_violations(experiment.tags, "experiment.tags", MAX_TAG_VALUE)
    _fail("invalid experiment", violations)


def check_new_run(request: messages.CreateRunRequest) -> None:
    violations = _name_violations(request.display_name, "display_name", required=False)
    violations += _entry_violations(request.params, "params", MAX_PARAM_VALUE)
    violations += _entry_violations(request.tags, "tags", MAX_TAG_VALUE)
    _fail("invalid run", violations)


def check_params(params: Mapping[str, str]) -> None:
    violations = [] if params else [FieldViolation("params", "at least one parameter")]
    _fail("invalid parameters", violations + _entry_violations(params, "params", MAX_PARAM_VALUE))


def check_tags(tags: Mapping[str, str]) -> None:
    violations = [] if tags else [FieldViolation("tags", "at least one tag")]
    _fail("invalid tags", violations + _entry_violations(tags, "tags", MAX_TAG_VALUE))


def check_metrics(metrics: Sequence[messages.Metric]) -> None:
    violations = []
    if not 1 <= len(metrics) <= MAX_METRIC_POINTS:
        violations.append(FieldViolation("metrics", f"from 1 to {MAX_METRIC_POINTS} points"))
    for index, metric in enumerate(metrics[:MAX_METRIC_POINTS]):
        field = f"metrics[{index}]"
        if not metric.key.strip() or len(metric.key) > MAX_KEY or "\x00" in metric.key:
            violations.append(FieldViolation(f"{field}.key", f"a key of 1 to {MAX_KEY} characters"))
        if not math.isfinite(metric.value):
            violations.append(FieldViolation(f"{field}.value", "a finite number"))
        if not 0 <= metric.step <= MAX_STEP:
            violations.append(FieldViolation(f"{field}.step", "≥ 0"))
    _fail("invalid metrics", violations)


def check_update(paths: Sequence[str], current_status: str, new_status: str) -> None:
    violations = [
        FieldViolation("update_mask", f"unknown path {path!r}: status, end_time, display_name")
        for path in paths
        if path not in UPDATE_PATHS
    ]
    if not paths:
        violations.append(FieldViolation("update_mask", "name the fields to change"))
    if "status" in paths:
        if new_status == "UNSPECIFIED":
            violations.append(FieldViolation("run.status", "choose a status"))
        elif current_status in TERMINAL and new_status not in TERMINAL:
            violations.append(
                FieldViolation("run.status", f"the run has ended ({current_status}); it cannot run again")
            )
    _fail("invalid run update", violations)
