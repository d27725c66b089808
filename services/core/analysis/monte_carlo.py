"""Monte Carlo analysis of a backtest's trades: how lucky was the order they came in?

Two methods over the per-trade returns of one backtest (each trade's P&L as a fraction
of the equity it was opened with, compounded one after the other):

- reshuffle: the same trades in a random order. Final equity is unchanged (products
  commute); the drawdowns change, which shows how much of the backtest's drawdown
  profile was the luck of the sequence.
- bootstrap: as many trades as the backtest had, drawn with replacement. Final equity
  and drawdowns both vary: a rough distribution of what the edge could have produced.

For each method: percentiles of final equity and of maximum drawdown, and the
probability of ruin, the share of paths whose drawdown from a peak reached
`ruin_fraction` (0.5: at some point half of the equity was lost). Seeded, so a report
can be reproduced exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from services.core.errors import FieldViolation, InvalidArgument

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)
MAX_SIMULATIONS = 100_000


class Method(StrEnum):
    RESHUFFLE = "reshuffle"
    BOOTSTRAP = "bootstrap"


@dataclass(frozen=True, slots=True)
class Distribution:
    percentiles: dict[int, float]
    mean: float
    standard_deviation: float


@dataclass(frozen=True, slots=True)
class MonteCarloResult:
    method: Method
    seed: int
    initial_equity: float
    ruin_fraction: float
    simulations: int
    trades: int
    final_equity: Distribution
    max_drawdown: Distribution
    probability_of_ruin: float
    # the original sequence's values, for comparison with the distribution
    observed_final_equity: float
    observed_max_drawdown: float


def _describe(values: np.ndarray) -> Distribution:
    return Distribution(
        percentiles={
            p: float(v) for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=True)
        },
        mean=float(values.mean()),
        standard_deviation=float(values.std()),
    )


def _paths(trade_returns: np.ndarray, initial_equity: float) -> np.ndarray:
    """Equity after each trade, one row per path, starting with the initial equity."""
    growth = np.cumprod(1.0 + trade_returns, axis=-1)
    start = np.ones((*growth.shape[:-1], 1))
    return initial_equity * np.concatenate([start, growth], axis=-1)


def _max_drawdowns(paths: np.ndarray) -> np.ndarray:
    peaks = np.maximum.accumulate(paths, axis=-1)
    return (1.0 - paths / peaks).max(axis=-1)


def _check(trade_returns: np.ndarray, simulations: int, initial_equity: float, ruin_fraction: float) -> None:
    violations = []
    if trade_returns.ndim != 1 or not np.isfinite(trade_returns).all():
        violations.append(FieldViolation("trade_returns", "must be a finite one-dimensional series"))
    elif (trade_returns <= -1).any():
        violations.append(FieldViolation("trade_returns", "a trade cannot lose more than the whole equity"))
    if not 1 <= simulations <= MAX_SIMULATIONS:
        violations.append(FieldViolation("simulations", f"must be between 1 and {MAX_SIMULATIONS}"))
    if not initial_equity > 0:
        violations.append(FieldViolation("initial_equity", "must be positive"))
    if not 0 < ruin_fraction < 1:
        violations.append(FieldViolation("ruin_fraction", "must be in (0, 1)"))
    if violations:
        raise InvalidArgument("invalid Monte Carlo settings", violations)


def monte_carlo(
    trade_returns: np.ndarray,
    *,
    method: Method,
    simulations: int = 1000,
    initial_equity: float = 1.0,
    ruin_fraction: float = 0.5,
    seed: int = 0,
) -> MonteCarloResult:
    """Distributions of final equity and max drawdown over `simulations` resampled trade sequences."""
    trade_returns = np.asarray(trade_returns, dtype=np.float64)
    _check(trade_returns, simulations, initial_equity, ruin_fraction)
    observed = _paths(trade_returns, initial_equity)
    count = len(trade_returns)
    generator = np.random.default_rng(seed)
    if count == 0:
        samples = np.zeros((simulations, 0))
    elif method is Method.RESHUFFLE:
        samples = generator.permuted(np.broadcast_to(trade_returns, (simulations, count)), axis=1)
    else:
        samples = trade_returns[generator.integers(0, count, size=(simulations, count))]
    paths = _paths(samples, initial_equity)
    drawdowns = _max_drawdowns(paths)
    return MonteCarloResult(
        method=method,
        seed=seed,
        initial_equity=initial_equity,
        ruin_fraction=ruin_fraction,
        simulations=simulations,
        trades=count,
        final_equity=_describe(paths[:, -1]),
        max_drawdown=_describe(drawdowns),
        probability_of_ruin=float((drawdowns >= ruin_fraction).mean()),
        observed_final_equity=float(observed[-1]),
        observed_max_drawdown=float(_max_drawdowns(observed)),
    )
