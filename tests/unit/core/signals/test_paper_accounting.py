"""The paper book's snapshot, its metrics, and the orders signals become."""

import dataclasses
import json
import math

import pytest
from google.protobuf import timestamp_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_pb2
from services.core.backtest import BacktestConfig, run_backtest
from services.core.signals.paper import (
    AccountConfig,
    Order,
    OrderIntent,
    OrderState,
    PaperBar,
    PaperBook,
)
from services.core.signals.paper_metrics import performance
from services.core.signals.paper_signals import order_for, takes, timeframe_of
from services.core.signals.paper_state import book_from_data, book_to_data
from tests.unit.core.signals.test_paper_parity import HOUR, START, _bars, _intents, _signals


def _feed(book: PaperBook, bars, signals, start: int, stop: int) -> None:
    by_bar = {bar: (intent, stop_, target) for bar, intent, stop_, target in signals}
    for index in range(start, stop):
        time = int(bars.timestamps[index])
        book.on_bar(
            PaperBar("X", time, bars.open[index], bars.high[index], bars.low[index], bars.close[index])
        )
        if index in by_bar:
            intent, stop_, target = by_bar[index]
            book.submit(Order(f"o{index}", f"s{index}", "st", "X", intent, 0.0, stop_, target, time))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 199), allow_short=st.booleans())
def test_a_book_stored_and_restored_mid_stream_ends_as_one_never_stored(seed, cut, allow_short):
    config = AccountConfig(initial_cash=10_000, commission=0.001, slippage=0.0005, allow_short=allow_short)
    bars = _bars(seed, 200)
    signals = _signals(seed, bars)
    whole = PaperBook(config)
    _feed(whole, bars, signals, 0, 200)
    first = PaperBook(config)
    _feed(first, bars, signals, 0, cut)
    stored = json.loads(json.dumps(book_to_data(first)))  # as PostgreSQL's jsonb keeps it
    second = book_from_data(config, stored)
    _feed(second, bars, signals, cut, 200)
    assert [point.equity for point in first.equity_curve + second.equity_curve] == [
        point.equity for point in whole.equity_curve
    ]
    assert first.fills + second.fills == whole.fills
    assert second.balance == whole.balance
    assert book_to_data(second) == book_to_data(whole)


def test_the_metrics_of_a_paper_account_are_the_backtests_on_the_same_run():
    bars = _bars(7, 400)
    signals = _signals(7, bars)
    backtest = run_backtest(
        bars,
        _intents(bars, signals),
        BacktestConfig(
            initial_cash=10_000,
            commission=0.001,
            slippage=0.0005,
            quantity_step=1.0,
            allow_short=False,
            close_at_end=False,
        ),
    )
    book = PaperBook(AccountConfig(initial_cash=10_000, commission=0.001, slippage=0.0005, quantity_step=1.0))
    _feed(book, bars, signals, 0, len(bars))
    curve, metrics = performance(book.equity_curve, book.fills, commission_rate=0.001)
    assert len(curve) == len(bars)
    assert metrics is not None
    expected = backtest.metrics.as_dict()
    for name, value in metrics.as_dict().items():
        assert value == pytest.approx(expected[name], rel=1e-12, nan_ok=True), name


def test_no_metrics_before_two_bar_times():
    book = PaperBook(AccountConfig(initial_cash=1_000))
    book.on_bar(PaperBar("A", START, 10, 10, 10, 10))
    book.on_bar(PaperBar("B", START, 20, 20, 20, 20))
    curve, metrics = performance(book.equity_curve, book.fills, commission_rate=0.0)
    assert len(curve) == 1
    assert metrics is None


def test_an_order_waits_for_a_bar_opening_at_or_after_its_time():
    book = PaperBook(AccountConfig(initial_cash=1_000))
    book.submit(Order("o", "s", "st", "A", OrderIntent.BUY, 1, math.nan, math.nan, START + HOUR))
    assert book.on_bar(PaperBar("A", START, 10, 10, 10, 10)) == []
    fills = book.on_bar(PaperBar("A", START + HOUR, 11, 11, 11, 11))
    assert [fill.price for fill in fills] == [11]


def test_without_a_price_the_limits_are_checked_at_the_fill_bar():
    book = PaperBook(AccountConfig(initial_cash=1_000, max_position_fraction=0.5))
    order = book.submit(Order("o", "s", "st", "A", OrderIntent.BUY, 10, math.nan, math.nan, START))
    assert order.state is OrderState.PENDING
    assert order.limits_deferred
    assert book.on_bar(PaperBar("A", START, 60, 60, 60, 60)) == []
    assert order.state is OrderState.REFUSED
    assert "max position 0.50" in order.refusal_reason
    priced = Order("p", "t", "st", "B", OrderIntent.BUY, 10, math.nan, math.nan, START, reference_price=60)
    assert book.submit(priced).state is OrderState.REFUSED


def _signal(**fields) -> signal_pb2.Signal:
    values = {"signal_id": "s1", "strategy_id": "rsi", "symbol": "A", "action": signal_pb2.ACTION_BUY}
    values.update(fields)
    signal = signal_pb2.Signal(owner_id="alice", **values)
    signal.timestamp.CopyFrom(timestamp_pb2.Timestamp(seconds=1_700_000_000))
    return signal


def test_signals_become_market_orders_with_their_levels():
    order = order_for(_signal(quantity=3, stop_loss=90, take_profit=120, price_target=100), "o1")
    assert order is not None
    assert (order.intent, order.quantity, order.stop_loss, order.take_profit) == (OrderIntent.BUY, 3, 90, 120)
    assert order.reference_price == 100
    assert order.create_time == 1_700_000_000 * 10**9
    assert order_for(_signal(action=signal_pb2.ACTION_HOLD), "o2") is None
    closing = order_for(_signal(action=signal_pb2.ACTION_CLOSE, quantity=5), "o3")
    assert closing is not None
    assert closing.quantity == 0
    assert math.isnan(closing.stop_loss)
    limit = _signal(execution_params=signal_pb2.ExecutionParams(order_type=signal_pb2.ORDER_TYPE_LIMIT))
    refused = order_for(limit, "o4")
    assert refused is not None
    assert refused.state is OrderState.REFUSED
    assert "market orders only" in refused.refusal_reason


def test_an_account_takes_its_owners_signals_of_its_strategies_and_deployments():
    assert takes(_signal(), "alice", {"rsi"}, set())
    assert not takes(_signal(), "bob", {"rsi"}, set())
    assert not takes(_signal(), "alice", {"macd"}, set())
    assert takes(_signal(strategy_id="deployments/d1"), "alice", set(), {"d1"})
    assert takes(_signal(strategy_id="custom", metadata={"deployment_id": "d1"}), "alice", set(), {"d1"})
    assert not takes(_signal(strategy_id="custom"), "alice", set(), {"d1"})


def test_the_timeframe_comes_from_the_signal_or_the_default():
    default = bar_pb2.TIMEFRAME_1_MINUTE
    assert timeframe_of(_signal(), default) == default
    assert timeframe_of(_signal(metadata={"timeframe": "1_hour"}), default) == bar_pb2.TIMEFRAME_1_HOUR
    assert (
        timeframe_of(_signal(metadata={"timeframe": "TIMEFRAME_1_DAY"}), default) == bar_pb2.TIMEFRAME_1_DAY
    )
    assert timeframe_of(_signal(metadata={"timeframe": "fortnight"}), default) is None


def test_fills_carry_what_they_closed():
    book = PaperBook(AccountConfig(initial_cash=10_000))
    book.on_bar(PaperBar("A", START, 100, 100, 100, 100))
    book.submit(Order("o1", "s1", "st", "A", OrderIntent.BUY, 10, math.nan, math.nan, START))
    book.on_bar(PaperBar("A", START + HOUR, 100, 100, 100, 100))
    book.submit(Order("o2", "s2", "st", "A", OrderIntent.CLOSE, 0, math.nan, math.nan, START + HOUR))
    (closing,) = book.on_bar(PaperBar("A", START + 2 * HOUR, 110, 110, 110, 110))
    assert dataclasses.astuple(closing)[-3:] == (True, 100, START + HOUR)
