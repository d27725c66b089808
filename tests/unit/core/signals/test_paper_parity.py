"""A paper account fed the bars and signals of a backtest ends with the backtest's trades and equity."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.backtest import BacktestConfig, Bars, Intents, run_backtest
from services.core.signals.paper import AccountConfig, Order, OrderIntent, OrderState, PaperBar, PaperBook

HOUR = 3600 * 10**9
START = 1_700_000_000 * 10**9


def _bars(seed: int, count: int) -> Bars:
    generator = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(generator.normal(0, 0.01, count)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(generator.normal(0, 0.002, count))
    high = np.maximum(open_, close) * (1 + np.abs(generator.normal(0, 0.006, count)))
    low = np.minimum(open_, close) * (1 - np.abs(generator.normal(0, 0.006, count)))
    timestamps = START + HOUR * np.arange(count, dtype=np.int64)
    return Bars.from_arrays(open=open_, high=high, low=low, close=close, timestamps=timestamps)


def _signals(seed: int, bars: Bars) -> list[tuple[int, OrderIntent, float, float]]:
    """(bar, intent, stop-loss price, take-profit price) decided on that bar's close."""
    generator = np.random.default_rng(seed + 1)
    decided = []
    for bar in range(len(bars) - 1):
        if generator.random() > 0.15:
            continue
        intent = OrderIntent(int(generator.choice([OrderIntent.BUY, OrderIntent.SELL, OrderIntent.CLOSE])))
        close = bars.close[bar]
        stop = target = math.nan
        if intent is not OrderIntent.CLOSE and generator.random() < 0.5:
            direction = 1 if intent is OrderIntent.BUY else -1
            stop = close * (1 - direction * 0.015)
            target = close * (1 + direction * 0.02)
        decided.append((bar, intent, stop, target))
    return decided


def _intents(bars: Bars, signals) -> Intents:
    count = len(bars)
    flags = {
        name: np.zeros(count, dtype=bool) for name in ("enter_long", "enter_short", "exit_long", "exit_short")
    }
    stops, targets = np.full(count, np.nan), np.full(count, np.nan)
    for bar, intent, stop, target in signals:
        if intent is OrderIntent.BUY:
            flags["enter_long"][bar] = True
        elif intent is OrderIntent.SELL:
            flags["enter_short"][bar] = True
        else:
            flags["exit_long"][bar] = flags["exit_short"][bar] = True
        stops[bar], targets[bar] = stop, target
    return Intents(**flags, stop_loss_price=stops, take_profit_price=targets)


def _paper(bars: Bars, signals, config: AccountConfig) -> PaperBook:
    book = PaperBook(config)
    by_bar = {bar: (intent, stop, target) for bar, intent, stop, target in signals}
    for index in range(len(bars)):
        time = int(bars.timestamps[index])
        book.on_bar(
            PaperBar("X", time, bars.open[index], bars.high[index], bars.low[index], bars.close[index])
        )
        if index in by_bar:
            intent, stop, target = by_bar[index]
            book.submit(Order(f"o{index}", f"s{index}", "strategy", "X", intent, 0.0, stop, target, time))
    return book


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    allow_short=st.booleans(),
    costs=st.sampled_from([(0.0, 0.0), (0.001, 0.0), (0.0, 0.0005), (0.002, 0.001)]),
)
def test_a_paper_account_equals_the_backtest_on_the_same_bars_and_signals(seed, allow_short, costs):
    commission, slippage = costs
    bars = _bars(seed, 300)
    signals = _signals(seed, bars)
    backtest = run_backtest(
        bars,
        _intents(bars, signals),
        BacktestConfig(
            initial_cash=10_000,
            commission=commission,
            slippage=slippage,
            allow_short=allow_short,
            quantity_step=1.0,
            close_at_end=False,
        ),
    )
    book = _paper(
        bars,
        signals,
        AccountConfig(
            initial_cash=10_000,
            commission=commission,
            slippage=slippage,
            allow_short=allow_short,
            quantity_step=1.0,
        ),
    )
    _, equity = book.equity_array()
    np.testing.assert_array_equal(equity, backtest.equity)
    closes = [fill for fill in book.fills if fill.closing]
    trades = backtest.trades
    assert [fill.price for fill in closes] == list(trades.exit_price)
    assert [fill.quantity for fill in closes] == list(trades.size)
    assert [fill.realized_pnl for fill in closes] == list(trades.pnl)
    opens = [fill for fill in book.fills if not fill.closing]
    assert [fill.price for fill in opens][: len(trades)] == list(trades.entry_price)


def test_orders_that_break_a_limit_are_refused_with_the_reason():
    book = PaperBook(AccountConfig(initial_cash=10_000, max_position_fraction=0.5, max_exposure_fraction=0.8))
    book.on_bar(PaperBar("A", START, 100, 101, 99, 100))
    book.on_bar(PaperBar("B", START, 50, 51, 49, 50))
    too_big = book.submit(Order("o1", "s1", "st", "A", OrderIntent.BUY, 60, math.nan, math.nan, START))
    assert too_big.state is OrderState.REFUSED
    assert "max position 0.50" in too_big.refusal_reason
    fits = book.submit(Order("o2", "s2", "st", "A", OrderIntent.BUY, 45, math.nan, math.nan, START))
    assert fits.state is OrderState.PENDING
    book.on_bar(PaperBar("A", START + HOUR, 100, 101, 99, 100))
    over_exposed = book.submit(Order("o3", "s3", "st", "B", OrderIntent.BUY, 80, math.nan, math.nan, START))
    assert over_exposed.state is OrderState.REFUSED
    assert "max exposure 0.80" in over_exposed.refusal_reason


def test_a_daily_loss_halts_new_positions_until_the_next_day():
    book = PaperBook(AccountConfig(initial_cash=1_000, max_daily_loss_fraction=0.05))
    book.on_bar(PaperBar("A", START, 100, 100, 100, 100))
    book.submit(Order("o1", "s1", "st", "A", OrderIntent.BUY, 10, math.nan, math.nan, START))
    book.on_bar(PaperBar("A", START + HOUR, 100, 100, 90, 90))  # filled at 100, marked at 90: −10 %
    assert book.halted
    refused = book.submit(Order("o2", "s2", "st", "A", OrderIntent.BUY, 1, math.nan, math.nan, START))
    assert refused.state is OrderState.REFUSED
    closing = book.submit(Order("o3", "s3", "st", "A", OrderIntent.SELL, 10, math.nan, math.nan, START))
    assert closing.state is OrderState.PENDING  # reducing a position is always allowed
    book.on_bar(PaperBar("A", START + 24 * HOUR, 90, 91, 89, 90))
    assert not book.halted


def test_adding_to_a_position_averages_its_price_and_partial_closes_realise_pnl():
    book = PaperBook(AccountConfig(initial_cash=10_000))
    book.on_bar(PaperBar("A", START, 100, 100, 100, 100))
    book.submit(Order("o1", "s1", "st", "A", OrderIntent.BUY, 10, math.nan, math.nan, START))
    book.on_bar(PaperBar("A", START + HOUR, 100, 110, 100, 110))
    book.submit(Order("o2", "s2", "st", "A", OrderIntent.BUY, 10, math.nan, math.nan, START))
    book.on_bar(PaperBar("A", START + 2 * HOUR, 120, 120, 120, 120))
    assert book.holdings["A"].entry_price == pytest.approx(110)
    book.submit(Order("o3", "s3", "st", "A", OrderIntent.SELL, 5, math.nan, math.nan, START))
    fills = book.on_bar(PaperBar("A", START + 3 * HOUR, 130, 130, 130, 130))
    assert fills[0].realized_pnl == pytest.approx(5 * 20)
    assert book.holdings["A"].quantity == 15
    assert book.equity() == pytest.approx(10_000 + 5 * 20 + 15 * 20)
