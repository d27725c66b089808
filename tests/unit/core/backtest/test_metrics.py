"""Metrics: our own ones by hand, the grouped (grid) form against one run at a time, and the
calendar and drawdown episodes against what backtesting.py and pandas compute."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting._stats import compute_drawdown_duration_peaks
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.core.backtest import Bars
from services.core.backtest.drawdown import drawdown_curves, drawdown_episodes
from services.core.backtest.equity_metrics import equity_metrics
from services.core.backtest.periods import Calendar
from services.core.backtest.runs import Runs
from services.core.backtest.trade_metrics import trade_metrics
from services.core.backtest.trades import Trades

DAY = 86_400 * 10**9


def trades_of(pnl: list[float], returns: list[float] | None = None, *, spacing: int = 2) -> Trades:
    """Back-to-back one-bar trades with these results (times one day per bar)."""
    count = len(pnl)
    entry = np.arange(count, dtype=np.int64) * spacing
    exit_bar = entry + 1
    return Trades(
        entry_bar=entry,
        exit_bar=exit_bar,
        entry_time=entry * DAY,
        exit_time=exit_bar * DAY,
        side=np.ones(count, dtype=np.int8),
        size=np.ones(count),
        entry_price=np.full(count, 100.0),
        exit_price=100.0 + np.asarray(pnl, dtype=np.float64),
        pnl=np.asarray(pnl, dtype=np.float64),
        returns=np.asarray(returns if returns is not None else np.asarray(pnl) / 100.0, dtype=np.float64),
        commission=np.full(count, 0.5),
        exit_reason=np.ones(count, dtype=np.int8),
    )


def single_run(trades: Trades, bar_count: int = 40) -> dict[str, float]:
    table = trade_metrics(trades, np.zeros(len(trades), dtype=np.int64), 1, bar_count)
    return {name: float(values[0]) for name, values in table.items()}


def test_streaks_cash_profit_factor_and_cash_expectancy() -> None:
    metrics = single_run(trades_of([5, 3, -2, 0, 4, 1, 2, -1, -6, -1, 7]))

    assert metrics["longest_winning_streak"] == 3  # 4, 1, 2
    assert metrics["longest_losing_streak"] == 3  # -1, -6, -1 (a zero ends both kinds)
    assert metrics["profit_factor_cash"] == pytest.approx(22 / 10)
    assert metrics["expectancy_cash"] == pytest.approx(12 / 11)
    assert metrics["trade_count"] == 11
    assert metrics["win_rate"] == pytest.approx(6 / 11)
    assert metrics["commissions"] == pytest.approx(5.5)


def test_trade_statistics_by_hand() -> None:
    pnl = [10.0, -5.0, 20.0, -10.0]
    returns = [0.1, -0.05, 0.2, -0.1]
    metrics = single_run(trades_of(pnl, returns))

    assert metrics["best_trade"] == 0.2
    assert metrics["worst_trade"] == -0.1
    assert metrics["average_trade"] == pytest.approx((1.1 * 0.95 * 1.2 * 0.9) ** 0.25 - 1)
    assert metrics["profit_factor"] == pytest.approx(0.3 / 0.15)
    assert metrics["expectancy"] == pytest.approx(0.0375)
    assert metrics["sqn"] == pytest.approx(np.sqrt(4) * np.mean(pnl) / np.std(pnl, ddof=1))
    assert metrics["kelly_criterion"] == pytest.approx(0.5 - 0.5 / (15 / 7.5))
    assert metrics["max_trade_duration_seconds"] == 86_400
    # four one-bar trades, two bars each: entry and exit bar counted
    assert metrics["exposure_time"] == pytest.approx(8 / 40)


def test_a_trade_losing_everything_makes_the_average_trade_zero_as_backtesting_py() -> None:
    assert single_run(trades_of([-100.0, 10.0], [-1.0, 0.1]))["average_trade"] == 0.0


def test_a_reversal_bar_counts_once_for_exposure() -> None:
    metrics = single_run(trades_of([1.0, 2.0, 3.0], spacing=1), bar_count=10)

    assert metrics["exposure_time"] == pytest.approx(4 / 10)  # bars 0..3


def test_without_trades_trade_statistics_are_nan_and_counts_zero() -> None:
    metrics = single_run(trades_of([]))

    assert metrics["trade_count"] == 0
    assert metrics["exposure_time"] == 0
    assert metrics["longest_winning_streak"] == 0
    for name in ("win_rate", "best_trade", "average_trade", "profit_factor", "sqn", "kelly_criterion"):
        assert np.isnan(metrics[name]), name


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-50, 50, allow_nan=False), max_size=12), min_size=1, max_size=6))
@example(runs=[[1.1125369292536007e-308, -4.0]])  # a subnormal win: the payoff ratio overflowed Kelly
def test_grouped_statistics_equal_one_run_at_a_time(runs: list[list[float]]) -> None:
    trades = [trades_of(pnl) for pnl in runs]
    together = _concatenate(trades)
    run_ids = np.repeat(np.arange(len(runs)), [len(pnl) for pnl in runs])
    table = trade_metrics(together, run_ids, len(runs), 40)

    for row, single in enumerate(trades):
        alone = single_run(single)
        for name, values in table.items():
            np.testing.assert_allclose(values[row], alone[name], rtol=1e-12, atol=1e-12, err_msg=name)


def _concatenate(parts: list[Trades]) -> Trades:
    fields = Trades.__dataclass_fields__
    return Trades(**{name: np.concatenate([getattr(part, name) for part in parts]) for name in fields})


def test_an_always_invested_curve_has_beta_and_correlation_one() -> None:
    close = 100 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.01, 300)))
    bars = Bars.from_arrays(
        open=close, high=close, low=close, close=close, timestamps=np.arange(300, dtype=np.int64) * DAY
    )
    equity = np.vstack([close * 50, np.full(300, 1000.0)])
    runs = Runs(
        equity=equity,
        drawdowns=drawdown_curves(equity),
        trades=trades_of([]),
        trade_run=np.zeros(0, dtype=np.int64),
        warmup_bars=np.array([0, 10]),
    )
    metrics = equity_metrics(runs, bars=bars, risk_free_rate=0.0)

    assert metrics["beta"][0] == pytest.approx(1.0)
    assert metrics["correlation"][0] == pytest.approx(1.0)
    assert metrics["alpha"][0] == pytest.approx(0.0, abs=1e-12)
    assert metrics["total_return"][0] == pytest.approx(metrics["buy_and_hold_return"][0])
    # a flat curve: no risk, no drawdown, ratios over zero undefined
    assert metrics["beta"][1] == 0.0
    assert np.isnan(metrics["correlation"][1])
    assert metrics["max_drawdown"][1] == 0.0
    assert np.isnan(metrics["sharpe_ratio"][1])
    assert np.isnan(metrics["calmar_ratio"][1])
    assert metrics["buy_and_hold_return"][1] == pytest.approx(close[-1] / close[10] - 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=2, max_size=60), st.booleans())
def test_drawdown_episodes_equal_backtesting_py(steps: list[float], dip_at_end: bool) -> None:
    equity = 100 * np.cumprod(steps)
    if dip_at_end:
        equity[-1] = equity.max() * 0.9  # a drawdown only on the last bar: not an episode there
    index = pd.date_range("2020-01-01", periods=len(equity), freq="D")
    drawdown = drawdown_curves(equity)
    durations, peaks = compute_drawdown_duration_peaks(pd.Series(drawdown, index=index))
    expected = peaks.dropna() if durations.dtype.kind == "m" else pd.Series(dtype=float)

    episodes = drawdown_episodes(drawdown[np.newaxis, :])
    np.testing.assert_allclose(episodes.depth, expected.to_numpy(dtype=np.float64))
    if len(expected):
        np.testing.assert_array_equal(index[episodes.end_bar], expected.index)
        np.testing.assert_array_equal(
            (index[episodes.end_bar] - index[episodes.start_bar]).to_numpy(),
            durations.dropna().to_numpy(),
        )


@pytest.mark.parametrize(
    ("frequency", "periods", "rule"),
    [
        ("15min", 365.0, "D"),  # intraday, every day of the week: 365 days a year
        ("D", 365.0, "D"),
        ("B", 252.0, "D"),
        ("W-FRI", 52.0, "W"),
        ("MS", 12.0, "ME"),
        ("YS", 1.0, "YE"),
    ],
)
def test_the_calendar_samples_equity_as_backtesting_py_resamples_it(
    frequency: str, periods: float, rule: str
) -> None:
    index = pd.date_range("2019-12-30 09:00", periods=3000 if "min" in frequency else 400, freq=frequency)
    calendar = Calendar.from_timestamps(index.to_numpy().astype("datetime64[ns]").view(np.int64))
    equity = pd.Series(np.arange(len(index), dtype=np.float64), index=index)

    assert calendar.periods_per_year == periods
    expected = equity.resample(rule).last().dropna().to_numpy()
    np.testing.assert_array_equal(equity.to_numpy()[calendar.sample_bars], expected)
