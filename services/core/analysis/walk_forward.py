"""Walk-forward analysis: optimise on a window, trade the next one unseen, repeat, and stitch.

    windows = walk_forward_windows(len(bars), in_sample_bars=500, out_of_sample_bars=125, mode=Mode.ROLLING)
    result = walk_forward(graph, bars, config, mode=Mode.ROLLING, in_sample_bars=500,
                          out_of_sample_bars=125, settings=SearchSettings(method=Method.TPE, n_trials=50))

Windows, over bar indexes (every range half-open, [start, end)):
- rolling: the in-sample window keeps its length and slides by the out-of-sample length;
  window k is in-sample [k·O, k·O + I), out-of-sample [k·O + I, (k+1)·O + I);
- anchored: the in-sample window starts at the first bar and grows; window k is in-sample
  [0, I + k·O), out-of-sample the same as rolling.
Only whole out-of-sample windows are made: bars after the last one are not traded.

Each window runs `search` on its in-sample bars, then backtests the best parameters on its
out-of-sample bars. The out-of-sample backtest starts the strategy's warm-up bars earlier,
so its indicators have values from the first out-of-sample bar on, and trades nothing before
it: exactly what the strategy would have done live from that bar (a feasible in-sample trial
has a warm-up shorter than the in-sample window, so those bars always exist). It starts with
the previous window's final equity, and any trade still open at its last bar is closed there:
the window's parameters end with it. Once equity is at or below zero (the engine halts there),
later windows are still optimised but not traded: the curve stays flat.

The in-sample window must be long enough to trade the graph's current parameters (their
warm-up plus 2 bars); combinations whose warm-up does not fit are infeasible trials of the
window's search (see `search`).

The out-of-sample curves, one after the other, form one equity curve from the first
out-of-sample bar to the last; its trades are renumbered into that frame (bar 0 = the first
out-of-sample bar) and every metric is computed on it with `metric_table`, as for any backtest.
Each window's out-of-sample metrics are measured the same way on its own bars.

Overfitting shows as a gap between what the search found in-sample and what the same
parameters did next: the mean in-sample objective against the mean out-of-sample objective,
and the walk-forward efficiency (Pardo): the mean annualised out-of-sample return over the
mean annualised in-sample return. Near 1 the edge carried over; near 0 or below, it was fitted.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.search import SearchResult, SearchSettings, run_search
from services.core.backtest import BacktestConfig, Bars, Metrics, Trades, run_backtest
from services.core.backtest.drawdown import drawdown_curves
from services.core.backtest.metrics import metric_table
from services.core.backtest.runs import Runs
from services.core.backtest.trades import TRADE_FIELDS
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy import compile_graph, engine_config, evaluate
from services.core.strategy.parameters import PythonValue


class Mode(StrEnum):
    ROLLING = "rolling"
    ANCHORED = "anchored"


@dataclass(frozen=True, slots=True)
class Window:
    """Bar index ranges of one window, each [start, end)."""

    index: int
    in_sample_start: int
    in_sample_end: int
    out_of_sample_start: int
    out_of_sample_end: int


def walk_forward_windows(
    bar_count: int, *, in_sample_bars: int, out_of_sample_bars: int, mode: Mode
) -> tuple[Window, ...]:
    """The windows over `bar_count` bars; InvalidArgument naming the field when there are none."""
    violations = _window_violations(bar_count, in_sample_bars, out_of_sample_bars, mode)
    if violations:
        raise InvalidArgument("invalid walk-forward windows", violations)
    count = (bar_count - in_sample_bars) // out_of_sample_bars
    windows = []
    for index in range(count):
        test_start = in_sample_bars + index * out_of_sample_bars
        windows.append(
            Window(
                index=index,
                in_sample_start=0 if mode is Mode.ANCHORED else test_start - in_sample_bars,
                in_sample_end=test_start,
                out_of_sample_start=test_start,
                out_of_sample_end=test_start + out_of_sample_bars,
            )
        )
    return tuple(windows)


def _window_violations(
    bar_count: int, in_sample_bars: int, out_of_sample_bars: int, mode: Mode
) -> list[FieldViolation]:
    violations = [
        FieldViolation(name, "must be an integer ≥ 1")
        for name, value in (("in_sample_bars", in_sample_bars), ("out_of_sample_bars", out_of_sample_bars))
        if not _is_integer(value) or value < 1
    ]
    if not isinstance(mode, Mode):
        violations.append(FieldViolation("mode", f"must be one of {', '.join(Mode)}"))
    if not violations and in_sample_bars + out_of_sample_bars > bar_count:
        violations.append(
            FieldViolation(
                "bars",
                f"{bar_count} bars hold no window of {in_sample_bars} in-sample "
                f"and {out_of_sample_bars} out-of-sample bars",
            )
        )
    return violations


def _is_integer(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class WindowResult:
    window: Window
    search: SearchResult  # the in-sample search, every trial
    best_parameters: dict[str, PythonValue]
    in_sample_objective: float
    in_sample_metrics: Metrics
    out_of_sample_objective: float  # the objective metric, raw (no drawdown cap); NaN if undefined
    out_of_sample_metrics: Metrics
    warmup_bars: int  # bars before the out-of-sample window the backtest warmed up on


@dataclass(frozen=True, slots=True)
class Overfitting:
    """In-sample promise against out-of-sample delivery; means over windows with a finite value."""

    mean_in_sample_objective: float
    mean_out_of_sample_objective: float
    objective_ratio: float  # mean out-of-sample / mean in-sample objective (NaN unless in-sample > 0)
    walk_forward_efficiency: float  # mean annualised return out-of-sample / in-sample (same rule)
    profitable_windows: float  # share of windows whose out-of-sample total return is > 0


@dataclass(frozen=True, slots=True, eq=False)
class WalkForwardResult:
    """Per window, then the stitched out-of-sample backtest: its bars, curves, trades and metrics.

    `bars` are the input bars from the first out-of-sample bar (index `first_bar` of the input)
    to the last; `equity`, `drawdown` and the trades' bar indexes are in that frame.
    """

    mode: Mode
    settings: SearchSettings
    windows: tuple[WindowResult, ...]
    first_bar: int
    bars: Bars
    equity: np.ndarray
    drawdown: np.ndarray
    trades: Trades
    metrics: Metrics
    overfitting: Overfitting


# -- the analysis ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class _Traded:
    """One window's out-of-sample backtest, cut to its own bars."""

    window: Window
    equity: np.ndarray
    trades: Trades
    warmup_bars: int


def walk_forward(
    graph: WorkflowGraph,
    bars: Bars,
    config: BacktestConfig | None = None,
    *,
    mode: Mode,
    in_sample_bars: int,
    out_of_sample_bars: int,
    settings: SearchSettings,
) -> WalkForwardResult:
    """Optimise in-sample, trade out-of-sample, window after window; stitch and measure the latter."""
    config = config or BacktestConfig()
    windows = _checked_windows(graph, len(bars), in_sample_bars, out_of_sample_bars, mode)
    results, traded = _run_windows(graph, bars, config, settings, windows)
    first, last = windows[0].out_of_sample_start, windows[-1].out_of_sample_end
    frame = slice_bars(bars, first, last)
    equity = np.concatenate([run.equity for run in traded])
    trades = concatenate_trades(
        [shift_trades(run.trades, run.window.out_of_sample_start - first) for run in traded]
    )
    return WalkForwardResult(
        mode=mode,
        settings=settings,
        windows=results,
        first_bar=first,
        bars=frame,
        equity=equity,
        drawdown=drawdown_curves(equity),
        trades=trades,
        metrics=measure(frame, equity, trades, config.risk_free_rate),
        overfitting=overfitting(results),
    )


def _run_windows(
    graph: WorkflowGraph,
    bars: Bars,
    config: BacktestConfig,
    settings: SearchSettings,
    windows: tuple[Window, ...],
) -> tuple[tuple[WindowResult, ...], list[_Traded]]:
    """Each window in turn, its out-of-sample run starting from the previous one's final equity."""
    equity_before = config.initial_cash
    results, traded = [], []
    for window in windows:
        training = slice_bars(bars, window.in_sample_start, window.in_sample_end)
        found = run_search(graph, training, config, settings)
        if equity_before > 0:
            run = _trade_out_of_sample(
                found, bars, window, dataclasses.replace(config, initial_cash=equity_before)
            )
        else:
            run = _ruined(window, bars, equity_before)
        equity_before = float(run.equity[-1])
        test_bars = slice_bars(bars, window.out_of_sample_start, window.out_of_sample_end)
        test_metrics = measure(test_bars, run.equity, run.trades, config.risk_free_rate)
        results.append(_window_result(window, found, test_metrics, run.warmup_bars))
        traded.append(run)
    return tuple(results), traded


def _checked_windows(
    graph: WorkflowGraph, bar_count: int, in_sample_bars: int, out_of_sample_bars: int, mode: Mode
) -> tuple[Window, ...]:
    """The windows, once the sizes and the strategy's warm-up agree."""
    windows = walk_forward_windows(
        bar_count, in_sample_bars=in_sample_bars, out_of_sample_bars=out_of_sample_bars, mode=mode
    )
    violations = []
    if out_of_sample_bars < 2:
        violations.append(FieldViolation("out_of_sample_bars", "a backtest needs at least 2 bars"))
    warmup = compile_graph(graph).warmup_bars
    if in_sample_bars < warmup + 2:
        violations.append(
            FieldViolation(
                "in_sample_bars",
                f"the strategy warms up on {warmup} bars; in-sample needs at least {warmup + 2} to trade",
            )
        )
    if violations:
        raise InvalidArgument("invalid walk-forward windows", violations)
    return windows


def _trade_out_of_sample(found: SearchResult, bars: Bars, window: Window, config: BacktestConfig) -> _Traded:
    """The best spec on the out-of-sample bars, warmed up on the bars just before them."""
    spec = found.best_spec
    lead = min(spec.warmup_bars, window.out_of_sample_start)
    run_bars = slice_bars(bars, window.out_of_sample_start - lead, window.out_of_sample_end)
    intents = evaluate(spec, run_bars).intents
    intents = dataclasses.replace(intents, warmup_bars=max(intents.warmup_bars, lead))
    window_config = engine_config(spec, dataclasses.replace(config, close_at_end=True))
    result = run_backtest(run_bars, intents, window_config)
    return _Traded(
        window=window,
        equity=result.equity[lead:],
        trades=shift_trades(result.trades, -lead),
        warmup_bars=lead,
    )


def _ruined(window: Window, bars: Bars, equity: float) -> _Traded:
    """A window after the account was wiped out: nothing left to trade with, the curve stays flat."""
    timestamps = bars.timestamps[window.out_of_sample_start : window.out_of_sample_end]
    return _Traded(
        window=window,
        equity=np.full(timestamps.shape[0], equity),
        trades=Trades.from_matrix(np.empty((0, TRADE_FIELDS)), timestamps),
        warmup_bars=0,
    )


def _window_result(window: Window, found: SearchResult, test_metrics: Metrics, warmup: int) -> WindowResult:
    return WindowResult(
        window=window,
        search=found,
        best_parameters=found.best_parameters,
        in_sample_objective=found.best_objective,
        in_sample_metrics=found.best_metrics,
        out_of_sample_objective=float(getattr(test_metrics, found.settings.objective)),
        out_of_sample_metrics=test_metrics,
        warmup_bars=warmup,
    )


def overfitting(results: tuple[WindowResult, ...]) -> Overfitting:
    mean_in = _finite_mean([result.in_sample_objective for result in results])
    mean_out = _finite_mean([result.out_of_sample_objective for result in results])
    annual_in = _finite_mean([result.in_sample_metrics.annualized_return for result in results])
    annual_out = _finite_mean([result.out_of_sample_metrics.annualized_return for result in results])
    profitable = [result.out_of_sample_metrics.total_return > 0 for result in results]
    return Overfitting(
        mean_in_sample_objective=mean_in,
        mean_out_of_sample_objective=mean_out,
        objective_ratio=_ratio(mean_out, mean_in),
        walk_forward_efficiency=_ratio(annual_out, annual_in),
        profitable_windows=sum(profitable) / len(profitable),
    )


def _finite_mean(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return sum(finite) / len(finite) if finite else math.nan


def _ratio(out_of_sample: float, in_sample: float) -> float:
    """A ratio only means "how much carried over" against a positive in-sample figure."""
    return out_of_sample / in_sample if in_sample > 0 else math.nan


# -- frames ----------------------------------------------------------------------------


def slice_bars(bars: Bars, start: int, stop: int) -> Bars:
    """Bars [start, stop) of already checked bars (a slice of valid bars is valid)."""
    return Bars(
        open=bars.open[start:stop],
        high=bars.high[start:stop],
        low=bars.low[start:stop],
        close=bars.close[start:stop],
        volume=bars.volume[start:stop],
        timestamps=bars.timestamps[start:stop],
    )


def shift_trades(trades: Trades, bars: int) -> Trades:
    """The same trades with their bar indexes moved by `bars` (times are unchanged)."""
    return dataclasses.replace(trades, entry_bar=trades.entry_bar + bars, exit_bar=trades.exit_bar + bars)


def concatenate_trades(parts: list[Trades]) -> Trades:
    return Trades(
        **{
            field.name: np.concatenate([getattr(part, field.name) for part in parts])
            for field in dataclasses.fields(Trades)
        }
    )


def measure(bars: Bars, equity: np.ndarray, trades: Trades, risk_free_rate: float) -> Metrics:
    """Every metric of one equity curve and its trades on these bars (no warm-up: all were traded)."""
    runs = Runs(
        equity=equity[np.newaxis, :],
        drawdowns=drawdown_curves(equity)[np.newaxis, :],
        trades=trades,
        trade_run=np.zeros(len(trades), dtype=np.int64),
        warmup_bars=np.zeros(1, dtype=np.int64),
    )
    return Metrics.from_table(metric_table(runs, bars=bars, risk_free_rate=risk_free_rate))
