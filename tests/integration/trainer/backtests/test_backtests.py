"""BacktestService end to end: synchronous runs, stored backtests run by a real worker, their reads."""

import asyncio

import grpc
import numpy as np
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2
from alphintra.trainer.v1 import backtest_service_pb2 as messages
from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from services.core import strategy
from tests.integration.trainer.conftest import JOBS_ALICE, JOBS_BOB, JobsCaller

pytestmark = pytest.mark.integration


def sma_spec():
    return strategy.compile_graph(strategy.get_template("sma_crossover").graph)


def inline_bars(count: int = 400, seed: int = 7) -> bar_pb2.BarSeries:
    generator = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(generator.normal(0, 0.01, count)))
    series = bar_pb2.BarSeries()
    for index, close in enumerate(closes):
        bar = series.bars.add(
            symbol="TEST", open=close, high=close * 1.01, low=close * 0.99, close=close, volume=1000
        )
        bar.time.FromSeconds(1_700_000_000 + index * 86400)
    return series


async def platform_dataset_id(instance) -> str:
    stub = JobsCaller(dataset_service_pb2_grpc.DatasetServiceStub(instance.channel), JOBS_ALICE)
    datasets = (await stub.ListDatasets(dataset_service_pb2.ListDatasetsRequest())).datasets
    assert datasets, "the platform datasets should exist"
    return min(datasets, key=lambda dataset: dataset.row_count).id


async def finished(stub, backtest_id: str) -> messages.Backtest:
    for _ in range(600):
        backtest = (await stub.GetBacktest(messages.GetBacktestRequest(backtest_id=backtest_id))).backtest
        if backtest.state not in (messages.BACKTEST_STATE_QUEUED, messages.BACKTEST_STATE_RUNNING):
            return backtest
        await asyncio.sleep(0.1)
    raise AssertionError(f"backtest {backtest_id} never finished")


async def test_run_backtest_on_inline_bars_standard_and_monte_carlo(backtests_trainer):
    alice = backtests_trainer.backtests(JOBS_ALICE)
    bars = inline_bars()
    standard = await alice.RunBacktest(
        messages.RunBacktestRequest(spec=sma_spec(), bars=bars, config=backtest_pb2.BacktestConfig())
    )
    assert standard.result.metrics.bar_count > 0
    assert standard.result.trade_count == len(standard.result.trades) > 0
    assert standard.data_content_hash.startswith("sha256:")

    config = backtest_pb2.BacktestConfig(methodology=backtest_pb2.METHODOLOGY_MONTE_CARLO)
    config.monte_carlo.simulations = 200
    config.monte_carlo.seed = 3
    monte_carlo = await alice.RunBacktest(
        messages.RunBacktestRequest(spec=sma_spec(), bars=bars, config=config)
    )
    assert monte_carlo.result.monte_carlo.simulations == 200
    assert monte_carlo.result.metrics == standard.result.metrics

    walk_forward = backtest_pb2.BacktestConfig(methodology=backtest_pb2.METHODOLOGY_WALK_FORWARD)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.RunBacktest(messages.RunBacktestRequest(spec=sma_spec(), bars=bars, config=walk_forward))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.RunBacktest(messages.RunBacktestRequest(bars=bars, config=backtest_pb2.BacktestConfig()))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_stored_backtests_run_as_jobs_and_are_read_compared_and_reported(backtests_trainer):
    alice, bob = backtests_trainer.backtests(JOBS_ALICE), backtests_trainer.backtests(JOBS_BOB)
    dataset_id = await platform_dataset_id(backtests_trainer)
    synchronous = await alice.RunBacktest(
        messages.RunBacktestRequest(
            spec=sma_spec(), dataset_id=dataset_id, config=backtest_pb2.BacktestConfig()
        )
    )
    created = []
    for commission in (0.0, 0.002):
        request = messages.CreateBacktestRequest(
            spec=sma_spec(),
            dataset_id=dataset_id,
            config=backtest_pb2.BacktestConfig(commission_fraction=commission),
            display_name=f"commission {commission}",
            request_id=f"bt-{commission}",
        )
        backtest = (await alice.CreateBacktest(request)).backtest
        assert backtest.state == messages.BACKTEST_STATE_QUEUED
        assert (await alice.CreateBacktest(request)).backtest.id == backtest.id
        created.append(backtest)

    done = [await finished(alice, backtest.id) for backtest in created]
    assert [backtest.state for backtest in done] == [messages.BACKTEST_STATE_SUCCEEDED] * 2
    assert done[0].result.metrics == synchronous.result.metrics
    assert done[0].dataset_content_hash.startswith("sha256:")
    assert not done[0].result.trades

    trades, token = [], ""
    while True:
        page = await alice.ListBacktestTrades(
            messages.ListBacktestTradesRequest(backtest_id=done[0].id, page_size=7, page_token=token)
        )
        trades += page.trades
        token = page.next_page_token
        if not token:
            break
    assert trades == list(synchronous.result.trades)
    assert page.total_trade_count == len(trades)

    report = await alice.GetBacktestReport(messages.GetBacktestReportRequest(backtest_id=done[0].id))
    assert report.content_type.startswith("text/html")
    assert b"<svg" in report.data

    compared = await alice.CompareBacktests(
        messages.CompareBacktestsRequest(backtest_ids=[done[0].id, done[1].id], max_equity_points=50)
    )
    assert [item.backtest_id for item in compared.backtests] == [done[0].id, done[1].id]
    assert compared.best_by_metric["commissions_paid"] == done[0].id
    assert compared.backtests[0].normalized_equity_curve[0].equity == pytest.approx(1.0)
    assert len(compared.backtests[0].normalized_equity_curve) <= 50

    listed = (await alice.ListBacktests(messages.ListBacktestsRequest())).backtests
    assert [backtest.id for backtest in listed] == [done[1].id, done[0].id]
    assert not listed[0].result.equity_curve

    for call in (
        bob.GetBacktest(messages.GetBacktestRequest(backtest_id=done[0].id)),
        bob.ListBacktestTrades(messages.ListBacktestTradesRequest(backtest_id=done[0].id)),
        bob.GetBacktestReport(messages.GetBacktestReportRequest(backtest_id=done[0].id)),
        bob.CompareBacktests(messages.CompareBacktestsRequest(backtest_ids=[done[0].id, done[1].id])),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert (await bob.ListBacktests(messages.ListBacktestsRequest())).backtests == []


async def test_create_backtest_checks_its_input(backtests_trainer):
    alice = backtests_trainer.backtests(JOBS_ALICE)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.CreateBacktest(messages.CreateBacktestRequest(config=backtest_pb2.BacktestConfig()))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.CreateBacktest(
            messages.CreateBacktestRequest(
                spec=sma_spec(), dataset_id="nope", config=backtest_pb2.BacktestConfig()
            )
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.CompareBacktests(messages.CompareBacktestsRequest(backtest_ids=["only-one"]))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
