"""Builders for the catalog's ports and parameters: short to call, so the catalog reads as a table."""

from __future__ import annotations

from collections.abc import Sequence

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterRange, ParameterValue
from alphintra.workflow.v1.node_catalog_pb2 import NodeParameter, Port, PortDataType

BARS = PortDataType.PORT_DATA_TYPE_BARS
NUMBERS = PortDataType.PORT_DATA_TYPE_NUMBER_SERIES
FLAGS = PortDataType.PORT_DATA_TYPE_BOOLEAN_SERIES
RISK = PortDataType.PORT_DATA_TYPE_RISK


def port(
    name: str, data_type: int, description: str, *, required: bool = False, multiple: bool = False
) -> Port:
    return Port(name=name, data_type=data_type, description=description, required=required, multiple=multiple)


def choice(
    name: str, choices: Sequence[str], default: str, description: str, *, optimizable: bool = False
) -> NodeParameter:
    """A CHOICE parameter; optimisable ones suggest every choice as their search space."""
    values = [ParameterValue(text=value) for value in choices]
    parameter = NodeParameter(
        name=name,
        kind=ParameterKind.PARAMETER_KIND_CHOICE,
        default_value=ParameterValue(text=default),
        choices=values,
        description=description,
        optimizable=optimizable,
    )
    if optimizable:
        parameter.suggested_range.CopyFrom(ParameterRange(choices=values))
    return parameter


def text(name: str, description: str, *, default: str = "") -> NodeParameter:
    return NodeParameter(
        name=name,
        kind=ParameterKind.PARAMETER_KIND_TEXT,
        default_value=ParameterValue(text=default),
        description=description,
    )


def flag(name: str, description: str, *, default: bool = False) -> NodeParameter:
    return NodeParameter(
        name=name,
        kind=ParameterKind.PARAMETER_KIND_FLAG,
        default_value=ParameterValue(flag=default),
        description=description,
    )


def integer(
    name: str, default: int, minimum: int, maximum: int, description: str, *, unit: str = "bars"
) -> NodeParameter:
    """An INTEGER parameter, optimisable, suggesting half to twice its default."""
    return NodeParameter(
        name=name,
        kind=ParameterKind.PARAMETER_KIND_INTEGER,
        default_value=ParameterValue(integer=default),
        minimum=minimum,
        maximum=maximum,
        description=description,
        unit=unit,
        optimizable=True,
        suggested_range=suggested_range(default, minimum, maximum, whole=True),
    )


def number(
    name: str, default: float, minimum: float, maximum: float, description: str, *, unit: str = ""
) -> NodeParameter:
    """A NUMBER parameter, optimisable, suggesting half to twice its default."""
    return NodeParameter(
        name=name,
        kind=ParameterKind.PARAMETER_KIND_NUMBER,
        default_value=ParameterValue(number=default),
        minimum=minimum,
        maximum=maximum,
        description=description,
        unit=unit,
        optimizable=True,
        suggested_range=suggested_range(default, minimum, maximum, whole=False),
    )


def suggested_range(default: float, minimum: float, maximum: float, *, whole: bool) -> ParameterRange:
    """Half to twice the default, inside the bounds; whole numbers step by one.

    A default of zero (a disabled control) suggests the lower tenth of the allowed range instead.
    """
    if default == 0:
        low, high = minimum, minimum + (maximum - minimum) / 10
    else:
        low, high = max(minimum, default / 2), min(maximum, default * 2)
    if whole:
        return ParameterRange(low=float(int(low)), high=float(int(high)), step=1.0)
    return ParameterRange(low=float(low), high=float(high))
