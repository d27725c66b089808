"""Stop-loss, take-profit and trailing stops against each bar's range, worked out by hand.

Each case enters long (or short) on bar 0's intent: at bar 1's open of 10 (NEXT_OPEN), or at
bar 0's close of 10 (THIS_CLOSE). With 1,000 cash that is 100 units.
"""

from __future__ import annotations

import numpy as np
import pytest

from services.core.backtest import BacktestConfig, ExitReason, FillTiming, Intents, run_backtest
from services.core.backtest.trades import Trades
from tests.unit.core.backtest.helpers import flags, make_bars

FLAT_START = [(10.0, 10.0, 10.0, 10.0), (10.0, 10.5, 9.8, 10.0)]


def run(rows: list[tuple[float, float, float, float]], side: str = "long", **config: object) -> Trades:
    bars = make_bars(rows)
    entry = flags(len(bars), [0])
    intents = Intents(enter_long=entry) if side == "long" else Intents(enter_short=entry)
    return run_backtest(bars, intents, BacktestConfig(initial_cash=1000.0, **config)).trades  # type: ignore[arg-type]


def only_exit(trades: Trades) -> tuple[int, float, ExitReason]:
    assert len(trades) == 1
    return int(trades.exit_bar[0]), float(trades.exit_price[0]), ExitReason(trades.exit_reason[0])


def test_the_stop_is_assumed_first_when_stop_and_target_share_a_bar() -> None:
    trades = run([*FLAT_START, (10.0, 11.5, 8.5, 10.0)], stop_loss=0.1, take_profit=0.1)

    assert only_exit(trades) == (2, 9.0, ExitReason.STOP_LOSS)


def test_a_target_touched_alone_fills_at_its_price() -> None:
    trades = run([*FLAT_START, (10.0, 11.5, 9.8, 11.2)], stop_loss=0.1, take_profit=0.1)

    assert only_exit(trades) == (2, 11.0, ExitReason.TAKE_PROFIT)


def test_a_gap_through_the_stop_fills_at_the_open() -> None:
    trades = run([*FLAT_START, (8.0, 8.5, 7.5, 8.2)], stop_loss=0.1)

    assert only_exit(trades) == (2, 8.0, ExitReason.STOP_LOSS)


def test_a_gap_through_the_target_fills_at_the_better_open() -> None:
    trades = run([*FLAT_START, (12.0, 12.5, 11.8, 12.2)], take_profit=0.1)

    assert only_exit(trades) == (2, 12.0, ExitReason.TAKE_PROFIT)


def test_short_stops_mirror_long_ones() -> None:
    stopped = run([*FLAT_START, (10.0, 11.5, 8.5, 10.0)], side="short", stop_loss=0.1, take_profit=0.1)
    gapped = run([*FLAT_START, (8.5, 8.8, 8.2, 8.6)], side="short", stop_loss=0.1, take_profit=0.1)

    assert only_exit(stopped) == (2, 11.0, ExitReason.STOP_LOSS)
    assert only_exit(gapped) == (2, 8.5, ExitReason.TAKE_PROFIT)
    assert gapped.pnl[0] == pytest.approx(100 * 1.5)


def test_a_fill_at_the_open_is_protected_from_that_bar_on() -> None:
    trades = run([(10.0, 10.0, 10.0, 10.0), (10.0, 10.2, 8.9, 9.5), (9.5, 9.5, 9.5, 9.5)], stop_loss=0.1)

    assert only_exit(trades) == (1, 9.0, ExitReason.STOP_LOSS)


def test_a_fill_at_the_close_is_protected_from_the_next_bar_on() -> None:
    rows = [(10.0, 10.0, 8.0, 10.0), (10.0, 10.2, 8.9, 9.5), (9.5, 9.5, 9.5, 9.5)]
    trades = run(rows, stop_loss=0.1, fill_timing=FillTiming.THIS_CLOSE)

    assert only_exit(trades) == (1, 9.0, ExitReason.STOP_LOSS)


def test_slippage_worsens_a_stop_fill_but_not_a_target_fill() -> None:
    stopped = run([*FLAT_START, (10.0, 10.5, 8.5, 9.0)], stop_loss=0.1, slippage=0.01)
    targeted = run([*FLAT_START, (10.0, 11.5, 9.9, 11.0)], take_profit=0.1, slippage=0.01)

    # levels are set from the entry fill, itself slipped: 10 × 1.01 = 10.1
    assert stopped.exit_price[0] == pytest.approx(10.1 * 0.9 * 0.99)
    assert targeted.exit_price[0] == pytest.approx(10.1 * 1.1)


def test_the_trailing_stop_follows_the_best_high_of_the_bars_before() -> None:
    rows = [
        *FLAT_START,  # entry at 10: the stop starts at 9; bar 1's high of 10.5 lifts it to 9.45
        (10.5, 12.0, 10.0, 11.8),  # low 10 > 9.45; the high of 12 lifts it to 10.8
        (11.8, 12.5, 11.0, 12.0),  # low 11 > 10.8 (12.5 × 0.9 = 11.25 would have hit: not used yet)
        (11.6, 11.8, 11.2, 11.5),  # low 11.2 ≤ 12.5 × 0.9 = 11.25: out at 11.25
    ]
    trades = run(rows, trailing_stop=0.1)

    exit_bar, price, reason = only_exit(trades)
    assert (exit_bar, reason) == (4, ExitReason.TRAILING_STOP)
    assert price == pytest.approx(11.25)


def test_the_tighter_of_stop_loss_and_trailing_stop_applies() -> None:
    rising = [*FLAT_START, (10.0, 12.0, 10.0, 12.0), (12.0, 12.0, 10.7, 11.0)]
    falling = [*FLAT_START, (10.0, 10.1, 9.4, 9.6)]

    # trailing: 12 × 0.9 = 10.8 beats the stop-loss at 9.5
    exit_bar, price, reason = only_exit(run(rising, stop_loss=0.05, trailing_stop=0.1))
    assert (exit_bar, reason) == (3, ExitReason.TRAILING_STOP)
    assert price == pytest.approx(10.8)
    # before any rise the stop-loss (9.5) is above the trailing stop (10.5 × 0.9 = 9.45)
    assert only_exit(run(falling, stop_loss=0.05, trailing_stop=0.1)) == (2, 9.5, ExitReason.STOP_LOSS)


def test_per_bar_prices_beat_per_bar_fractions_which_beat_the_config() -> None:
    rows = [*FLAT_START, (10.0, 10.2, 9.55, 9.7), (9.7, 9.7, 6.5, 8.0)]
    bars = make_bars(rows)
    count = len(bars)
    entry = flags(count, [0])
    config = BacktestConfig(initial_cash=1000.0, stop_loss=0.3)

    by_config = run_backtest(bars, Intents(enter_long=entry), config).trades
    by_fraction = run_backtest(
        bars, Intents(enter_long=entry, stop_loss_fraction=np.full(count, 0.1)), config
    ).trades
    by_price = run_backtest(
        bars,
        Intents(
            enter_long=entry, stop_loss_fraction=np.full(count, 0.1), stop_loss_price=np.full(count, 9.6)
        ),
        config,
    ).trades

    assert only_exit(by_config) == (3, 7.0, ExitReason.STOP_LOSS)
    assert only_exit(by_fraction) == (3, 9.0, ExitReason.STOP_LOSS)
    assert only_exit(by_price) == (2, 9.6, ExitReason.STOP_LOSS)


def test_levels_are_read_on_the_bar_the_entry_was_decided() -> None:
    rows = [*FLAT_START, (10.0, 12.5, 9.9, 12.0)]
    targets = np.array([12.0, 11.0, 11.0])  # only bar 0's value belongs to the trade
    trades = run_backtest(
        make_bars(rows), Intents(enter_long=flags(3, [0]), take_profit_price=targets), BacktestConfig()
    ).trades

    assert only_exit(trades) == (2, 12.0, ExitReason.TAKE_PROFIT)
