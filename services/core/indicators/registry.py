"""The indicator registry: look up a spec, validate parameters, compute a series or build a stream.

The workflow catalog and compiler only ever go through here, so a parameter a user typed is
checked against the same ranges whether it ends up in a backtest or a live deployment, and
every problem is reported at once with the parameter's name.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from services.core.errors import FieldViolation, InvalidArgument, NotFound
from services.core.indicators import momentum, moving_averages, statistics, trend, volatility, volume
from services.core.indicators.spec import SOURCE, IndicatorSpec, ParameterSpec, ParameterValue
from services.core.indicators.streaming import StreamingIndicator

REGISTRY: Mapping[str, IndicatorSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            *moving_averages.SPECS,
            *momentum.SPECS,
            *volatility.SPECS,
            *volume.SPECS,
            *trend.SPECS,
            *statistics.SPECS,
        )
    }
)


def get_indicator(name: str) -> IndicatorSpec:
    """The spec registered under `name`; NotFound if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFound("indicator", name) from None


def validate_parameters(name: str, parameters: Mapping[str, Any]) -> dict[str, ParameterValue]:
    """Parameters checked against the spec and completed with defaults.

    Raises InvalidArgument listing one FieldViolation per bad or unknown parameter, its
    `field` being the parameter's name.
    """
    spec = get_indicator(name)
    known = {parameter.name for parameter in spec.parameters}
    violations = [
        FieldViolation(field, f"unknown parameter; {spec.name} takes {', '.join(sorted(known)) or 'none'}")
        for field in sorted(set(parameters) - known)
    ]
    resolved: dict[str, ParameterValue] = {}
    for parameter in spec.parameters:
        if parameter.name not in parameters:
            resolved[parameter.name] = parameter.default
            continue
        value, problem = _check(parameter, parameters[parameter.name])
        if problem:
            violations.append(FieldViolation(parameter.name, problem))
        else:
            resolved[parameter.name] = value
    if not violations:
        violations.extend(FieldViolation(field, problem) for field, problem in spec.constraints(resolved))
    if violations:
        raise InvalidArgument(f"invalid parameters for indicator {spec.name!r}", violations)
    return resolved


def compute(name: str, bars_or_arrays: Any, **parameters: Any) -> dict[str, np.ndarray]:
    """Vectorised indicator over a whole series: one float64 array per output, NaN in warm-up.

    `bars_or_arrays` is anything indexable by field name (a mapping of arrays, a DataFrame, a
    structured array) or carrying the fields as attributes; a single-input indicator also
    accepts the bare series.
    """
    spec = get_indicator(name)
    resolved = validate_parameters(name, parameters)
    arrays = _input_arrays(spec.resolved_inputs(resolved), bars_or_arrays)
    numeric = {key: value for key, value in resolved.items() if key != SOURCE}
    result = spec.function(*arrays, **numeric)
    series = (result,) if isinstance(result, np.ndarray) else result
    return dict(zip(spec.outputs, series, strict=True))


def stream(name: str, **parameters: Any) -> StreamingIndicator:
    """A fresh streaming object of the indicator, parameters validated as for `compute`."""
    spec = get_indicator(name)
    return spec.streaming(**validate_parameters(name, parameters))


def _check(parameter: ParameterSpec, value: Any) -> tuple[ParameterValue, str]:
    """(normalised value, "") or (value, what is wrong with it)."""
    if parameter.kind == "choice":
        if isinstance(value, str) and value in parameter.choices:
            return value, ""
        return value, f"must be one of {', '.join(parameter.choices)}, got {value!r}"
    return _check_number(parameter, value)


def _check_number(parameter: ParameterSpec, value: Any) -> tuple[ParameterValue, str]:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value, f"must be a number, got {value!r}"
    number = float(value)
    if parameter.kind == "int":
        if not number.is_integer():
            return value, f"must be a whole number, got {value!r}"
        number = int(number)
    elif not math.isfinite(number):
        return value, f"must be finite, got {value!r}"
    if (parameter.minimum is not None and number < parameter.minimum) or (
        parameter.maximum is not None and number > parameter.maximum
    ):
        return value, f"must be between {parameter.minimum:g} and {parameter.maximum:g}, got {value!r}"
    return number, ""


def _input_arrays(fields: tuple[str, ...], bars_or_arrays: Any) -> list[np.ndarray]:
    """The input fields as equal-length, finite, contiguous float64 arrays."""
    if _is_bare_series(bars_or_arrays):
        if len(fields) != 1:
            raise InvalidArgument(
                "a bare series only feeds single-input indicators",
                [FieldViolation(field, "missing input") for field in fields[1:]],
            )
        candidates = {fields[0]: bars_or_arrays}
    else:
        candidates = {field: _field(bars_or_arrays, field) for field in fields}
    violations: list[FieldViolation] = []
    arrays: list[np.ndarray] = []
    for field, raw in candidates.items():
        array, problem = _as_input(raw)
        if problem:
            violations.append(FieldViolation(field, problem))
        arrays.append(array)
    if not violations and len({array.shape[0] for array in arrays}) > 1:
        lengths = ", ".join(f"{field}={array.shape[0]}" for field, array in zip(fields, arrays, strict=True))
        violations.append(FieldViolation(fields[-1], f"inputs differ in length ({lengths})"))
    if violations:
        raise InvalidArgument("invalid indicator input", violations)
    return arrays


def _is_bare_series(value: Any) -> bool:
    """A plain sequence, 1-D array or pandas Series, as opposed to a table of named fields."""
    if isinstance(value, list | tuple):
        return not hasattr(value, "_fields")  # a namedtuple is a record of named fields
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.names is None and getattr(value, "ndim", 0) == 1


def _field(source: Any, field: str) -> Any:
    """source[field], else source.field, else None (reported as missing)."""
    try:
        return source[field]
    except (KeyError, IndexError, TypeError, ValueError):
        return getattr(source, field, None)


def _as_input(raw: Any) -> tuple[np.ndarray, str]:
    empty = np.empty(0)
    if raw is None:
        return empty, "missing input"
    try:
        array = np.ascontiguousarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        return empty, "must be numeric"
    if array.ndim != 1:
        return empty, f"must be one-dimensional, got shape {array.shape}"
    finite = np.isfinite(array)
    if not finite.all():
        return empty, f"must be finite; first NaN or infinity at index {int(np.argmin(finite))}"
    return array, ""
