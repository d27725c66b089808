"""What the registry accepts: model and alias names, signatures, schedules."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.errors import FieldViolation, InvalidArgument

MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ALIAS = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
MAX_REQUEST_ID = 128
MAX_DESCRIPTION = 10_000
MAX_TAGS = 100
DIGEST_PREFIX = "sha256:"


def check_model_name(name: str, field: str = "model_name") -> None:
    if not MODEL_NAME.match(name):
        raise InvalidArgument(
            "invalid model name", [FieldViolation(field, "must match [a-z0-9][a-z0-9-]{1,62}")]
        )


def check_alias(alias: str, field: str = "alias") -> None:
    if not ALIAS.match(alias):
        raise InvalidArgument("invalid alias", [FieldViolation(field, "must match [a-z][a-z0-9-]{0,31}")])


def check_request_id(request_id: str) -> None:
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument(
            "request_id is too long", [FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters")]
        )


def version_violations(version: messages.ModelVersion) -> list[FieldViolation]:
    violations = []
    signature = version.signature
    if not signature.inputs:
        violations.append(FieldViolation("model_version.signature.inputs", "at least one input tensor"))
    if not signature.outputs:
        violations.append(FieldViolation("model_version.signature.outputs", "at least one output tensor"))
    if len(version.description) > MAX_DESCRIPTION:
        violations.append(
            FieldViolation("model_version.description", f"at most {MAX_DESCRIPTION} characters")
        )
    if len(version.tags) > MAX_TAGS:
        violations.append(FieldViolation("model_version.tags", f"at most {MAX_TAGS} tags"))
    return violations


def digest_hex(digest: str, field: str = "model_version.artifact.digest") -> str:
    """The store address of a "sha256:<hex>" digest (a bare hex digest is accepted too)."""
    hex_part = digest.removeprefix(DIGEST_PREFIX)
    if not re.fullmatch(r"[0-9a-f]{64}", hex_part):
        raise InvalidArgument(
            "invalid digest", [FieldViolation(field, 'expected "sha256:" and 64 hex digits')]
        )
    return hex_part


def next_run(schedule: messages.RetrainingSchedule, after: datetime) -> datetime:
    """The first time the schedule fires after `after`, in UTC."""
    zone = ZoneInfo(schedule.timezone or "UTC")
    return croniter(schedule.cron, after.astimezone(zone)).get_next(datetime).astimezone(ZoneInfo("UTC"))


def check_schedule(schedule: messages.RetrainingSchedule) -> None:
    violations = []
    if not croniter.is_valid(schedule.cron) or len(schedule.cron.split()) != 5:
        violations.append(FieldViolation("schedule.cron", 'a five-field cron expression, e.g. "0 3 * * 1"'))
    try:
        ZoneInfo(schedule.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        violations.append(FieldViolation("schedule.timezone", "an IANA time zone, e.g. Europe/Berlin"))
    if not 0.0 <= schedule.promotion_margin <= 1.0:
        violations.append(FieldViolation("schedule.promotion_margin", "a fraction in [0, 1]"))
    if not 0.0 < schedule.holdout_fraction <= 0.5:
        violations.append(FieldViolation("schedule.holdout_fraction", "a fraction in (0, 0.5]"))
    if not ALIAS.match(schedule.alias or "production"):
        violations.append(FieldViolation("schedule.alias", "must match [a-z][a-z0-9-]{0,31}"))
    if not schedule.dataset_id:
        violations.append(FieldViolation("schedule.dataset_id", "is required"))
    if violations:
        raise InvalidArgument("invalid retraining schedule", violations)
