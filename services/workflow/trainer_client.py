"""The workflow service's calls to the trainer, over gRPC (it never imports the trainer).

Executions on a stored dataset run as the trainer's synchronous `RunBacktest`; MODEL mode starts a
trainer job with `CreateJobFromWorkflow` (the trainer compiles the workflow through this service,
with the caller's identity, so ownership is checked once, here); a trace on a stored dataset reads
its bars with `ReadDatasetBars` (the trainer decides whether the caller may read the dataset).
The caller's identity, request id and trace context ride along on every call (`mesh_channel`).
Errors come back as the taxonomy: the trainer's INVALID_ARGUMENT naming a field is the caller's
answer.
"""

from __future__ import annotations

import grpc

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from alphintra.trainer.v1 import (
    backtest_service_pb2,
    backtest_service_pb2_grpc,
    dataset_service_pb2,
    dataset_service_pb2_grpc,
    training_service_pb2,
    training_service_pb2_grpc,
)
from services.core.errors import Unavailable
from services.mesh.clients import mesh_channel
from services.mesh.peer_errors import raise_from_peer

PEER = "trainer"


class TrainerClient:
    def __init__(self, address: str | None, *, timeout_seconds: float = 600.0) -> None:
        self._address = address
        self._timeout = timeout_seconds
        self._channel: grpc.aio.Channel | None = None

    def _open(self) -> grpc.aio.Channel:
        if not self._address:
            raise Unavailable("the trainer service is not configured (ALPHINTRA_WORKFLOW__TRAINER_ADDRESS)")
        if self._channel is None:
            self._channel = mesh_channel(self._address)
        return self._channel

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def run_backtest(
        self,
        spec: strategy_spec_pb2.StrategySpec,
        config: backtest_pb2.BacktestConfig,
        *,
        dataset_id: str = "",
        bars: bar_pb2.BarSeries | None = None,
    ) -> backtest_service_pb2.RunBacktestResponse:
        request = backtest_service_pb2.RunBacktestRequest(spec=spec, config=config)
        if bars is not None:
            request.bars.CopyFrom(bars)
        else:
            request.dataset_id = dataset_id
        stub = backtest_service_pb2_grpc.BacktestServiceStub(self._open())
        try:
            return await stub.RunBacktest(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)

    async def read_bars(
        self,
        dataset_id: str,
        symbol: str,
        *,
        start_ns: int | None = None,
        end_ns: int | None = None,
        max_bars: int = 0,
    ) -> list[bar_pb2.Bar]:
        """One symbol's bars of a dataset opening in [start_ns, end_ns), the first `max_bars` (0: all)."""
        request = dataset_service_pb2.ReadDatasetBarsRequest(
            dataset_id=dataset_id, symbol=symbol, max_bars=max_bars
        )
        if start_ns is not None:
            request.start_time.FromNanoseconds(start_ns)
        if end_ns is not None:
            request.end_time.FromNanoseconds(end_ns)
        stub = dataset_service_pb2_grpc.DatasetServiceStub(self._open())
        bars: list[bar_pb2.Bar] = []
        try:
            async for reply in stub.ReadDatasetBars(request, timeout=self._timeout):
                bars.extend(reply.bars)
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
        return bars

    async def start_job(
        self, workflow_id: str, workflow_version: int, job: training_service_pb2.Job, request_id: str
    ) -> training_service_pb2.Job:
        request = training_service_pb2.CreateJobFromWorkflowRequest(
            workflow_id=workflow_id, workflow_version=workflow_version, job=job, request_id=request_id
        )
        stub = training_service_pb2_grpc.TrainingServiceStub(self._open())
        try:
            return (await stub.CreateJobFromWorkflow(request, timeout=30.0)).job
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)

    async def get_job(self, job_id: str) -> training_service_pb2.Job:
        stub = training_service_pb2_grpc.TrainingServiceStub(self._open())
        try:
            return (await stub.GetJob(training_service_pb2.GetJobRequest(job_id=job_id), timeout=30.0)).job
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
