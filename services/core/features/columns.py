"""Which indicator outputs are a model's features, named "node_id.port" in a fixed order.

The order is part of the model's signature (its input tensor's columns), so it is decided once
here: the columns asked for, in the order asked; or, when none are asked for, every output of
every indicator node in the spec's (topological) order and the node's declared port order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from services.core.errors import FieldViolation, InvalidArgument

MAX_FEATURES = 1_000


@dataclass(frozen=True, slots=True)
class FeatureColumn:
    node_id: str
    port: str

    @property
    def name(self) -> str:
        return f"{self.node_id}.{self.port}"


def feature_columns(
    spec: StrategySpec, selected: Sequence[str] = (), *, field: str = "features"
) -> tuple[FeatureColumn, ...]:
    """The columns named in `selected` (all indicator outputs when empty), checked against the spec."""
    available = {
        f"{node.node_id}.{port}": FeatureColumn(node.node_id, port)
        for node in spec.indicators
        for port in node.outputs
    }
    if not selected:
        if not available:
            raise InvalidArgument(
                "the strategy has no features",
                [FieldViolation(field, "the graph has no indicator node whose outputs could be features")],
            )
        return tuple(available.values())
    violations = []
    seen: set[str] = set()
    for index, name in enumerate(selected):
        if name not in available:
            known = ", ".join(sorted(available)[:20]) or "none"
            violations.append(
                FieldViolation(f"{field}[{index}]", f"no indicator output {name!r}; known: {known}")
            )
        elif name in seen:
            violations.append(FieldViolation(f"{field}[{index}]", f"{name!r} is listed twice"))
        seen.add(name)
    if len(selected) > MAX_FEATURES:
        violations.append(FieldViolation(field, f"at most {MAX_FEATURES} features"))
    if violations:
        raise InvalidArgument("invalid feature columns", violations)
    return tuple(available[name] for name in selected)
