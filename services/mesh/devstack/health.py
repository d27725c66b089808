"""grpc.health.v1 probes: a service is up when it says SERVING, not when its port opens."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROBE_TIMEOUT_SECONDS = 1.0


class HealthProbe:
    """Asks one server whether its overall health (service "") is SERVING."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._channel = grpc.insecure_channel(address)
        self._stub = health_pb2_grpc.HealthStub(self._channel)

    def is_serving(self) -> bool:
        try:
            response = self._stub.Check(
                health_pb2.HealthCheckRequest(service=""), timeout=PROBE_TIMEOUT_SECONDS
            )
        except grpc.RpcError:
            return False
        return response.status == health_pb2.HealthCheckResponse.SERVING

    def close(self) -> None:
        self._channel.close()
