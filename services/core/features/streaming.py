"""Feature columns one bar at a time: the live side of the pipeline.

A deployment feeds each bar to `update` and gets the feature vector for that bar, or None
while any column is still warming up (or undefined on this bar). The values equal the rows of
`compute_features` on the same bars, bit for bit, because both drive the indicator registry's
forms that agree to the bit.

A deployment that restarts or moves keeps its place with `snapshot()` / `restore()`: the
snapshot is an independent copy of every indicator's state, so restoring it and feeding the
next bars gives what the original object would have given.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.features.columns import FeatureColumn
from services.core.indicators import StreamingIndicator, stream
from services.core.indicators.streaming import BarLike
from services.core.strategy.parameters import to_python


@dataclass(frozen=True, slots=True, eq=False)
class FeatureState:
    """An independent copy of a pipeline's state (restore it into a pipeline built the same way)."""

    names: tuple[str, ...]
    bars_seen: int
    indicators: dict[str, StreamingIndicator]


class StreamingFeatures:
    def __init__(self, spec: StrategySpec, columns: Sequence[FeatureColumn]) -> None:
        self._spec = spec
        self._columns = tuple(columns)
        self.names = tuple(column.name for column in self._columns)
        needed = {column.node_id for column in self._columns}
        self._nodes = [node for node in spec.indicators if node.node_id in needed]
        positions = {node.node_id: {port: i for i, port in enumerate(node.outputs)} for node in self._nodes}
        self._reads = [(column.node_id, positions[column.node_id][column.port]) for column in self._columns]
        self.reset()

    def reset(self) -> None:
        """Forget every bar: the pipeline then behaves exactly as a new one."""
        self._bars_seen = 0
        self._indicators: dict[str, StreamingIndicator] = {
            node.node_id: stream(
                node.indicator.lower(), **{name: to_python(value) for name, value in node.parameters.items()}
            )
            for node in self._nodes
        }
        self._last = np.full(len(self._columns), np.nan)

    @property
    def ready(self) -> bool:
        """True once every column had a value on the latest bar."""
        return self._bars_seen > 0 and not bool(np.isnan(self._last).any())

    @property
    def bars_seen(self) -> int:
        return self._bars_seen

    def update(self, bar: BarLike) -> np.ndarray | None:
        """Consume a bar (anything with open/high/low/close/volume); its feature vector, or None."""
        return self.update_fields(bar.open, bar.high, bar.low, bar.close, bar.volume)

    def update_fields(
        self, open: float, high: float, low: float, close: float, volume: float
    ) -> np.ndarray | None:
        outputs = {
            node_id: indicator.update(open, high, low, close, volume)
            for node_id, indicator in self._indicators.items()
        }
        self._bars_seen += 1
        self._last = np.fromiter(
            (outputs[node_id][position] for node_id, position in self._reads),
            dtype=np.float64,
            count=len(self._reads),
        )
        return None if np.isnan(self._last).any() else self._last.copy()

    def latest_values(self) -> np.ndarray:
        """Every column's value on the latest bar, NaN where a column has none yet (the feature cache)."""
        return self._last.copy()

    def snapshot(self) -> FeatureState:
        return FeatureState(
            names=self.names, bars_seen=self._bars_seen, indicators=copy.deepcopy(self._indicators)
        )

    def restore(self, state: FeatureState) -> None:
        if state.names != self.names or state.indicators.keys() != self._indicators.keys():
            raise ValueError("the snapshot belongs to a pipeline with other feature columns")
        self._indicators = copy.deepcopy(state.indicators)
        self._bars_seen = state.bars_seen
        self._last = np.array([indicator_output(self._indicators, read) for read in self._reads])


def indicator_output(indicators: dict[str, StreamingIndicator], read: tuple[str, int]) -> float:
    node_id, position = read
    values = tuple(indicators[node_id].values.values())
    return float(values[position]) if values else float("nan")
