"""One graph node → its part of the spec: an IndicatorNode, a ConditionNode or a Rule.

Runs only on nodes of a validated graph, so every value read here has been checked; unconnected
operands become the node's constant parameters, connected ones a price field of the bar or a
series of an indicator, read `offset` bars back.
"""

from __future__ import annotations

from alphintra.strategy.v1.strategy_spec_pb2 import (
    Between,
    Comparison,
    Condition,
    ConditionNode,
    IndicatorNode,
    Logic,
    Operand,
    Rule,
    SeriesRef,
    Trend,
)
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.strategy.catalog import COMPARISONS, DATA_SOURCE, chosen_indicator, parameter_value
from services.core.strategy.graph import GraphIndex
from services.core.strategy.parameters import from_python
from services.core.strategy.risk_settings import sizing_key, sizing_message
from services.core.strategy.vocabulary import (
    ACTION_ENUMS,
    COMPARISON_ENUMS,
    LOGIC_ENUMS,
    PRICE_ENUMS,
    TREND_ENUMS,
)


def indicator_node(node: Node) -> IndicatorNode:
    """The indicator with every parameter resolved (defaults written out) and its price inputs."""
    spec = chosen_indicator(node)
    compiled = IndicatorNode(node_id=node.id, indicator=spec.name.upper(), outputs=list(spec.outputs))
    for parameter in spec.parameters:
        value = parameter_value(node, parameter.name)
        if parameter.kind == "float":
            value = float(value)
        compiled.parameters[parameter.name].CopyFrom(from_python(value))
    resolved = {parameter.name: parameter_value(node, parameter.name) for parameter in spec.parameters}
    for name, field in zip(spec.inputs, spec.resolved_inputs(resolved), strict=True):
        compiled.inputs[name].CopyFrom(Operand(price=PRICE_ENUMS[field]))
    return compiled


def condition_node(node: Node, index: GraphIndex) -> ConditionNode:
    operator = parameter_value(node, "operator")
    left = operand(node, index, "left", "left_offset", fallback="threshold")
    if operator in COMPARISONS:
        right = operand(node, index, "right", "right_offset", fallback="threshold")
        condition = Condition(
            comparison=Comparison(operator=COMPARISON_ENUMS[operator], left=left, right=right)
        )
    elif operator == "between":
        condition = Condition(
            between=Between(
                value=left,
                lower=operand(node, index, "lower", None, fallback="lower_bound"),
                upper=operand(node, index, "upper", None, fallback="upper_bound"),
                exclusive=bool(parameter_value(node, "exclusive")),
            )
        )
    else:
        bars = int(parameter_value(node, "bars"))
        condition = Condition(trend=Trend(direction=TREND_ENUMS[operator], value=left, bars=bars))
    return ConditionNode(node_id=node.id, condition=condition)


def logic_node(node: Node, index: GraphIndex) -> ConditionNode:
    """AND / OR / NOT of the connected conditions, ordered by node id so edge order does not matter."""
    sources = sorted({edge.source_node for edge in index.inputs_of(node.id, "inputs")})
    logic = Logic(
        operator=LOGIC_ENUMS[parameter_value(node, "operator")],
        operands=[Condition(condition_node_id=source) for source in sources],
    )
    return ConditionNode(node_id=node.id, condition=Condition(logic=logic))


def rule(node: Node, index: GraphIndex) -> Rule:
    signal = index.single_input(node.id, "signal")
    compiled = Rule(
        node_id=node.id,
        condition_node_id=signal.source_node,
        action=ACTION_ENUMS[parameter_value(node, "action")],
        priority=int(parameter_value(node, "priority")),
    )
    method = parameter_value(node, "sizing")
    if method != "inherit":
        values = {name: parameter_value(node, name) for name in ("equity_percent", "quantity")}
        compiled.sizing.CopyFrom(sizing_message(sizing_key(values, method)))
    return compiled


def operand(
    node: Node, index: GraphIndex, port: str, offset_parameter: str | None, *, fallback: str
) -> Operand:
    """What input `port` reads: the connected output (with the offset), else the constant `fallback`."""
    edge = index.single_input(node.id, port)
    if edge is None:
        return Operand(constant=float(parameter_value(node, fallback)))
    offset = int(parameter_value(node, offset_parameter)) if offset_parameter else 0
    source = index.nodes[edge.source_node]
    if source.type == DATA_SOURCE:
        field = parameter_value(source, "price_field") if edge.source_port == "price" else edge.source_port
        return Operand(price=PRICE_ENUMS[field], offset_bars=offset)
    return Operand(series=SeriesRef(node_id=source.id, port=edge.source_port), offset_bars=offset)
