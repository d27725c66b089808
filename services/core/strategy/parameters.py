"""Node parameter values: protobuf `ParameterValue` ⇄ Python, and the one check every value passes.

Validation, the compiler and `apply_parameters` all read parameter values through here, so a
value that validation accepted is converted the same way when it is compiled, and an optimiser
that writes a Python number gets the same kind of message an editor would have sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterValue
from alphintra.workflow.v1.node_catalog_pb2 import NodeParameter

PythonValue = int | float | str | bool

# Longer text is refused: nothing a node takes as text (a symbol, a dataset id) needs more.
MAX_TEXT_LENGTH = 256


@dataclass(frozen=True, slots=True)
class ValueProblem:
    """Why a value does not fit its parameter: a stable code and words for a person."""

    code: str
    message: str


def to_python(value: ParameterValue) -> PythonValue | None:
    """The value held by the message, or None when it holds none."""
    which = value.WhichOneof("value")
    return None if which is None else getattr(value, which)


def from_python(value: PythonValue) -> ParameterValue:
    """A message holding `value` (bool before int: a bool is an int in Python)."""
    if isinstance(value, bool):
        return ParameterValue(flag=value)
    if isinstance(value, int):
        return ParameterValue(integer=value)
    if isinstance(value, float):
        return ParameterValue(number=value)
    return ParameterValue(text=value)


def kind_name(kind: int) -> str:
    """ "number", "integer", ... for messages."""
    return ParameterKind.Name(kind).removeprefix("PARAMETER_KIND_").lower()


def check_value(parameter: NodeParameter, value: ParameterValue) -> PythonValue | ValueProblem:
    """`value` normalised to the parameter's kind (an integral number becomes an int), or the problem."""
    held = to_python(value)
    if held is None:
        return ValueProblem("PARAMETER_WRONG_KIND", f"has no value; expected {kind_name(parameter.kind)}")
    kind = parameter.kind
    if kind in (ParameterKind.PARAMETER_KIND_NUMBER, ParameterKind.PARAMETER_KIND_INTEGER):
        return _check_numeric(parameter, held)
    if kind == ParameterKind.PARAMETER_KIND_FLAG:
        return held if isinstance(held, bool) else _wrong_kind(parameter, held)
    return _check_text(parameter, held)


def _check_text(parameter: NodeParameter, held: PythonValue) -> PythonValue | ValueProblem:
    if not isinstance(held, str):
        return _wrong_kind(parameter, held)
    if len(held) > MAX_TEXT_LENGTH:
        return ValueProblem("PARAMETER_OUT_OF_RANGE", f"is longer than {MAX_TEXT_LENGTH} characters")
    if parameter.kind == ParameterKind.PARAMETER_KIND_CHOICE:
        allowed = [choice.text for choice in parameter.choices]
        if held not in allowed:
            return ValueProblem("INVALID_CHOICE", f"must be one of {', '.join(allowed)}; got {_shown(held)}")
    return held


def check_bounds(parameter: NodeParameter, number: float) -> ValueProblem | None:
    """The problem when `number` lies outside the parameter's inclusive bounds."""
    low = parameter.minimum if parameter.HasField("minimum") else -math.inf
    high = parameter.maximum if parameter.HasField("maximum") else math.inf
    if low <= number <= high:
        return None
    return ValueProblem("PARAMETER_OUT_OF_RANGE", f"must be between {low:g} and {high:g}; got {number:g}")


def shown(value: PythonValue | None) -> str:
    """A value for an error message, cut short so a hostile string cannot flood the message."""
    return _shown(value)


def _check_numeric(parameter: NodeParameter, held: PythonValue) -> PythonValue | ValueProblem:
    if isinstance(held, bool) or not isinstance(held, int | float):
        return _wrong_kind(parameter, held)
    if not math.isfinite(held):
        return ValueProblem("PARAMETER_NOT_FINITE", f"must be a finite number; got {held}")
    number: int | float = held
    if parameter.kind == ParameterKind.PARAMETER_KIND_INTEGER:
        if not float(held).is_integer():
            return ValueProblem("PARAMETER_WRONG_KIND", f"must be a whole number; got {held:g}")
        number = int(held)
    else:
        number = float(held)
    return check_bounds(parameter, number) or number


def _wrong_kind(parameter: NodeParameter, held: PythonValue) -> ValueProblem:
    return ValueProblem(
        "PARAMETER_WRONG_KIND",
        f"must be {kind_name(parameter.kind)}; got {type(held).__name__} {_shown(held)}",
    )


def _shown(value: PythonValue | None) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
