"""The moves of the deployment tests: a workflow compiled by the workflow service, bars published to the
real signal bus, a deployment created and waited for, its signals read back from the bus's history.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from redis.asyncio import Redis
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.predictor.v1 import deployment_service_pb2_grpc
from alphintra.signalbus.v1 import signal_bus_service_pb2 as bus
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, signal_pb2
from alphintra.workflow.v1 import workflow_pb2, workflow_service_pb2, workflow_service_pb2_grpc
from services.core.features import compute_features, feature_columns
from services.mesh.identity import caller_metadata
from services.mesh.server import RunningService
from services.predictor.feature_cache import FeatureCache
from tests.integration.predictor.mesh_services import ALICE, channel_to, running_predictor

SYMBOL = "BTC-USD"


def bar_messages(
    bars, *, symbol: str = SYMBOL, timeframe: int = bar_pb2.TIMEFRAME_1_HOUR
) -> list[bar_pb2.Bar]:
    found = []
    for index in range(len(bars)):
        message = bar_pb2.Bar(
            symbol=symbol,
            timeframe=timeframe,
            open=float(bars.open[index]),
            high=float(bars.high[index]),
            low=float(bars.low[index]),
            close=float(bars.close[index]),
            volume=float(bars.volume[index]),
        )
        message.time.FromNanoseconds(int(bars.timestamps[index]))
        found.append(message)
    return found


async def publish_bars(bus_service: RunningService, messages: list[bar_pb2.Bar]) -> None:
    async with channel_to(bus_service) as channel:
        stub = signal_bus_service_pb2_grpc.SignalBusServiceStub(channel)
        requests = [bus.PublishBarsRequest(bar=message) for message in messages]
        acknowledgements = [
            answer async for answer in stub.PublishBars(iter(requests), metadata=caller_metadata(ALICE))
        ]
    assert [answer.HasField("error") for answer in acknowledgements] == [False] * len(messages)


async def signals_of(bus_service: RunningService, strategy_id: str) -> list:
    """Every signal of the strategy in the bus's log (what was acknowledged), in log order: a subscription
    from the start of the log, read up to its first heartbeat (caught up). The PostgreSQL history
    (ListSignals) is written shortly after publishing, so it may still lack the latest signals."""
    request = bus.SubscribeRequest(filter=signal_pb2.SignalFilter(strategy_ids=[strategy_id]))
    request.from_time.FromDatetime(datetime(1970, 1, 1, tzinfo=UTC))
    found = []
    async with channel_to(bus_service) as channel:
        stub = signal_bus_service_pb2_grpc.SignalBusServiceStub(channel)
        call = stub.Subscribe(request, metadata=caller_metadata(ALICE))
        try:
            async for batch in call:
                if not batch.signals:
                    return found
                found += [record.signal for record in batch.signals]
        finally:
            call.cancel()
    raise AssertionError("the signal subscription ended before catching up")


async def processed(stub, deployment_id: str, count: int) -> deployments.Deployment:
    """The deployment once it has processed `count` bars (polled: how soon does not matter)."""
    return await _deployment_when(
        stub, deployment_id, lambda found: found.statistics.bars_processed >= count, f"{count} bars"
    )


async def processed_through(stub, deployment_id: str, last: bar_pb2.Bar) -> deployments.Deployment:
    """The deployment once it has processed the bar `last` (so its statistics count every bar up to it)."""
    return await _deployment_when(
        stub,
        deployment_id,
        lambda found: found.statistics.last_bar_time == last.time,
        f"the bar of {last.time}",
    )


async def _deployment_when(stub, deployment_id: str, condition, what: str) -> deployments.Deployment:
    for _ in range(600):
        answer = await stub.GetDeployment(
            deployments.GetDeploymentRequest(deployment_id=deployment_id), metadata=caller_metadata(ALICE)
        )
        if condition(answer.deployment):
            return answer.deployment
        await asyncio.sleep(0.05)
    raise AssertionError(f"the deployment did not process {what}: {answer.deployment.statistics}")


async def create_deployment(
    stub: deployment_service_pb2_grpc.DeploymentServiceStub,
    deployment: deployments.Deployment,
    request_id: str = "",
) -> deployments.Deployment:
    answer = await stub.CreateDeployment(
        deployments.CreateDeploymentRequest(deployment=deployment, request_id=request_id),
        metadata=caller_metadata(ALICE),
    )
    return answer.deployment


async def stop_deployment(
    stub: deployment_service_pb2_grpc.DeploymentServiceStub, deployment_id: str
) -> deployments.Deployment:
    answer = await stub.StopDeployment(
        deployments.StopDeploymentRequest(deployment_id=deployment_id), metadata=caller_metadata(ALICE)
    )
    return answer.deployment


@dataclass(frozen=True)
class RestartedRun:
    created: deployments.Deployment  # as CreateDeployment answered
    final: deployments.Deployment  # once the last bar was processed, in the second predictor
    latest: deployments.GetLatestFeaturesResponse
    stopped: deployments.Deployment
    signals: list  # every signal of the deployment in the bus's log


async def run_across_restart(
    peers,
    deployment: deployments.Deployment,
    messages: list[bar_pb2.Bar],
    request_id: str,
    *,
    lose_cache: bool = False,
) -> RestartedRun:
    """Deploy, publish the first half of `messages`, stop the predictor once they are processed, then
    a new predictor process on the same database and Redis (which restores the deployment by itself)
    gets the rest; its latest features, its stop and its signals as the bus has them.

    `lose_cache`: the deployment's cached state is deleted while no predictor runs, and the rest of
    the bars are published then, so the new predictor warms up from the topic's history with bars
    it has never processed among them."""
    environment = peers.predictor_environment()
    half = len(messages) // 2
    async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
        stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
        created = await create_deployment(stub, deployment, request_id=request_id)
        await publish_bars(peers.bus, messages[:half])
        await processed(stub, created.id, half)
    if lose_cache:
        redis = Redis.from_url(peers.redis_url)
        try:
            cache = FeatureCache(redis, peers.feature_cache_prefix, ttl_seconds=60)
            assert await cache.checkpoints(created.id), "the first predictor cached no state"
            await cache.forget_states(created.id)
        finally:
            await redis.aclose()
        await publish_bars(peers.bus, messages[half:])
    async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
        stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
        if not lose_cache:
            await publish_bars(peers.bus, messages[half:])
        final = await processed_through(stub, created.id, messages[-1])
        latest = await stub.GetLatestFeatures(
            deployments.GetLatestFeaturesRequest(deployment_id=created.id), metadata=caller_metadata(ALICE)
        )
        stopped = await stop_deployment(stub, created.id)
    signals = await signals_of(peers.bus, f"deployments/{created.id}")
    return RestartedRun(created, final, latest, stopped, signals)


async def compiled_workflow(
    workflow_service: RunningService, graph: workflow_pb2.WorkflowGraph, display_name: str
):
    """Alice's new workflow of `graph` and its spec, as the workflow service compiles it."""
    async with channel_to(workflow_service) as channel:
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)
        created = await stub.CreateWorkflow(
            workflow_service_pb2.CreateWorkflowRequest(
                workflow=workflow_pb2.Workflow(display_name=display_name, graph=graph)
            ),
            metadata=caller_metadata(ALICE),
        )
        workflow = created.workflow
        compiled = await stub.CompileWorkflow(
            workflow_service_pb2.CompileWorkflowRequest(workflow_id=workflow.id, version=workflow.version),
            metadata=caller_metadata(ALICE),
        )
    return workflow, compiled.spec


def rising_labels(bars, horizon: int = 1) -> np.ndarray:
    """1 where the close `horizon` bars later is higher (the last bars wrap around: labels only)."""
    return (np.roll(bars.close, -horizon) > bars.close).astype(np.int64)


def train(
    spec,
    bars,
    *,
    columns: list[str] | None = None,
    trees: int = 15,
    depth: int = 2,
    seed: int = 3,
    horizon: int = 1,
) -> tuple[bytes, np.ndarray, list[str]]:
    """A classifier on the spec's features (`columns`, in that order; all when None), trained as the
    trainer does; its ONNX bytes, the batch feature matrix and the column names."""
    matrix = compute_features(spec, bars, feature_columns(spec, columns or ()))
    complete = ~np.isnan(matrix.values).any(axis=1)
    rows = matrix.values[complete].astype(np.float32)
    model = GradientBoostingClassifier(n_estimators=trees, max_depth=depth, random_state=seed).fit(
        rows, rising_labels(bars, horizon)[complete]
    )
    onnx_bytes = to_onnx(model, rows[:1], options={"zipmap": False}, target_opset=17).SerializeToString()
    return onnx_bytes, matrix.values, list(matrix.names)
