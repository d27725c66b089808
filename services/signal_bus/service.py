"""Wiring of the signal bus service.

`build` opens the log engine, starts the bus's tasks and returns the servicers. The two
subscription methods are registered with an identity response serializer: their handlers send
batches already encoded from shared per-record bytes (`wire.py`). Paper trading runs on the
same log and fanouts (`paper/`), its consumer stopped before the runtime closes.

The runtime has its own connections and tasks; `build` registers its `close` with the shared
runtime, which calls it between stopping the gRPC server and closing the shared pools.
"""

from collections.abc import Sequence
from pathlib import Path

import grpc

from alphintra.signalbus.v1 import (
    paper_trading_service_pb2,
    paper_trading_service_pb2_grpc,
    signal_bus_service_pb2,
    signal_bus_service_pb2_grpc,
    webhook_service_pb2,
    webhook_service_pb2_grpc,
)
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.signal_bus.handlers import SignalBusHandlers
from services.signal_bus.paper.wiring import start_paper_trading
from services.signal_bus.runtime import BusRuntime, open_log
from services.signal_bus.settings import SignalBusSettings
from services.signal_bus.webhook_handlers import WebhookHandlers
from services.signal_bus.wire import identity

SIGNAL_BUS_SERVICE = "alphintra.signalbus.v1.SignalBusService"
PRE_ENCODED_METHODS = ("Subscribe", "SubscribeBars")


class _HandlerCapture:
    """Stands in for a server to collect the method handlers a generated add_* function registers."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, _handlers: object) -> None:
        pass

    def add_registered_method_handlers(self, _name: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        self.handlers = dict(handlers)


def add_signal_bus_to_server(servicer: SignalBusHandlers, server: grpc.aio.Server) -> None:
    """The generated registration, with the pre-encoded methods' serializer replaced by identity."""
    capture = _HandlerCapture()
    signal_bus_service_pb2_grpc.add_SignalBusServiceServicer_to_server(servicer, capture)
    handlers = capture.handlers
    for method in PRE_ENCODED_METHODS:
        generated = handlers[method]
        handlers[method] = grpc.unary_stream_rpc_method_handler(
            generated.unary_stream,
            request_deserializer=generated.request_deserializer,
            response_serializer=identity,
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SIGNAL_BUS_SERVICE, handlers),))
    server.add_registered_method_handlers(SIGNAL_BUS_SERVICE, handlers)


async def build(resources: Resources) -> Sequence[Registration]:
    settings = resources.settings
    assert isinstance(settings, SignalBusSettings)
    assert resources.database is not None  # the definition asks for a schema
    runtime = BusRuntime(settings, open_log(settings), resources.database, resources.clock)
    await runtime.start()
    resources.on_close(runtime.close)
    handlers = SignalBusHandlers(runtime.signals, runtime.bars, runtime.history)
    paper = start_paper_trading(runtime, resources.database, settings, resources.clock)
    resources.on_close(paper.close)  # closers run newest first: the consumer stops before the runtime
    return [
        Registration(
            add_to_server=add_signal_bus_to_server,
            servicer=handlers,
            full_name=signal_bus_service_pb2.DESCRIPTOR.services_by_name["SignalBusService"].full_name,
        ),
        Registration.of(
            webhook_service_pb2, webhook_service_pb2_grpc, "WebhookService", WebhookHandlers(runtime.webhooks)
        ),
        Registration.of(
            paper_trading_service_pb2,
            paper_trading_service_pb2_grpc,
            "PaperTradingService",
            paper.handlers,
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
