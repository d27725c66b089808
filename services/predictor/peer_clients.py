"""The predictor's calls to the signal bus (bars in, signals out) and to the workflow service (specs).

Deployments act for their owner: every call carries the owner's identity, so the bus stores the
signals as the owner's and the workflow service compiles only the owner's workflows. Errors come
back as the taxonomy (`raise_from_peer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import grpc

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_bus_service_pb2, signal_bus_service_pb2_grpc, signal_pb2
from alphintra.strategy.v1 import strategy_spec_pb2
from alphintra.workflow.v1 import workflow_service_pb2, workflow_service_pb2_grpc
from services.core.errors import Unavailable
from services.mesh.clients import mesh_channel
from services.mesh.peer_errors import raise_from_peer
from services.predictor.registry_client import owner_metadata


class PeerChannel:
    """One lazily opened channel to a configured peer."""

    def __init__(self, peer: str, address: str | None, setting: str) -> None:
        self.peer = peer
        self._address = address
        self._setting = setting
        self._channel: grpc.aio.Channel | None = None

    @property
    def configured(self) -> bool:
        return bool(self._address)

    def open(self) -> grpc.aio.Channel:
        if not self._address:
            raise Unavailable(f"the {self.peer} service is not configured ({self._setting})")
        if self._channel is None:
            self._channel = mesh_channel(self._address)
        return self._channel

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


class SignalBusClient:
    def __init__(self, address: str | None, *, timeout_seconds: float = 30.0) -> None:
        self.channel = PeerChannel("signal bus", address, "ALPHINTRA_PREDICTOR__SIGNAL_BUS_ADDRESS")
        self._timeout = timeout_seconds

    def _stub(self) -> signal_bus_service_pb2_grpc.SignalBusServiceStub:
        return signal_bus_service_pb2_grpc.SignalBusServiceStub(self.channel.open())

    async def bars(
        self,
        owner_id: str,
        symbols: list[str],
        timeframe: bar_pb2.Timeframe,
        *,
        from_offset: str = "",
        from_time: datetime | None = None,
    ) -> AsyncIterator[signal_bus_service_pb2.SubscribeBarsResponse]:
        """Batches of bars in time order, then live; an empty batch is a heartbeat (caught up)."""
        request = signal_bus_service_pb2.SubscribeBarsRequest(symbols=symbols, timeframe=timeframe)
        if from_offset:
            request.from_offset = from_offset
        elif from_time is not None:
            request.from_time.FromDatetime(from_time)
        call = self._stub().SubscribeBars(request, metadata=owner_metadata(owner_id))
        try:
            async for batch in call:
                yield batch
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, self.channel.peer)
        finally:
            call.cancel()

    async def publish(
        self, owner_id: str, signal: signal_pb2.Signal
    ) -> signal_bus_service_pb2.PublishSignalResponse:
        request = signal_bus_service_pb2.PublishSignalRequest(signal=signal)
        try:
            return await self._stub().PublishSignal(
                request, metadata=owner_metadata(owner_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, self.channel.peer)


class WorkflowClient:
    def __init__(self, address: str | None, *, timeout_seconds: float = 30.0) -> None:
        self.channel = PeerChannel("workflow", address, "ALPHINTRA_PREDICTOR__WORKFLOW_ADDRESS")
        self._timeout = timeout_seconds

    async def compile(self, owner_id: str, workflow_id: str, version: int) -> strategy_spec_pb2.StrategySpec:
        """The spec of the owner's workflow at `version` (the one a model was trained on)."""
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(self.channel.open())
        request = workflow_service_pb2.CompileWorkflowRequest(workflow_id=workflow_id, version=version)
        try:
            response = await stub.CompileWorkflow(
                request, metadata=owner_metadata(owner_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, self.channel.peer)
        return response.spec
