from pathlib import Path
from typing import ClassVar

from services.mesh.settings import ServiceSettings


class TrainerSettings(ServiceSettings):
    """The trainer service's settings (`ALPHINTRA_TRAINER__*`)."""

    service_name: ClassVar[str] = "trainer"

    # the content-addressed store of dataset files, ONNX models and reports (shared with the predictor)
    artifacts_root: Path = Path(".run/artifacts")
    # the workflow service, for MODEL mode (reading workflows, saving optimised versions)
    workflow_address: str | None = None

    # --- datasets ---

    # --- jobs and workers ---

    # --- experiments, the registry and MODEL mode ---
