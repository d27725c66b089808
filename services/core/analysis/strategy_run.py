"""One backtest of a compiled strategy as a user asks for it: a time window, a methodology.

The window trades only bars inside [start, end]; indicators still warm up on the bars
before `start` (they are evaluated on everything up to `end`, and intents before the
first bar of the window are ignored). Monte Carlo runs the standard backtest and then
resamples its trades.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.monte_carlo import Method, MonteCarloResult, monte_carlo
from services.core.analysis.search import SearchSettings
from services.core.analysis.walk_forward import Mode, WalkForwardResult, walk_forward
from services.core.backtest import BacktestConfig
from services.core.backtest.engine import BacktestResult, run_backtest
from services.core.backtest.inputs import Bars
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy import engine_config, evaluate


@dataclass(frozen=True, slots=True)
class MonteCarloRequest:
    method: Method
    simulations: int
    seed: int
    ruin_fraction: float


@dataclass(frozen=True, slots=True)
class StrategyRun:
    bars: Bars
    result: BacktestResult
    monte_carlo: MonteCarloResult | None = None


def _until(bars: Bars, end_ns: int | None) -> Bars:
    if end_ns is None:
        return bars
    keep = bars.timestamps <= end_ns
    fields = ("open", "high", "low", "close", "volume", "timestamps")
    return Bars.from_arrays(**{name: getattr(bars, name)[keep] for name in fields})


def trade_equity_returns(result: BacktestResult, initial_cash: float) -> np.ndarray:
    """Each trade's P&L as a fraction of the equity before it opened (what compounds)."""
    before = result.trades.entry_bar - 1
    equity_before = np.where(before >= 0, result.equity[np.maximum(before, 0)], initial_cash)
    return result.trades.pnl / equity_before


def run_strategy(
    spec: StrategySpec,
    bars: Bars,
    config: BacktestConfig,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    monte_carlo_request: MonteCarloRequest | None = None,
) -> StrategyRun:
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        raise InvalidArgument(
            "the window is empty", [FieldViolation("backtest_config.end_time", "is before start_time")]
        )
    bars = _until(bars, end_ns)
    first_traded = 0 if start_ns is None else int(np.searchsorted(bars.timestamps, start_ns, side="left"))
    if len(bars) - max(first_traded, spec.warmup_bars) < 2:
        raise InvalidArgument(
            "not enough bars to trade",
            [
                FieldViolation(
                    "bars", f"{len(bars)} bars, {spec.warmup_bars} of warm-up; the window leaves fewer than 2"
                )
            ],
        )
    evaluation = evaluate(spec, bars)
    intents = dataclasses.replace(
        evaluation.intents, warmup_bars=max(evaluation.intents.warmup_bars, first_traded)
    )
    result = run_backtest(bars, intents, engine_config(spec, config))
    summary = None
    if monte_carlo_request is not None:
        summary = monte_carlo(
            trade_equity_returns(result, config.initial_cash),
            method=monte_carlo_request.method,
            simulations=monte_carlo_request.simulations,
            initial_equity=config.initial_cash,
            ruin_fraction=monte_carlo_request.ruin_fraction,
            seed=monte_carlo_request.seed,
        )
    return StrategyRun(bars=bars, result=result, monte_carlo=summary)


# The in-sample optimisation of a walk-forward backtest: what the product uses when a user
# asks for walk-forward without an optimisation config of their own (MODEL mode has one).
DEFAULT_WALK_FORWARD_SEARCH = SearchSettings(objective="sharpe_ratio", n_trials=30, seed=0)


def run_walk_forward(
    graph: WorkflowGraph,
    bars: Bars,
    config: BacktestConfig,
    *,
    mode: Mode,
    in_sample_bars: int,
    out_of_sample_bars: int,
    max_windows: int = 0,
    end_ns: int | None = None,
    settings: SearchSettings = DEFAULT_WALK_FORWARD_SEARCH,
) -> tuple[WalkForwardResult, Bars]:
    """Walk-forward over the bars up to `end_ns`; with `max_windows`, only the latest windows.
    Returns the result and the bars it ran on (its windows index them).

    Rolling windows keep their in-sample length, so the latest `max_windows` of them need
    in_sample + max_windows × out_of_sample bars; anchored ones then start that much later too.
    """
    if max_windows < 0:
        raise InvalidArgument("invalid walk-forward settings", [FieldViolation("max_windows", "must be ≥ 0")])
    bars = _until(bars, end_ns)
    if max_windows and in_sample_bars > 0 and out_of_sample_bars > 0:
        needed = in_sample_bars + max_windows * out_of_sample_bars
        if len(bars) > needed:
            fields = ("open", "high", "low", "close", "volume", "timestamps")
            bars = Bars.from_arrays(**{name: getattr(bars, name)[-needed:] for name in fields})
    result = walk_forward(
        graph, bars, config, mode=mode, in_sample_bars=in_sample_bars, out_of_sample_bars=out_of_sample_bars,
        settings=settings,
    )  # fmt: skip
    return result, bars
