from typing import ClassVar

from services.mesh.settings import ServiceSettings


class PredictorSettings(ServiceSettings):
    """The predictor service's settings (`ALPHINTRA_PREDICTOR__*`)."""

    service_name: ClassVar[str] = "predictor"
