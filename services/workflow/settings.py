from typing import ClassVar

from services.mesh.settings import ServiceSettings


class WorkflowSettings(ServiceSettings):
    """The no-code workflow service's settings (`ALPHINTRA_WORKFLOW__*`)."""

    service_name: ClassVar[str] = "workflow"
