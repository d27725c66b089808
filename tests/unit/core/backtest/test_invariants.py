"""Invariants of every backtest, on random bars, random intents and random configs (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.backtest import (
    BacktestConfig,
    BacktestResult,
    Bars,
    FillTiming,
    FixedQuantity,
    FractionOfEquity,
    Intents,
    OppositeSignal,
    RiskPerTrade,
    run_backtest,
)

DAY = 86_400 * 10**9


@st.composite
def bars(draw: st.DrawFn) -> Bars:
    count = draw(st.integers(2, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    volatility = draw(st.sampled_from([0.001, 0.02, 0.1]))
    generator = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(generator.normal(0.0, volatility, count)))
    opened = np.concatenate([[50.0], close[:-1]]) * np.exp(generator.normal(0.0, volatility, count))
    high = np.maximum(opened, close) * (1 + generator.uniform(0, volatility, count))
    low = np.minimum(opened, close) * (1 - generator.uniform(0, volatility, count))
    return Bars.from_arrays(
        open=opened, high=high, low=low, close=close, timestamps=np.arange(count, dtype=np.int64) * DAY
    )


@st.composite
def intents(draw: st.DrawFn, count: int) -> Intents:
    generator = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    density = draw(st.sampled_from([0.05, 0.3, 0.7]))

    def flags() -> np.ndarray:
        return generator.random(count) < density

    def levels(low: float, high: float) -> np.ndarray | None:
        if not draw(st.booleans()):
            return None
        values = generator.uniform(low, high, count)
        values[generator.random(count) < 0.3] = np.nan
        return values

    return Intents(
        enter_long=flags(),
        exit_long=flags(),
        enter_short=flags(),
        exit_short=flags(),
        stop_loss_fraction=levels(0.001, 0.2),
        take_profit_fraction=levels(0.001, 0.3),
        atr=generator.uniform(0.1, 5.0, count),
        warmup_bars=draw(st.integers(0, count - 1)),
    )


configs = st.builds(
    BacktestConfig,
    initial_cash=st.sampled_from([100.0, 10_000.0]),
    commission=st.sampled_from([0.0, 0.001, 0.01]),
    slippage=st.sampled_from([0.0, 0.0005, 0.01]),
    fill_timing=st.sampled_from(FillTiming),
    allow_short=st.booleans(),
    quantity_step=st.sampled_from([1.0, 0.01, 0.0]),
    sizing=st.one_of(
        st.builds(FractionOfEquity, st.sampled_from([0.3, 1.0, 1.5])),
        st.builds(FixedQuantity, st.sampled_from([1.0, 7.5, 1000.0])),
        st.builds(RiskPerTrade, st.sampled_from([0.01, 0.2]), st.sampled_from([1.0, 3.0])),
    ),
    stop_loss=st.sampled_from([None, 0.02, 0.1]),
    take_profit=st.sampled_from([None, 0.05]),
    trailing_stop=st.sampled_from([None, 0.03]),
    max_exposure=st.sampled_from([0.5, 1.0, 2.0]),
    max_drawdown_halt=st.sampled_from([None, 0.1, 0.5]),
    on_opposite_signal=st.sampled_from(OppositeSignal),
    close_at_end=st.booleans(),
)


@st.composite
def backtests(draw: st.DrawFn) -> tuple[Bars, BacktestResult]:
    series = draw(bars())
    return series, run_backtest(series, draw(intents(len(series))), draw(configs))


@settings(max_examples=300, deadline=None)
@given(backtests())
def test_equity_is_cash_plus_the_position_at_every_close(case: tuple[Bars, BacktestResult]) -> None:
    series, result = case
    scale = max(result.config.initial_cash, float(np.max(np.abs(result.equity))))

    np.testing.assert_allclose(
        result.equity, result.cash + result.position * series.close, rtol=0, atol=1e-9 * scale
    )


@settings(max_examples=300, deadline=None)
@given(backtests())
def test_trades_never_overlap_and_match_the_position(case: tuple[Bars, BacktestResult]) -> None:
    series, result = case
    trades = result.trades

    assert np.all(trades.entry_bar <= trades.exit_bar)
    assert np.all(trades.entry_bar[1:] >= trades.exit_bar[:-1])
    assert np.all(trades.size > 0)
    assert np.all(trades.commission >= 0)
    # the position is held from each entry's bar until the bar before its exit's
    held = np.zeros(len(series), dtype=np.bool_)
    for entry, exit_bar in zip(trades.entry_bar, trades.exit_bar, strict=True):
        held[entry:exit_bar] = True
    if result.open_position is not None:
        assert result.open_position.entry_bar >= (trades.exit_bar[-1] if len(trades) else 0)
        held[result.open_position.entry_bar :] = True
    np.testing.assert_array_equal(result.position != 0, held)


@settings(max_examples=300, deadline=None)
@given(backtests())
def test_trade_profits_add_up_to_the_change_in_equity(case: tuple[Bars, BacktestResult]) -> None:
    _, result = case
    config = result.config
    change = result.equity[-1] - config.initial_cash
    held = result.open_position
    if held is None:
        explained = result.trades.pnl.sum()
    else:
        entry_commission = held.size * held.entry_price * config.commission
        explained = result.trades.pnl.sum() + held.unrealized_pnl - entry_commission

    assert np.isclose(explained, change, rtol=1e-9, atol=1e-9 * config.initial_cash)
    if config.close_at_end:
        assert held is None
        assert result.position[-1] == 0.0


@settings(max_examples=100, deadline=None)
@given(bars(), st.data())
def test_without_costs_or_stops_profits_are_price_moves(series: Bars, data: st.DataObject) -> None:
    wanted = replace(data.draw(intents(len(series))), stop_loss_fraction=None, take_profit_fraction=None)
    result = run_backtest(series, wanted, BacktestConfig(initial_cash=1000.0))
    trades = result.trades

    moves = trades.side * trades.size * (trades.exit_price - trades.entry_price)
    np.testing.assert_allclose(trades.pnl, moves, rtol=1e-12)
    assert np.isclose(trades.pnl.sum(), result.equity[-1] - 1000.0, rtol=1e-9, atol=1e-9)
    assert np.all(np.isin(trades.exit_price, np.concatenate([series.open, series.close])))
