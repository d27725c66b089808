"""How many bars a strategy needs before it may act, computed from the spec itself.

An indicator's outputs are all defined from bar `warmup(parameters)` on (the registry says so);
reading an output `offset` bars back moves that `offset` bars later; a cross reads the previous
bar too, a rise over n bars reads n bars back. The strategy's warm-up is the latest of these over
every indicator and every condition a rule reads (and the ATR a risk-per-trade sizing reads).
The compiler stores it in the spec; the spec check refuses a spec that claims fewer.
"""

from __future__ import annotations

from alphintra.strategy.v1.strategy_spec_pb2 import (
    ComparisonOperator,
    Condition,
    IndicatorNode,
    Operand,
    StrategySpec,
)
from services.core.indicators import get_indicator
from services.core.strategy.parameters import to_python
from services.core.strategy.sizing import effective_sizing

_CROSSES = (
    ComparisonOperator.COMPARISON_OPERATOR_CROSSES_ABOVE,
    ComparisonOperator.COMPARISON_OPERATOR_CROSSES_BELOW,
)


def indicator_warmup(node: IndicatorNode) -> int:
    """Bars before every output of the (already checked) indicator node has a value."""
    spec = get_indicator(node.indicator.lower())
    return spec.warmup({name: to_python(value) for name, value in node.parameters.items()})


def required_warmup(spec: StrategySpec) -> int:
    """The bar index from which every indicator and every condition a rule reads is defined."""
    series = {node.node_id: indicator_warmup(node) for node in spec.indicators}
    conditions: dict[str, int] = {}
    for node in spec.conditions:
        conditions[node.node_id] = condition_warmup(node.condition, series, conditions)
    needed = [*series.values(), *(conditions.get(rule.condition_node_id, 0) for rule in spec.rules)]
    sizing = effective_sizing(spec)
    if sizing is not None and sizing.WhichOneof("method") == "risk_per_trade":
        needed.append(get_indicator("atr").warmup({"period": sizing.risk_per_trade.atr_period}))
    return max(needed, default=0)


def condition_warmup(condition: Condition, series: dict[str, int], conditions: dict[str, int]) -> int:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        comparison = condition.comparison
        extra = 1 if comparison.operator in _CROSSES else 0
        return max(operand_warmup(comparison.left, series), operand_warmup(comparison.right, series)) + extra
    if kind == "between":
        between = condition.between
        return max(operand_warmup(item, series) for item in (between.value, between.lower, between.upper))
    if kind == "trend":
        return operand_warmup(condition.trend.value, series) + condition.trend.bars
    if kind == "logic":
        return max(
            (condition_warmup(item, series, conditions) for item in condition.logic.operands), default=0
        )
    return conditions.get(condition.condition_node_id, 0)


def operand_warmup(operand: Operand, series: dict[str, int]) -> int:
    kind = operand.WhichOneof("value")
    if kind == "series":
        return series.get(operand.series.node_id, 0) + operand.offset_bars
    if kind == "price":
        return operand.offset_bars
    return 0
