"""Wiring of the signal bus service.

The generated base servicers answer UNIMPLEMENTED for every RPC whose behaviour has not
landed yet (signals, bars, webhooks and paper trading: the signal-bus issue); handlers
replace them as it does.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.signalbus.v1 import (
    paper_trading_service_pb2,
    paper_trading_service_pb2_grpc,
    signal_bus_service_pb2,
    signal_bus_service_pb2_grpc,
    webhook_service_pb2,
    webhook_service_pb2_grpc,
)
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.signal_bus.settings import SignalBusSettings


async def build(_resources: Resources) -> Sequence[Registration]:
    return [
        Registration.of(
            signal_bus_service_pb2,
            signal_bus_service_pb2_grpc,
            "SignalBusService",
            signal_bus_service_pb2_grpc.SignalBusServiceServicer(),
        ),
        Registration.of(
            webhook_service_pb2,
            webhook_service_pb2_grpc,
            "WebhookService",
            webhook_service_pb2_grpc.WebhookServiceServicer(),
        ),
        Registration.of(
            paper_trading_service_pb2,
            paper_trading_service_pb2_grpc,
            "PaperTradingService",
            paper_trading_service_pb2_grpc.PaperTradingServiceServicer(),
        ),
    ]


DEFINITION = ServiceDefinition(
    name="signal_bus",
    settings_type=SignalBusSettings,
    build=build,
    schema="signal_bus",
    migrations=Path(__file__).parent / "sql",
    needs_redis=True,
)
