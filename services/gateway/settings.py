from typing import ClassVar

from services.mesh.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The identity service's settings (`ALPHINTRA_GATEWAY__*`)."""

    service_name: ClassVar[str] = "gateway"
