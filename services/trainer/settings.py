from typing import ClassVar

from services.mesh.settings import ServiceSettings


class TrainerSettings(ServiceSettings):
    """The trainer service's settings (`ALPHINTRA_TRAINER__*`)."""

    service_name: ClassVar[str] = "trainer"
