from typing import ClassVar

from services.mesh.settings import ServiceSettings


class SignalBusSettings(ServiceSettings):
    """The signal bus service's settings (`ALPHINTRA_SIGNAL_BUS__*`)."""

    service_name: ClassVar[str] = "signal_bus"
