"""What a strategy optimisation maximises, and when its in-sample promise looks fitted.

An objective is one of the search's metrics (`services.core.analysis.search.OBJECTIVES`),
maximised, with an optional drawdown cap and a minimum number of trades: a trial over the cap,
with fewer trades, or whose metric is undefined scores −inf (a failure, never the best).

Overfitting shows as out-of-sample performance far below in-sample: we warn when the in-sample
objective is positive and the out-of-sample one falls under half of it (Sharpe 2.0 in-sample,
0.8 out-of-sample), or when in-sample made money and out-of-sample lost it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alphintra.strategy.v1.optimization_pb2 import Objective, OptimizationConfig
from services.core.analysis.search import SearchSettings, objective_value
from services.core.backtest import Metrics
from services.core.errors import FieldViolation, InvalidArgument

OBJECTIVE_METRICS = {
    Objective.OBJECTIVE_UNSPECIFIED: "sharpe_ratio",
    Objective.OBJECTIVE_SHARPE: "sharpe_ratio",
    Objective.OBJECTIVE_SORTINO: "sortino_ratio",
    Objective.OBJECTIVE_CALMAR: "calmar_ratio",
    Objective.OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP: "total_return",
}
OVERFITTING_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class ObjectiveRule:
    settings: SearchSettings  # the metric and the drawdown cap, as the search applies them
    min_trade_count: int

    @property
    def metric(self) -> str:
        return self.settings.objective

    def score(self, metrics: Metrics | None) -> tuple[float, str]:
        """The trial's score and, when it is a failure, why."""
        if metrics is None:
            return -math.inf, "not backtested"
        if metrics.trade_count < self.min_trade_count:
            return -math.inf, f"{int(metrics.trade_count)} trades; at least {self.min_trade_count} required"
        value = objective_value(metrics, self.settings)
        if value == -math.inf:
            cap = self.settings.max_drawdown
            if cap is not None and metrics.max_drawdown > cap:
                return value, f"max drawdown {metrics.max_drawdown:.1%} over the cap {cap:.1%}"
            return value, f"{self.metric} is undefined"
        return value, ""


def objective_rule(config: OptimizationConfig, field: str = "optimization") -> ObjectiveRule:
    violations = []
    if config.objective not in OBJECTIVE_METRICS:
        violations.append(FieldViolation(f"{field}.objective", "unknown objective"))
    capped = config.objective == Objective.OBJECTIVE_RETURN_WITH_DRAWDOWN_CAP
    cap = config.max_drawdown_cap
    if capped and not 0.0 < cap <= 1.0:
        violations.append(FieldViolation(f"{field}.max_drawdown_cap", "a fraction in (0, 1] is required"))
    elif cap and not 0.0 < cap <= 1.0:
        violations.append(FieldViolation(f"{field}.max_drawdown_cap", "a fraction in (0, 1], or 0"))
    if config.min_trade_count < 0:
        violations.append(FieldViolation(f"{field}.min_trade_count", "must be ≥ 0"))
    if violations:
        raise InvalidArgument("invalid optimisation config", violations)
    settings = SearchSettings(objective=OBJECTIVE_METRICS[config.objective], max_drawdown=cap or None)
    return ObjectiveRule(settings=settings, min_trade_count=config.min_trade_count)


def overfitting_warning(in_sample: float, out_of_sample: float, metric: str) -> str:
    """Why the out-of-sample result does not bear out the in-sample one; empty when it does."""
    if not math.isfinite(in_sample) or in_sample <= 0:
        return ""
    if math.isnan(out_of_sample) or out_of_sample < OVERFITTING_RATIO * in_sample:
        shown = "undefined" if math.isnan(out_of_sample) else f"{out_of_sample:.3g}"
        return (
            f"out-of-sample {metric} {shown} is under {OVERFITTING_RATIO:.0%} of in-sample {in_sample:.3g}: "
            "the parameters may be fitted to noise"
        )
    return ""
