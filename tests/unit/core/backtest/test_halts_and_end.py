"""The max-drawdown halt, ruin, and what happens to a trade still open at the end of the data."""

from __future__ import annotations

import numpy as np
import pytest

from services.core.backtest import BacktestConfig, ExitReason, FillTiming, Intents, Side, run_backtest
from tests.unit.core.backtest.helpers import flags, flat_bars, make_bars

# bought at 10 on bar 1 (100 units); bar 2 closes at 7.9: equity 790, 21 % below its peak
FALLING = make_bars(
    [
        (10.0, 10.0, 10.0, 10.0),
        (10.0, 10.0, 10.0, 10.0),
        (9.0, 9.0, 7.9, 7.9),
        (7.5, 8.0, 7.0, 7.2),
        (7.0, 7.0, 7.0, 7.0),
        (7.0, 7.0, 7.0, 7.0),
    ]
)
LONG_THEN_AGAIN = Intents(enter_long=flags(6, [0, 4]))


def test_a_drawdown_halt_closes_at_the_next_open_and_stops_trading() -> None:
    config = BacktestConfig(initial_cash=1000.0, max_drawdown_halt=0.2)
    result = run_backtest(FALLING, LONG_THEN_AGAIN, config)

    trades = result.trades
    assert len(trades) == 1  # the entry intent on bar 4 is ignored
    assert (trades.exit_bar[0], trades.exit_price[0]) == (3, 7.5)
    assert trades.exit_reason[0] == ExitReason.DRAWDOWN_HALT
    assert result.halted_bar == 2
    np.testing.assert_allclose(result.equity, [1000, 1000, 790, 750, 750, 750])


def test_with_fills_at_the_close_a_drawdown_halt_closes_at_that_close() -> None:
    config = BacktestConfig(initial_cash=1000.0, max_drawdown_halt=0.2, fill_timing=FillTiming.THIS_CLOSE)
    result = run_backtest(FALLING, LONG_THEN_AGAIN, config)

    trades = result.trades
    assert len(trades) == 1
    assert (trades.entry_bar[0], trades.exit_bar[0], trades.exit_price[0]) == (0, 2, 7.9)
    assert result.halted_bar == 2


def test_a_drawdown_short_of_the_halt_does_not_trigger_it() -> None:
    config = BacktestConfig(initial_cash=1000.0, max_drawdown_halt=0.35)  # the worst is 30 %
    result = run_backtest(FALLING, LONG_THEN_AGAIN, config)

    assert result.halted_bar is None
    assert result.trades.exit_reason[0] == ExitReason.END_OF_DATA


def test_equity_at_zero_halts_and_closes_at_that_close() -> None:
    bars = flat_bars([10.0, 10.0, 15.0, 21.0, 30.0, 30.0])
    result = run_backtest(bars, Intents(enter_short=flags(6, [0])), BacktestConfig(initial_cash=1000.0))

    trades = result.trades
    assert (trades.side[0], trades.size[0]) == (Side.SHORT, 100)
    assert (trades.exit_bar[0], trades.exit_price[0]) == (3, 21.0)
    assert trades.exit_reason[0] == ExitReason.DRAWDOWN_HALT
    assert result.halted_bar == 3
    np.testing.assert_allclose(result.equity[3:], -100.0)


def test_a_trade_open_at_the_end_closes_at_the_last_close_with_costs() -> None:
    bars = flat_bars([10.0, 10.0, 11.0, 12.0])
    config = BacktestConfig(initial_cash=1000.0, commission=0.001, slippage=0.001)
    result = run_backtest(bars, Intents(enter_long=flags(4, [0])), config)

    trades = result.trades
    assert (trades.exit_bar[0], trades.exit_reason[0]) == (3, ExitReason.END_OF_DATA)
    assert trades.exit_price[0] == pytest.approx(12.0 * 0.999)
    assert result.open_position is None
    assert result.position[-1] == 0.0
    assert result.equity[-1] == pytest.approx(1000 + trades.pnl[0])
    assert result.metrics.trade_count == 1


def test_keeping_the_trade_open_marks_it_to_the_last_close_without_counting_it() -> None:
    bars = flat_bars([10.0, 10.0, 11.0, 12.0])
    config = BacktestConfig(initial_cash=1000.0, commission=0.001, close_at_end=False)
    result = run_backtest(bars, Intents(enter_long=flags(4, [0])), config)

    assert len(result.trades) == 0
    assert result.metrics.trade_count == 0
    assert np.isnan(result.metrics.win_rate)
    held = result.open_position
    assert held is not None
    assert (held.side, held.size, held.entry_bar, held.entry_price) == (Side.LONG, 99, 1, 10.0)
    assert held.unrealized_pnl == pytest.approx(99 * 2.0)
    # the entry commission was paid, the exit commission never was
    assert result.equity[-1] == pytest.approx(1000 - 99 * 10 * 0.001 + 99 * 2.0)
    assert result.position[-1] == 99
