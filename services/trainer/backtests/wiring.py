"""Wiring of the trainer's backtests: answers UNIMPLEMENTED until its handlers land."""

from alphintra.trainer.v1 import backtest_service_pb2, backtest_service_pb2_grpc
from services.mesh.server import Registration, Resources


async def registrations(_resources: Resources) -> list[Registration]:
    return [
        Registration.of(
            backtest_service_pb2,
            backtest_service_pb2_grpc,
            "BacktestService",
            backtest_service_pb2_grpc.BacktestServiceServicer(),
        )
    ]
