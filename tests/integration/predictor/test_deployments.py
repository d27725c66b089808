"""Live deployments end to end: a workflow's model in the registry, bars through the real signal bus,
signals back on the bus, a predictor restart in the middle — and training/serving parity, bar for bar.

The model is trained here the way the trainer trains (the workflow's compiled spec, `compute_features`
over the whole dataset, an ONNX export) and registered with the workflow in its lineage. The dataset's
bars are then published to the bus; the deployment publishes one signal per bar whose features are
complete, carrying the features and the score it computed. Those must equal the batch features and the
ONNX model's batch predictions on the same rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import grpc
import numpy as np
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.predictor.v1 import deployment_service_pb2_grpc
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import compile_graph, get_template
from services.mesh.identity import caller_metadata
from tests.integration.predictor.deployment_flow import (
    SYMBOL,
    bar_messages,
    compiled_workflow,
    create_deployment,
    processed,
    processed_through,
    publish_bars,
    signals_of,
    stop_deployment,
    train,
)
from tests.integration.predictor.mesh_services import (
    ALICE,
    BOB,
    channel_to,
    onnx_probabilities,
    register_version,
    running_peers,
    running_predictor,
    set_alias,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

MODEL = "sma-model"
BAR_COUNT = 160


async def test_a_deployment_replays_a_dataset_with_batch_parity_across_a_restart(
    database_url, redis_url, namespace, tmp_path: Path
) -> None:
    bars = synthetic_bars(BAR_COUNT, seed=11, start="2024-01-01", frequency="h")
    messages = bar_messages(bars)
    half = BAR_COUNT // 2
    async with running_peers(
        database_url, redis_url, namespace, tmp_path / "artifacts", bus=True, workflow=True
    ) as peers:
        workflow, spec = await compiled_workflow(peers.workflow, get_template("sma_crossover").graph, "sma")
        onnx_bytes, matrix, names = train(spec, bars)
        lineage = registry.ModelLineage(workflow_id=workflow.id, workflow_version=workflow.version)
        version = await register_version(peers.trainer, ALICE, MODEL, onnx_bytes, names, lineage=lineage)
        await set_alias(peers.trainer, ALICE, MODEL, "production", version)
        environment = peers.predictor_environment()
        request = deployments.Deployment(
            display_name="parity",
            model=deployments.ModelReference(model_name=MODEL, alias="production"),
            symbols=[SYMBOL],
            timeframe=bar_pb2.TIMEFRAME_1_HOUR,
            thresholds=deployments.SignalThresholds(
                buy_threshold=0.5, sell_threshold=0.4999, publish_hold=True
            ),
            risk=deployments.DeploymentRisk(stop_loss_fraction=0.02, take_profit_fraction=0.04),
        )
        async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
            stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
            created = (
                await stub.CreateDeployment(
                    deployments.CreateDeploymentRequest(deployment=request, request_id="parity-1"),
                    metadata=caller_metadata(ALICE),
                )
            ).deployment
            replayed = (
                await stub.CreateDeployment(
                    deployments.CreateDeploymentRequest(deployment=request, request_id="parity-1"),
                    metadata=caller_metadata(ALICE),
                )
            ).deployment
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await stub.GetDeployment(
                    deployments.GetDeploymentRequest(deployment_id=created.id), metadata=caller_metadata(BOB)
                )
            await publish_bars(peers.bus, messages[:half])
            await processed(stub, created.id, half)

        # a new predictor process on the same database and Redis: the deployment comes back by itself
        async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
            stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
            await publish_bars(peers.bus, messages[half:])
            final = await processed_through(stub, created.id, messages[-1])
            latest = await stub.GetLatestFeatures(
                deployments.GetLatestFeaturesRequest(deployment_id=created.id),
                metadata=caller_metadata(ALICE),
            )
            stopped = (
                await stub.StopDeployment(
                    deployments.StopDeploymentRequest(deployment_id=created.id),
                    metadata=caller_metadata(ALICE),
                )
            ).deployment
        signals = await signals_of(peers.bus, f"deployments/{created.id}")

    assert created.state == deployments.DEPLOYMENT_STATE_RUNNING
    assert replayed.id == created.id
    assert hidden.value.code() is grpc.StatusCode.NOT_FOUND
    assert final.statistics.bars_processed == BAR_COUNT
    assert final.statistics.bars_failed == 0
    assert stopped.state == deployments.DEPLOYMENT_STATE_STOPPED

    # one signal per bar whose features are complete, in both predictor lives
    complete = np.flatnonzero(~np.isnan(matrix).any(axis=1))
    times = [datetime.fromisoformat(signal.metadata["bar_time"]) for signal in signals]
    expected_times = [messages[index].time.ToDatetime(tzinfo=UTC) for index in complete]
    assert times == expected_times
    assert any(index >= half for index in complete)
    live_features = np.array(
        [[float(value) for value in json.loads(signal.metadata["features"])] for signal in signals]
    )
    np.testing.assert_array_equal(live_features, matrix[complete])
    batch_scores = onnx_probabilities(onnx_bytes, matrix[complete])[:, -1]
    live_scores = np.array([float(signal.metadata["score"]) for signal in signals])
    np.testing.assert_allclose(live_scores, batch_scores, rtol=0, atol=1e-7)
    for signal, score in zip(signals, live_scores, strict=True):
        assert signal.action == (1 if score >= 0.5 else 2 if score <= 0.4999 else 3)
        if signal.action == 1:
            assert signal.stop_loss < signal.take_profit
    assert final.statistics.signals_published == len(signals)

    # the feature cache holds the last bar's vector
    (symbol_features,) = latest.symbols
    assert symbol_features.symbol == SYMBOL
    assert symbol_features.ready
    assert list(symbol_features.feature_names) == names
    np.testing.assert_array_equal(np.array(symbol_features.values), matrix[-1])


async def test_a_predictor_stopped_in_the_middle_of_a_batch_processes_and_counts_every_bar_once(
    database_url, redis_url, namespace, tmp_path: Path
) -> None:
    """The bus hands the deployment its backlog in batches (of 100): the predictor stops while one is in
    progress, and the next one resumes after the last bar the first one checkpointed."""
    count = 400
    bars = synthetic_bars(count, seed=5, start="2024-02-01", frequency="h")
    messages = bar_messages(bars)
    async with running_peers(
        database_url, redis_url, namespace, tmp_path / "artifacts", bus=True, workflow=True
    ) as peers:
        workflow, spec = await compiled_workflow(peers.workflow, get_template("sma_crossover").graph, "sma")
        onnx_bytes, matrix, names = train(spec, bars)
        lineage = registry.ModelLineage(workflow_id=workflow.id, workflow_version=workflow.version)
        version = await register_version(peers.trainer, ALICE, MODEL, onnx_bytes, names, lineage=lineage)
        environment = peers.predictor_environment()
        request = deployments.Deployment(
            model=deployments.ModelReference(model_name=MODEL, version=version),
            symbols=[SYMBOL],
            timeframe=bar_pb2.TIMEFRAME_1_HOUR,
            thresholds=deployments.SignalThresholds(buy_threshold=0.6, sell_threshold=0.4, publish_hold=True),
        )
        async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
            stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
            created = await create_deployment(stub, request)
            await publish_bars(peers.bus, messages)
            interrupted = await processed(stub, created.id, 150)
        async with running_predictor(environment) as predictor, channel_to(predictor) as channel:
            stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
            await processed_through(stub, created.id, messages[-1])
            stopped = await stop_deployment(stub, created.id)
        signals = await signals_of(peers.bus, f"deployments/{created.id}")

    assert interrupted.statistics.bars_processed < count
    assert stopped.statistics.bars_processed == count
    assert stopped.statistics.bars_failed == 0
    complete = np.flatnonzero(~np.isnan(matrix).any(axis=1))
    times = [datetime.fromisoformat(signal.metadata["bar_time"]) for signal in signals]
    assert times == [messages[index].time.ToDatetime(tzinfo=UTC) for index in complete]
    assert stopped.statistics.signals_published == len(signals)


async def test_bad_requests_change_nothing(database_url, redis_url, namespace, tmp_path: Path) -> None:
    async with running_peers(database_url, redis_url, namespace, tmp_path / "artifacts", bus=True) as peers:
        spec = compile_graph(get_template("sma_crossover").graph)
        onnx_bytes, _, names = train(spec, synthetic_bars(120, seed=2, frequency="h"))
        plain = await register_version(peers.trainer, ALICE, "no-lineage", onnx_bytes, names)
        await set_alias(peers.trainer, ALICE, "no-lineage", "production", plain)
        async with (
            running_predictor(peers.predictor_environment()) as predictor,
            channel_to(predictor) as channel,
        ):
            stub = deployment_service_pb2_grpc.DeploymentServiceStub(channel)
            invalid = deployments.Deployment(
                model=deployments.ModelReference(model_name=MODEL),
                thresholds=deployments.SignalThresholds(buy_threshold=0.4, sell_threshold=0.6),
            )
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await stub.CreateDeployment(
                    deployments.CreateDeploymentRequest(deployment=invalid), metadata=caller_metadata(ALICE)
                )
            base = deployments.Deployment(symbols=[SYMBOL], timeframe=bar_pb2.TIMEFRAME_1_HOUR)
            missing, without_lineage = deployments.Deployment(), deployments.Deployment()
            missing.CopyFrom(base)
            missing.model.model_name = "nobody-has-this"
            without_lineage.CopyFrom(base)
            without_lineage.model.model_name = "no-lineage"
            outcomes = []
            for deployment in (missing, without_lineage):
                with pytest.raises(grpc.aio.AioRpcError) as raised:
                    await stub.CreateDeployment(
                        deployments.CreateDeploymentRequest(deployment=deployment),
                        metadata=caller_metadata(ALICE),
                    )
                outcomes.append(raised.value.code())
            listed = await stub.ListDeployments(
                deployments.ListDeploymentsRequest(), metadata=caller_metadata(ALICE)
            )

    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "deployment.symbols" in str(bad.value.trailing_metadata())
    assert outcomes == [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION]
    assert list(listed.deployments) == []
