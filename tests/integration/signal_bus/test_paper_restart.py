"""kill -9 of the bus mid-stream: the restarted bus applies every signal to a paper account once.

The bus runs as a child process with a small paper batch, so that its consumer works through the
stream in many transactions. Half the stream is published, the process is killed at once (its
consumer usually still behind, maybe mid-transaction), a new process takes over and the rest is
published. The account must end exactly as the backtest of the whole stream: a signal applied
twice or skipped, or a bar marked twice, would show in its trades or its equity.
"""

from __future__ import annotations

import grpc
import pytest

from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc, signal_bus_service_pb2_grpc
from services.core.ownership import Caller, Role
from tests.helpers import free_port
from tests.integration.signal_bus.bus_process import BusProcess
from tests.integration.signal_bus.conftest import BOTH_ENGINES, As, bus_environment
from tests.integration.signal_bus.paper_helpers import PAPER_SETTINGS, create, orders
from tests.integration.signal_bus.test_paper_parity import COSTS, Scenario, assert_matches_backtest, feed

pytestmark = [pytest.mark.integration, BOTH_ENGINES]


def _stubs(channel: grpc.aio.Channel, caller: Caller) -> tuple[As, As]:
    return (
        As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), caller),
        As(paper_trading_service_pb2_grpc.PaperTradingServiceStub(channel), caller),
    )


async def test_kill_9_mid_stream_then_restart_applies_every_signal_exactly_once(
    tmp_path, database_url, redis_url, namespace, engine_settings
):
    caller = Caller(f"crash-{namespace}", "acme", Role.TRADER)
    scenario = Scenario.of(5, 160, allow_short=True)
    half = len(scenario.bars) // 2
    assert sum(index < half for index, *_ in scenario.decided) >= 5
    strategy = f"restart-{namespace}"
    environment = bus_environment(
        database_url, redis_url, namespace, **engine_settings, **PAPER_SETTINGS, paper_batch_max=3
    )
    first = BusProcess(free_port(), tmp_path / "first.log", environment)
    try:
        await first.start()
        async with grpc.aio.insecure_channel(first.address) as channel:
            bus_stub, stub = _stubs(channel, caller)
            account = await create(
                stub,
                paper.PaperAccount(
                    initial_cash=10_000,
                    commission_fraction=COSTS["commission"],
                    slippage_fraction=COSTS["slippage"],
                    allow_short=True,
                    strategy_ids=[strategy],
                ),
            )
            await feed(bus_stub, scenario, strategy, "CRS", 0, half)
        first.kill()
    finally:
        first.stop()
    second = BusProcess(free_port(), tmp_path / "second.log", environment)
    try:
        await second.start()
        async with grpc.aio.insecure_channel(second.address) as channel:
            bus_stub, stub = _stubs(channel, caller)
            await feed(bus_stub, scenario, strategy, "CRS", half, len(scenario.bars))
            await assert_matches_backtest(stub, account.id, scenario)
            placed = await orders(stub, account.id)
            assert sorted(order.signal_id for order in placed) == sorted(
                f"decided-{index}" for index, *_ in scenario.decided
            )
    finally:
        second.stop()
