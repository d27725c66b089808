from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, model_validator

from services.mesh.settings import ServiceSettings


class TrainerSettings(ServiceSettings):
    """The trainer service's settings (`ALPHINTRA_TRAINER__*`)."""

    service_name: ClassVar[str] = "trainer"

    # the content-addressed store of dataset files, ONNX models and reports (shared with the predictor)
    artifacts_root: Path = Path(".run/artifacts")
    # the workflow service, for MODEL mode (reading workflows, saving optimised versions)
    workflow_address: str | None = None

    # --- datasets ---
    # the largest file each plan tier may upload, in bytes (RESOURCE_EXHAUSTED above it)
    dataset_upload_limit_bytes_basic: int = Field(256 * 1024 * 1024, ge=0)
    dataset_upload_limit_bytes_pro: int = Field(2 * 1024 * 1024 * 1024, ge=0)
    dataset_upload_limit_bytes_premium: int = Field(16 * 1024 * 1024 * 1024, ge=0)
    # create the default platform datasets at start-up (once: a later start finds them and does nothing)
    dataset_platform_defaults: bool = True

    # --- jobs and workers ---

    # worker processes the service starts itself (stopped with it); 0 when workers run separately
    # (`python -m services.trainer worker`, on any machine that reaches the database)
    embedded_workers: int = Field(1, ge=0, le=64)
    # a worker holds its job under a lease it renews every heartbeat; a job whose lease expired
    # (its worker died) is taken over by another worker
    job_lease_seconds: float = Field(30.0, gt=0.0, le=3600.0)
    job_heartbeat_seconds: float = Field(5.0, gt=0.0, le=600.0)
    # how often an idle worker looks for work when no notification woke it
    job_poll_seconds: float = Field(5.0, gt=0.0, le=600.0)
    # retry backoff after a temporary failure: base × 2^(attempt − 1), at most the maximum
    job_retry_base_seconds: float = Field(5.0, ge=0.0, le=3600.0)
    job_retry_max_seconds: float = Field(300.0, ge=0.0, le=86400.0)
    # how long a cancelled job's process may take to stop by itself before it is killed
    job_cancel_grace_seconds: float = Field(0.5, ge=0.0, le=60.0)
    # more runners, or other runners for a kind: {"<JobKind number>": "package.module:function"}
    # (ALPHINTRA_TRAINER__EXTRA_RUNNERS='{"1": "my.runners:backtest"}'); tests use it for
    # controllable jobs
    extra_runners: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Self:
        if self.job_heartbeat_seconds >= self.job_lease_seconds:
            raise ValueError("job_heartbeat_seconds must be shorter than job_lease_seconds")
        return self

    # --- experiments, the registry and MODEL mode ---
    # Redis pub/sub channel of alias changes (payload: services/trainer/registry/events.py)
    registry_alias_channel: str = "alphintra.registry.aliases"
    # how often the retraining scheduler looks for due schedules (every trainer runs one; a row lock
    # makes sure a due schedule is enqueued once)
    retraining_scheduler_seconds: float = Field(30.0, gt=0.0, le=3600.0)
