"""The workflow service and the trainer, each a real server, calling each other over gRPC: a
STRATEGY execution on a stored dataset runs on the trainer; MODEL mode starts a trainer job that
compiles the workflow through the workflow service and is followed by GetExecution; a trace on a
stored dataset reads its bars from the trainer as the caller, and equals the trace on them inline."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2, training_pb2
from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from alphintra.workflow.v1 import execution_pb2, workflow_service_pb2_grpc
from alphintra.workflow.v1 import workflow_service_pb2 as messages
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.trainer.service import DEFINITION as TRAINER
from services.workflow.service import DEFINITION as WORKFLOW
from tests.helpers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALICE = caller_metadata(Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="premium"))
BOB = caller_metadata(Caller(user_id="bob", organization_id="acme", role=Role.TRADER, tier="premium"))


@pytest.fixture
async def mesh(database_url, redis_url, tmp_path):
    """Trainer (one embedded worker, the platform datasets) and workflow, wired to each other."""
    trainer_port, workflow_port = free_port(), free_port()
    trainer = await start_service(TRAINER, TRAINER.settings_type.load({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "ALPHINTRA_TRAINER__PORT": str(trainer_port),
        "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(tmp_path / "artifacts"),
        "ALPHINTRA_TRAINER__WORKFLOW_ADDRESS": f"127.0.0.1:{workflow_port}",
        "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "1",
    }))  # fmt: skip
    workflow = await start_service(WORKFLOW, WORKFLOW.settings_type.load({
        "DATABASE_URL": database_url,
        "ALPHINTRA_WORKFLOW__PORT": str(workflow_port),
        "ALPHINTRA_WORKFLOW__TRAINER_ADDRESS": f"127.0.0.1:{trainer_port}",
    }))  # fmt: skip
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{trainer_port}") as trainer_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{workflow_port}") as workflow_channel,
    ):
        yield (
            workflow_service_pb2_grpc.WorkflowServiceStub(workflow_channel),
            dataset_service_pb2_grpc.DatasetServiceStub(trainer_channel),
        )
    await workflow.stop(0)
    await trainer.stop(0)


async def _platform_dataset(datasets) -> str:
    reply = await datasets.ListDatasets(dataset_service_pb2.ListDatasetsRequest(page_size=50), metadata=ALICE)
    daily = [
        dataset for dataset in reply.datasets if dataset.platform and "daily" in dataset.display_name.lower()
    ]
    assert daily, [dataset.display_name for dataset in reply.datasets]
    return daily[0].id


async def _clone(workflows, template: str) -> str:
    reply = await workflows.CloneTemplate(messages.CloneTemplateRequest(template_id=template), metadata=ALICE)
    return reply.workflow.id


async def test_a_strategy_execution_on_a_stored_dataset_runs_on_the_trainer(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    workflow_id = await _clone(workflows, "sma_crossover")
    execution = (await workflows.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
        workflow_id=workflow_id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, dataset_id=dataset_id,
    ), metadata=ALICE)).execution  # fmt: skip
    assert execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED
    assert execution.dataset_id == dataset_id
    assert execution.data_content_hash.startswith("sha256:")
    assert execution.backtest_result.metrics.trade_count > 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await workflows.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=workflow_id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, dataset_id="no-such-dataset",
        ), metadata=ALICE)  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_walk_forward_on_a_stored_dataset_reads_the_graph_from_the_workflow(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    workflow_id = await _clone(workflows, "sma_crossover")
    config = backtest_pb2.BacktestConfig(methodology=backtest_pb2.METHODOLOGY_WALK_FORWARD)
    config.walk_forward.in_sample_bars = 400
    config.walk_forward.out_of_sample_bars = 200
    config.walk_forward.max_windows = 2
    execution = (await workflows.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
        workflow_id=workflow_id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, dataset_id=dataset_id,
        backtest_config=config,
    ), metadata=ALICE)).execution  # fmt: skip
    assert execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED
    assert len(execution.backtest_result.walk_forward_windows) == 2


async def test_model_mode_training_runs_as_a_trainer_job_and_the_execution_follows_it(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    workflow_id = await _clone(workflows, "rsi_mean_reversion")
    training = training_pb2.TrainingConfig(
        model_family=training_pb2.MODEL_FAMILY_LOGISTIC_REGRESSION,
        label=training_pb2.LabelDefinition(forward_return=training_pb2.ForwardReturnLabel(), horizon_bars=5),
        split=training_pb2.DataSplit(
            train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2, gap_bars=5
        ),
        seed=3,
        model_name="rsi-logit",
        signal_threshold=0.55,
    )
    started = (await workflows.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
        workflow_id=workflow_id, mode=execution_pb2.EXECUTION_MODE_MODEL, dataset_id=dataset_id,
        model_config=execution_pb2.ModelModeConfig(training=training),
    ), metadata=ALICE)).execution  # fmt: skip
    assert started.state == execution_pb2.EXECUTION_STATE_QUEUED
    assert started.job_id
    request = messages.GetExecutionRequest(workflow_id=workflow_id, execution_id=started.id)
    for _ in range(240):
        execution = (await workflows.GetExecution(request, metadata=ALICE)).execution
        if execution.state not in (
            execution_pb2.EXECUTION_STATE_QUEUED,
            execution_pb2.EXECUTION_STATE_RUNNING,
        ):
            break
        await asyncio.sleep(0.5)
    assert execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED, execution.error
    assert execution.training_result.model_name == "rsi-logit"
    assert execution.training_result.onnx_parity_max_error <= 1e-5
    # Bob sees neither the execution nor the job behind it
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await workflows.GetExecution(request, metadata=BOB)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def _all_bars(datasets, dataset_id: str) -> bar_pb2.BarSeries:
    request = dataset_service_pb2.ReadDatasetBarsRequest(dataset_id=dataset_id)
    series = bar_pb2.BarSeries()
    async for reply in datasets.ReadDatasetBars(request, metadata=ALICE):
        series.bars.extend(reply.bars)
    return series


def _violated_fields(error: grpc.aio.AioRpcError) -> set[str]:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad_request = error_details_pb2.BadRequest()
                    detail.Unpack(bad_request)
                    return {violation.field for violation in bad_request.field_violations}
    return set()


async def test_a_trace_on_a_stored_dataset_equals_the_trace_on_its_bars_sent_inline(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    series = await _all_bars(datasets, dataset_id)
    count = len(series.bars)
    assert count > 1_000
    windows = [
        {"max_bars": 50},  # from the end of the warm-up
        {"start_time": series.bars[700].time, "max_bars": 120},
        {"start_time": timestamp_pb2.Timestamp(seconds=series.bars[900].time.seconds - 1)},  # between bars
        {"start_time": series.bars[count - 30].time, "max_bars": 30},  # up to the last bar
        {"start_time": series.bars[count - 31].time, "max_bars": 30},  # one bar short of it
        {"start_time": series.bars[0].time, "max_bars": 2_000},  # before the warm-up ends
    ]
    for template, config in (
        ("sma_crossover", backtest_pb2.BacktestConfig()),
        ("rsi_mean_reversion", backtest_pb2.BacktestConfig(allow_short=True)),
        ("macd_adx_trend", backtest_pb2.BacktestConfig(fill_timing=backtest_pb2.FILL_TIMING_THIS_CLOSE)),
    ):
        workflow_id = await _clone(workflows, template)
        for window in windows:
            common = {"workflow_id": workflow_id, "backtest_config": config, **window}
            stored = await workflows.TraceStrategy(
                messages.TraceStrategyRequest(dataset_id=dataset_id, **common), metadata=ALICE
            )
            inline = await workflows.TraceStrategy(
                messages.TraceStrategyRequest(bars=series, **common), metadata=ALICE
            )
            assert stored.bars, (template, window)
            assert stored == inline, (template, window)
    # the last window starts at the first bar and holds every bar: nothing after it
    assert [stored.truncated, stored.bars[0].bar_index, len(stored.bars)] == [False, 0, count]


async def test_the_truncation_and_the_symbol_of_a_stored_trace(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    series = await _all_bars(datasets, dataset_id)
    workflow_id = await _clone(workflows, "sma_crossover")

    async def trace(**fields) -> messages.TraceStrategyResponse:
        request = messages.TraceStrategyRequest(workflow_id=workflow_id, dataset_id=dataset_id, **fields)
        return await workflows.TraceStrategy(request, metadata=ALICE)

    end = await trace(start_time=series.bars[-30].time, max_bars=30)
    assert [len(end.bars), end.truncated] == [30, False]
    short = await trace(start_time=series.bars[-31].time, max_bars=30)
    assert [len(short.bars), short.truncated] == [30, True]
    named = await trace(start_time=series.bars[-31].time, max_bars=30, symbol=series.bars[0].symbol)
    assert named == short


async def test_a_trace_on_another_users_dataset_is_not_found_and_stores_nothing(mesh):
    workflows, datasets = mesh
    generated = await datasets.GeneratePlatformDataset(dataset_service_pb2.GeneratePlatformDatasetRequest(
        spec=dataset_service_pb2.SyntheticDatasetSpec(seed=4, bar_count=300, symbol="ALC"),
        display_name="Alice's bars",
    ), metadata=ALICE)  # fmt: skip
    alices = generated.dataset.id
    workflow_id = (
        await workflows.CloneTemplate(
            messages.CloneTemplateRequest(template_id="sma_crossover"), metadata=BOB
        )
    ).workflow.id
    graph = (
        await workflows.GetWorkflow(messages.GetWorkflowRequest(workflow_id=workflow_id), metadata=BOB)
    ).workflow.graph
    # Alice traces her bars (with the same graph, inline: Bob's workflow is his)
    own = messages.TraceStrategyRequest(graph=graph, dataset_id=alices, max_bars=20)
    assert len((await workflows.TraceStrategy(own, metadata=ALICE)).bars) == 20
    # Bob is told NOT_FOUND, through his own workflow or the graph inline
    for request in (
        messages.TraceStrategyRequest(workflow_id=workflow_id, dataset_id=alices, max_bars=20),
        own,
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await workflows.TraceStrategy(request, metadata=BOB)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert "datasets/" in (caught.value.details() or "")
    executions = await workflows.ListExecutions(messages.ListExecutionsRequest(workflow_id="-"), metadata=BOB)
    assert not executions.executions
    bobs = await datasets.ListDatasets(
        dataset_service_pb2.ListDatasetsRequest(scope=dataset_service_pb2.DATASET_SCOPE_OWN), metadata=BOB
    )
    assert not bobs.datasets


async def test_bad_trace_requests_on_a_stored_dataset_name_their_field(mesh):
    workflows, datasets = mesh
    dataset_id = await _platform_dataset(datasets)
    workflow_id = await _clone(workflows, "sma_crossover")
    cases = [
        ({"dataset_id": dataset_id, "symbol": "NOPE"}, {"symbol"}),
        ({}, {"data"}),  # no bars, no dataset, none in the graph's data source node
        ({"dataset_id": dataset_id, "max_bars": 2_001}, {"max_bars"}),
        (
            {"dataset_id": dataset_id, "start_time": timestamp_pb2.Timestamp(seconds=4_000_000_000)},
            {"start_time"},
        ),
        ({"dataset_id": dataset_id, "start_time": timestamp_pb2.Timestamp(seconds=2**62)}, {"start_time"}),
    ]
    for fields, violated in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await workflows.TraceStrategy(
                messages.TraceStrategyRequest(workflow_id=workflow_id, **fields), metadata=ALICE
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, fields
        assert _violated_fields(caught.value) == violated, fields
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await workflows.TraceStrategy(
            messages.TraceStrategyRequest(workflow_id=workflow_id, dataset_id="no-such-dataset"),
            metadata=ALICE,
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
