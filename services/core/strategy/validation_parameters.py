"""Parameter problems of one node: unknown names, wrong kinds, out-of-range, NaN, look-ahead offsets,
cross-parameter constraints of indicators, and optimisation ranges that do not fit their parameter."""

from __future__ import annotations

import math

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterRange
from alphintra.workflow.v1.node_catalog_pb2 import NodeParameter
from alphintra.workflow.v1.validation_pb2 import ValidationProblem
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.strategy.catalog import (
    DATA_SOURCE,
    NODE_TYPES,
    OFFSET_PARAMETERS,
    chosen_indicator,
    node_parameters,
)
from services.core.strategy.catalog_indicators import INDICATOR_PARAMETER, TECHNICAL_INDICATOR
from services.core.strategy.parameters import (
    PythonValue,
    ValueProblem,
    check_bounds,
    check_value,
    shown,
    to_python,
)
from services.core.strategy.problems import error, shown_id

_NUMERIC = (ParameterKind.PARAMETER_KIND_NUMBER, ParameterKind.PARAMETER_KIND_INTEGER)


def parameter_problems(node: Node) -> list[ValidationProblem]:
    """Everything wrong with the node's parameters and optimisation ranges (its type is known)."""
    allowed = node_parameters(node)
    if allowed is None:  # an indicator node whose `indicator` is not a known choice
        indicator = NODE_TYPES[TECHNICAL_INDICATOR].parameters[0]
        return [
            _value_problem(
                node, INDICATOR_PARAMETER, check_value(indicator, node.parameters[INDICATOR_PARAMETER])
            )
        ]
    problems = []
    for name in sorted(node.parameters):
        if name not in allowed:
            problems.append(_unknown(node, name, allowed))
            continue
        if name in OFFSET_PARAMETERS and _is_negative(to_python(node.parameters[name])):
            problems.append(_lookahead(node, name))
            continue
        checked = check_value(allowed[name], node.parameters[name])
        if isinstance(checked, ValueProblem):
            problems.append(_value_problem(node, name, checked))
    if not problems:
        problems.extend(_constraint_problems(node))
    problems.extend(_live_topic_problems(node))
    for name in sorted(node.optimization_ranges):
        problems.extend(_range_problems(node, name, allowed.get(name), node.optimization_ranges[name]))
    return problems


def effective_parameters(node: Node) -> dict[str, PythonValue] | None:
    """Every parameter's value: the node's where valid, else the default; None for an unknown type."""
    allowed = node_parameters(node)
    if allowed is None:
        return None
    values: dict[str, PythonValue] = {}
    for name, parameter in allowed.items():
        checked = check_value(parameter, node.parameters[name]) if name in node.parameters else None
        if checked is None or isinstance(checked, ValueProblem):
            checked = check_value(parameter, parameter.default_value)
        if not isinstance(checked, ValueProblem):
            values[name] = checked
    return values


def _unknown(node: Node, name: str, allowed: dict[str, NodeParameter]) -> ValidationProblem:
    owner = node.type
    if node.type == TECHNICAL_INDICATOR:
        owner = (
            to_python(node.parameters[INDICATOR_PARAMETER])
            if INDICATOR_PARAMETER in node.parameters
            else "SMA"
        )
    return error(
        "UNKNOWN_PARAMETER",
        f"{shown_id(node.id)}: {shown(owner)} has no parameter {shown_id(name)}; "
        f"it takes {', '.join(sorted(allowed))}",
        node_id=node.id,
        parameter=name,
    )


def _is_negative(value: PythonValue | None) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value < 0


def _lookahead(node: Node, name: str) -> ValidationProblem:
    """A negative offset would read bar t + k at bar t: a result no live run could reproduce."""
    return error(
        "LOOKAHEAD",
        f"{shown_id(node.id)}: {name} reads a future bar; offsets count bars back and must be ≥ 0",
        node_id=node.id,
        parameter=name,
    )


def _value_problem(node: Node, name: str, problem: ValueProblem) -> ValidationProblem:
    return error(
        problem.code, f"{shown_id(node.id)}: {name} {problem.message}", node_id=node.id, parameter=name
    )


def _constraint_problems(node: Node) -> list[ValidationProblem]:
    """Rules spanning several parameters of the chosen indicator (e.g. MACD fast < slow)."""
    if node.type != TECHNICAL_INDICATOR:
        return []
    spec = chosen_indicator(node)
    values = effective_parameters(node) or {}
    resolved = {parameter.name: values[parameter.name] for parameter in spec.parameters}
    return [
        error(
            "PARAMETER_CONSTRAINT", f"{shown_id(node.id)}: {name} {problem}", node_id=node.id, parameter=name
        )
        for name, problem in spec.constraints(resolved)
    ]


def _live_topic_problems(node: Node) -> list[ValidationProblem]:
    if node.type != DATA_SOURCE:
        return []
    values = effective_parameters(node) or {}
    if values.get("source_kind") == "live_topic" and not values.get("topic"):
        return [
            error(
                "PARAMETER_REQUIRED",
                f"{shown_id(node.id)}: a live_topic data source needs a topic",
                node_id=node.id,
                parameter="topic",
            )
        ]
    return []


def _range_problems(
    node: Node, name: str, parameter: NodeParameter | None, search: ParameterRange
) -> list[ValidationProblem]:
    if parameter is None:
        reasons = [f"there is no parameter {shown_id(name)} to optimise"]
    elif not parameter.optimizable:
        reasons = [f"{name} cannot be optimised"]
    elif search.choices:
        reasons = [
            f"choice {index}: {checked.message}"
            for index, value in enumerate(search.choices)
            if isinstance(checked := check_value(parameter, value), ValueProblem)
        ]
    elif parameter.kind not in _NUMERIC:
        reasons = [f"{name} is not numeric: give its search space as choices"]
    else:
        reasons = _interval_problems(parameter, search)
    return [
        error(
            "INVALID_OPTIMIZATION_RANGE",
            f"{shown_id(node.id)}: range of {name}: {reason}",
            node_id=node.id,
            parameter=name,
        )
        for reason in reasons
    ]


def _interval_problems(parameter: NodeParameter, search: ParameterRange) -> list[str]:
    bounds = (search.low, search.high, search.step)
    if not all(math.isfinite(value) for value in bounds):
        return ["low, high and step must be finite"]
    reasons = [
        problem.message
        for value in (search.low, search.high)
        if (problem := check_bounds(parameter, value)) is not None
    ]
    if search.low > search.high:
        reasons.append(f"low {search.low:g} is above high {search.high:g}")
    if search.step < 0:
        reasons.append("step must be ≥ 0")
    if search.log and (search.low <= 0 or search.step != 0):
        reasons.append("a log scale needs low > 0 and no step")
    whole = parameter.kind == ParameterKind.PARAMETER_KIND_INTEGER
    if whole and not all(float(value).is_integer() for value in bounds):
        reasons.append("an integer parameter needs whole low, high and step")
    return reasons
