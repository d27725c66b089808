"""The `technicalIndicator` node type, generated from the indicator registry.

One node type covers every indicator: its CHOICE parameter `indicator` picks one (choices are the
registry names upper-cased, as the strategy spec spells them), the other parameters are the union
of every indicator's parameters, and `outputs_by_choice` says which ports each choice has. A new
indicator in the registry therefore appears in the editor, the validator and the compiler without
a line changed here. Which parameters a node may carry, their defaults and their ranges are those
of the indicator it chose (see `indicator_parameters`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterValue
from alphintra.workflow.v1.node_catalog_pb2 import NodeCategory, NodeParameter, NodeType, PortList
from services.core.indicators import REGISTRY, IndicatorSpec, ParameterSpec
from services.core.strategy import ports

TECHNICAL_INDICATOR = "technicalIndicator"
INDICATOR_PARAMETER = "indicator"
DEFAULT_INDICATOR = "SMA"
BARS_INPUT = "bars"

# Spec spelling ("SMA") → registry spec; every lookup of an indicator chosen in a graph goes here.
INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType(
    {name.upper(): spec for name, spec in REGISTRY.items()}
)

_KINDS = {
    "int": ParameterKind.PARAMETER_KIND_INTEGER,
    "float": ParameterKind.PARAMETER_KIND_NUMBER,
    "choice": ParameterKind.PARAMETER_KIND_CHOICE,
}


def indicator_node_type() -> NodeType:
    """The node type, its outputs being those of the default choice."""
    node_type = NodeType(
        type=TECHNICAL_INDICATOR,
        category=NodeCategory.NODE_CATEGORY_TECHNICAL_INDICATOR,
        display_name="Technical indicator",
        description=(
            "Any indicator of the platform's library, computed on the data source's bars. Choose it with "
            "`indicator`; its outputs and parameters follow the choice."
        ),
        inputs=[ports.port(BARS_INPUT, ports.BARS, "Bars from a data source.", required=True)],
    )
    node_type.parameters.append(
        ports.choice(
            INDICATOR_PARAMETER, sorted(INDICATORS), DEFAULT_INDICATOR, "Which indicator to compute."
        )
    )
    node_type.parameters.extend(_union_parameters(INDICATORS))
    for name, spec in INDICATORS.items():
        node_type.outputs_by_choice[name].CopyFrom(PortList(ports=list(output_ports(spec))))
    node_type.outputs.extend(output_ports(INDICATORS[DEFAULT_INDICATOR]))
    return node_type


def output_ports(spec: IndicatorSpec) -> Iterable:
    return (
        ports.port(output, ports.NUMBERS, f"{spec.display_name}: {output.replace('_', ' ')}.")
        for output in spec.outputs
    )


def indicator_parameters(spec: IndicatorSpec) -> dict[str, NodeParameter]:
    """The node parameters a node choosing `spec` may carry, with that indicator's default and range."""
    return {parameter.name: _node_parameter(parameter) for parameter in spec.parameters}


def _union_parameters(indicators: Mapping[str, IndicatorSpec]) -> list[NodeParameter]:
    """One catalog entry per parameter name: the default indicator's entry (else the first one's),
    with bounds widened to every indicator's and a description naming who uses it."""
    users: dict[str, list[tuple[str, ParameterSpec]]] = {}
    for name, spec in indicators.items():
        for parameter in spec.parameters:
            users.setdefault(parameter.name, []).append((name, parameter))
    entries = []
    for parameter_name in sorted(users):
        used_by = users[parameter_name]
        preferred = next((item for item in used_by if item[0] == DEFAULT_INDICATOR), used_by[0])[1]
        entry = _node_parameter(preferred)
        minimums = [item.minimum for _, item in used_by if item.minimum is not None]
        maximums = [item.maximum for _, item in used_by if item.maximum is not None]
        if minimums and entry.HasField("minimum"):
            entry.minimum = min(minimums)
        if maximums and entry.HasField("maximum"):
            entry.maximum = max(maximums)
        defaults = ", ".join(f"{name} {item.default}" for name, item in used_by)
        entry.description = f"{preferred.description} Used by (default): {defaults}."
        entries.append(entry)
    return entries


def _node_parameter(parameter: ParameterSpec) -> NodeParameter:
    kind = _KINDS[parameter.kind]
    if kind == ParameterKind.PARAMETER_KIND_CHOICE:
        return ports.choice(
            parameter.name,
            parameter.choices,
            str(parameter.default),
            parameter.description,
            optimizable=True,
        )
    low = parameter.minimum if parameter.minimum is not None else 0.0
    high = parameter.maximum if parameter.maximum is not None else max(1.0, float(parameter.default) * 10)
    if kind == ParameterKind.PARAMETER_KIND_INTEGER:
        entry = ports.integer(
            parameter.name, int(parameter.default), int(low), int(high), parameter.description
        )
    else:
        entry = ports.number(parameter.name, float(parameter.default), low, high, parameter.description)
    if parameter.minimum is None:
        entry.ClearField("minimum")
    if parameter.maximum is None:
        entry.ClearField("maximum")
    return entry


def default_value(parameter: ParameterSpec) -> ParameterValue:
    return _node_parameter(parameter).default_value
