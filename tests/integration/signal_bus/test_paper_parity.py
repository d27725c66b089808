"""A paper account fed bars and signals through the real bus ends with a backtest's trades and equity.

The same random bars and intents (`tests/unit/core/signals/test_paper_parity.py`) go to
`run_backtest` and, bar after bar, through the bus: each bar is published, then the signal its
close decided (timestamped at that close, the next bar's open), all in, with its stop-loss and
take-profit. The account follows the symbol from its first signal on, so its equity curve is the
backtest's from the bar that signal fills at. On both log engines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from google.protobuf import timestamp_pb2

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc, signal_bus_service_pb2_grpc, signal_pb2
from services.core.backtest import BacktestConfig, BacktestResult, Bars, run_backtest
from services.core.ownership import Caller, Role
from services.core.signals.paper import OrderIntent
from tests.helpers import assert_eventually
from tests.integration.signal_bus.conftest import BOTH_ENGINES, As
from tests.integration.signal_bus.paper_helpers import (
    PAPER_SETTINGS,
    create,
    publish_bars,
    publish_signal,
    trades,
)
from tests.unit.core.signals.test_paper_parity import _bars, _intents, _signals

pytestmark = [pytest.mark.integration, BOTH_ENGINES]

ACTIONS = {
    OrderIntent.BUY: signal_pb2.ACTION_BUY,
    OrderIntent.SELL: signal_pb2.ACTION_SELL,
    OrderIntent.CLOSE: signal_pb2.ACTION_CLOSE,
}
COSTS = {"commission": 0.001, "slippage": 0.0005}


@pytest.fixture
def bus_settings() -> dict[str, object]:
    return dict(PAPER_SETTINGS)


@dataclass(frozen=True, slots=True)
class Scenario:
    bars: Bars
    decided: list[tuple[int, OrderIntent, float, float]]  # (bar, intent, stop-loss, take-profit)
    backtest: BacktestResult

    @classmethod
    def of(cls, seed: int, count: int, allow_short: bool) -> Scenario:
        bars = _bars(seed, count)
        decided = _signals(seed, bars)
        config = BacktestConfig(
            initial_cash=10_000, allow_short=allow_short, quantity_step=0.0, close_at_end=False, **COSTS
        )
        return cls(bars, decided, run_backtest(bars, _intents(bars, decided), config), allow_short)

    allow_short: bool

    @property
    def first_fill_bar(self) -> int:
        """Where the account starts following the symbol: the fill bar of its first order kept (a
        SELL on an account without shorts and without a position is refused and follows nothing)."""
        kept = [
            index for index, intent, *_ in self.decided if intent is not OrderIntent.SELL or self.allow_short
        ]
        return kept[0] + 1

    def bar(self, symbol: str, index: int) -> bar_pb2.Bar:
        bars = self.bars
        message = bar_pb2.Bar(
            symbol=symbol,
            timeframe=bar_pb2.TIMEFRAME_1_HOUR,
            open=bars.open[index],
            high=bars.high[index],
            low=bars.low[index],
            close=bars.close[index],
            volume=1,
        )
        message.time.FromNanoseconds(int(bars.timestamps[index]))
        return message

    def signal(self, strategy_id: str, symbol: str, position: int) -> signal_pb2.Signal:
        index, intent, stop, target = self.decided[position]
        message = signal_pb2.Signal(
            signal_id=f"decided-{index}",
            strategy_id=strategy_id,
            symbol=symbol,
            action=ACTIONS[intent],
            confidence=0.5,
            stop_loss=0.0 if math.isnan(stop) else stop,
            take_profit=0.0 if math.isnan(target) else target,
            timestamp=timestamp_pb2.Timestamp(),
        )
        message.timestamp.FromNanoseconds(int(self.bars.timestamps[index + 1]))  # decided on this close
        return message

    def expected_fills(self) -> list[tuple[int, int, float, float, float]]:
        """(time, side, quantity, price, realised pnl) of every fill, in the order they happened."""
        trades = self.backtest.trades
        fills = []
        for row in range(len(trades)):
            long = trades.side[row] > 0
            fills.append(
                (int(trades.entry_time[row]), _side(long), trades.size[row], trades.entry_price[row], 0.0)
            )
            fills.append(
                (
                    int(trades.exit_time[row]),
                    _side(not long),
                    trades.size[row],
                    trades.exit_price[row],
                    trades.pnl[row],
                )
            )
        still_open = self.backtest.open_position
        if still_open is not None:
            long = int(still_open.side) > 0
            fills.append((still_open.entry_time, _side(long), still_open.size, still_open.entry_price, 0.0))
        return fills


def _side(buying: bool) -> int:
    return paper.ORDER_SIDE_BUY if buying else paper.ORDER_SIDE_SELL


async def feed(bus_stub, scenario: Scenario, strategy_id: str, symbol: str, start: int, stop: int) -> None:
    """Bars [start, stop) through the bus, each followed by the signal decided on its close."""
    by_bar = {index: position for position, (index, *_) in enumerate(scenario.decided)}
    for index in range(start, stop):
        await publish_bars(bus_stub, [scenario.bar(symbol, index)])
        if index in by_bar:
            await publish_signal(bus_stub, scenario.signal(strategy_id, symbol, by_bar[index]))


async def wait_for_curve(stub, account_id: str, points: int, timeout: float = 60.0) -> list[float]:  # noqa: ASYNC109
    curve: list[float] = []

    async def complete() -> bool:
        nonlocal curve
        reply = await stub.GetPerformance(
            paper.GetPerformanceRequest(account_id=account_id, max_equity_points=100_000)
        )
        curve = [point.equity for point in reply.equity_curve]
        return len(curve) >= points

    await assert_eventually(complete, timeout, interval=0.2, message=f"{points} equity points")
    return curve


async def assert_matches_backtest(stub, account_id: str, scenario: Scenario) -> None:
    expected_equity = scenario.backtest.equity[scenario.first_fill_bar :]
    curve = await wait_for_curve(stub, account_id, len(expected_equity))
    np.testing.assert_allclose(curve, expected_equity, rtol=0, atol=1e-9)
    fills = [
        (trade.time.ToNanoseconds(), trade.side, trade.quantity, trade.price, trade.realized_pnl)
        for trade in await trades(stub, account_id)
    ]
    expected = scenario.expected_fills()
    assert len(fills) == len(expected)
    for got, wanted in zip(fills, expected, strict=True):
        assert got[:2] == wanted[:2]
        np.testing.assert_allclose(got[2:], wanted[2:], rtol=0, atol=1e-9)


@pytest.mark.parametrize(("seed", "allow_short"), [(3, True), (11, False)])
async def test_a_paper_account_fed_through_the_bus_ends_as_the_backtest(
    channel, namespace, seed, allow_short
):
    caller = Caller(f"quant-{namespace}", "acme", Role.TRADER)
    bus_stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), caller)
    stub = As(paper_trading_service_pb2_grpc.PaperTradingServiceStub(channel), caller)
    scenario = Scenario.of(seed, 120, allow_short)
    assert len(scenario.backtest.trades) >= 5  # the scenario trades: the comparison means something
    strategy = f"parity-{namespace}"
    account = await create(
        stub,
        paper.PaperAccount(
            initial_cash=10_000,
            commission_fraction=COSTS["commission"],
            slippage_fraction=COSTS["slippage"],
            allow_short=allow_short,
            strategy_ids=[strategy],
        ),
    )
    await feed(bus_stub, scenario, strategy, "PAR", 0, len(scenario.bars))
    await assert_matches_backtest(stub, account.id, scenario)
