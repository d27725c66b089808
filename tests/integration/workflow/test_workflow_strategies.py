"""The workflow service's strategy RPCs: catalog, validate, compile, execute, history, templates, trace."""

import ast
import itertools

import grpc
import pytest
from backtesting.test import GOOG
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2
from alphintra.workflow.v1 import execution_pb2, node_catalog_pb2, workflow_pb2
from alphintra.workflow.v1 import workflow_service_pb2 as messages
from services.core import strategy
from services.core.backtest import BacktestConfig
from services.core.backtest.inputs import Bars

pytestmark = pytest.mark.integration


def _series(frame=GOOG) -> bar_pb2.BarSeries:
    series = bar_pb2.BarSeries()
    for time, row in frame.iterrows():
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(time.to_pydatetime())
        series.bars.add(
            time=stamp, open=row.Open, high=row.High, low=row.Low, close=row.Close, volume=row.Volume
        )
    return series


@pytest.fixture(scope="module")
def goog_series():
    return _series()


async def _clone(stub, template_id="sma_crossover", request_id=""):
    request = messages.CloneTemplateRequest(template_id=template_id, request_id=request_id)
    return (await stub.CloneTemplate(request)).workflow


async def test_the_catalog_lists_every_category(as_alice):
    everything = await as_alice.ListNodeTypes(messages.ListNodeTypesRequest())
    categories = {node_type.category for node_type in everything.node_types}
    assert len(categories) == 6
    assert everything.catalog_version
    risk_only = await as_alice.ListNodeTypes(
        messages.ListNodeTypesRequest(category=node_catalog_pb2.NODE_CATEGORY_RISK)
    )
    assert [node_type.type for node_type in risk_only.node_types] == ["risk"]


async def test_templates_list_and_clone_into_the_callers_workspace(as_alice, as_bob):
    templates = (await as_alice.ListTemplates(messages.ListTemplatesRequest())).templates
    assert len(templates) >= 4
    clone = await _clone(as_alice, templates[0].id)
    assert clone.template_id == templates[0].id
    assert clone.owner_id == "alice"
    assert clone.graph == templates[0].graph
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _clone(as_alice, "no-such-template")
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (await as_bob.ListWorkflows(messages.ListWorkflowsRequest())).workflows


async def test_validate_reports_every_problem_with_its_node(as_alice):
    graph = workflow_pb2.WorkflowGraph(nodes=[workflow_pb2.Node(id="mystery", type="crystalBall")])
    reply = await as_alice.ValidateWorkflow(messages.ValidateWorkflowRequest(graph=graph))
    assert not reply.valid
    codes = {problem.code for problem in reply.problems}
    assert {"UNKNOWN_NODE_TYPE", "NO_DATA_SOURCE", "NO_ACTION"} <= codes
    assert any(problem.node_id == "mystery" for problem in reply.problems)
    stored = await _clone(as_alice)
    assert (await as_alice.ValidateWorkflow(messages.ValidateWorkflowRequest(workflow_id=stored.id))).valid


async def test_compile_returns_spec_and_code_and_refuses_invalid_graphs(as_alice):
    stored = await _clone(as_alice, "rsi_mean_reversion")
    compiled = await as_alice.CompileWorkflow(messages.CompileWorkflowRequest(workflow_id=stored.id))
    assert compiled.spec.workflow_id == stored.id
    assert compiled.spec.workflow_version == 1
    assert compiled.spec.content_hash
    ast.parse(compiled.python_code)
    broken = workflow_pb2.WorkflowGraph(nodes=[workflow_pb2.Node(id="n1", type="crystalBall")])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.CompileWorkflow(messages.CompileWorkflowRequest(graph=broken))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "n1" in str(caught.value.trailing_metadata())


async def test_execute_backtests_on_inline_bars_and_keeps_the_history(as_alice, goog_series):
    stored = await _clone(as_alice)
    config = backtest_pb2.BacktestConfig(initial_cash=10_000, commission_fraction=0.002, allow_short=True)
    request = messages.ExecuteWorkflowRequest(
        workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, bars=goog_series,
        backtest_config=config, request_id="run-1",
    )  # fmt: skip
    execution = (await as_alice.ExecuteWorkflow(request)).execution
    assert execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED
    result = execution.backtest_result
    expected = strategy.backtest(
        strategy.compile_graph(stored.graph), Bars.from_frame(GOOG),
        BacktestConfig(initial_cash=10_000, commission=0.002, allow_short=True),
    )  # fmt: skip
    assert result.metrics.total_return == pytest.approx(expected.metrics.total_return, rel=1e-12)
    assert result.trade_count == len(result.trades) == len(expected.trades)
    assert 0 < len(result.equity_curve) <= 2000
    assert result.config.fill_timing == backtest_pb2.FILL_TIMING_NEXT_OPEN

    again = (await as_alice.ExecuteWorkflow(request)).execution
    assert again.id == execution.id
    fetched = await as_alice.GetExecution(
        messages.GetExecutionRequest(workflow_id=stored.id, execution_id=execution.id)
    )
    assert fetched.execution == execution
    listed = (await as_alice.ListExecutions(messages.ListExecutionsRequest(workflow_id=stored.id))).executions
    assert [item.id for item in listed] == [execution.id]
    assert listed[0].backtest_result.metrics.total_return == result.metrics.total_return
    assert not listed[0].backtest_result.equity_curve
    everything = (await as_alice.ListExecutions(messages.ListExecutionsRequest(workflow_id="-"))).executions
    assert [item.id for item in everything] == [execution.id]


async def test_execute_with_a_window_and_monte_carlo(as_alice, goog_series):
    stored = await _clone(as_alice)
    start, end = timestamp_pb2.Timestamp(), timestamp_pb2.Timestamp()
    start.FromJsonString("2008-01-01T00:00:00Z")
    end.FromJsonString("2010-12-31T00:00:00Z")
    config = backtest_pb2.BacktestConfig(
        allow_short=True, start_time=start, end_time=end, methodology=backtest_pb2.METHODOLOGY_MONTE_CARLO,
        monte_carlo=backtest_pb2.MonteCarloSettings(simulations=200, seed=3), omit_trades=True,
    )  # fmt: skip
    request = messages.ExecuteWorkflowRequest(
        workflow_id=stored.id,
        mode=execution_pb2.EXECUTION_MODE_STRATEGY,
        bars=goog_series,
        backtest_config=config,
    )
    execution = (await as_alice.ExecuteWorkflow(request)).execution
    result = execution.backtest_result
    assert not result.trades
    assert result.trade_count > 0
    assert result.monte_carlo.simulations == 200
    assert result.monte_carlo.end_equity.percentiles
    assert 0 <= result.monte_carlo.probability_of_ruin <= 1
    first_traded = min(point.time.ToJsonString() for point in result.equity_curve if point.equity != 10_000)
    assert first_traded >= "2008-01-01"


async def test_bad_requests_are_refused_and_store_nothing(as_alice, as_bob, goog_series):
    stored = await _clone(as_alice)
    bad_config = backtest_pb2.BacktestConfig(commission_fraction=-0.1)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, bars=goog_series,
            backtest_config=bad_config,
        ))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "backtest_config.commission_fraction" in str(caught.value.trailing_metadata())
    few = bar_pb2.BarSeries(bars=goog_series.bars[:5])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, bars=few,
        ))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_MODEL, bars=goog_series
        ))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {"bars", "model_config"} <= _violated_fields(caught.value)
    # this fixture's workflow service has no trainer: a stored dataset cannot be reached
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, dataset_id="d1"
        ))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "TRAINER_ADDRESS" in caught.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_bob.ExecuteWorkflow(messages.ExecuteWorkflowRequest(
            workflow_id=stored.id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, bars=goog_series,
        ))  # fmt: skip
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (await as_alice.ListExecutions(messages.ListExecutionsRequest(workflow_id="-"))).executions


async def test_trace_explains_each_bar(as_alice, goog_series):
    stored = await _clone(as_alice)
    reply = await as_alice.TraceStrategy(messages.TraceStrategyRequest(
        workflow_id=stored.id, bars=goog_series, max_bars=50,
        backtest_config=backtest_pb2.BacktestConfig(allow_short=True),
    ))  # fmt: skip
    assert len(reply.bars) == 50
    assert reply.truncated
    assert reply.bars[0].bar_index == reply.spec.warmup_bars
    assert all(bar.values for bar in reply.bars)
    assert any(rule.explanation for bar in reply.bars for rule in bar.rules)


async def test_execute_walk_forward_optimises_in_sample_and_stitches_out_of_sample(as_alice, goog_series):
    stored = await _clone(as_alice)
    config = backtest_pb2.BacktestConfig(
        allow_short=True,
        methodology=backtest_pb2.METHODOLOGY_WALK_FORWARD,
        walk_forward=backtest_pb2.WalkForwardSettings(
            window_mode=backtest_pb2.WINDOW_MODE_ROLLING,
            in_sample_bars=400,
            out_of_sample_bars=200,
            max_windows=3,
        ),
    )
    request = messages.ExecuteWorkflowRequest(
        workflow_id=stored.id,
        mode=execution_pb2.EXECUTION_MODE_STRATEGY,
        bars=goog_series,
        backtest_config=config,
    )
    result = (await as_alice.ExecuteWorkflow(request)).execution.backtest_result
    windows = result.walk_forward_windows
    assert [window.index for window in windows] == [0, 1, 2]
    assert all(window.parameters for window in windows)
    assert all(window.in_sample_metrics.bar_count == 400 for window in windows)
    assert all(window.out_of_sample_metrics.bar_count == 200 for window in windows)
    for earlier, later in itertools.pairwise(windows):
        assert earlier.out_of_sample_end_time.ToNanoseconds() < later.out_of_sample_start_time.ToNanoseconds()
    assert result.metrics.bar_count == 600
    assert result.metrics.end_time == goog_series.bars[-1].time

    request.backtest_config.walk_forward.in_sample_bars = 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ExecuteWorkflow(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "backtest_config.walk_forward.in_sample_bars" in str(caught.value.trailing_metadata())


def _violated_fields(error: grpc.aio.AioRpcError) -> set[str]:
    for key, value in error.trailing_metadata():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    return {violation.field for violation in bad.field_violations}
    return set()
