"""The training distribution of one feature, in the compact form a model version carries.

A reference keeps what the drift statistics need and nothing of the training rows
themselves: decile bin edges with the share of training rows in each bin (for PSI),
evenly spaced quantiles (a piecewise-linear CDF for the Kolmogorov–Smirnov statistic),
the mean and the row count (the KS p-value depends on both sample sizes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.core.errors import FieldViolation, InvalidArgument

DEFAULT_BINS = 10
DEFAULT_QUANTILES = 101


@dataclass(frozen=True, slots=True)
class FeatureReference:
    name: str
    # len(bin_fractions) + 1 ascending edges; values outside them count in the first or last bin
    bin_edges: tuple[float, ...]
    bin_fractions: tuple[float, ...]
    # the values at probabilities 0, 1/(k-1), ..., 1
    quantiles: tuple[float, ...]
    mean: float
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "bin_edges": list(self.bin_edges),
            "bin_fractions": list(self.bin_fractions),
            "quantiles": list(self.quantiles),
            "mean": self.mean,
            "count": self.count,
        }


def reference_from_sample(
    name: str, values: np.ndarray, *, bins: int = DEFAULT_BINS, quantile_count: int = DEFAULT_QUANTILES
) -> FeatureReference:
    """The reference of one feature from its training column (the trainer's job; tests use it too)."""
    column = np.asarray(values, dtype=np.float64)
    column = column[np.isfinite(column)]
    if column.size == 0:
        raise InvalidArgument(f"feature {name!r} has no finite values", [FieldViolation(name, "no values")])
    edges = np.unique(np.quantile(column, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size < 2:
        # a constant feature: one bin around its value
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    counts = np.bincount(_bin_indices(edges, column), minlength=edges.size - 1)
    return FeatureReference(
        name=name,
        bin_edges=tuple(float(edge) for edge in edges),
        bin_fractions=tuple(float(count) / column.size for count in counts),
        quantiles=tuple(float(value) for value in np.quantile(column, np.linspace(0.0, 1.0, quantile_count))),
        mean=float(column.mean()),
        count=int(column.size),
    )


def _bin_indices(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    # interior edges only: anything below the first edge joins bin 0, above the last joins the last bin
    return np.searchsorted(edges[1:-1], values, side="right")


def bin_indices(reference: FeatureReference, values: np.ndarray) -> np.ndarray:
    return _bin_indices(np.asarray(reference.bin_edges), values)


def references_from_json(
    document: Mapping[str, Any], field: str = "reference"
) -> tuple[FeatureReference, ...]:
    """Parse `{"features": [{name, bin_edges, bin_fractions, quantiles, mean, count}, ...]}`.

    Every problem is reported at once, each naming the feature's index, so a bad file is
    fixed in one pass.
    """
    features = document.get("features")
    if not isinstance(features, list):
        raise InvalidArgument("reference distributions need a 'features' list", [FieldViolation(field, "")])
    violations: list[FieldViolation] = []
    parsed: list[FeatureReference] = []
    for index, item in enumerate(features):
        where = f"{field}.features[{index}]"
        try:
            parsed.append(_parse_feature(item))
        except (KeyError, TypeError, ValueError) as error:
            violations.append(FieldViolation(where, str(error)))
    if violations:
        raise InvalidArgument("invalid reference distributions", violations)
    return tuple(parsed)


def _floats(item: Mapping[str, Any], key: str) -> tuple[float, ...]:
    values = tuple(float(value) for value in item[key])
    if not all(np.isfinite(values)):
        raise ValueError(f"{key} must be finite numbers")
    return values


def _parse_feature(item: Mapping[str, Any]) -> FeatureReference:
    edges = _floats(item, "bin_edges")
    fractions = _floats(item, "bin_fractions")
    quantiles = _floats(item, "quantiles")
    if len(edges) < 2 or len(fractions) != len(edges) - 1:
        raise ValueError("bin_edges needs one more value than bin_fractions (at least two)")
    if list(edges) != sorted(edges) or list(quantiles) != sorted(quantiles):
        raise ValueError("bin_edges and quantiles must be ascending")
    if len(quantiles) < 2:
        raise ValueError("quantiles needs at least two values")
    if any(fraction < 0 for fraction in fractions) or abs(sum(fractions) - 1.0) > 1e-3:
        raise ValueError("bin_fractions must be non-negative and sum to 1")
    count = int(item["count"])
    if count < 1:
        raise ValueError("count must be positive")
    return FeatureReference(
        name=str(item["name"]),
        bin_edges=edges,
        bin_fractions=fractions,
        quantiles=quantiles,
        mean=float(item["mean"]),
        count=count,
    )


def references_for_matrix(names: Sequence[str], matrix: np.ndarray) -> tuple[FeatureReference, ...]:
    """One reference per column of a training matrix."""
    return tuple(reference_from_sample(name, matrix[:, index]) for index, name in enumerate(names))
