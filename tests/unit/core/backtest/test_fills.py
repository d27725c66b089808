"""Fills, costs and the intent rules, on five hand-made bars whose results are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from services.core.backtest import (
    BacktestConfig,
    ExitReason,
    FillTiming,
    Intents,
    OppositeSignal,
    Side,
    run_backtest,
)
from tests.unit.core.backtest.helpers import flags, make_bars

# open, high, low, close
BARS = make_bars(
    [
        (10.0, 10.0, 10.0, 10.0),
        (11.0, 12.0, 10.0, 11.5),
        (12.0, 13.0, 11.0, 12.5),
        (13.0, 14.0, 12.0, 13.0),
        (12.5, 13.0, 11.0, 11.0),
    ]
)
COUNT = len(BARS)
CASH = BacktestConfig(initial_cash=1000.0)


def long_from_1_to_3() -> Intents:
    return Intents(enter_long=flags(COUNT, [1]), exit_long=flags(COUNT, [3]))


def test_next_open_fills_at_the_following_open() -> None:
    result = run_backtest(BARS, long_from_1_to_3(), CASH)

    trades = result.trades
    assert len(trades) == 1
    assert (trades.entry_bar[0], trades.exit_bar[0]) == (2, 4)
    assert (trades.entry_price[0], trades.exit_price[0]) == (12.0, 12.5)
    assert trades.size[0] == 83  # 1000 // 12
    assert trades.side[0] == Side.LONG
    assert trades.exit_reason[0] == ExitReason.SIGNAL
    assert trades.pnl[0] == pytest.approx(83 * 0.5)
    np.testing.assert_allclose(result.equity, [1000, 1000, 1041.5, 1083, 1041.5])
    np.testing.assert_allclose(result.position, [0, 0, 83, 83, 0])


def test_this_close_fills_at_the_deciding_close() -> None:
    config = BacktestConfig(initial_cash=1000.0, fill_timing=FillTiming.THIS_CLOSE)
    result = run_backtest(BARS, long_from_1_to_3(), config)

    trades = result.trades
    assert (trades.entry_bar[0], trades.exit_bar[0]) == (1, 3)
    assert (trades.entry_price[0], trades.exit_price[0]) == (11.5, 13.0)
    assert trades.size[0] == 86  # 1000 // 11.5
    np.testing.assert_allclose(result.equity, [1000, 1000, 1086, 1129, 1129])


def test_commission_is_charged_on_entry_and_on_exit() -> None:
    config = BacktestConfig(initial_cash=1000.0, commission=0.01)
    result = run_backtest(BARS, long_from_1_to_3(), config)

    trades = result.trades
    # a unit costs 12 × 1.01 = 12.12: 82 units; commissions 82 × 12 × 1 % and 82 × 12.5 × 1 %
    assert trades.size[0] == 82
    assert trades.commission[0] == pytest.approx(9.84 + 10.25)
    assert trades.pnl[0] == pytest.approx(82 * 0.5 - 20.09)
    assert trades.returns[0] == pytest.approx(12.5 / 12 - 1 - 20.09 / (82 * 12))
    np.testing.assert_allclose(result.equity, [1000, 1000, 1000 - 9.84 + 41, 1000 - 9.84 + 82, 1020.91])
    assert result.metrics.commissions == pytest.approx(20.09)


def test_slippage_buys_higher_and_sells_lower_for_a_long() -> None:
    config = BacktestConfig(initial_cash=1000.0, slippage=0.01)
    trades = run_backtest(BARS, long_from_1_to_3(), config).trades

    assert trades.entry_price[0] == pytest.approx(12 * 1.01)
    assert trades.exit_price[0] == pytest.approx(12.5 * 0.99)
    assert trades.size[0] == 82  # 1000 // 12.12
    assert trades.pnl[0] == pytest.approx(82 * (12.375 - 12.12))


def test_slippage_sells_lower_and_buys_higher_for_a_short() -> None:
    config = BacktestConfig(initial_cash=1000.0, slippage=0.01)
    intents = Intents(enter_short=flags(COUNT, [1]), exit_short=flags(COUNT, [3]))
    trades = run_backtest(BARS, intents, config).trades

    assert trades.side[0] == Side.SHORT
    assert trades.entry_price[0] == pytest.approx(12 * 0.99)
    assert trades.exit_price[0] == pytest.approx(12.5 * 1.01)
    assert trades.size[0] == 84  # 1000 // 11.88
    assert trades.pnl[0] == pytest.approx(-84 * (12.625 - 11.88))


def test_an_opposite_entry_reverses_the_position_at_one_fill() -> None:
    intents = Intents(enter_long=flags(COUNT, [1]), enter_short=flags(COUNT, [2]))
    result = run_backtest(BARS, intents, CASH)

    trades = result.trades
    assert list(trades.side) == [Side.LONG, Side.SHORT]
    assert list(trades.entry_bar) == [2, 3]
    assert list(trades.exit_bar) == [3, 4]
    assert list(trades.exit_reason) == [ExitReason.SIGNAL, ExitReason.END_OF_DATA]
    # the short is sized on the equity after the long's close: 1083 // 13
    assert trades.size[1] == 83
    assert trades.pnl[1] == pytest.approx(83 * 2.0)
    assert result.equity[-1] == pytest.approx(1000 + 83 + 166)


def test_exit_only_closes_without_opening_the_opposite_trade() -> None:
    config = BacktestConfig(initial_cash=1000.0, on_opposite_signal=OppositeSignal.EXIT_ONLY)
    intents = Intents(enter_long=flags(COUNT, [1]), enter_short=flags(COUNT, [2]))
    trades = run_backtest(BARS, intents, config).trades

    assert list(trades.side) == [Side.LONG]
    assert (trades.exit_bar[0], trades.exit_price[0]) == (3, 13.0)


def test_without_shorts_a_short_signal_only_closes_a_long() -> None:
    config = BacktestConfig(initial_cash=1000.0, allow_short=False)
    intents = Intents(enter_long=flags(COUNT, [1]), enter_short=flags(COUNT, [0, 2]))
    trades = run_backtest(BARS, intents, config).trades

    assert list(trades.side) == [Side.LONG]
    assert (trades.entry_bar[0], trades.exit_bar[0]) == (2, 3)


@pytest.mark.parametrize(
    ("intents", "reason"),
    [
        (Intents(enter_long=flags(COUNT, [1]), enter_short=flags(COUNT, [1])), "entries both ways cancel"),
        (Intents(enter_long=flags(COUNT, [1]), exit_long=flags(COUNT, [1])), "the same side's exit is set"),
        (Intents(enter_long=flags(COUNT, [1]), warmup_bars=2), "before the warm-up"),
        (Intents(enter_long=flags(COUNT, [4])), "on the last bar, with no open to come"),
    ],
)
def test_an_entry_is_not_taken_when(intents: Intents, reason: str) -> None:
    result = run_backtest(BARS, intents, CASH)

    assert len(result.trades) == 0, reason
    assert result.open_position is None
    np.testing.assert_array_equal(result.equity, 1000.0)


def test_an_entry_on_the_side_held_adds_nothing() -> None:
    intents = Intents(enter_long=flags(COUNT, [1, 2]), exit_long=flags(COUNT, [3]))
    trades = run_backtest(BARS, intents, CASH).trades

    assert len(trades) == 1
    assert trades.size[0] == 83


def test_this_close_takes_an_exit_but_no_entry_on_the_last_bar() -> None:
    config = BacktestConfig(initial_cash=1000.0, fill_timing=FillTiming.THIS_CLOSE)
    intents = Intents(
        enter_long=flags(COUNT, [1]), exit_long=flags(COUNT, [4]), enter_short=flags(COUNT, [4])
    )
    trades = run_backtest(BARS, intents, config).trades

    assert list(trades.side) == [Side.LONG]
    assert (trades.exit_bar[0], trades.exit_price[0]) == (4, 11.0)
    assert trades.exit_reason[0] == ExitReason.SIGNAL


def test_warmup_is_where_intents_start_to_count_and_buy_and_hold_starts() -> None:
    intents = Intents(enter_long=flags(COUNT, [1, 2]), warmup_bars=2)
    result = run_backtest(BARS, intents, CASH)

    assert result.trades.entry_bar[0] == 3
    assert result.metrics.buy_and_hold_return == pytest.approx(11.0 / 12.5 - 1)


def test_results_read_as_tables() -> None:
    result = run_backtest(BARS, long_from_1_to_3(), CASH)

    trades = result.trades.to_frame()
    assert trades.loc[0, "side"] == "LONG"
    assert trades.loc[0, "exit_reason"] == "SIGNAL"
    assert trades.loc[0, "entry_time"] == np.datetime64("2024-01-03")
    curves = result.curves_frame()
    assert list(curves.columns) == ["equity", "drawdown", "cash", "position"]
    assert curves.index[-1] == np.datetime64("2024-01-05")
    assert curves["equity"].iloc[2] == pytest.approx(1041.5)
