from typing import ClassVar

from services.mesh.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    """The no-code workflow service's settings (`ALPHINTRA_WORKFLOW__*`)."""

    service_name: ClassVar[str] = "workflow"

    # the trainer (host:port): backtests on stored datasets and MODEL mode run there
    trainer_address: str | None = None
