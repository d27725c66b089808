"""The workflow service and the trainer, each a real server, calling each other over gRPC: a
STRATEGY execution on a stored dataset runs on the trainer; MODEL mode starts a trainer job that
compiles the workflow through the workflow service and is followed by GetExecution."""

from __future__ import annotations

import asyncio

import grpc
import pytest

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
