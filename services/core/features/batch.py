"""Feature columns over a whole series: the training side of the pipeline.

Each indicator node needed by a column is computed once with the registry's vectorised
function (the same call the strategy evaluator makes), and its outputs are laid out as
float64 columns. Rows before an indicator's warm-up hold NaN, exactly as the streaming form
reports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.backtest import Bars
from services.core.features.columns import FeatureColumn
from services.core.indicators import compute
from services.core.strategy.evaluator import price_fields
from services.core.strategy.parameters import to_python


@dataclass(frozen=True, slots=True, eq=False)
class FeatureMatrix:
    """Rows are bars, columns are `names`; NaN where a column is still warming up."""

    values: np.ndarray
    names: tuple[str, ...]


def compute_features(spec: StrategySpec, bars: Bars, columns: Sequence[FeatureColumn]) -> FeatureMatrix:
    prices = price_fields(bars)
    nodes = {node.node_id: node for node in spec.indicators}
    outputs: dict[str, dict[str, np.ndarray]] = {}
    values = np.empty((len(bars), len(columns)), dtype=np.float64)
    for index, column in enumerate(columns):
        if column.node_id not in outputs:
            node = nodes[column.node_id]
            parameters = {name: to_python(value) for name, value in node.parameters.items()}
            outputs[column.node_id] = compute(node.indicator.lower(), prices, **parameters)
        values[:, index] = outputs[column.node_id][column.port]
    return FeatureMatrix(values=values, names=tuple(column.name for column in columns))


def first_complete_row(matrix: FeatureMatrix) -> int:
    """The first row where every column has a value (the features' warm-up); the row count if none."""
    complete = ~np.isnan(matrix.values).any(axis=1)
    found = np.flatnonzero(complete)
    return int(found[0]) if found.size else matrix.values.shape[0]
