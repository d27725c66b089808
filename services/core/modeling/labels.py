"""What a model learns to predict, per bar: a condition of the graph, or the forward return.

A label at bar t looks `horizon` bars ahead, so it is only known once bar t + horizon has closed:
the last `horizon` bars have no label (NaN) and training never sees them, and splits keep at
least `horizon` bars between train and what it is judged on (see `splits`).

- condition: 1.0 when the condition node is true at bar t + horizon, 0.0 when false; NaN where
  the condition is undefined (warm-up). The model learns to anticipate the condition.
- forward return: close[t + horizon] / close[t] − 1, as is (regression) or 1.0 above the
  threshold, else 0.0 (classification).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.strategy.v1.training_pb2 import LabelDefinition
from services.core.backtest import Bars
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy import evaluate

MAX_HORIZON = 10_000


@dataclass(frozen=True, slots=True, eq=False)
class Labels:
    values: np.ndarray  # one per bar, NaN where unknown
    regression: bool
    horizon: int


def make_labels(spec: StrategySpec, bars: Bars, definition: LabelDefinition, field: str = "label") -> Labels:
    horizon = definition.horizon_bars
    violations = []
    if not 1 <= horizon <= MAX_HORIZON:
        violations.append(FieldViolation(f"{field}.horizon_bars", f"must be from 1 to {MAX_HORIZON}"))
    source = definition.WhichOneof("source")
    if source is None:
        violations.append(FieldViolation(f"{field}.source", "choose condition or forward_return"))
    elif source == "condition":
        known = {node.node_id for node in spec.conditions}
        if definition.condition.condition_node_id not in known:
            violations.append(
                FieldViolation(
                    f"{field}.condition.condition_node_id",
                    f"no condition node {definition.condition.condition_node_id!r} in the strategy",
                )
            )
    if violations:
        raise InvalidArgument("invalid label", violations)
    if source == "condition":
        return Labels(
            condition_labels(spec, bars, definition.condition.condition_node_id, horizon), False, horizon
        )
    forward = definition.forward_return
    returns = forward_returns(bars.close, horizon)
    if forward.regression:
        return Labels(returns, True, horizon)
    return Labels(
        np.where(np.isnan(returns), np.nan, (returns > forward.threshold).astype(np.float64)), False, horizon
    )


def forward_returns(close: np.ndarray, horizon: int) -> np.ndarray:
    values = np.full(close.shape[0], np.nan)
    if horizon < close.shape[0]:
        values[:-horizon] = close[horizon:] / close[:-horizon] - 1.0
    return values


def condition_labels(spec: StrategySpec, bars: Bars, node_id: str, horizon: int) -> np.ndarray:
    value, defined = evaluate(spec, bars).conditions[node_id]
    current = np.where(defined, value.astype(np.float64), np.nan)
    labels = np.full(current.shape[0], np.nan)
    if horizon < current.shape[0]:
        labels[:-horizon] = current[horizon:]
    return labels
