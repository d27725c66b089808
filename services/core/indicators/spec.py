"""What the platform knows about an indicator without running it: the data the catalog is built from.

The workflow node catalog lists these specs, the compiler checks parameters against them, and
`compute` / `stream` use them to call the vectorised function or build the streaming object.
A spec is data plus two callables; it never holds series.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from services.core.indicators.streaming import FIELDS, StreamingIndicator

ParameterKind = Literal["int", "float", "choice"]
ParameterValue = int | float | str

# An input named SOURCE is resolved through the `source` parameter (single-series indicators).
SOURCE = "source"


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One tunable parameter: its type, default and the range a user may choose from."""

    name: str
    kind: ParameterKind
    default: ParameterValue
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """An indicator's identity, inputs, parameters, outputs and its two implementations.

    `function` is the vectorised form: it takes the input arrays positionally, in `inputs`
    order, and the numeric parameters by keyword, and returns one array per output (a bare
    array when there is one output). `streaming` is the incremental form, built from all
    parameters by keyword. `constraints` checks rules spanning several parameters and returns
    (parameter, problem) pairs.
    """

    name: str
    display_name: str
    family: str
    description: str
    inputs: tuple[str, ...]
    parameters: tuple[ParameterSpec, ...]
    outputs: tuple[str, ...]
    function: Callable[..., np.ndarray | tuple[np.ndarray, ...]]
    streaming: type[StreamingIndicator]
    constraints: Callable[[Mapping[str, ParameterValue]], list[tuple[str, str]]] = field(
        default=lambda _parameters: []
    )

    def parameter(self, name: str) -> ParameterSpec:
        """The spec of one parameter, by name."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def defaults(self) -> dict[str, ParameterValue]:
        """Every parameter at its default value."""
        return {parameter.name: parameter.default for parameter in self.parameters}

    def resolved_inputs(self, parameters: Mapping[str, ParameterValue]) -> tuple[str, ...]:
        """The OHLCV fields read, with `source` replaced by the field it names."""
        return tuple(str(parameters[SOURCE]) if name == SOURCE else name for name in self.inputs)

    def warmup(self, parameters: Mapping[str, ParameterValue]) -> int:
        """Leading bars for which at least one output is NaN (missing parameters at default)."""
        return self.streaming(**{**self.defaults(), **parameters}).warmup


def period_parameter(
    default: int,
    *,
    minimum: int = 2,
    maximum: int = 500,
    name: str = "period",
    description: str | None = None,
) -> ParameterSpec:
    """A look-back length in bars."""
    return ParameterSpec(
        name=name,
        kind="int",
        default=default,
        description=description or "Number of bars in the look-back window.",
        minimum=minimum,
        maximum=maximum,
    )


def multiplier_parameter(
    default: float, *, name: str, description: str, minimum: float = 0.0, maximum: float = 10.0
) -> ParameterSpec:
    """A positive real factor (band width in deviations or ATRs)."""
    return ParameterSpec(
        name=name, kind="float", default=default, description=description, minimum=minimum, maximum=maximum
    )


def source_parameter() -> ParameterSpec:
    """Which bar field a single-series indicator reads."""
    return ParameterSpec(
        name=SOURCE,
        kind="choice",
        default="close",
        description="Bar field the indicator is computed on.",
        choices=FIELDS,
    )
